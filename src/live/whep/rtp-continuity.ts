/**
 * RtpContinuity: one viewer's outgoing sequence numbers and timestamps for one track, continuous
 * across changes of source. Every new ffmpeg (the ladder shrank, the broadcaster reconnected)
 * starts RTP with a new SSRC and random sequence and timestamp bases; the viewer's browser must
 * see one stream that goes on. So on a new source the offsets are set so that its first packet
 * follows the last one sent: the sequence number by one, the timestamp by the wall time that
 * passed (a jump of one tick after a gap of two seconds would make the jitter buffer take the
 * new frames as two seconds late).
 */
export class RtpContinuity {
  readonly #clockRate: number;
  #ssrc: number | null = null;
  #seqOffset = 0;
  #tsOffset = 0;
  #lastSeq: number | null = null;
  #lastTs = 0;
  #lastAt = 0;

  constructor(clockRate: number) {
    this.#clockRate = clockRate;
  }

  /** The outgoing sequence number and timestamp of an incoming packet, received at `nowMs`. */
  map(ssrc: number, sequenceNumber: number, timestamp: number, nowMs: number): { seq: number; ts: number } {
    if (ssrc !== this.#ssrc) {
      if (this.#lastSeq !== null) {
        const elapsed = Math.max(1, Math.round(((nowMs - this.#lastAt) * this.#clockRate) / 1000));
        this.#seqOffset = (this.#lastSeq + 1 - sequenceNumber) & 0xffff;
        this.#tsOffset = (this.#lastTs + elapsed - timestamp) >>> 0;
      }
      this.#ssrc = ssrc;
    }
    const seq = (sequenceNumber + this.#seqOffset) & 0xffff;
    const ts = (timestamp + this.#tsOffset) >>> 0;
    // The last packet sent is the newest by sequence (a reordered older one does not move it back).
    if (this.#lastSeq === null || ((seq - this.#lastSeq) & 0xffff) < 0x8000) {
      this.#lastSeq = seq;
      this.#lastTs = ts;
      this.#lastAt = nowMs;
    }
    return { seq, ts };
  }

  /** Whether `ssrc` is not the source this viewer was last sent. */
  isNewSource(ssrc: number): boolean {
    return this.#ssrc !== ssrc;
  }
}
