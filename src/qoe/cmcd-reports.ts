import { AppError } from '../shared/errors.ts';
import {
  type CmcdStreamType,
  type IncomingReport,
  MAX_CID_LENGTH,
  MAX_CLOCK_SKEW_MS,
  MAX_ERROR_CODE_LENGTH,
  PLAY_STATES,
  type PlayState,
  type ReportData,
  SID_PATTERN,
} from './report.ts';

/** `POST /v1/qoe/cmcd`: at most this many bytes and lines (docs/qoe.md). */
export const MAX_CMCD_BODY_BYTES = 64 * 1024;
export const MAX_CMCD_LINES = 200;

const STREAM_TYPES: ReadonlySet<string> = new Set(['v', 'l', 'll']);
const EVENT_PATTERN = /^[a-z][a-z0-9-]{0,15}$/;

type Decode = (line: string) => Record<string, unknown>;
let decoder: Promise<Decode> | undefined;

/** The CMCD decoder, loaded with the first report (an idle server never needs it). */
function loadDecoder(): Promise<Decode> {
  decoder ??= import('@svta/cml-cmcd').then(
    ({ decodeCmcd }) =>
      (line: string) =>
        decodeCmcd(line) as Record<string, unknown>,
  );
  return decoder;
}

/** A refusal of the whole body: `line` is 1-based (0: the body as a whole). */
export function invalidReport(line: number, reason: string): AppError {
  return new AppError('FH_ERR_QOE_REPORT_INVALID', `Report line ${line}: ${reason}.`, { line, reason });
}

/**
 * An `application/cmcd` body (CMCD v2 event mode, one report per line) as reports. Every line
 * must decode and carry `e`, `ts`, `sid` and `cid` of the right types, with `ts` within a day of
 * `now`: one bad line refuses the body (nothing of it is stored). Keys the server does not use
 * are ignored; so is an unknown `sta` or `st` (a newer player's value, not a wrong type).
 */
export async function parseCmcdReports(body: string, now: number): Promise<IncomingReport[]> {
  if (body.length > MAX_CMCD_BODY_BYTES) throw invalidReport(0, `larger than ${MAX_CMCD_BODY_BYTES} bytes`);
  const decode = await loadDecoder();
  const lines = body.split('\n');
  const reports: IncomingReport[] = [];
  let count = 0;
  for (let i = 0; i < lines.length; i++) {
    const text = (lines[i] as string).trim();
    if (text === '') continue;
    const line = i + 1;
    if (++count > MAX_CMCD_LINES) throw invalidReport(line, `more than ${MAX_CMCD_LINES} reports`);
    let dict: Record<string, unknown>;
    try {
      dict = decode(text);
    } catch {
      throw invalidReport(line, 'not a CMCD dictionary');
    }
    reports.push(reportOf(dict, line, now));
  }
  if (reports.length === 0) throw invalidReport(0, 'no report');
  return reports;
}

function reportOf(dict: Record<string, unknown>, line: number, now: number): IncomingReport {
  const fail = (reason: string) => invalidReport(line, reason);
  const { e, ts, sid, cid, sn, sta } = dict;
  if (typeof e !== 'string' || !EVENT_PATTERN.test(e))
    throw fail('`e` (event type) is missing or not a token');
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts)) throw fail('`ts` is missing or not an integer');
  if (Math.abs(ts - now) > MAX_CLOCK_SKEW_MS) throw fail('`ts` is more than 24 h from the server clock');
  if (typeof sid !== 'string' || !SID_PATTERN.test(sid))
    throw fail('`sid` is missing or not 1–64 characters of A–Z a–z 0–9 . _ ~ : -');
  if (typeof cid !== 'string' || cid.length === 0 || cid.length > MAX_CID_LENGTH)
    throw fail('`cid` is missing or not a string');
  if (sn !== undefined && (typeof sn !== 'number' || !Number.isSafeInteger(sn) || sn < 0 || sn > 2 ** 31 - 1))
    throw fail('`sn` is not a non-negative integer');
  if (sta !== undefined && typeof sta !== 'string') throw fail('`sta` is not a token');

  const data: ReportData = {};
  const br = firstNumber(dict.br, fail, 'br', true);
  if (br !== undefined) data.br = br;
  const bl = firstNumber(dict.bl, fail, 'bl', false);
  if (bl !== undefined) data.bl = bl;
  const mtp = firstNumber(dict.mtp, fail, 'mtp', false);
  if (mtp !== undefined) data.mtp = mtp;
  const pr = firstNumber(dict.pr, fail, 'pr', false);
  if (pr !== undefined) data.pr = pr;
  const msd = firstNumber(dict.msd, fail, 'msd', false);
  if (msd !== undefined) {
    if (msd < 0) throw fail('`msd` is negative');
    data.msd = msd;
  }
  const ec = firstString(dict.ec, fail, 'ec');
  if (ec !== undefined) data.ec = ec.slice(0, MAX_ERROR_CODE_LENGTH);
  const st = dict.st;
  if (st !== undefined && typeof st !== 'string') throw fail('`st` is not a token');
  if (typeof st === 'string' && STREAM_TYPES.has(st)) data.st = st as CmcdStreamType;

  return {
    sid,
    cid,
    report: {
      ts,
      sn: sn ?? 0,
      event: e,
      state: typeof sta === 'string' && PLAY_STATES.has(sta) ? (sta as PlayState) : null,
      data,
    },
  };
}

/**
 * A number, or the first of an inner list (`br=(3000)`). In a list whose items say their object
 * type (`br=(3000;ot=v 128;ot=a)`), `video` picks the video (or muxed) item.
 */
function firstNumber(
  value: unknown,
  fail: (reason: string) => AppError,
  key: string,
  video: boolean,
): number | undefined {
  if (value === undefined) return undefined;
  const items = Array.isArray(value) ? value : [value];
  const numbers: { n: number; ot: unknown }[] = [];
  for (const item of items) {
    const n = typeof item === 'number' ? item : (item as { value?: unknown } | null)?.value;
    if (typeof n !== 'number' || !Number.isFinite(n)) throw fail(`\`${key}\` is not a number`);
    // Bitrates, buffer lengths and delays beyond 10^9 (kbps or ms) are nothing a player measures:
    // refused, so one report cannot make a sum infinite.
    if (Math.abs(n) > 1e9) throw fail(`\`${key}\` is out of range`);
    // A token parameter decodes as a Symbol.
    const ot = (item as { params?: { ot?: unknown } } | null)?.params?.ot;
    numbers.push({ n, ot: typeof ot === 'symbol' ? ot.description : ot });
  }
  if (video) {
    const v = numbers.find(({ ot }) => ot === 'v' || ot === 'av');
    if (v) return v.n;
  }
  return numbers[0]?.n;
}

function firstString(value: unknown, fail: (reason: string) => AppError, key: string): string | undefined {
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  if (typeof first !== 'string') throw fail(`\`${key}\` is not a string`);
  return first;
}
