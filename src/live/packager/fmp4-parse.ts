/**
 * The fields of an fMP4 init segment and of a moof that the live packager needs. Every read is
 * checked against the box it belongs to (a count or offset that points outside throws), and the
 * walk only descends the fixed paths below, so deep or odd nesting costs nothing.
 */
import { type Box, boxes, child, children } from '../../media/mp4-boxes.ts';

export interface Fmp4Track {
  id: number;
  kind: 'video' | 'audio';
  timescale: number;
  /** RFC 6381 codec string ('avc1.64001f', 'mp4a.40.2') when the sample entry tells it. */
  codec: string | null;
}

/** What a moof's samples inherit from the init segment (trex). */
export interface TrackDefaults {
  duration: number;
  flags: number;
}

export interface ParsedInit {
  tracks: Fmp4Track[];
  defaults: Map<number, TrackDefaults>;
}

export interface FragmentTiming {
  startsWithKeyframe: boolean;
  startTime: number;
  duration: number;
}

/** sample_is_non_sync_sample in the ISO BMFF sample flags. */
const NON_SYNC_SAMPLE = 0x10000;
const MAX_SAMPLES_PER_TRUN = 1_000_000;

function need(box: Box, at: number, bytes: number): void {
  if (at + bytes > box.end) throw new Error(`${box.type} is too short`);
}

function u32(buf: Buffer, box: Box, at: number): number {
  need(box, at, 4);
  return buf.readUInt32BE(at);
}

export function parseInit(buf: Buffer): ParsedInit {
  const moov = [...boxes(buf, 0, buf.length)].find((b) => b.type === 'moov');
  if (!moov) throw new Error('no moov');
  const tracks: Fmp4Track[] = [];
  for (const trak of children(buf, moov, 'trak')) {
    const tkhd = child(buf, trak, 'tkhd');
    const mdia = child(buf, trak, 'mdia');
    if (!tkhd || !mdia) throw new Error('trak without tkhd or mdia');
    const id = u32(buf, tkhd, tkhd.body + (buf[tkhd.body] === 1 ? 20 : 12));
    const mdhd = child(buf, mdia, 'mdhd');
    const hdlr = child(buf, mdia, 'hdlr');
    if (!mdhd || !hdlr) throw new Error('mdia without mdhd or hdlr');
    const timescale = u32(buf, mdhd, mdhd.body + (buf[mdhd.body] === 1 ? 20 : 12));
    if (timescale === 0) throw new Error(`track ${id} has timescale 0`);
    need(hdlr, hdlr.body + 8, 4);
    const handler = buf.toString('latin1', hdlr.body + 8, hdlr.body + 12);
    const kind = handler === 'vide' ? 'video' : handler === 'soun' ? 'audio' : null;
    if (!kind) continue; // text, metadata: not for the packager
    tracks.push({ id, kind, timescale, codec: sampleEntryCodec(buf, mdia) });
  }
  if (tracks.length === 0) throw new Error('no audio or video track');

  const defaults = new Map<number, TrackDefaults>();
  const mvex = child(buf, moov, 'mvex');
  for (const trex of mvex ? children(buf, mvex, 'trex') : []) {
    // trex: version+flags, track_ID, sample_description_index, duration, size, flags.
    need(trex, trex.body, 24);
    defaults.set(buf.readUInt32BE(trex.body + 4), {
      duration: buf.readUInt32BE(trex.body + 12),
      flags: buf.readUInt32BE(trex.body + 20),
    });
  }
  return { tracks, defaults };
}

/** avc1.PPCCLL from avcC, mp4a.OO.A from esds; null for anything else. */
function sampleEntryCodec(buf: Buffer, mdia: Box): string | null {
  const minf = child(buf, mdia, 'minf');
  const stbl = minf && child(buf, minf, 'stbl');
  const stsd = stbl && child(buf, stbl, 'stsd');
  if (!stsd) return null;
  const entry = boxes(buf, stsd.body + 8, stsd.end).next().value;
  if (!entry) return null;
  if (entry.type === 'avc1' || entry.type === 'avc3') {
    // VisualSampleEntry: 8 bytes of SampleEntry, 70 of visual fields, then child boxes.
    const avcC = [...boxes(buf, entry.body + 78, entry.end)].find((b) => b.type === 'avcC');
    if (!avcC) return null;
    need(avcC, avcC.body, 4);
    return `${entry.type}.${buf.toString('hex', avcC.body + 1, avcC.body + 4)}`;
  }
  if (entry.type === 'mp4a') {
    // AudioSampleEntry (version 0): 8 bytes of SampleEntry, 20 of audio fields, then children.
    const esds = [...boxes(buf, entry.body + 28, entry.end)].find((b) => b.type === 'esds');
    return esds ? esdsCodec(buf, esds) : 'mp4a.40.2';
  }
  return null;
}

