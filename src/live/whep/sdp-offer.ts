/**
 * What a WHEP offer (RFC 9725) asks for, read before any of it reaches the WebRTC stack: whether
 * it is an SDP offer at all (a clear 400 otherwise), and which of the offered codecs carries our
 * stream as it is.
 *
 * The video is x264 High profile without B-frames, sent as it leaves the encoder. Chromium
 * (Debian 14x, checked with a recvonly offer) offers H.264 as 42001f, 42e01f, 4d001f and f4001f,
 * each in packetization modes 0 and 1, and no plain High (64xxxx) unless its High-profile trial
 * is on; Safari offers 640c1f (Constrained High) and 42e01f. The answer must name one of the
 * offered profile-level-ids exactly (the browser matches on profile, and so does werift). So we
 * take, in order: Constrained High (640c: High without B-frames, which is exactly our stream),
 * High (64), High 4:4:4 Predictive (f4: a superset of High, so it names a decoder that surely
 * takes ours), then Main and Baseline, whose decoders may refuse High's 8x8 transform; browsers
 * decode any profile with the same decoder, so they work in practice, and the answer says which it
 * was (`exactProfile`). Packetization mode 1 only: ffmpeg fragments big slices (FU-A).
 */

export interface OfferedCodec {
  payloadType: number;
  /** The fmtp line's parameters as offered ('' when none). */
  parameters: string;
  /** a=rtcp-fb values for this payload type ('nack', 'nack pli', 'transport-cc', …). */
  feedback: string[];
}

export interface OfferChoice {
  video: (OfferedCodec & { profileLevelId: string; exactProfile: boolean }) | null;
  audio: OfferedCodec | null;
}

export type OfferProblem = { problem: string };

const MAX_OFFER_BYTES = 64 * 1024;
/** Profile ranks (lower is better), keyed by profile_idc + profile-iop byte, then profile_idc alone. */
const PROFILE_RANK: [RegExp, number, boolean][] = [
  [/^640c/, 0, true],
  [/^64/, 1, true],
  [/^f4/, 2, true],
  [/^4d/, 3, false],
  [/^42e0/, 4, false],
  [/^42/, 5, false],
];

interface MediaSection {
  kind: string;
  port: number;
  protocol: string;
  formats: number[];
  rtpmap: Map<number, string>;
  fmtp: Map<number, string>;
  feedback: Map<number, string[]>;
}

/** The codecs to answer with, or why the offer cannot be answered. */
export function chooseFromOffer(sdp: string): OfferChoice | OfferProblem {
  if (sdp.length > MAX_OFFER_BYTES) return { problem: 'The SDP offer is too large.' };
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines[0] !== 'v=0') return { problem: 'The body is not an SDP offer (it must start with v=0).' };
  const sections: MediaSection[] = [];
  let current: MediaSection | null = null;
  let sessionFingerprint = false;
  let fingerprint = false;
  let iceUfrag = false;
  for (const line of lines) {
    if (line.startsWith('m=')) {
      const [kind = '', port = '', protocol = '', ...formats] = line.slice(2).split(' ');
      current = {
        kind,
        port: Number(port),
        protocol,
        formats: formats.map(Number).filter((n) => Number.isInteger(n) && n >= 0 && n < 128),
        rtpmap: new Map(),
        fmtp: new Map(),
        feedback: new Map(),
      };
      sections.push(current);
      continue;
    }
    if (line.startsWith('a=fingerprint:')) {
      if (current) fingerprint = true;
      else sessionFingerprint = true;
    }
    if (line.startsWith('a=ice-ufrag:')) iceUfrag = true;
    if (!current) continue;
    const attr = /^a=(rtpmap|fmtp|rtcp-fb):(\d{1,3}) (.*)$/.exec(line);
    if (!attr) continue;
    const pt = Number(attr[2]);
    const value = attr[3] ?? '';
    if (attr[1] === 'rtpmap') current.rtpmap.set(pt, value);
    else if (attr[1] === 'fmtp') current.fmtp.set(pt, value);
    else current.feedback.set(pt, [...(current.feedback.get(pt) ?? []), value]);
  }
  const media = sections.filter((s) => (s.kind === 'video' || s.kind === 'audio') && s.port !== 0);
  if (media.length === 0) return { problem: 'The SDP offer has no audio or video to receive.' };
  if (!media.every((s) => s.protocol === 'UDP/TLS/RTP/SAVPF'))
    return { problem: 'The SDP offer is not a WebRTC offer (its media must be UDP/TLS/RTP/SAVPF).' };
  if (!iceUfrag || !(fingerprint || sessionFingerprint))
    return { problem: 'The SDP offer has no ICE credentials or DTLS fingerprint.' };

  const videoSection = media.find((s) => s.kind === 'video');
  const audioSection = media.find((s) => s.kind === 'audio');
  const video = videoSection ? chooseH264(videoSection) : null;
  const audio = audioSection ? chooseOpus(audioSection) : null;
  if (videoSection && !video)
    return { problem: 'The SDP offer has no H.264 in packetization mode 1, which the stream is sent as.' };
  if (!video && audioSection && !audio)
    return { problem: 'The SDP offer has no Opus audio, which the stream is sent as.' };
  return { video, audio };
}

function codecOf(section: MediaSection, pt: number): OfferedCodec {
  return {
    payloadType: pt,
    parameters: section.fmtp.get(pt) ?? '',
    feedback: section.feedback.get(pt) ?? [],
  };
}

/** fmtp `a=b;c=d` as a map, keys lower-cased. */
export function fmtpParameters(parameters: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of parameters.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return out;
}

function chooseH264(section: MediaSection): OfferChoice['video'] {
  let best: { codec: OfferedCodec; profile: string; rank: number; exact: boolean } | null = null;
  for (const pt of section.formats) {
    if (!/^h264\/90000$/i.test(section.rtpmap.get(pt) ?? '')) continue;
    const codec = codecOf(section, pt);
    const params = fmtpParameters(codec.parameters);
    if (params.get('packetization-mode') !== '1') continue;
    const profile = (params.get('profile-level-id') ?? '42001f').toLowerCase();
    if (!/^[0-9a-f]{6}$/.test(profile)) continue;
    const match = PROFILE_RANK.find(([re]) => re.test(profile));
    if (!match) continue;
    if (!best || match[1] < best.rank) best = { codec, profile, rank: match[1], exact: match[2] };
  }
  return best ? { ...best.codec, profileLevelId: best.profile, exactProfile: best.exact } : null;
}

function chooseOpus(section: MediaSection): OfferedCodec | null {
  const pt = section.formats.find((f) => /^opus\/48000(\/2)?$/i.test(section.rtpmap.get(f) ?? ''));
  return pt === undefined ? null : codecOf(section, pt);
}

/**
 * Host candidates announced at another address (FRAMEHOUSE_WHEP_PUBLIC_IP): behind a 1:1 NAT the
 * node binds its private address, and viewers must be told the public one (same ports).
 */
export function announceAddress(sdp: string, address: string | null): string {
  if (!address) return sdp;
  return sdp.replace(
    /^(a=candidate:\S+ \d+ (?:udp|UDP) \d+ )(\S+)( \d+ typ host)/gm,
    (_m, head: string, _addr: string, tail: string) => `${head}${address}${tail}`,
  );
}
