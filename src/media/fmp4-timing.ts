import { type Box, boxes, child, children } from './mp4-boxes.ts';

/** The earliest presentation time of a CMAF fragment's first track, in its own timescale. */
export interface FirstPresentation {
  trackId: number;
  timescale: number;
  ticks: number;
  seconds: number;
}

/**
 * When the first frame of an fMP4 rendition is shown: the smallest decode time + composition
 * offset among the samples of the first `moof`. Our x264 rungs have B-frames, so this is not the
 * fragment's base media decode time (0) but two frames later (0.08 s at 25 fps): the value
 * WebVTT's X-TIMESTAMP-MAP must name for a cue at 0 to show with the first frame.
 */
export function firstPresentation(init: Buffer, segment: Buffer): FirstPresentation {
  const moov = [...boxes(init, 0, init.length)].find((b) => b.type === 'moov');
  if (!moov) throw new Error('init segment has no moov');
  const moof = [...boxes(segment, 0, segment.length)].find((b) => b.type === 'moof');
  if (!moof) throw new Error('media segment has no moof');
  const traf = child(segment, moof, 'traf');
  const tfhd = traf && child(segment, traf, 'tfhd');
  if (!traf || !tfhd) throw new Error('moof has no traf/tfhd');

  const trackId = segment.readUInt32BE(tfhd.body + 4);
  const track = trackInfo(init, moov, trackId);
  // tfhd: version+flags, track_ID, then optional fields in this order, each present by its flag.
  const tfhdFlags = segment.readUInt32BE(tfhd.body) & 0xffffff;
  let at = tfhd.body + 8;
  if (tfhdFlags & 0x01) at += 8; // base_data_offset
  if (tfhdFlags & 0x02) at += 4; // sample_description_index
  const defaultDuration = tfhdFlags & 0x08 ? segment.readUInt32BE(at) : track.defaultDuration;

  const tfdt = child(segment, traf, 'tfdt');
  let dts = 0;
  if (tfdt) {
    dts =
      segment[tfdt.body] === 1
        ? Number(segment.readBigUInt64BE(tfdt.body + 4))
        : segment.readUInt32BE(tfdt.body + 4);
  }
  let earliest = Number.POSITIVE_INFINITY;
  for (const trun of children(segment, traf, 'trun')) {
    const version = segment[trun.body];
    const flags = segment.readUInt32BE(trun.body) & 0xffffff;
    const count = segment.readUInt32BE(trun.body + 4);
    let p = trun.body + 8;
    if (flags & 0x01) p += 4; // data_offset
    if (flags & 0x04) p += 4; // first_sample_flags
    for (let i = 0; i < count; i++) {
      let duration = defaultDuration;
      let offset = 0;
      if (flags & 0x100) {
        duration = segment.readUInt32BE(p);
        p += 4;
      }
      if (flags & 0x200) p += 4; // sample_size
      if (flags & 0x400) p += 4; // sample_flags
      if (flags & 0x800) {
        offset = version === 0 ? segment.readUInt32BE(p) : segment.readInt32BE(p);
        p += 4;
      }
      earliest = Math.min(earliest, dts + offset);
      dts += duration;
    }
  }
  if (!Number.isFinite(earliest)) throw new Error('the first fragment has no samples');
  return { trackId, timescale: track.timescale, ticks: earliest, seconds: earliest / track.timescale };
}

/** The track's media timescale (mdhd) and default sample duration (trex), from the init segment. */
function trackInfo(init: Buffer, moov: Box, trackId: number) {
  let timescale = 0;
  for (const trak of children(init, moov, 'trak')) {
    const tkhd = child(init, trak, 'tkhd');
    if (!tkhd) continue;
    // tkhd: version+flags, then creation and modification times (32 or 64 bits), then track_ID.
    const id = init.readUInt32BE(tkhd.body + (init[tkhd.body] === 1 ? 20 : 12));
    if (id !== trackId) continue;
    const mdia = child(init, trak, 'mdia');
    const mdhd = mdia && child(init, mdia, 'mdhd');
    if (mdhd) timescale = init.readUInt32BE(mdhd.body + (init[mdhd.body] === 1 ? 20 : 12));
  }
  if (!timescale) throw new Error(`init segment has no track ${trackId}`);
  let defaultDuration = 0;
  const mvex = child(init, moov, 'mvex');
  for (const trex of mvex ? children(init, mvex, 'trex') : []) {
    // trex: version+flags, track_ID, default_sample_description_index, default_sample_duration.
    if (init.readUInt32BE(trex.body + 4) === trackId) defaultDuration = init.readUInt32BE(trex.body + 12);
  }
  return { timescale, defaultDuration };
}
