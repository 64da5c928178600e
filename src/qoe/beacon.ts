import { z } from 'zod';
import { invalidReport } from './cmcd-reports.ts';
import {
  BEACON_EVENT,
  BEACON_SN,
  type IncomingReport,
  MAX_CID_LENGTH,
  MAX_CLOCK_SKEW_MS,
  type ReportData,
  SID_PATTERN,
} from './report.ts';

/** `POST /v1/qoe/beacon`: at most this many bytes (docs/qoe.md). */
export const MAX_BEACON_BYTES = 4 * 1024;

const size = z.number().int().min(0).max(100_000);
const frames = z.number().int().min(0).max(2_147_483_647);

/** What CMCD does not carry: the picture's and the player's sizes, dropped frames, the page closing. */
const beaconSchema = z.object({
  sid: z.string().regex(SID_PATTERN),
  cid: z.string().min(1).max(MAX_CID_LENGTH),
  ts: z.number().int().refine(Number.isSafeInteger),
  video_width: size.optional(),
  video_height: size.optional(),
  player_width: size.optional(),
  player_height: size.optional(),
  dropped_frames: frames.optional(),
  total_frames: frames.optional(),
  exit: z.boolean().optional(),
});

const DATA_KEYS = [
  'video_width',
  'video_height',
  'player_width',
  'player_height',
  'dropped_frames',
  'total_frames',
  'exit',
] as const;

/** A JSON beacon as a report (event `beacon`, sn -1); unknown keys are ignored. */
export function parseBeacon(body: string, now: number): IncomingReport {
  if (body.length > MAX_BEACON_BYTES) throw invalidReport(0, `larger than ${MAX_BEACON_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw invalidReport(0, 'not JSON');
  }
  const parsed = beaconSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') || 'body';
    throw invalidReport(0, `\`${path}\`: ${issue?.message ?? 'not valid'}`);
  }
  const beacon = parsed.data;
  if (Math.abs(beacon.ts - now) > MAX_CLOCK_SKEW_MS)
    throw invalidReport(0, '`ts` is more than 24 h from the server clock');
  const data: ReportData = {};
  for (const key of DATA_KEYS) if (beacon[key] !== undefined) Object.assign(data, { [key]: beacon[key] });
  return {
    sid: beacon.sid,
    cid: beacon.cid,
    report: { ts: beacon.ts, sn: BEACON_SN, event: BEACON_EVENT, state: null, data },
  };
}
