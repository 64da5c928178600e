/**
 * The soak's parts (docs/reliability.md, `soak`): HLS viewers at player pace, uploads kept in flight,
 * and a sampler of a process's resident memory and open file descriptors read from /proc.
 */
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';

export interface Failure {
  at: number;
  url: string;
  status: number | string;
}

export interface ViewerStats {
  requests: number;
  segments: number[];
  playlists: number[];
  failures: Failure[];
  /** Viewers that played at least one asset to its end. */
  finishedPlays: number;
}

/** One fetch of a whole body: its status and how long it took to the last byte. */
async function fetchTimed(agent: Agent, url: string): Promise<{ status: number; ms: number; text?: string }> {
  const started = performance.now();
  const res = await request(url, { dispatcher: agent, method: 'GET' });
  const playlist = url.includes('.m3u8');
  if (playlist) {
    const text = await res.body.text();
    return { status: res.statusCode, ms: performance.now() - started, text };
  }
  // Read every byte (what a player does), keep none.
  for await (const _chunk of res.body) {
    // drained
  }
  return { status: res.statusCode, ms: performance.now() - started };
}

const resolveUri = (base: string, uri: string) => new URL(uri, base).toString();

/**
 * `count` viewers, each: master playlist → one rendition playlist (chosen at random) → its init
 * segment and segments one after another, each requested one segment duration after the previous
 * request started (as a player holding a steady buffer does), then another asset, until `until`.
 * Starts are spread over `staggerMs`.
 */
export async function runViewers(o: {
  base: string;
  masters: readonly string[];
  count: number;
  staggerMs: number;
  until: number;
  stats: ViewerStats;
}): Promise<void> {
  const agent = new Agent({ connections: o.count + 16, keepAliveTimeout: 30_000, pipelining: 1 });
  const { stats } = o;
  const get = async (url: string) => {
    stats.requests++;
    try {
      const r = await fetchTimed(agent, url);
      if (r.status < 200 || r.status > 299) {
        stats.failures.push({ at: Date.now(), url, status: r.status });
        return undefined;
      }
      return r;
    } catch (e) {
      stats.failures.push({ at: Date.now(), url, status: (e as { code?: string }).code ?? String(e) });
      return undefined;
    }
  };
  const viewer = async (n: number) => {
    await sleep(Math.round((o.staggerMs * n) / o.count));
    let next = n % o.masters.length;
    while (Date.now() < o.until) {
      const masterUrl = `${o.base}${o.masters[next]}`;
      next = (next + 1) % o.masters.length;
      const master = await get(masterUrl);
      if (master) stats.playlists.push(master.ms);
      const variants = (master?.text ?? '')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#') && l.includes('.m3u8'));
      if (variants.length === 0) {
        await sleep(1000);
        continue;
      }
      const rendition = resolveUri(
        masterUrl,
        variants[Math.floor(Math.random() * variants.length)] as string,
      );
      const playlist = await get(rendition);
      if (!playlist) {
        await sleep(1000);
        continue;
      }
      stats.playlists.push(playlist.ms);
      const lines = (playlist.text ?? '').split('\n').map((l) => l.trim());
      const init = lines.map((l) => /#EXT-X-MAP:URI="([^"]+)"/.exec(l)?.[1]).find(Boolean);
      if (init) await get(resolveUri(rendition, init));
      const segments: { uri: string; seconds: number }[] = [];
      let duration = 0;
      for (const l of lines) {
        const inf = /^#EXTINF:([\d.]+)/.exec(l);
        if (inf) duration = Number(inf[1]);
        else if (l && !l.startsWith('#')) segments.push({ uri: resolveUri(rendition, l), seconds: duration });
      }
      for (const s of segments) {
        if (Date.now() >= o.until) return;
        const started = Date.now();
        const r = await get(s.uri);
        if (r) stats.segments.push(r.ms);
        const wait = started + s.seconds * 1000 - Date.now();
        if (wait > 0) await sleep(Math.min(wait, Math.max(0, o.until - Date.now())));
      }
      stats.finishedPlays++;
    }
  };
  try {
    await Promise.all(Array.from({ length: o.count }, (_, i) => viewer(i)));
  } finally {
    await agent.close().catch(() => {});
  }
}

export interface Sample {
  at: number;
  rssKiB: number;
  fds: number;
}

/** VmRSS (KiB) and the number of open file descriptors of a process, from /proc. */
export async function sampleProcess(pid: number): Promise<Sample> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  const fds = (await readdir(`/proc/${pid}/fd`)).length;
  return { at: Date.now(), rssKiB, fds };
}

/** Samples a process every `everyMs` until stopped. */
export function sampler(pid: () => number | undefined, everyMs: number) {
  const samples: Sample[] = [];
  let stopped = false;
  const abort = new AbortController();
  const loop = (async () => {
    while (!stopped) {
      const p = pid();
      if (p) {
        const s = await sampleProcess(p).catch(() => undefined);
        if (s) samples.push(s);
      }
      await sleep(everyMs, undefined, { signal: abort.signal }).catch(() => {});
    }
  })();
  return {
    samples,
    async stop() {
      stopped = true;
      abort.abort();
      await loop;
    },
  };
}
