import { AppError } from './errors.ts';

/**
 * At most `running` expensive tasks at once on this node (ffmpeg frames, image renderings); up
 * to `waiting` more wait their turn; past that the caller gets FH_ERR_BUSY (503) at once rather
 * than a queue that grows until requests time out.
 */
export class WorkLimiter {
  readonly #maxRunning: number;
  readonly #maxWaiting: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(maxRunning: number, maxWaiting: number) {
    this.#maxRunning = maxRunning;
    this.#maxWaiting = maxWaiting;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  async #acquire(): Promise<void> {
    if (this.#running < this.#maxRunning) {
      this.#running++;
      return;
    }
    if (this.#waiting.length >= this.#maxWaiting) throw new AppError('FH_ERR_BUSY');
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** The slot passes straight to the next waiter, if any. */
  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#running--;
  }
}
