/**
 * Many viewers waiting on one live media playlist, as LL-HLS players do: each holds a blocking
 * request for the next part (`_HLS_msn`/`_HLS_part` from the answer's EXT-X-PRELOAD-HINT, with
 * `_HLS_skip=YES` as hls.js sends when the playlist allows delta updates) and asks again as soon
 * as it is answered. When a part "landed" is the first answer naming it (the server answers
 * every waiter of a part from one rendering, so the first write is the landing plus a
 * millisecond); each answer's delay is counted from there.
 */
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface ViewerLoadResult {
  viewers: number;
  seconds: number;
  answers: number;
  answersPerSecond: number;
  /** Delay of each 200 answer after the first answer for the same part, ms. */
  delays: number[];
  late: number;
  non200: Record<string, number>;
  errors: number;
  parts: number;
  /** Every 200 answer to a blocking request: which part (`msn:part`) and when (ms epoch). */
  answered: { key: string; at: number }[];
  /** First answer per part, ms epoch. */
  first: Map<string, number>;
  /** This process's own event-loop delay meanwhile (it shares the machine and skews the delays). */
  clientLoopP99: number;
}

const HINT = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part_(\d+)_(\d+)\.m4s/;

function get(agent: http.Agent, url: URL, signal: AbortSignal): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

export async function viewerLoad(
  mediaUrl: string,
  opts: { viewers: number; seconds: number; lateMs: number; skip: boolean },
): Promise<ViewerLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.viewers + 10 });
  const first = new Map<string, number>();
  const answered: { key: string; at: number }[] = [];
  const non200: Record<string, number> = {};
  let errors = 0;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const stop = new AbortController();
  const end = Date.now() + opts.seconds * 1000;
  const base = new URL(mediaUrl);

  const viewer = async (n: number) => {
    // Spread the arrivals over the first second, like an audience joining.
    await new Promise((r) => setTimeout(r, (n * 1000) / opts.viewers));
    let next: { msn: number; part: number } | null = null;
    while (Date.now() < end && !stop.signal.aborted) {
      const url = new URL(base);
      if (next) {
        url.searchParams.set('_HLS_msn', String(next.msn));
        url.searchParams.set('_HLS_part', String(next.part));
        if (opts.skip) url.searchParams.set('_HLS_skip', 'YES');
      }
      try {
        const res = await get(agent, url, stop.signal);
        const at = Date.now();
        if (res.status !== 200) {
          non200[res.status] = (non200[res.status] ?? 0) + 1;
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        const hint = HINT.exec(res.body);
        if (next) {
          const key = `${next.msn}:${next.part}`;
          if (!first.has(key)) first.set(key, at);
          answered.push({ key, at });
        }
        next = hint ? { msn: Number(hint[1]), part: Number(hint[2]) } : null;
        if (!next) await new Promise((r) => setTimeout(r, 100));
      } catch {
        if (stop.signal.aborted) break;
        errors++;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  loop.enable();
  const timer = setTimeout(() => stop.abort(), opts.seconds * 1000 + 5000);
  await Promise.all(Array.from({ length: opts.viewers }, (_, i) => viewer(i)));
  clearTimeout(timer);
  loop.disable();
  agent.destroy();
  const delays = answered.map((a) => a.at - (first.get(a.key) ?? a.at));
  const late =
    delays.filter((d) => d > opts.lateMs).length + Object.values(non200).reduce((a, b) => a + b, 0);
  return {
    viewers: opts.viewers,
    seconds: opts.seconds,
    answers: answered.length,
    answersPerSecond: answered.length / opts.seconds,
    delays,
    late,
    non200,
    errors,
    parts: first.size,
    clientLoopP99: loop.percentile(99) / 1e6,
    answered,
    first,
  };
}

/**
 * `node bench/live-viewers.ts URL SECONDS`: one lone viewer in a process of its own, printing
 * its answers as JSON. Beside the 500, it says how late the server itself answers a waiter
 * (its position in the server's burst), without the 500 answers' parsing in our own process.
 */
if (import.meta.main) {
  const [url, secs] = process.argv.slice(2);
  const r = await viewerLoad(url as string, { viewers: 1, seconds: Number(secs), lateMs: 100, skip: true });
  process.stdout.write(JSON.stringify(r.answered));
}
