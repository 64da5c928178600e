// imgproxy-compatible image URLs: `GET /img/{signature}/{processing options}/plain/assets/{id}@{ext}`.
// Speaking imgproxy's URL dialect lets existing imgproxy URL builders (for any language) point at us
// unchanged. This module only reads and checks URLs — no I/O — so the route, the cache and our own
// URL builders can all share one definition of what a URL means.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The two ways a URL is refused; the route maps them to its responses (403 and 400). */
export type ImgproxyErrorCode = 'FH_ERR_IMG_SIGNATURE' | 'FH_ERR_IMG_OPTIONS';

/**
 * Thrown for every refused URL. Its own class (not AppError) so this module stays pure; the code
 * tells a forged/unsigned URL (never worth explaining further) from a signed but unusable one.
 */
export class ImgproxyUrlError extends Error {
  readonly code: ImgproxyErrorCode;

  constructor(code: ImgproxyErrorCode, message: string) {
    super(message);
    this.name = 'ImgproxyUrlError';
    this.code = code;
  }
}

/** Decoded key and salt, as imgproxy's IMGPROXY_KEY / IMGPROXY_SALT are (hex in configuration). */
export interface ImgproxyKeys {
  key: Buffer;
  salt: Buffer;
}

/** imgproxy's resizing types, same names and meaning (fit keeps all of the image, fill crops…). */
export type ResizingType = 'fit' | 'fill' | 'fill-down' | 'force' | 'auto';

/** Compass gravities, `sm` (smart) and `fp` (focus point), as imgproxy names them. */
export type GravityType = 'no' | 'so' | 'ea' | 'we' | 'noea' | 'nowe' | 'soea' | 'sowe' | 'ce' | 'sm' | 'fp';

/** Watermark placement: the compass gravities plus `re` (repeat as tiles), as in imgproxy. */
export type WatermarkPosition = Exclude<GravityType, 'sm' | 'fp'> | 're';

/** Output formats we produce; `auto` lets the server pick from the client's Accept header. */
export type OutputFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'auto';

/**
 * Normalized processing options: every field always present with its default, so equal requests
 * are equal objects (and share a cache key) however the URL spelled them.
 */
export interface ImageOptions {
  /** width/height 0 = derived from the other side and the source's aspect ratio (or kept, for force). */
  resize: { type: ResizingType; width: number; height: number; enlarge: boolean; extend: boolean };
  /**
   * For compass gravities x/y are offsets (>= 1 pixels, < 1 a fraction of the size); for `fp` they
   * are the focus point (0..1 of width and height); for `sm` both are 0.
   */
  gravity: { type: GravityType; x: number; y: number };
  /** Gaussian blur sigma; 0 = none. */
  blur: number;
  /** Sharpen sigma; 0 = none. */
  sharpen: number;
  /** null = no watermark. scale 0 = the watermark's own size, else a fraction of the result. */
  watermark: { opacity: number; position: WatermarkPosition; x: number; y: number; scale: number } | null;
  /** null = the server's default for the format. */
  quality: number | null;
  /** null = the source's own format (imgproxy's behaviour without an extension). */
  format: OutputFormat | null;
  dpr: number;
}

/** A verified request: which asset, what to do with it, and a stable cache key for the result. */
export interface ImgproxyRequest {
  assetId: string;
  options: ImageOptions;
  /** Same string for any two URLs that produce the same image; hash it for the cache key. */
  canonical: string;
}

const ASSET_ID = /^[a-z0-9]{8,64}$/;
const MAX_DIMENSION = 16384;
/** Offsets are pixels or fractions; anything past the largest image we make is a typo or an attack. */
const MAX_OFFSET = MAX_DIMENSION;
/** A full HMAC-SHA256 in unpadded base64url. Truncated signatures (IMGPROXY_SIGNATURE_SIZE) would be weaker. */
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
/** Bumped whenever the meaning of options changes, so old cached results stop matching. */
const CANONICAL_VERSION = 'img1';

