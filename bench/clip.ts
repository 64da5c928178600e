/** The benchmark's source clip: synthetic 1080p30 video with a tone, generated once into .bench/. */
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { FFMPEG, timeCommand } from './util.ts';

export async function ensureClip(dir: string, seconds: number): Promise<string> {
  const file = join(dir, `clip-1080p30-${seconds}s.mp4`);
  if (existsSync(file)) return file;
  await mkdir(dir, { recursive: true });
  // Written under a temporary name and renamed: an interrupted run never leaves a clip to reuse.
  const tmp = `${file}.part.mp4`;
  // testsrc2 moves and changes colour every frame, so x264 cannot coast on a static picture;
  // -g 60 gives the source 2 s GOPs, like a camera or a typical upload would.
  // biome-ignore format: option/value pairs read best side by side
  await timeCommand(FFMPEG, [
    '-nostdin', '-hide_banner', '-y', '-v', 'error',
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '8M', '-g', '60', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k', '-ac', '2',
    '-shortest', '-movflags', '+faststart',
    tmp,
  ]);
  await rename(tmp, file);
  return file;
}
