import { setTimeout as sleep } from 'node:timers/promises';
import * as tus from 'tus-js-client';

/**
 * A tus upload (tus-js-client, as a browser or the CLI uploads) whose pace the test sets: each
 * PATCH waits for the gate. `slow` lets one chunk through per `tickMs` but never past `capRatio`
 * of the file (so it cannot finish while a test needs it unfinished); `open` lets everything
 * through. What the server accepted is tracked with the time it was accepted.
 */
export class GatedUpload {
  readonly accepted: { at: number; bytes: number }[] = [];
  readonly done: Promise<string>;
  #mode: 'closed' | 'slow' | 'open' = 'closed';
  #upload: tus.Upload;
  readonly #size: number;

  constructor(
    endpoint: string,
    bytes: Buffer,
    opts: { key: string; filename: string; chunkSize: number; tickMs: number; capRatio: number },
  ) {
    this.#size = bytes.length;
    const cap = Math.floor(bytes.length * opts.capRatio);
    let resolveDone: (url: string) => void = () => {};
    let rejectDone: (e: Error) => void = () => {};
    this.done = new Promise<string>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    // Settled either way; the test awaits `done` where it wants the outcome.
    this.done.catch(() => {});
    this.#upload = new tus.Upload(bytes, {
      endpoint,
      chunkSize: opts.chunkSize,
      headers: { authorization: `Bearer ${opts.key}` },
      metadata: { filename: opts.filename, title: opts.filename },
      // No retries: an error while the backup runs must show, not be papered over.
      retryDelays: [],
      onBeforeRequest: async (req) => {
        if (req.getMethod() !== 'PATCH') return;
        const offset = Number(req.getHeader('Upload-Offset') ?? 0);
        for (;;) {
          if (this.#mode === 'open') return;
          if (this.#mode === 'slow' && offset + opts.chunkSize <= cap) {
            await sleep(opts.tickMs);
            return;
          }
          await sleep(20);
        }
      },
      onChunkComplete: (_size, bytesAccepted) => {
        this.accepted.push({ at: Date.now(), bytes: bytesAccepted });
      },
      onSuccess: () => resolveDone(this.#upload.url ?? ''),
      onError: (e) => rejectDone(e),
    });
    this.#upload.start();
  }

  get size(): number {
    return this.#size;
  }
  /** The upload's id on the server (known once it was created). */
  get id(): string {
    return (this.#upload.url ?? '').split('/').pop() ?? '';
  }
  /** Bytes the server had accepted at `at` (epoch ms). */
  acceptedAt(at: number): number {
    return this.accepted.filter((a) => a.at <= at).at(-1)?.bytes ?? 0;
  }
  slow(): void {
    this.#mode = 'slow';
  }
  open(): void {
    this.#mode = 'open';
  }
  async abort(): Promise<void> {
    this.#mode = 'open';
    await this.#upload.abort(false).catch(() => {});
  }
}
