import {
  type ParseError,
  ParseErrorCode,
  parseText,
  parseVTTTimestamp,
  type VTTCue,
  type VTTRegion,
} from 'media-captions';
import { AppError } from '../shared/errors.ts';

/** One cue as we keep it: times in seconds, WebVTT settings and text ready to write. */
export interface Cue {
  id: string;
  start: number;
  end: number;
  /** `line:… position:… align:…`, or empty. */
  settings: string;
  text: string;
}

export interface Captions {
  format: 'vtt' | 'srt';
  /** REGION blocks, written in every file's header. */
  regions: string[];
  /** In order of start time; overlapping cues are kept (both show). */
  cues: Cue[];
}

/**
 * Reads an uploaded WebVTT or SRT file: bytes → text (UTF-8 with or without a BOM, or UTF-16
 * with its BOM; CRLF, CR or LF) → cues, parsed by `media-captions`. Anything it would skip or
 * misread is refused with FH_ERR_CAPTIONS_INVALID and the line number, instead of silently
 * losing cues. The format is told from the content (a WebVTT file starts with `WEBVTT`), not
 * from the file name.
 */
export async function readCaptions(bytes: Buffer): Promise<Captions> {
  const lines = decode(bytes)
    .split(/\r\n|\r|\n/)
    // The parser splits blocks at empty lines: a line of spaces between two SRT cues is one too.
    .map((l) => l.trim());
  const format = lines.find((l) => l !== '')?.startsWith('WEBVTT') ? 'vtt' : 'srt';
  checkBlocks(lines, format);

  const parsed = await parseText(lines.join('\n'), { type: format, strict: false, errors: true });
  // Settings the parser does not know are ignored, as players ignore them; a broken header or
  // timestamp loses cues, so it is refused.
  const fatal = parsed.errors.find((e) => FATAL.has(e.code));
  if (fatal) invalid(fatal.line, describe(fatal, lines[fatal.line - 1] ?? ''));
  const cues = parsed.cues
    .filter((c) => c.endTime > c.startTime) // a zero-length cue never shows
    .map((c) => toCue(c, format))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  if (cues.length === 0) {
    invalid(null, 'The file has no cues: each one needs a timing line like 00:00:01,000 --> 00:00:04,000.');
  }
  return { format, regions: parsed.regions.map(regionBlock), cues };
}

/**
 * Decoding: a UTF-16 BOM selects UTF-16; everything else must be UTF-8 (a UTF-8 BOM is dropped).
 * Subtitles saved in a legacy code page (CP949, Windows-1252…) are refused with the line of
 * the first byte that is not UTF-8, rather than shown as mojibake.
 */
function decode(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const text = new TextDecoder('utf-8').decode(bytes);
    const line = text.slice(0, text.indexOf('\uFFFD')).split(/\r\n|\r|\n/).length;
    return invalid(line, `Line ${line} is not UTF-8 text: save the file as UTF-8 and upload it again.`);
  }
}

/**
 * The block structure (blocks separated by empty lines), checked where `media-captions` is
 * lenient by design: it drops a cue that ends before it starts, takes a block without a timing
 * line for nothing, and reads a cue that follows another without an empty line as text of the
 * first. Each of those would lose cues without a word; here they name their line.
 */
function checkBlocks(lines: string[], format: 'vtt' | 'srt'): void {
  // 'other': the WebVTT header, NOTE, STYLE and REGION blocks; 'pending': lines before a timing.
  let state: 'between' | 'pending' | 'cue' | 'other' = format === 'vtt' ? 'other' : 'between';
  let blockStart = 0;
  for (const [i, line] of lines.entries()) {
    const n = i + 1;
    if (line === '') {
      if (state === 'pending') notACue(blockStart, format);
      state = 'between';
      continue;
    }
    if (state === 'other') continue;
    if (state === 'cue') {
      if (line.includes('-->')) invalid(n, `Line ${n} starts a new cue without an empty line before it.`);
      continue;
    }
    if (state === 'between') {
      blockStart = n;
      if (format === 'vtt' && /^(NOTE|STYLE|REGION)(\s|:|$)/.test(line)) {
        state = 'other';
        continue;
      }
    }
    if (line.includes('-->')) {
      checkTiming(line, n, format);
      state = 'cue';
    } else if (state === 'pending') {
      notACue(blockStart, format); // a second line and still no timing: an identifier is one line
    } else {
      state = 'pending';
    }
  }
  if (state === 'pending') notACue(blockStart, format);
}

function notACue(line: number, format: 'vtt' | 'srt'): never {
  const [from, to] = format === 'srt' ? ['00:00:01,000', '00:00:04,000'] : ['00:00:01.000', '00:00:04.000'];
  return invalid(
    line,
    `Line ${line} does not start a cue: a cue is an optional number or name, then a timing line ` +
      `like ${from} --> ${to}, then its text.`,
  );
}

