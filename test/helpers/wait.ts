import { setTimeout as sleep } from 'node:timers/promises';

/** How long to wait, how often to look, and what the error says was awaited. */
export interface WaitOptions {
  /** Give up after this long. Default 10 s. */
  timeoutMs?: number;
  /** Pause between two looks. Default 100 ms. */
  intervalMs?: number;
  /**
   * Named in the timeout's error: `timed out after … waiting for {what}`. A function is called
   * then, so it can tell what happened meanwhile (a child process's log).
   */
  what?: string | (() => string);
}

/**
 * The one polling loop of the tests (unit and integration): reads `read` until `done` accepts
 * what it answered, and returns that answer. A timeout throws, naming what was awaited and
 * the last answer seen, so a stuck test says where it stood.
 */
export async function waitForValue<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 10_000, intervalMs = 100, what = 'a condition' }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      const last = value === undefined || typeof value === 'boolean' ? '' : `; last seen: ${show(value)}`;
      const awaited = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${awaited}${last}`);
    }
    await sleep(intervalMs);
  }
}

/** Waits until `check` answers something other than `undefined`, `null` or `false`, and returns it. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<Exclude<T, undefined | null | false>> {
  const isSome = (v: T): v is Exclude<T, undefined | null | false> =>
    v !== undefined && v !== null && v !== false;
  return (await waitForValue(check, isSome, options)) as Exclude<T, undefined | null | false>;
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
