// What the publisher sends, read from the FLV tag headers and the codec configuration records:
// codec names (so the lead can refuse what is not H.264/AAC with a reason), the picture size
// from the SPS (metadata lies: OBS reports the canvas, not always the output), and the codec
// strings an HLS master playlist needs.

/** FLV video codec ids (the low nibble of a video tag's first byte), named as ffmpeg names them. */
const VIDEO_CODECS: Record<number, string> = {
  2: 'flv1', // Sorenson H.263
  3: 'flashsv',
  4: 'vp6f',
  5: 'vp6a',
  6: 'flashsv2',
  7: 'h264',
  12: 'hevc', // not in the FLV spec; the Chinese-CDN extension several encoders send
};

/** Enhanced RTMP (v1) FourCCs. */
const VIDEO_FOURCC: Record<string, string> = { avc1: 'h264', hvc1: 'hevc', av01: 'av1', vp09: 'vp9' };

const AUDIO_CODECS: Record<number, string> = {
  0: 'pcm',
  1: 'adpcm_swf',
  2: 'mp3',
  3: 'pcm_s16le',
  4: 'nellymoser',
  5: 'nellymoser',
  6: 'nellymoser',
  7: 'pcm_alaw',
  8: 'pcm_mulaw',
  10: 'aac',
  11: 'speex',
  14: 'mp3',
};

export function videoCodecName(codecId: number): string {
  return VIDEO_CODECS[codecId] ?? `video codec ${codecId}`;
}

export function videoFourccName(fourcc: string): string {
  return VIDEO_FOURCC[fourcc] ?? `video fourcc ${JSON.stringify(fourcc)}`;
}

export function audioCodecName(soundFormat: number): string {
  return AUDIO_CODECS[soundFormat] ?? `audio codec ${soundFormat}`;
}

export class MediaInfoError extends Error {
  override name = 'MediaInfoError';
}

/** Reads bits MSB first from an RBSP (emulation prevention bytes already removed). */
class BitReader {
  private bit = 0;
  private readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }

  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.bit >> 3;
      if (byte >= this.buf.length) throw new MediaInfoError('SPS ends early');
      v = v * 2 + (((this.buf[byte] as number) >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return v;
  }

  /** Unsigned exp-Golomb. More than 31 leading zeros cannot be a valid SPS field. */
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      zeros++;
      if (zeros > 31) throw new MediaInfoError('SPS exp-Golomb code is too long');
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }

  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}

/** Removes H.264 emulation prevention bytes (00 00 03 → 00 00). */
export function nalToRbsp(nal: Buffer): Buffer {
  const out = Buffer.alloc(nal.length);
  let n = 0;
  let zeros = 0;
  for (const byte of nal) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[n++] = byte;
  }
  return out.subarray(0, n);
}

