/**
 * The little of RTP (RFC 3550) and H.264 over RTP (RFC 6184) the WebRTC relay reads: where a
 * packet's payload starts, which source and clock it belongs to, and whether it starts a frame a
 * decoder can begin at. Parsing stays this small on purpose: every packet of every stream passes
 * here, and the payload is never copied.
 */

export interface RtpView {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Offset of the payload in the datagram (after CSRCs and the header extension). */
  payloadOffset: number;
  /** End of the payload (before any padding). */
  payloadEnd: number;
}

/** The RTP header of a datagram, or null for RTCP (ffmpeg sends its reports to the same port) and junk. */
export function readRtp(packet: Buffer): RtpView | null {
  if (packet.length < 12 || packet[0] === undefined || packet[0] >> 6 !== 2) return null;
  const first = packet[0];
  const second = packet[1] as number;
  // RTCP shares the port (rtcpport): its packet types 200–204 sit where marker + payload type are.
  if (second >= 192 && second <= 223) return null;
  let offset = 12 + (first & 0x0f) * 4;
  if (first & 0x10) {
    if (packet.length < offset + 4) return null;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  let end = packet.length;
  if (first & 0x20) end -= packet[packet.length - 1] as number;
  if (offset > end) return null;
  return {
    payloadType: second & 0x7f,
    marker: (second & 0x80) !== 0,
    sequenceNumber: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    payloadOffset: offset,
    payloadEnd: end,
  };
}

const NAL_IDR = 5;
const NAL_SPS = 7;
const STAP_A = 24;
const FU_A = 28;

/**
 * Whether this H.264 RTP payload opens an access unit a decoder can start at: a keyframe with its
 * parameter sets in front (what ffmpeg's `dump_extra` gives every keyframe), or at least an IDR
 * slice's first fragment.
 */
export function startsH264Keyframe(packet: Buffer, rtp: RtpView): boolean {
  if (rtp.payloadEnd - rtp.payloadOffset < 1) return false;
  const header = packet[rtp.payloadOffset] as number;
  const type = header & 0x1f;
  if (type === NAL_SPS || type === NAL_IDR) return true;
  if (type === FU_A) {
    const fu = packet[rtp.payloadOffset + 1];
    if (fu === undefined) return false;
    const start = (fu & 0x80) !== 0;
    const inner = fu & 0x1f;
    return start && (inner === NAL_IDR || inner === NAL_SPS);
  }
  if (type === STAP_A) {
    // Aggregated NAL units: 2-byte size, then the unit; a keyframe when its first unit is SPS or IDR.
    const first = packet[rtp.payloadOffset + 3];
    if (first === undefined) return false;
    const inner = first & 0x1f;
    return inner === NAL_SPS || inner === NAL_IDR;
  }
  return false;
}