function checkTiming(line: string, n: number, format: 'vtt' | 'srt'): void {
  const [from = '', rest = ''] = (format === 'srt' ? line.replace(/,/g, '.') : line).split(/\s*-->\s*/);
  const [to = ''] = rest.split(/\s+/);
  const start = parseVTTTimestamp(from);
  const end = parseVTTTimestamp(to);
  if (start === null || end === null) return; // the parser names the bad timestamp
  if (end < start) invalid(n, `The cue on line ${n} ends before it starts.`);
}

const FATAL = new Set<number>([
  ParseErrorCode.BadSignature,
  ParseErrorCode.BadTimestamp,
  ParseErrorCode.BadFormat,
]);

function describe(e: ParseError, line: string): string {
  if (e.code === ParseErrorCode.BadSignature) return 'A WebVTT file must start with the line "WEBVTT".';
  if (e.code === ParseErrorCode.BadTimestamp) {
    return `Line ${e.line} is not a valid cue timing: "${line.slice(0, 80)}" (hours:minutes:seconds and milliseconds, like 00:01:02,500).`;
  }
  return `Line ${e.line}: ${e.message}.`;
}

function invalid(line: number | null, message: string): never {
  throw new AppError('FH_ERR_CAPTIONS_INVALID', message, { line });
}

function toCue(c: VTTCue, format: 'vtt' | 'srt'): Cue {
  return {
    // SRT's numbers say nothing a player uses; WebVTT identifiers are kept.
    id: format === 'vtt' ? c.id : '',
    start: c.startTime,
    end: c.endTime,
    settings: settingsOf(c),
    text: format === 'srt' ? srtTextToVtt(c.text) : c.text,
  };
}

/**
 * SRT cue text as WebVTT: `<i>`, `<b>`, `<u>` mean the same; `<font …>` and ASS override codes
 * such as `{\an8}` (which WebVTT cannot express) would show as literal text, so they go; a
 * stray `<` or `&` is escaped so that it is shown rather than taken for markup.
 */
export function srtTextToVtt(text: string): string {
  return text
    .replace(/\{\\[^}]*\}/g, '')
    .replace(/<\/?font[^>]*>/gi, '')
    .replace(/&(?!(?:amp|lt|gt|nbsp|lrm|rlm|#\d+|#x[0-9a-f]+);)/gi, '&amp;')
    .replace(/<(?!\/?[ibu]>)/gi, '&lt;')
    .replace(/-->/g, '--&gt;');
}

/** The cue settings that differ from WebVTT's defaults, as a cue timing line writes them. */
function settingsOf(c: VTTCue): string {
  const out: string[] = [];
  if (c.vertical) out.push(`vertical:${c.vertical}`);
  if (c.line !== 'auto') {
    const align = c.lineAlign !== 'start' ? `,${c.lineAlign}` : '';
    out.push(`line:${c.line}${c.snapToLines ? '' : '%'}${align}`);
  }
  if (c.position !== 'auto') {
    out.push(`position:${c.position}%${c.positionAlign !== 'auto' ? `,${c.positionAlign}` : ''}`);
  }
  if (c.size !== 100) out.push(`size:${c.size}%`);
  if (c.align !== 'center') out.push(`align:${c.align}`);
  if (c.region) out.push(`region:${c.region.id}`);
  return out.join(' ');
}

function regionBlock(r: VTTRegion): string {
  return [
    'REGION',
    `id:${r.id}`,
    `width:${r.width}%`,
    `lines:${r.lines}`,
    `regionanchor:${r.regionAnchorX}%,${r.regionAnchorY}%`,
    `viewportanchor:${r.viewportAnchorX}%,${r.viewportAnchorY}%`,
    ...(r.scroll ? [`scroll:${r.scroll}`] : []),
  ].join('\n');
}

/** `HH:MM:SS.mmm`. */
export function vttTimestamp(seconds: number): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (v: number, n = 2) => String(v).padStart(n, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

export function cueBlock(c: Cue): string {
  const timing = `${vttTimestamp(c.start)} --> ${vttTimestamp(c.end)}${c.settings ? ` ${c.settings}` : ''}`;
  return [...(c.id ? [c.id] : []), timing, c.text].join('\n');
}

/** A whole WebVTT file: header lines (after `WEBVTT`), regions, then the cues. */
export function writeWebVtt(
  captions: Pick<Captions, 'regions' | 'cues'>,
  headerLines: string[] = [],
): string {
  const header = ['WEBVTT', ...headerLines].join('\n');
  return `${[header, ...captions.regions, ...captions.cues.map(cueBlock)].join('\n\n')}\n`;
}
