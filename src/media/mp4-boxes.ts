/** Walking ISO BMFF (MP4) boxes in a buffer: the few lines the spherical patch and fMP4 timing share. */
export interface Box {
  type: string;
  start: number;
  /** Where the payload starts (after size, type and any 64-bit size). */
  body: number;
  end: number;
  /** The size is the 64-bit field after the type (32-bit size field = 1). */
  largeSize: boolean;
}

/** The boxes between `from` and `to`, in order; throws on a size that leaves its parent. */
export function* boxes(buf: Buffer, from: number, to: number): Generator<Box> {
  let at = from;
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let body = at + 8;
    const largeSize = size === 1;
    if (largeSize) {
      if (at + 16 > to) throw new Error(`truncated ${type} box at ${at}`);
      size = Number(buf.readBigUInt64BE(at + 8));
      body = at + 16;
    } else if (size === 0) {
      size = to - at; // "extends to the end of the file"
    }
    if (size < body - at || at + size > to) throw new Error(`bad ${type} box size ${size} at ${at}`);
    yield { type, start: at, body, end: at + size, largeSize };
    at += size;
  }
}

/** The first child of `parent` of this type. */
export function child(buf: Buffer, parent: Box, type: string): Box | undefined {
  for (const b of boxes(buf, parent.body, parent.end)) if (b.type === type) return b;
  return undefined;
}

/** Every child of `parent` of this type. */
export function children(buf: Buffer, parent: Box, type: string): Box[] {
  return [...boxes(buf, parent.body, parent.end)].filter((b) => b.type === type);
}
