import type { ChildProcess } from 'node:child_process';

/**
 * The live ffmpegs run long and in process groups of their own (`detached`), so a Ctrl-C reaches
 * the server, whose shutdown decides. Both helpers here keep them from outliving it.
 */

/** Children still running, SIGKILLed if this process exits without stopping them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

/** Tracks a child until it exits. */
export function trackChild(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** Signals the child's whole process group (whatever ffmpeg forked), or the child alone. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (child.pid) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    child.kill(signal);
  }
}