const RESIZING_TYPES: readonly ResizingType[] = ['fit', 'fill', 'fill-down', 'force', 'auto'];
const COMPASS = ['no', 'so', 'ea', 'we', 'noea', 'nowe', 'soea', 'sowe', 'ce'] as const;
const WATERMARK_POSITIONS: readonly WatermarkPosition[] = [...COMPASS, 're'];
const FORMATS: ReadonlyMap<string, OutputFormat> = new Map([
  ['jpg', 'jpeg'],
  ['jpeg', 'jpeg'],
  ['png', 'png'],
  ['webp', 'webp'],
  ['avif', 'avif'],
  ['auto', 'auto'],
]);
/** Go's strconv.ParseBool, which imgproxy uses; imgproxy reads anything else as false, we refuse it. */
const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

const optionsError = (message: string) => new ImgproxyUrlError('FH_ERR_IMG_OPTIONS', message);
const signatureError = (message: string) => new ImgproxyUrlError('FH_ERR_IMG_SIGNATURE', message);

/**
 * Hex key and salt from configuration, or null when neither is set (imgproxy URLs then stay off).
 * Throws on half a pair or bad hex: a typo must stop start-up, not silently disable signing.
 * The values never appear in messages — they are secrets.
 */
export function imgKeysFromHex(keyHex?: string, saltHex?: string): ImgproxyKeys | null {
  const key = keyHex?.trim() ?? '';
  const salt = saltHex?.trim() ?? '';
  if (key === '' && salt === '') return null;
  if (key === '' || salt === '')
    throw new Error(
      `imgproxy URL signing needs both a key and a salt (hex); only the ${key === '' ? 'salt' : 'key'} is set`,
    );
  return { key: decodeHex('key', key), salt: decodeHex('salt', salt) };
}

function decodeHex(what: string, value: string): Buffer {
  if (!/^[0-9a-fA-F]*$/.test(value))
    throw new Error(`The imgproxy ${what} must be hex-encoded, but it has characters other than 0-9 and a-f`);
  if (value.length % 2 !== 0)
    throw new Error(`The imgproxy ${what} must be hex-encoded, but it has an odd number of digits`);
  return Buffer.from(value, 'hex');
}

function hmac(pathWithoutSignature: string, keys: ImgproxyKeys): Buffer {
  return createHmac('sha256', keys.key).update(keys.salt).update(pathWithoutSignature, 'utf8').digest();
}

/**
 * Signs a path the way imgproxy does: base64url(HMAC-SHA256(key, salt + path)), path starting with
 * its `/`. Returns the signed path `/{signature}{path}`, ready to append to `/img`. Pass the path
 * exactly as it will be sent (already percent-encoded): the server checks the bytes it receives.
 */
export function signImgproxyPath(pathWithoutSignature: string, keys: ImgproxyKeys): string {
  if (!pathWithoutSignature.startsWith('/'))
    throw new TypeError('signImgproxyPath: the path must start with "/" (it is signed with it)');
  return `/${hmac(pathWithoutSignature, keys).toString('base64url')}${pathWithoutSignature}`;
}

/**
 * Verifies and parses the part of an image URL after `/img`. `path` must be the raw request path,
 * percent-encoding intact (signatures cover the bytes sent, not a decoded form); a query string is
 * ignored, as imgproxy does not sign it. With `keys` null every URL is refused: unsigned URLs would
 * let anyone make the server render any size of any asset.
 */