export interface SpsInfo {
  profileIdc: number;
  levelIdc: number;
  chromaFormatIdc: number;
  width: number;
  height: number;
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Parses an H.264 sequence parameter set NAL unit (with its one-byte NAL header). */
export function parseSps(nal: Buffer): SpsInfo {
  if (nal.length < 4 || ((nal[0] as number) & 0x1f) !== 7) throw new MediaInfoError('not an SPS NAL unit');
  const r = new BitReader(nalToRbsp(nal.subarray(1)));
  const profileIdc = r.u(8);
  r.u(8); // constraint flags
  const levelIdc = r.u(8);
  r.ue(); // seq_parameter_set_id
  let chromaFormatIdc = 1;
  let separateColourPlane = 0;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc > 3) throw new MediaInfoError('SPS chroma_format_idc is out of range');
    if (chromaFormatIdc === 3) separateColourPlane = r.u(1);
    r.ue(); // bit_depth_luma_minus8
    r.ue(); // bit_depth_chroma_minus8
    r.u(1); // qpprime_y_zero_transform_bypass_flag
    if (r.u(1)) {
      // seq_scaling_matrix_present_flag: the lists are skipped, but their length depends on their content.
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) {
        if (!r.u(1)) continue;
        const size = i < 6 ? 16 : 64;
        let last = 8;
        let next = 8;
        for (let j = 0; j < size; j++) {
          if (next !== 0) next = (last + r.se() + 256) % 256;
          last = next === 0 ? last : next;
        }
      }
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.u(1);
    r.se();
    r.se();
    const cycle = r.ue();
    if (cycle > 255) throw new MediaInfoError('SPS POC cycle is too long');
    for (let i = 0; i < cycle; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.u(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.u(1);
  if (!frameMbsOnly) r.u(1); // mb_adaptive_frame_field_flag
  r.u(1); // direct_8x8_inference_flag
  let width = widthMbs * 16;
  let height = (2 - frameMbsOnly) * heightMapUnits * 16;
  if (r.u(1)) {
    const left = r.ue();
    const right = r.ue();
    const top = r.ue();
    const bottom = r.ue();
    // Crop units depend on chroma subsampling (spec 7.4.2.1.1): 4:2:0 crops in 2×2, 4:2:2 in 2×1, 4:4:4 in 1×1.
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidth = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeight = chromaArrayType === 1 ? 2 : 1;
    width -= (left + right) * subWidth;
    height -= (top + bottom) * subHeight * (2 - frameMbsOnly);
  }
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384) {
    throw new MediaInfoError(`SPS gives an impossible picture size ${width}x${height}`);
  }
  return { profileIdc, levelIdc, chromaFormatIdc, width, height };
}

export interface AvcConfig {
  /** 'avc1.PPCCLL' (RFC 6381) from the record's profile, compatibility and level bytes. */
  codecString: string;
  nalLengthSize: number;
  sps: Buffer[];
  pps: Buffer[];
  width: number | null;
  height: number | null;
}

/** Parses an AVCDecoderConfigurationRecord (ISO 14496-15 5.3.3.1). */
export function parseAvcConfig(record: Buffer): AvcConfig {
  if (record.length < 7 || record[0] !== 1) throw new MediaInfoError('not an AVCDecoderConfigurationRecord');
  const hex = (b: number) => b.toString(16).padStart(2, '0');
  const codecString = `avc1.${hex(record[1] as number)}${hex(record[2] as number)}${hex(record[3] as number)}`;
  const nalLengthSize = ((record[4] as number) & 3) + 1;
  let pos = 6; // after the SPS count byte
  const readList = (count: number): Buffer[] => {
    const out: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if (pos + 2 > record.length) throw new MediaInfoError('AVC configuration ends early');
      const len = record.readUInt16BE(pos);
      pos += 2;
      if (pos + len > record.length) throw new MediaInfoError('AVC configuration ends early');
      out.push(record.subarray(pos, pos + len));
      pos += len;
    }
    return out;
  };
  const sps = readList((record[5] as number) & 0x1f);
  if (pos >= record.length) throw new MediaInfoError('AVC configuration has no PPS count');
  const ppsCount = record[pos] as number;
  pos += 1;
  const pps = readList(ppsCount);
  let width: number | null = null;
  let height: number | null = null;
  if (sps[0]) {
    const info = parseSps(sps[0]);
    width = info.width;
    height = info.height;
  }
  return { codecString, nalLengthSize, sps, pps, width, height };
}

export interface AacConfig {
  /** 'mp4a.40.N', N the audio object type (2 = AAC-LC, 5 = HE-AAC, 29 = HE-AACv2). */
  codecString: string;
  objectType: number;
  sampleRate: number | null;
  channels: number;
}

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** Parses the start of an AudioSpecificConfig (ISO 14496-3 1.6.2.1). */
export function parseAacConfig(asc: Buffer): AacConfig {
  if (asc.length < 2) throw new MediaInfoError('AudioSpecificConfig is too short');
  const r = new BitReader(asc);
  let objectType = r.u(5);
  if (objectType === 31) objectType = 32 + r.u(6);
  const rateIndex = r.u(4);
  const sampleRate = rateIndex === 15 ? r.u(24) : (AAC_RATES[rateIndex] ?? null);
  const channels = r.u(4);
  if (objectType === 0) throw new MediaInfoError('AudioSpecificConfig has object type 0');
  return { codecString: `mp4a.40.${objectType}`, objectType, sampleRate, channels };
}
