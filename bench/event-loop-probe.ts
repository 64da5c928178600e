/**
 * Preloaded into a server the live bench spawns (`node --import ./bench/event-loop-probe.ts
 * bin/framehouse.js serve`), so the server's own event-loop delay can be read without touching
 * src/: every second it writes the delay histogram of that second (ms) as one JSON line to
 * FH_BENCH_LOOP_FILE. Nothing happens without that variable.
 */
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.FH_BENCH_LOOP_FILE;
if (file) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const timer = setInterval(() => {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    try {
      appendFileSync(
        file,
        `${JSON.stringify({ at: Date.now(), p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) })}\n`,
      );
    } catch {
      // the bench's scratch folder is gone: nothing to report to
    }
    h.reset();
  }, 1000);
  timer.unref();
}
