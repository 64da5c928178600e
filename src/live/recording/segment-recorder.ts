import type { Logger } from 'pino';
import type { ObjectStore } from '../../storage/object-store.ts';
import type { CompletedSegment } from '../packager/live-packager.ts';
import type { NewSegment } from '../streams/live-streams.service.ts';

/** Where a broadcast's segments are kept: the recording, and the DVR window beyond memory. */
export const liveKeys = {
  prefix: (broadcastId: string) => `live/${broadcastId}/`,
  segment: (broadcastId: string, rendition: string, msn: number) =>
    `live/${broadcastId}/${rendition}/seg_${msn}.m4s`,
  init: (broadcastId: string, rendition: string, initId: number) =>
    `live/${broadcastId}/${rendition}/init_${initId}.mp4`,
};

/** Writes beyond this many waiting are dropped (and logged): a slow store must not fill memory. */
const MAX_PENDING = 240;

/**
 * Writes each completed segment of a broadcast to the object store (its init segment once), then
 * its row, in the order they came, one at a time. A store that falls behind loses segments from
 * the recording (logged) rather than growing the node's memory without limit.
 */
export class SegmentRecorder {
  readonly #store: ObjectStore;
  readonly #broadcastId: string;
  readonly #saveRow: (row: NewSegment) => Promise<void>;
  readonly #log: Logger;
  readonly #initsWritten = new Set<string>();
  #pending = 0;
  #chain: Promise<void> = Promise.resolve();
  #dropped = 0;

  constructor(deps: {
    store: ObjectStore;
    broadcastId: string;
    saveRow(row: NewSegment): Promise<void>;
    log: Logger;
  }) {
    this.#store = deps.store;
    this.#broadcastId = deps.broadcastId;
    this.#saveRow = deps.saveRow;
    this.#log = deps.log;
  }

  get dropped(): number {
    return this.#dropped;
  }

  add(segment: CompletedSegment): void {
    if (this.#pending >= MAX_PENDING) {
      this.#dropped++;
      this.#log.error(
        { broadcast: this.#broadcastId, rendition: segment.rendition, msn: segment.msn },
        'object store too slow: a live segment was not recorded',
      );
      return;
    }
    this.#pending++;
    this.#chain = this.#chain
      .then(() => this.#write(segment))
      .catch((err: unknown) =>
        this.#log.error(
          { err, broadcast: this.#broadcastId, rendition: segment.rendition, msn: segment.msn },
          'a live segment could not be recorded',
        ),
      )
      .finally(() => {
        this.#pending--;
      });
  }

  /** Resolves once everything added so far is written (or has failed and been logged). */
  flush(): Promise<void> {
    return this.#chain;
  }

  async #write(s: CompletedSegment): Promise<void> {
    const initKey = liveKeys.init(this.#broadcastId, s.rendition, s.initId);
    if (!this.#initsWritten.has(initKey)) {
      await this.#store.put(initKey, s.init);
      this.#initsWritten.add(initKey);
    }
    const objectKey = liveKeys.segment(this.#broadcastId, s.rendition, s.msn);
    await this.#store.put(objectKey, s.bytes);
    await this.#saveRow({
      broadcastId: this.#broadcastId,
      rendition: s.rendition,
      msn: s.msn,
      duration: s.duration,
      programDateTime: s.programDateTime,
      discontinuity: s.discontinuity,
      initId: s.initId,
      objectKey,
    });
  }
}