export function parseImgproxyPath(path: string, keys: ImgproxyKeys | null): ImgproxyRequest {
  if (!keys)
    throw signatureError(
      'imgproxy-compatible image URLs are disabled: no signing key and salt are configured',
    );
  const rawPath = path.split(/[?#]/, 1)[0] ?? '';
  const match = /^\/([^/]+)(\/.*)$/s.exec(rawPath);
  if (!match?.[1] || !match[2])
    throw signatureError('Missing signature: expected /{signature}/{options}/plain/assets/{asset id}');
  verifySignature(match[1], match[2], keys);

  // Like imgproxy: options run until the first segment without a ':', which starts the source.
  const segments = match[2].slice(1).split('/');
  const state = defaultState();
  let sourceStart = 0;
  for (const segment of segments) {
    const colon = segment.indexOf(':');
    if (colon < 0) break;
    applyOption(state, segment.slice(0, colon), segment.slice(colon + 1).split(':'));
    sourceStart++;
  }
  const { assetId, format } = parseSource(segments.slice(sourceStart));
  if (format) state.format = format; // the URL's extension wins over `format`, as in imgproxy

  const options = normalize(state);
  return { assetId, options, canonical: `${CANONICAL_VERSION}|${assetId}|${JSON.stringify(options)}` };
}

function verifySignature(signature: string, signedPart: string, keys: ImgproxyKeys): void {
  if (!SIGNATURE.test(signature))
    throw signatureError(
      'Invalid signature: expected the full 32-byte HMAC-SHA256 as 43 base64url characters (truncated signatures are not accepted)',
    );
  const given = Buffer.from(signature, 'base64url');
  // 43 characters carry 2 spare bits; refusing non-zero ones keeps one URL per signature.
  if (given.length !== 32 || given.toString('base64url') !== signature)
    throw signatureError('Invalid signature: not canonical base64url');
  if (!timingSafeEqual(given, hmac(signedPart, keys)))
    throw signatureError('Invalid signature: it does not match the URL');
}

interface State {
  resize: ImageOptions['resize'];
  gravity: ImageOptions['gravity'];
  blur: number;
  sharpen: number;
  // Kept field by field even while disabled: imgproxy lets a later `wm` change only some of them.
  watermark: { opacity: number; position: WatermarkPosition; x: number; y: number; scale: number };
  quality: number;
  format: OutputFormat | null;
  dpr: number;
}

function defaultState(): State {
  return {
    resize: { type: 'fit', width: 0, height: 0, enlarge: false, extend: false },
    gravity: { type: 'ce', x: 0, y: 0 },
    blur: 0,
    sharpen: 0,
    watermark: { opacity: 0, position: 'ce', x: 0, y: 0, scale: 0 },
    quality: 0,
    format: null,
    dpr: 1,
  };
}

/** Fixed key order and equivalent spellings folded, so JSON.stringify of the result is canonical. */
function normalize(s: State): ImageOptions {
  const { resize: r, gravity: g, watermark: w } = s;
  return {
    resize: { type: r.type, width: r.width, height: r.height, enlarge: r.enlarge, extend: r.extend },
    gravity: { type: g.type, x: g.x, y: g.y },
    blur: s.blur,
    sharpen: s.sharpen,
    // Opacity 0 is imgproxy's "no watermark"; the other fields then mean nothing.
    watermark:
      w.opacity > 0 ? { opacity: w.opacity, position: w.position, x: w.x, y: w.y, scale: w.scale } : null,
    quality: s.quality === 0 ? null : s.quality,
    format: s.format,
    dpr: s.dpr,
  };
}

type Handler = (state: State, args: string[], label: string) => void;

const HANDLERS: ReadonlyMap<string, { name: string; apply: Handler }> = (() => {
  const table: Array<[string[], Handler]> = [
    [['resize', 'rs'], applyResize],
    [['size', 's'], applySize],
    [['resizing_type', 'rt'], applyResizingType],
    [['width', 'w'], (s, a, l) => setIfGiven(a, 1, l, (v) => (s.resize.width = dimension(l, v)))],
    [['height', 'h'], (s, a, l) => setIfGiven(a, 1, l, (v) => (s.resize.height = dimension(l, v)))],
    [['enlarge', 'el'], (s, a, l) => setIfGiven(a, 1, l, (v) => (s.resize.enlarge = bool(l, v)))],
    [['extend', 'ex'], applyExtend],
    [['gravity', 'g'], applyGravity],
    [['blur', 'bl'], (s, a, l) => setIfGiven(a, 1, l, (v) => (s.blur = float(l, v, 0, 100)))],
    [['sharpen', 'sh'], (s, a, l) => setIfGiven(a, 1, l, (v) => (s.sharpen = float(l, v, 0, 100)))],
    [['watermark', 'wm'], applyWatermark],
    // 0 is imgproxy's "use the configured default", the same as not asking.
    [['quality', 'q'], (s, a, l) => setIfGiven(a, 1, l, (v) => (s.quality = integer(l, v, 0, 100)))],
    [['format', 'f', 'ext'], (s, a, l) => setIfGiven(a, 1, l, (v) => (s.format = format(l, v)))],
    [['dpr'], (s, a, l) => setIfGiven(a, 1, l, (v) => (s.dpr = float(l, v, 1, 8)))],
  ];
  // A Map, not an object literal: option names come from the URL (`__proto__`, `constructor`…).
  const map = new Map<string, { name: string; apply: Handler }>();
  for (const [names, apply] of table) for (const n of names) map.set(n, { name: names[0] ?? n, apply });
  return map;
})();

function applyOption(state: State, name: string, args: string[]): void {
  const handler = HANDLERS.get(name);
  if (!handler) throw optionsError(`Unknown or unsupported processing option "${clip(name)}"`);
  handler.apply(state, args, name === handler.name ? `"${name}"` : `"${name}" (${handler.name})`);
}

function maxArgs(label: string, args: string[], max: number): void {
  if (args.length > max)
    throw optionsError(
      `Option ${label} takes at most ${max} argument${max === 1 ? '' : 's'}, got ${args.length}`,
    );
}

/** An empty argument keeps the current value (the default unless an earlier option set it). */
function setIfGiven(args: string[], max: number, label: string, set: (value: string) => void): void {
  maxArgs(label, args, max);
  const [value] = args;
  if (value) set(value);
}

function applyResizingType(s: State, args: string[], label: string): void {
  setIfGiven(args, 1, label, (v) => {
    const type = RESIZING_TYPES.find((t) => t === v);
    if (!type)
      throw optionsError(
        `Option ${label}: unknown resizing type "${clip(v)}" (${RESIZING_TYPES.join(', ')})`,
      );
    s.resize.type = type;
  });
}

/** resizing_type:width:height:enlarge:extend(:extend gravity…) */
function applyResize(s: State, args: string[], label: string): void {
  maxArgs(label, args, 8);
  applyResizingType(s, args.slice(0, 1), label);
  if (args.length > 1) applySize(s, args.slice(1), label);
}

/** width:height:enlarge:extend(:extend gravity…) */
function applySize(s: State, args: string[], label: string): void {
  maxArgs(label, args, 7);
  const [width, height, enlarge] = args;
  if (width) s.resize.width = dimension(label, width);
  if (height) s.resize.height = dimension(label, height);
  if (enlarge) s.resize.enlarge = bool(label, enlarge);
  if (args.length > 3) applyExtend(s, args.slice(3), label);
}

/**
 * extend:gravity:x:y. Only the default extend gravity (centre, no offset) is supported: accepting
 * another and ignoring it would return a different image than imgproxy does for the same URL.
 */
function applyExtend(s: State, args: string[], label: string): void {
  maxArgs(label, args, 4);
  const [extend, gravity, x, y] = args;
  if (extend) s.resize.extend = bool(label, extend);
  if (
    (gravity && gravity !== 'ce') ||
    [x, y].some((v) => v && float(label, v, -MAX_OFFSET, MAX_OFFSET) !== 0)
  )
    throw optionsError(`Option ${label}: extend gravity other than "ce" is not supported`);
}

/** type:x:y — `sm` takes no offsets, `fp` needs both coordinates (0..1). */
function applyGravity(s: State, args: string[], label: string): void {
  maxArgs(label, args, 3);
  const [typeArg, x, y] = args;
  const type = typeArg ? gravityType(label, typeArg) : s.gravity.type;
  if (type === 'sm') {
    if (args.length > 1) throw optionsError(`Option ${label}: smart gravity takes no offsets`);
    s.gravity = { type, x: 0, y: 0 };
    return;
  }
  if (type === 'fp') {
    if (!x || !y) throw optionsError(`Option ${label}: focus point gravity needs both x and y (fp:x:y)`);
    s.gravity = { type, x: float(label, x, 0, 1), y: float(label, y, 0, 1) };
    return;
  }
  // Offsets not given keep their previous values, as in imgproxy.
  s.gravity = {
    type,
    x: x ? float(label, x, -MAX_OFFSET, MAX_OFFSET) : s.gravity.x,
    y: y ? float(label, y, -MAX_OFFSET, MAX_OFFSET) : s.gravity.y,
  };
}

function gravityType(label: string, value: string): GravityType {
  const type = [...COMPASS, 'sm', 'fp'].find((g) => g === value) as GravityType | undefined;
  if (!type) throw optionsError(`Option ${label}: unknown gravity "${clip(value)}"`);
  return type;
}

/** opacity:position:x_offset:y_offset:scale */
function applyWatermark(s: State, args: string[], label: string): void {
  maxArgs(label, args, 5);
  const [opacity, position, x, y, scale] = args;
  const w = s.watermark;
  if (opacity) w.opacity = float(label, opacity, 0, 1);
  if (position) {
    const p = WATERMARK_POSITIONS.find((v) => v === position);
    if (!p) throw optionsError(`Option ${label}: unknown watermark position "${clip(position)}"`);
    w.position = p;
  }
  if (x) w.x = float(label, x, -MAX_OFFSET, MAX_OFFSET);
  if (y) w.y = float(label, y, -MAX_OFFSET, MAX_OFFSET);
  if (scale) w.scale = float(label, scale, 0, 1);
}

function format(label: string, value: string): OutputFormat {
  const f = FORMATS.get(value);
  if (f) return f;
  if (value === 'best') throw optionsError(`Option ${label}: format "best" is not supported (use "auto")`);
  throw optionsError(
    `Option ${label}: unsupported format "${clip(value)}" (jpg, jpeg, png, webp, avif, auto)`,
  );
}

function dimension(label: string, value: string): number {
  return integer(label, value, 0, MAX_DIMENSION);
}

function integer(label: string, value: string, min: number, max: number): number {
  const n = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max))
    throw optionsError(`Option ${label}: "${clip(value)}" is not a whole number from ${min} to ${max}`);
  return n;
}

