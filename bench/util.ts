/** Small helpers shared by the benchmark: timing a child process, /proc memory readings, stats. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The same ffmpeg the server would use, so both sides of every ratio run one binary. */
export const FFMPEG = process.env.FRAMEHOUSE_FFMPEG_PATH ?? 'ffmpeg';
export const FFPROBE = process.env.FRAMEHOUSE_FFPROBE_PATH ?? 'ffprobe';

/**
 * Runs a command to completion; returns its wall time and the CPU time it used (both seconds).
 * Throws on failure. The CPU time is the growth of our own reaped-children counters, exact as
 * long as no other child of ours ends meanwhile (the bench runs one thing at a time).
 */
export function timeCommand(
  bin: string,
  args: string[],
): Promise<{ wall: number; cpu: number; othersCpu: number }> {
  return new Promise((resolve, reject) => {
    const cpu0 = cpuSeconds('self')?.children ?? Number.NaN;
    const busy0 = machineBusySeconds();
    const t0 = performance.now();
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = (performance.now() - t0) / 1000;
      const cpu = (cpuSeconds('self')?.children ?? Number.NaN) - cpu0;
      const othersCpu = Math.max(0, machineBusySeconds() - busy0 - cpu);
      if (code === 0) resolve({ wall, cpu, othersCpu });
      else reject(new Error(`${bin} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

const CLK_TCK = 100; // USER_HZ: what /proc reports ticks in, 100 on every Linux we run on

/**
 * CPU seconds the whole machine has spent busy since boot (every core, every process), from
 * /proc/stat: taken before and after a measurement, minus what the measured processes used, it
 * says how much of the machine others took meanwhile.
 */
export function machineBusySeconds(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal …
    const [user, nice, system, , , irq, softirq, steal] = cpu.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds a process used itself, and that its waited-for children used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number | 'self'): { own: number; children: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces and parentheses: [0] is field 3.
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const at = (field: number) => f[field - 3] ?? Number.NaN;
    return { own: (at(14) + at(15)) / CLK_TCK, children: (at(16) + at(17)) / CLK_TCK };
  } catch {
    return null;
  }
}

/** One field of /proc/<pid>/status in kB (VmRSS, VmHWM), or null once the process is gone. */
export function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * pid and its descendants (the server's ffmpeg/ffprobe children). A child is listed under the
 * thread that forked it; Node spawns from its main thread and ffmpeg spawns nothing, so reading
 * only each main thread's list keeps a sample to a handful of reads instead of one per x264 thread.
 */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i] as number;
    try {
      const kids = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      if (kids) out.push(...kids.split(/\s+/).map(Number));
    } catch {
      // exited between two reads
    }
  }
  return out;
}

/**
 * Samples the RSS of a process (and of its whole tree, ffmpeg included) every intervalMs and
 * keeps the maxima. VmHWM alone misses nothing in the process itself, but it says nothing about
 * the children, which hold most of the memory during a transcode.
 */
export function rssSampler(pid: number, intervalMs = 100) {
  let maxRss = 0;
  let maxTree = 0;
  const sample = () => {
    const own = procStatusKb(pid, 'VmRSS') ?? 0;
    const tree = processTree(pid).reduce(
      (sum, p) => sum + (p === pid ? own : (procStatusKb(p, 'VmRSS') ?? 0)),
      0,
    );
    maxRss = Math.max(maxRss, own);
    maxTree = Math.max(maxTree, tree);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { maxRssKb: maxRss, maxTreeKb: maxTree };
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * On a shared machine, waits (up to maxWaitMs) for a moment when the rest of the machine uses
 * less than `cores` cores' worth of CPU over a few seconds, so a measurement starts on a quiet
 * machine; it may still get busy meanwhile (the runs report how busy). Returns the seconds waited.
 */
export async function waitForQuiet(cores = 0.3, maxWaitMs = 180_000, windowMs = 4000): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const busy0 = machineBusySeconds();
    const own0 = cpuSeconds('self');
    await new Promise((r) => setTimeout(r, windowMs));
    const own1 = cpuSeconds('self');
    const own = own0 && own1 ? own1.own + own1.children - own0.own - own0.children : 0;
    const others = (machineBusySeconds() - busy0 - own) / (windowMs / 1000);
    if (others < cores || performance.now() - t0 > maxWaitMs) return (performance.now() - t0) / 1000;
  }
}

/**
 * This shell's environment for a server that must run on its own defaults (the ones a raw
 * baseline is built with): nothing from FRAMEHOUSE_* but the tool paths, no DATABASE_URL,
 * STORAGE_URL or PORT.
 */
export function serverDefaultsEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        (!k.startsWith('FRAMEHOUSE_') && k !== 'DATABASE_URL' && k !== 'STORAGE_URL' && k !== 'PORT') ||
        k === 'FRAMEHOUSE_FFMPEG_PATH' ||
        k === 'FRAMEHOUSE_FFPROBE_PATH',
    ),
  );
}
