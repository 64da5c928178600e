import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { buildStoryboardArgs, storyboardLayout, storyboardVtt } from '../media/ffmpeg-args.ts';
import { runFfmpeg } from '../media/run-ffmpeg.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import { parseMediaPlaylist } from './hls-playlists.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

/**
 * The storyboard (a sprite of small frames + WebVTT pointing into it) is cut from the lowest
 * rung we just encoded, not from the source: init + segments concatenated are a valid
 * fragmented MP4, and decoding 240p costs a fraction of decoding a 4K source again.
 */
export async function makeStoryboard(o: {
  deps: Pick<PipelineDeps, 'store' | 'ffmpegPath'>;
  assetId: string;
  workDir: string;
  rendition: string;
  width: number;
  height: number;
  duration: number;
  signal: AbortSignal;
}): Promise<void> {
  const dir = join(o.workDir, o.rendition);
  const playlist = parseMediaPlaylist(await readFile(join(dir, 'index.m3u8'), 'utf8'));
  if (!playlist.initUri || playlist.segments.length === 0) return;
  const joined = join(o.workDir, 'storyboard-source.mp4');
  const parts = [playlist.initUri, ...playlist.segments.map((s) => s.uri)];
  // One pipeline over every part in turn (a pipeline per part into one open file would stack
  // listeners on it, one set per segment).
  await pipeline(async function* () {
    for (const uri of parts) yield* createReadStream(join(dir, uri));
  }, createWriteStream(joined));

  const layout = storyboardLayout({ duration: o.duration, width: o.width, height: o.height });
  const sprite = join(o.workDir, 'storyboard.jpg');
  await runFfmpeg(o.deps.ffmpegPath, buildStoryboardArgs({ input: joined, layout, outFile: sprite }), {
    signal: o.signal,
    timeoutMs: 60_000 + o.duration * 1000,
  });
  await o.deps.store.putFile(mediaKeys.storyboardImage(o.assetId), sprite);
  await o.deps.store.put(
    mediaKeys.storyboardVtt(o.assetId),
    storyboardVtt({ duration: o.duration, ...layout, spriteUrl: 'storyboard.jpg' }),
  );
}
