import { mock } from 'node:test';
import { CMCD_KEYS, CmcdReporter } from '@svta/cml-cmcd';

/**
 * The CMCD v2 event reports a player on hls.js 1.7.4 sends, made by the real CmcdReporter driven
 * the way hls.js's CMCDController drives it (node_modules/hls.js/src/controller/cmcd-controller.ts),
 * with our player's configuration (docs/qoe.md: `includeKeys: []`, one event target with ps, e, bc,
 * t, pr every 10 s, batchSize 1). Time is a mock clock moved by `wait`, so a scripted session gives
 * the bodies (one report each) a real one would, at the times it would, without waiting for them.
 *
 * The controller's rules kept here: the reporter is made at MANIFEST_LOADING (a new one, numbering
 * from 0 again, on every loadSource) and fires `ps` with the state the media is in and a `t` at
 * once; `sta=s` on attach with autoplay (else `d`), on `play` before the first frame; `r` on
 * `waiting` only after the first frame; `k` on `seeking` after it; `a` on `pause` (not at the
 * end) and on `seeked` while paused; bitrate changes are `bc` events carrying br in kbps; every
 * playlist request updates mtp, pr and st (the first pr update fires a `pr` event).
 */
const STEP_MS = 10;

export class CmcdPlayer {
  readonly bodies: { at: number; body: string }[] = [];
  readonly sid: string;
  readonly cid: string;
  #reporter: CmcdReporter | undefined;
  #state: string | undefined;
  #initialized = false;
  #mediaAttached = false;
  #ended = false;
  #paused = true;
  #rate = 1;
  #timers = mock.timers;

  /** Starts the mock clock at `now` (Date and setInterval). Call `stop` when done. */
  constructor(opts: { sid: string; cid: string; now: number; autoplay?: boolean }) {
    this.sid = opts.sid;
    this.cid = opts.cid;
    this.#timers.enable({ apis: ['Date', 'setInterval'], now: opts.now });
    this.autoplay = opts.autoplay ?? true;
  }

  readonly autoplay: boolean;

  get now(): number {
    return Date.now();
  }

  /**
   * Moves the clock on: interval reports fall due on the way. In small steps: the mock clock's
   * tick runs the timers due with Date already at the end of the step.
   */
  wait(ms: number): this {
    for (let left = ms; left > 0; left -= STEP_MS) this.#timers.tick(Math.min(STEP_MS, left));
    return this;
  }

  attachMedia(): this {
    this.#mediaAttached = true;
    this.#setState(this.autoplay ? 's' : 'd');
    return this;
  }

  loadSource(): this {
    this.#initialized = false;
    this.#reporter?.stop(true);
    this.#reporter = new CmcdReporter(
      {
        sid: this.sid,
        cid: this.cid,
        version: 2,
        transmissionMode: 'query',
        enabledKeys: [],
        eventTargets: [
          {
            url: '/v1/qoe/cmcd',
            events: ['ps', 'e', 'bc', 't', 'pr'],
            interval: 10,
            batchSize: 1,
            enabledKeys: [...CMCD_KEYS],
          },
        ],
      },
      async (request) => {
        this.bodies.push({ at: Date.now(), body: String(request.body) });
        return { status: 204 } as Response;
      },
    );
    this.#reporter.update({ sf: 'h', sta: this.#state as never });
    this.#reporter.start();
    if (!this.#mediaAttached) this.#setState('d');
    return this;
  }

  /** A playlist request: hls.js updates the persistent keys before each. */
  playlistRequest(opts: { bandwidthEstimateBps?: number; streamType?: 'v' | 'l' | 'll' } = {}): this {
    this.#reporter?.update({
      mtp: [(opts.bandwidthEstimateBps ?? 5_000_000) / 1000],
      pr: this.#rate,
      ...(opts.streamType ? { st: opts.streamType } : {}),
    });
    return this;
  }

  /** LEVEL_SWITCHING to a variant of this BANDWIDTH (bits/s). */
  levelSwitching(bandwidth: number): this {
    this.#reporter?.recordEvent('bc', { br: [bandwidth / 1000], ot: 'v' });
    return this;
  }

  /** BUFFER_APPENDED: the forward buffer (ms) goes into the persistent keys. */
  bufferAppended(ms: number): this {
    this.#reporter?.update({ bl: [ms] });
    return this;
  }

  // The media element's events.
  play(): this {
    this.#paused = false;
    if (!this.#initialized) this.#setState('s');
    return this;
  }
  waiting(): this {
    if (this.#initialized) this.#setState('r');
    return this;
  }
  playing(): this {
    this.#initialized = true;
    this.#paused = false;
    this.#setState('p');
    return this;
  }
  pause(): this {
    this.#paused = true;
    if (!this.#ended) this.#setState('a');
    return this;
  }
  seeking(): this {
    if (this.#initialized) this.#setState('k');
    return this;
  }
  seeked(): this {
    if (this.#initialized && this.#paused) this.#setState('a');
    return this;
  }
  rateChange(rate: number): this {
    this.#rate = rate;
    this.#reporter?.update({ pr: rate });
    return this;
  }
  ended(): this {
    this.#ended = true;
    this.#setState('e');
    return this;
  }
  fatalError(details: string): this {
    this.#setState('f');
    this.#reporter?.recordEvent('e', { ec: [details] });
    return this;
  }

  /** hls.destroy(): the last reports flushed, the interval stopped; the clock is real again. */
  stop(): string[] {
    this.#reporter?.stop(true);
    this.#reporter = undefined;
    this.#timers.reset();
    return this.bodies.map((b) => b.body);
  }

  #setState(state: string): void {
    this.#state = state;
    this.#reporter?.update({ sta: state as never });
  }
}
