import { addressPrefix } from '../../shared/address-prefix.ts';
import { AppError } from '../../shared/errors.ts';

/** Seconds a refused event stream is told to wait before trying again. */
const RETRY_AFTER_SECONDS = 10;

/**
 * Open event streams of this process: at most `perAddress` from one address (an IPv6 client by
 * its /64) and `max` in all. Each stream holds a socket and a place in every fan-out write, so a
 * client opening thousands would otherwise take the process's file descriptors and memory.
 */
export class StreamLimits {
  readonly #perAddress: number;
  readonly #max: number;
  readonly #byAddress = new Map<string, number>();
  #open = 0;

  constructor(opts: { perAddress: number; max: number }) {
    this.#perAddress = opts.perAddress;
    this.#max = opts.max;
  }

  get open(): number {
    return this.#open;
  }

  /** Takes a place for a stream from `address`; the function returned gives it back (once). */
  take(address: string): () => void {
    if (this.#open >= this.#max)
      throw new AppError('FH_ERR_ROOM_FULL', undefined, { retry_after: RETRY_AFTER_SECONDS });
    const key = addressPrefix(address);
    const held = this.#byAddress.get(key) ?? 0;
    if (held >= this.#perAddress)
      throw new AppError('FH_ERR_ROOM_STREAMS_PER_ADDRESS', undefined, {
        retry_after: RETRY_AFTER_SECONDS,
        limit: this.#perAddress,
      });
    this.#byAddress.set(key, held + 1);
    this.#open++;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.#open--;
      const left = (this.#byAddress.get(key) ?? 1) - 1;
      if (left > 0) this.#byAddress.set(key, left);
      else this.#byAddress.delete(key);
    };
  }
}