/** ES_Descriptor → DecoderConfigDescriptor (object type) → DecoderSpecificInfo (audio object type). */
function esdsCodec(buf: Buffer, esds: Box): string | null {
  let at = esds.body + 4;
  const descriptor = (tag: number): { body: number; end: number } | null => {
    if (at >= esds.end || buf[at] !== tag) return null;
    at++;
    let length = 0;
    for (let i = 0; i < 4; i++) {
      need(esds, at, 1);
      const b = buf[at++] as number;
      length = (length << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    const body = at;
    need(esds, body, length);
    return { body, end: body + length };
  };
  const es = descriptor(0x03);
  if (!es) return null;
  need(esds, at, 3);
  const esFlags = buf[at + 2] as number;
  at += 3;
  if (esFlags & 0x80) at += 2; // dependsOn_ES_ID
  if (esFlags & 0x40) at += 1 + (buf[at] ?? 0); // URL
  if (esFlags & 0x20) at += 2; // OCR_ES_Id
  const config = descriptor(0x04);
  if (!config) return null;
  need(esds, config.body, 13);
  const objectType = buf[config.body] as number;
  at = config.body + 13;
  const specific = at < config.end ? descriptor(0x05) : null;
  if (objectType !== 0x40 || !specific || specific.end === specific.body)
    return `mp4a.${objectType.toString(16)}`;
  let audioObjectType = (buf[specific.body] as number) >> 3;
  if (audioObjectType === 31 && specific.end - specific.body >= 2) {
    audioObjectType =
      32 + ((((buf[specific.body] as number) & 0x07) << 3) | ((buf[specific.body + 1] as number) >> 5));
  }
  return `mp4a.40.${audioObjectType}`;
}

/** Timing of the video track's run in this moof (the first track's when there is no video). */
export function parseMoof(buf: Buffer, init: ParsedInit): FragmentTiming {
  const moof: Box = { type: 'moof', start: 0, body: 8, end: buf.length, largeSize: false };
  if (buf.readUInt32BE(0) === 1) moof.body = 16;
  const lead = init.tracks.find((t) => t.kind === 'video') ?? (init.tracks[0] as Fmp4Track);
  let fallback: FragmentTiming | null = null;
  for (const traf of children(buf, moof, 'traf')) {
    const tfhd = child(buf, traf, 'tfhd');
    if (!tfhd) throw new Error('traf without tfhd');
    const trackId = u32(buf, tfhd, tfhd.body + 4);
    const track = init.tracks.find((t) => t.id === trackId);
    if (!track) continue;
    const timing = trafTiming(buf, traf, tfhd, track, init.defaults.get(trackId));
    if (track === lead) return timing;
    // A fragment with no video run (audio only here) cannot start a video segment.
    fallback ??= { ...timing, startsWithKeyframe: lead.kind !== 'video' };
  }
  if (!fallback) throw new Error('moof has no run of a known track');
  return fallback;
}

function trafTiming(
  buf: Buffer,
  traf: Box,
  tfhd: Box,
  track: Fmp4Track,
  trex: TrackDefaults | undefined,
): FragmentTiming {
  // tfhd: version+flags, track_ID, then the optional fields present by their flag, in this order.
  const tfhdFlags = u32(buf, tfhd, tfhd.body) & 0xffffff;
  let at = tfhd.body + 8;
  if (tfhdFlags & 0x01) at += 8; // base_data_offset
  if (tfhdFlags & 0x02) at += 4; // sample_description_index
  let defaultDuration = trex?.duration ?? 0;
  let defaultFlags = trex?.flags ?? 0;
  if (tfhdFlags & 0x08) {
    defaultDuration = u32(buf, tfhd, at);
    at += 4;
  }
  if (tfhdFlags & 0x10) at += 4; // default_sample_size
  if (tfhdFlags & 0x20) defaultFlags = u32(buf, tfhd, at);

  const tfdt = child(buf, traf, 'tfdt');
  let decodeTime = 0;
  if (tfdt) {
    if (buf[tfdt.body] === 1) {
      need(tfdt, tfdt.body + 4, 8);
      decodeTime = Number(buf.readBigUInt64BE(tfdt.body + 4));
    } else {
      decodeTime = u32(buf, tfdt, tfdt.body + 4);
    }
  }

  let ticks = 0;
  let firstFlags: number | null = null;
  for (const trun of children(buf, traf, 'trun')) {
    const flags = u32(buf, trun, trun.body) & 0xffffff;
    const count = u32(buf, trun, trun.body + 4);
    let p = trun.body + 8;
    if (flags & 0x01) p += 4; // data_offset
    let first: number | null = null;
    if (flags & 0x04) {
      first = u32(buf, trun, p);
      p += 4;
    }
    const fields = [0x100, 0x200, 0x400, 0x800].filter((f) => flags & f).length;
    if (count > MAX_SAMPLES_PER_TRUN || p + count * fields * 4 > trun.end) {
      throw new Error(`trun of ${count} samples does not fit its box`);
    }
    for (let i = 0; i < count; i++) {
      let duration = defaultDuration;
      let sampleFlags = i === 0 && first !== null ? first : defaultFlags;
      if (flags & 0x100) {
        duration = buf.readUInt32BE(p);
        p += 4;
      }
      if (flags & 0x200) p += 4; // sample_size
      if (flags & 0x400) {
        if (!(i === 0 && first !== null)) sampleFlags = buf.readUInt32BE(p);
        p += 4;
      }
      if (flags & 0x800) p += 4; // composition offset
      if (firstFlags === null) firstFlags = sampleFlags;
      ticks += duration;
    }
  }
  return {
    startsWithKeyframe: track.kind === 'audio' || (firstFlags !== null && !(firstFlags & NON_SYNC_SAMPLE)),
    startTime: decodeTime / track.timescale,
    duration: ticks / track.timescale,
  };
}
