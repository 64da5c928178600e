/**
 * injectSphericalV1: mark an MP4 (or an fMP4 init segment) as 360° equirectangular video with
 * Google's Spherical Video V1 metadata, an XMP `uuid` box at the end of the video `trak`.
 *
 * Why this is needed: ffmpeg 5.1 does carry a source's spherical side data through a `split`
 * filter graph to the encoder, and its mp4 muxer writes it as the V2 `sv3d` box with
 * `-strict unofficial`; but the hls muxer creates its fMP4 sub-muxer's streams without the
 * side data, so HLS init segments come out flat even with `-strict unofficial` or
 * `-hls_segment_options strict=unofficial` (checked, see spherical.test.ts). The pipeline
 * patches each rung's init segment instead. V1 rather than V2 because it is one self-contained
 * box that ffmpeg's mov demuxer (and Google's tools and YouTube) read.
 *
 * Growing `trak` shifts every byte after it. That is harmless when nothing after `moov` holds
 * media (an init segment; a file whose `mdat` comes before `moov`), but would break the chunk
 * offsets (stco/co64) or fragment offsets of a file whose media follows `moov`: refused.
 */

import { type Box, boxes, child } from './mp4-boxes.ts';

export const SPHERICAL_V1_UUID = 'ffcc8263f8554a938814587a02521fdd';

const XMP =
  '<?xml version="1.0"?>' +
  '<rdf:SphericalVideo xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" ' +
  'xmlns:GSpherical="http://ns.google.com/videos/1.0/spherical/">' +
  '<GSpherical:Spherical>true</GSpherical:Spherical>' +
  '<GSpherical:Stitched>true</GSpherical:Stitched>' +
  '<GSpherical:StitchingSoftware>Framehouse</GSpherical:StitchingSoftware>' +
  '<GSpherical:ProjectionType>equirectangular</GSpherical:ProjectionType>' +
  '</rdf:SphericalVideo>';

function isVideoTrak(buf: Buffer, trak: Box): boolean {
  const mdia = child(buf, trak, 'mdia');
  const hdlr = mdia && child(buf, mdia, 'hdlr');
  // hdlr payload: version+flags (4), pre_defined (4), handler_type (4)
  return !!hdlr && buf.toString('latin1', hdlr.body + 8, hdlr.body + 12) === 'vide';
}

function hasSphericalUuid(buf: Buffer, trak: Box): boolean {
  for (const b of boxes(buf, trak.body, trak.end)) {
    if (b.type === 'uuid' && buf.toString('hex', b.body, b.body + 16) === SPHERICAL_V1_UUID) return true;
  }
  return false;
}

function sphericalBox(): Buffer {
  const xml = Buffer.from(XMP, 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + 16 + xml.length, 0);
  head.write('uuid', 4, 'latin1');
  return Buffer.concat([head, Buffer.from(SPHERICAL_V1_UUID, 'hex'), xml]);
}

function grow(buf: Buffer, box: Box, delta: number): void {
  if (box.largeSize) buf.writeBigUInt64BE(BigInt(box.end - box.start + delta), box.start + 8);
  else if (buf.readUInt32BE(box.start) !== 0) buf.writeUInt32BE(box.end - box.start + delta, box.start);
}

/** Returns a new buffer with the V1 box added, or `mp4` itself when it is already there. */
export function injectSphericalV1(mp4: Buffer): Buffer {
  const top = [...boxes(mp4, 0, mp4.length)];
  const moov = top.find((b) => b.type === 'moov');
  if (!moov) throw new Error('no moov box: not an MP4 file or init segment');
  const mediaAfter = top.find((b) => b.start > moov.start && ['mdat', 'moof', 'sidx'].includes(b.type));
  if (mediaAfter) {
    throw new Error(`moov precedes ${mediaAfter.type}: adding a box would break the media offsets`);
  }
  const trak = [...boxes(mp4, moov.body, moov.end)].find((b) => b.type === 'trak' && isVideoTrak(mp4, b));
  if (!trak) throw new Error('no video track in moov');
  if (hasSphericalUuid(mp4, trak)) return mp4; // idempotent: jobs may run twice

  const box = sphericalBox();
  const out = Buffer.concat([mp4.subarray(0, trak.end), box, mp4.subarray(trak.end)]);
  grow(out, moov, box.length);
  grow(out, trak, box.length);
  return out;
}
