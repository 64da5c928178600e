import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { runFfmpeg } from '../../media/run-ffmpeg.ts';
import type { ObjectStore } from '../../storage/object-store.ts';
import { liveKeys } from './segment-recorder.ts';

/** A recorded segment of the rendition a recording is made from, in broadcast order. */
export interface RecordingSegment {
  msn: number;
  initId: number;
  objectKey: string;
}

/**
 * Runs of segments that share an init segment. Each run, its init segment followed by its
 * fragments, is one valid fragmented MP4; a new init (the encoder came back, maybe at another
 * size) starts a new run.
 */
export function recordingRuns(segments: RecordingSegment[]): RecordingSegment[][] {
  const runs: RecordingSegment[][] = [];
  for (const s of [...segments].sort((a, b) => a.msn - b.msn)) {
    const last = runs.at(-1);
    if (last && last[0]?.initId === s.initId) last.push(s);
    else runs.push([s]);
  }
  return runs;
}

/**
 * The ffmpeg arguments that join the runs into one progressive MP4 without encoding (`-c copy`):
 * the concat demuxer rebases each run's timestamps after the previous one, so the broadcast
 * plays as one timeline with the gaps of encoder drops closed.
 */
export function buildRecordingArgs(listFile: string, output: string): string[] {
  // biome-ignore format: option/value pairs read best side by side
  return [
    '-nostdin', '-hide_banner', '-y', '-v', 'error',
    '-protocol_whitelist', 'file',
    '-f', 'concat', '-safe', '0',
    '-i', `file:${listFile}`,
    '-map', '0:v:0?', '-map', '0:a:0?',
    '-c', 'copy',
    '-movflags', '+faststart',
    '-f', 'mp4',
    output,
  ];
}

/** The concat demuxer's list: one `file '…'` line per run (quotes escaped as it wants). */
export function concatList(files: string[]): string {
  return files.map((f) => `file '${f.replaceAll("'", "'\\''")}'\n`).join('');
}

/**
 * Writes one rendition of a broadcast, as recorded in the store, to `work/recording.mp4`:
 * each run of segments is fetched into a file of its own (init + fragments), then ffmpeg joins
 * the runs. Returns the MP4's path.
 */
export async function writeRecordingFile(
  deps: { store: ObjectStore; ffmpegPath: string },
  broadcastId: string,
  rendition: string,
  segments: RecordingSegment[],
  work: string,
  opts: { signal: AbortSignal; durationSeconds: number },
): Promise<string> {
  const runs = recordingRuns(segments);
  if (runs.length === 0) throw new Error('the broadcast recorded no segments');
  const files: string[] = [];
  for (const [i, run] of runs.entries()) {
    const file = join(work, `run-${i}.mp4`);
    const out = createWriteStream(file);
    const first = run[0];
    if (!first) continue;
    const parts = [liveKeys.init(broadcastId, rendition, first.initId), ...run.map((s) => s.objectKey)];
    await pipeline(async function* () {
      for (const key of parts) {
        opts.signal.throwIfAborted();
        yield* await deps.store.get(key);
      }
    }, out);
    files.push(file);
  }
  const list = join(work, 'runs.txt');
  await writeFile(list, concatList(files));
  const output = join(work, 'recording.mp4');
  await runFfmpeg(deps.ffmpegPath, buildRecordingArgs(list, output), {
    signal: opts.signal,
    // Copying is I/O: far less than the media's own length.
    timeoutMs: 120_000 + opts.durationSeconds * 1000,
  });
  return output;
}
