import { create } from 'content-disposition';

const MAX_NAME_CHARS = 150;

/**
 * `Content-Disposition: attachment` for `?filename=` (RFC 6266, with RFC 8187/5987 `filename*`
 * for names beyond ASCII), from a name a stranger typed into a URL:
 * - control characters (CR/LF included: no header injection), bidirectional overrides (which
 *   can make `clip‮4pm.exe` look like `clipexe.mp4`) and path separators are dropped or replaced;
 * - leading dots go (no hidden files), the name is capped at 150 characters;
 * - it always ends in the file's real extension (`.mp4`, or `.m4a` for audio only);
 * - an empty name falls back to the asset's title, then to `download`.
 * Quoting and percent-encoding are left to the `content-disposition` package (jshttp).
 */
export function attachmentDisposition(requested: string, title: string | null, ext: 'mp4' | 'm4a'): string {
  const name = `${cleanBase(requested, ext) || cleanBase(title ?? '', ext) || 'download'}.${ext}`;
  return create(name, { type: 'attachment', fallback: asciiFallback(name, ext) });
}

function cleanBase(raw: string, ext: string): string {
  const cleaned = raw
    .normalize('NFC')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    .replace(/[/\\]/g, '_')
    .trim();
  const base = (
    cleaned.toLowerCase().endsWith(`.${ext}`) ? cleaned.slice(0, -(ext.length + 1)) : cleaned
  ).replace(/^[.\s]+/, '');
  return [...base].slice(0, MAX_NAME_CHARS).join('').trim();
}

/**
 * The plain `filename=` for clients without RFC 8187: accents dropped (é → e), anything else
 * beyond ASCII as `_`, `%` too (some clients would decode it); a name left with no letter or
 * digit becomes `download`.
 */
function asciiFallback(name: string, ext: string): string {
  const base = name
    .slice(0, -(ext.length + 1))
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7e]|%/g, '_');
  return `${/[A-Za-z0-9]/.test(base) ? base : 'download'}.${ext}`;
}