function float(label: string, value: string, min: number, max: number): number {
  // Plain decimal notation only: Number() would also take hex, "Infinity" and whitespace.
  const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max))
    throw optionsError(`Option ${label}: "${clip(value)}" is not a number from ${min} to ${max}`);
  return n === 0 ? 0 : n; // no -0 in the canonical form
}

function bool(label: string, value: string): boolean {
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw optionsError(`Option ${label}: "${clip(value)}" is not a boolean (1/0, t/f, true/false)`);
}

/**
 * Only `plain/assets/{asset id}` with an optional `@{extension}`. Every other imgproxy source
 * (base64, encrypted, http:, s3:, local:…) is refused: we serve our own assets and fetch nothing.
 */
function parseSource(parts: string[]): { assetId: string; format: OutputFormat | null } {
  const [first] = parts;
  if (!first) throw optionsError('Missing source: expected plain/assets/{asset id}');
  if (first !== 'plain' || parts.length < 2)
    throw optionsError(
      first === 'enc'
        ? 'Encrypted sources are not supported: use plain/assets/{asset id}'
        : `Base64-encoded sources are not supported (or "${clip(first)}" is not a processing option): use plain/assets/{asset id}`,
    );
  // Split on the raw '@' before decoding, like imgproxy: an encoded %40 belongs to the source.
  const [encoded = '', extension, ...more] = parts.slice(1).join('/').split('@');
  if (more.length > 0) throw optionsError('Source: more than one @format suffix');
  let source: string;
  try {
    source = decodeURIComponent(encoded);
  } catch {
    throw optionsError('Source: invalid percent-encoding');
  }
  const assetId = /^assets\/(.*)$/s.exec(source)?.[1];
  if (assetId === undefined) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(source)?.[1];
    throw optionsError(
      scheme
        ? `Source: "${clip(scheme)}:" URLs are not fetched; only our own assets (plain/assets/{asset id}) are served`
        : 'Source: expected plain/assets/{asset id}',
    );
  }
  if (!ASSET_ID.test(assetId)) throw optionsError(`Source: "${clip(assetId)}" is not an asset id`);
  return { assetId, format: extension ? format('"@" suffix', extension) : null };
}

/** Echoed input is attacker-controlled: keep error messages short. */
function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}
