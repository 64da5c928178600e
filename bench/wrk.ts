/** wrk, run as the measure scripts run it, and its text report read (no Lua script needed). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkResult {
  rps: number;
  /** Latency percentiles in ms (only with --latency). */
  p50: number;
  p99: number;
  /** Answers that were not 2xx/3xx, and socket errors (connect, read, write, timeout). */
  non2xx: number;
  socketErrors: number;
}

/** `wrk -t2 -c32 -d{seconds}s [--latency] [-H …] url`. */
export async function wrk(
  url: string,
  o: { seconds: number; connections?: number; latency?: boolean; headers?: Record<string, string> },
): Promise<WrkResult> {
  const args = ['-t2', `-c${o.connections ?? 32}`, `-d${o.seconds}s`];
  if (o.latency) args.push('--latency');
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push('-H', `${k}: ${v}`);
  const { stdout } = await run('wrk', [...args, url], { maxBuffer: 1 << 20 });
  return parseWrk(stdout);
}

/** wrk prints times as 812.00us, 1.23ms, 2.01s, 1.5m. */
function ms(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
  if (!m) return Number.NaN;
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as 'us' | 'ms' | 's' | 'm'];
  return Number(m[1]) * scale;
}

export function parseWrk(out: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const p = (pct: string) => ms(new RegExp(`^\\s+${pct}%\\s+(\\S+)`, 'm').exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock ? sock.slice(1).reduce((s, n) => s + Number(n), 0) : 0;
  if (!Number.isFinite(rps)) throw new Error(`no Requests/sec in wrk's output:\n${out}`);
  return { rps, p50: p('50'), p99: p('99'), non2xx, socketErrors };
}
