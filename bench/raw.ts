/**
 * The raw-ffmpeg side of the ratios. The commands come from the server's own builders and
 * planner (src/media), so the baseline encodes exactly the ladder the server does: same rungs,
 * preset, bitrates, keyframe forcing and `split` filter, only without the server around it.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { classify } from '../src/media/classify.ts';
import { buildRawLadderArgs } from '../src/media/ffmpeg-args.ts';
import { probeFile } from '../src/media/ffprobe.ts';
import { type LadderPlan, planLadder } from '../src/media/ladder.ts';
import type { MediaInfo } from '../src/media/types.ts';
import { FFMPEG, FFPROBE, timeCommand } from './util.ts';

export interface Source {
  path: string;
  info: MediaInfo;
  plan: LadderPlan;
}

export async function planSource(path: string): Promise<Source> {
  const info = classify(await probeFile(path, { ffprobePath: FFPROBE }), (await stat(path)).size);
  return { path, info, plan: planLadder(info) };
}

/** Wall and CPU seconds of one ffmpeg pass over `plan`, writing HLS into a fresh folder under tmpRoot. */
async function timePass(
  src: Source,
  plan: LadderPlan,
  tmpRoot: string,
): Promise<{ wall: number; cpu: number; othersCpu: number }> {
  const outDir = await mkdtemp(join(tmpRoot, 'raw-'));
  try {
    return await timeCommand(FFMPEG, buildRawLadderArgs({ input: src.path, outDir, plan, info: src.info }));
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** The baseline: one command producing every rung (and the audio rendition). */
export function timeRawLadder(
  src: Source,
  tmpRoot: string,
): Promise<{ wall: number; cpu: number; othersCpu: number }> {
  return timePass(src, src.plan, tmpRoot);
}
