/**
 * tus-js-client uploads as a chaos scenario drives them: many at once, each counting its retries
 * and the offsets it resumed from, so a scenario can kill the api under them and say afterwards
 * how many resumed.
 */
import * as tus from 'tus-js-client';

export interface TusRun {
  name: string;
  size: number;
  /** Bytes acknowledged so far (the server's offset after each chunk). */
  accepted: number;
  /** Retries after an error (a killed api: a reset PATCH, refused HEADs while it restarts). */
  retries: number;
  /** Offsets the upload went on from after a failure (> 0: it resumed rather than starting over). */
  resumedFrom: number[];
  /** Bytes sent in all, resends after a failure included. */
  sent: number;
  url: string | null;
  error: string | null;
  done: boolean;
}

/** Retry delays that outlast a restart of the api (~2–10 s on a busy machine): ~60 s in all. */
const RETRY_DELAYS = [
  200, 500, 1000, 1000, 2000, 2000, 3000, 3000, 5000, 5000, 5000, 5000, 8000, 8000, 10000,
];

/** Starts a resumable upload of `bytes` to `endpoint`; resolves when it finished or gave up. */
export function tusUpload(
  run: TusRun,
  bytes: Buffer,
  endpoint: string,
  apiKey: string,
  chunkSize: number,
  onChunk: () => void,
): Promise<void> {
  return new Promise<void>((resolve) => {
    let failedAt: number | null = null;
    let lastChunkSent = 0;
    const upload = new tus.Upload(bytes, {
      endpoint,
      chunkSize,
      uploadSize: bytes.length,
      headers: { authorization: `Bearer ${apiKey}` },
      retryDelays: RETRY_DELAYS,
      metadata: { filename: `${run.name}.mp4`, title: run.name },
      onProgress: (sentOfChunk) => {
        // sentOfChunk counts from the start of the file; the delta is this chunk's bytes on the wire.
        if (sentOfChunk > lastChunkSent) run.sent += sentOfChunk - lastChunkSent;
        lastChunkSent = sentOfChunk;
      },
      onChunkComplete: (_size, accepted) => {
        if (failedAt !== null) {
          run.resumedFrom.push(failedAt);
          failedAt = null;
        }
        run.accepted = accepted;
        onChunk();
      },
      onShouldRetry: (err, _attempt) => {
        run.retries++;
        failedAt = run.accepted;
        lastChunkSent = run.accepted;
        // tus-js-client's own rule: not on a 4xx other than 409 (offset mismatch) and 423 (locked).
        const status = (err as tus.DetailedError).originalResponse?.getStatus() ?? 0;
        return !(status >= 400 && status < 500 && status !== 409 && status !== 423);
      },
      onError: (err) => {
        run.error = err.message.slice(0, 300);
        resolve();
      },
      onSuccess: () => {
        run.url = upload.url;
        run.accepted = bytes.length;
        run.done = true;
        onChunk();
        resolve();
      },
    });
    upload.start();
  });
}
