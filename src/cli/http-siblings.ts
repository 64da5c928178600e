import { type ChildProcess, fork } from 'node:child_process';
import type { Logger } from 'pino';

/** Waits between restarts of a sibling that keeps dying: doubled each time, up to the last. */
const RESTART_DELAYS_MS = [1_000, 2_000, 5_000, 15_000, 30_000];

/**
 * The extra HTTP processes of `serve` and `api` (FRAMEHOUSE_HTTP_PROCESSES): each a `framehouse
 * api --http-child` on the same port (SO_REUSEPORT), so the kernel spreads connections over every
 * core. They share nothing in memory with this process (database, store and files are shared as
 * between api nodes); they leave with it (SIGTERM, or the IPC channel closing if it is killed),
 * and one that dies is started again.
 */
export class HttpSiblings {
  readonly #children = new Set<ChildProcess>();
  readonly #o: { count: number; bin: string; env: NodeJS.ProcessEnv; log: Logger };
  #stopping = false;
  #failures = 0;

  constructor(o: { count: number; bin: string; env: NodeJS.ProcessEnv; log: Logger }) {
    this.#o = o;
  }

  start(): void {
    for (let i = 0; i < this.#o.count; i++) this.#spawn();
  }

  /** SIGTERM to each, then wait for all (SIGKILL after `graceMs`). */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      [...this.#children].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }

  #spawn(): void {
    // A process group of its own: a Ctrl-C or a supervisor's signal to the group reaches the first
    // process only, which stops its siblings gracefully (one signal each, not two).
    const child = fork(this.#o.bin, ['api', '--http-child'], {
      env: this.#o.env,
      stdio: 'inherit',
      detached: true,
    });
    this.#children.add(child);
    const startedAt = Date.now();
    child.once('exit', (code, signal) => {
      this.#children.delete(child);
      if (this.#stopping) return;
      // A sibling that lived a minute was healthy: its death starts the back-off afresh.
      this.#failures = Date.now() - startedAt > 60_000 ? 0 : this.#failures + 1;
      const delay = RESTART_DELAYS_MS[Math.min(this.#failures, RESTART_DELAYS_MS.length - 1)] ?? 30_000;
      this.#o.log.error(
        { pid: child.pid, code, signal, restartInMs: delay },
        'an HTTP process exited: restarting it',
      );
      setTimeout(() => {
        if (!this.#stopping) this.#spawn();
      }, delay).unref();
    });
  }
}
