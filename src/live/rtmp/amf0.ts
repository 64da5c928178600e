// AMF0: the value encoding of RTMP commands and metadata (connect, publish, onMetaData, …).
// Only the markers RTMP publishers send are understood; anything else (references, typed
// objects, AMF3 switches) is an error rather than a guess, because a parser that skips what it
// does not know can be steered into reading attacker data as something else.

export type AmfValue = number | boolean | string | null | undefined | Date | AmfObject | AmfValue[];
export interface AmfObject {
  [key: string]: AmfValue;
}

/** Marks a decoded ECMA array (a keyed object on the wire), so encoding it again keeps its marker. */
export const ECMA_ARRAY: unique symbol = Symbol('amf0.ecmaArray');

export class AmfError extends Error {
  override name = 'AmfError';
}

const MARKER = {
  number: 0x00,
  boolean: 0x01,
  string: 0x02,
  object: 0x03,
  null: 0x05,
  undefined: 0x06,
  ecmaArray: 0x08,
  objectEnd: 0x09,
  strictArray: 0x0a,
  date: 0x0b,
  longString: 0x0c,
} as const;

export interface AmfLimits {
  /** Nesting depth of objects and arrays. */
  maxDepth: number;
  /** Values in all objects and arrays of one decode (keys count as values). */
  maxValues: number;
}

const DEFAULT_LIMITS: AmfLimits = { maxDepth: 16, maxValues: 10_000 };

/** A keyed object without a prototype: a key named "__proto__" stays a plain key. */
export function amfObject(entries: Record<string, AmfValue> = {}): AmfObject {
  return Object.assign(Object.create(null) as AmfObject, entries);
}

export function ecmaArray(entries: Record<string, AmfValue> = {}): AmfObject {
  const o = amfObject(entries);
  Object.defineProperty(o, ECMA_ARRAY, { value: true, enumerable: false });
  return o;
}

export function isEcmaArray(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as { [ECMA_ARRAY]?: boolean })[ECMA_ARRAY] === true;
}

class Reader {
  pos = 0;
  values = 0;
  readonly buf: Buffer;
  readonly limits: AmfLimits;
  constructor(buf: Buffer, limits: AmfLimits) {
    this.buf = buf;
    this.limits = limits;
  }

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new AmfError('AMF0 value runs past the end of the message');
  }

  count(): void {
    this.values += 1;
    if (this.values > this.limits.maxValues) throw new AmfError('AMF0 message holds too many values');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  utf8(length: number): string {
    this.need(length);
    const s = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return s;
  }

  value(depth: number): AmfValue {
    const marker = this.u8();
    switch (marker) {
      case MARKER.number:
        return this.f64();
      case MARKER.boolean:
        return this.u8() !== 0;
      case MARKER.string:
        return this.utf8(this.u16());
      case MARKER.longString:
        return this.utf8(this.u32());
      case MARKER.null:
        return null;
      case MARKER.undefined:
        return undefined;
      case MARKER.date: {
        const ms = this.f64();
        this.u16(); // time zone: reserved, always 0 (the spec says to ignore it)
        return new Date(ms);
      }
      case MARKER.object:
        return this.properties(amfObject(), depth + 1);
      case MARKER.ecmaArray:
        this.u32(); // the count is a hint only: encoders get it wrong, the end marker decides
        return this.properties(ecmaArray(), depth + 1);
      case MARKER.strictArray: {
        if (depth + 1 > this.limits.maxDepth) throw new AmfError('AMF0 values are nested too deeply');
        const n = this.u32();
        // Every element takes at least one byte: a count larger than what is left is a lie.
        if (n > this.buf.length - this.pos)
          throw new AmfError('AMF0 strict array is longer than its message');
        const out: AmfValue[] = [];
        for (let i = 0; i < n; i++) {
          this.count();
          out.push(this.value(depth + 1));
        }
        return out;
      }
      default:
        throw new AmfError(`AMF0 marker 0x${marker.toString(16).padStart(2, '0')} is not supported`);
    }
  }

  properties(target: AmfObject, depth: number): AmfObject {
    if (depth > this.limits.maxDepth) throw new AmfError('AMF0 values are nested too deeply');
    for (;;) {
      const keyLength = this.u16();
      if (keyLength === 0) {
        // Empty key: the object-end marker must follow.
        if (this.u8() !== MARKER.objectEnd) throw new AmfError('AMF0 object has an empty key');
        return target;
      }
      const key = this.utf8(keyLength);
      this.count();
      target[key] = this.value(depth);
    }
  }
}

/** Decodes every value of a command or data message. Throws AmfError on malformed input. */
export function decodeAmf0(buf: Buffer, limits: Partial<AmfLimits> = {}): AmfValue[] {
  const reader = new Reader(buf, { ...DEFAULT_LIMITS, ...limits });
  const out: AmfValue[] = [];
  while (reader.pos < buf.length) {
    reader.count();
    out.push(reader.value(0));
  }
  return out;
}

function encodeString(s: string, parts: Buffer[], withMarker: boolean): void {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length > 0xffff) {
    if (!withMarker) throw new AmfError('AMF0 object keys are at most 65535 bytes');
    const head = Buffer.alloc(5);
    head[0] = MARKER.longString;
    head.writeUInt32BE(bytes.length, 1);
    parts.push(head, bytes);
    return;
  }
  const head = Buffer.alloc(withMarker ? 3 : 2);
  if (withMarker) head[0] = MARKER.string;
  head.writeUInt16BE(bytes.length, withMarker ? 1 : 0);
  parts.push(head, bytes);
}

function encodeValue(v: AmfValue, parts: Buffer[], depth: number): void {
  if (depth > DEFAULT_LIMITS.maxDepth) throw new AmfError('AMF0 values are nested too deeply');
  if (v === null) parts.push(Buffer.from([MARKER.null]));
  else if (v === undefined) parts.push(Buffer.from([MARKER.undefined]));
  else if (typeof v === 'number') {
    const b = Buffer.alloc(9);
    b[0] = MARKER.number;
    b.writeDoubleBE(v, 1);
    parts.push(b);
  } else if (typeof v === 'boolean') parts.push(Buffer.from([MARKER.boolean, v ? 1 : 0]));
  else if (typeof v === 'string') encodeString(v, parts, true);
  else if (v instanceof Date) {
    const b = Buffer.alloc(11);
    b[0] = MARKER.date;
    b.writeDoubleBE(v.getTime(), 1);
    parts.push(b);
  } else if (Array.isArray(v)) {
    const b = Buffer.alloc(5);
    b[0] = MARKER.strictArray;
    b.writeUInt32BE(v.length, 1);
    parts.push(b);
    for (const item of v) encodeValue(item, parts, depth + 1);
  } else {
    const keys = Object.keys(v);
    if (isEcmaArray(v)) {
      const b = Buffer.alloc(5);
      b[0] = MARKER.ecmaArray;
      b.writeUInt32BE(keys.length, 1);
      parts.push(b);
    } else parts.push(Buffer.from([MARKER.object]));
    for (const key of keys) {
      encodeString(key, parts, false);
      encodeValue(v[key], parts, depth + 1);
    }
    parts.push(Buffer.from([0, 0, MARKER.objectEnd]));
  }
}

export function encodeAmf0(...values: AmfValue[]): Buffer {
  const parts: Buffer[] = [];
  for (const v of values) encodeValue(v, parts, 0);
  return Buffer.concat(parts);
}
