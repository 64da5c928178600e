/**
 * liveTranscodeArgs: the one ffmpeg command that turns a live stream on stdin into a ladder of
 * fragmented-MP4 byte streams, rung i on file descriptor 3+i.
 *
 * Why each part is there:
 * - `-nostdin` IS usable with `-i pipe:0`: it only turns off ffmpeg's keyboard commands (which it
 *   also turns off by itself when an input is `pipe:`); the input is still read from fd 0.
 * - Low delay in: a small probe. The RTMP receiver's FLV starts with the metadata and both
 *   sequence headers, so 0.5 s of analysis finds both streams; an MPEG-TS from SRT needs a little
 *   more (its AAC has no global header: ADTS frames must be seen). NOT `-fflags nobuffer`: on
 *   ffmpeg 5.1 it throws away the packets read while probing, so the first GOP is lost and the
 *   video starts at the publisher's second keyframe (measured: video from 2.02 s, audio 1.4 s
 *   ahead of it). The probe delays only the start; once running, packets are not buffered.
 * - Decode once: one `split` into one scaler per encoded rung; a copied top rung takes the packets.
 * - libx264 `-tune zerolatency` (no lookahead, no frame threads: a frame leaves as soon as it is
 *   encoded), `-bf 0` (WebRTC-friendly later, and no reordering delay), a fixed GOP of 2 s without
 *   scene cuts so every rung has keyframes on the same frames. With a copied top rung the
 *   keyframes follow the source instead (`-force_key_frames source`), the only way its segments
 *   can line up with the encoded ones.
 * - `-fps_mode passthrough`: the publisher's timestamps go through unchanged (no duplicated or
 *   dropped frames, and a copied and an encoded rung keep the same times).
 * - CMAF fragments every 1/3 s with a `prft` wall-clock box each (program date time, latency),
 *   flushed at once (`-flush_packets 1`) so a part leaves ffmpeg as soon as it is complete.
 * - `-progress pipe:1` (stdout is otherwise unused) every 0.5 s; stderr keeps only warnings and
 *   errors, whose tail explains an exit.
 * - WebRTC (`rtp`): the chosen encoded rung's packets leave through the `tee` muxer to both its
 *   fMP4 pipe and RTP on a local UDP port the live node bound, so WebRTC viewers get the very
 *   packets HLS gets, with no second encode. `+global_header` keeps SPS/PPS out of the stream (the
 *   mp4 slave needs them in its `moov` before the first packet, and the tee muxer does not ask for
 *   a global header by itself); `dump_extra` puts them back in front of every keyframe on the RTP
 *   side, so a viewer can start at any keyframe. RTCP goes to the same port (`rtcpport`), never to
 *   port+1, which may be anyone's. `onfail=ignore`: a WebRTC hiccup never stops HLS. Audio is the
 *   one thing encoded for WebRTC: Opus (20 ms frames) to a second port, through a one-slave tee for
 *   the same reason.
 */
import { h264Level, LIVE_GOP_SECONDS, type LiveRung } from './live-ladder.ts';

/** x264's presets; live uses the fast end (the slow end is there for tests of lagging). */
export type LivePreset =
  | 'ultrafast'
  | 'superfast'
  | 'veryfast'
  | 'faster'
  | 'fast'
  | 'medium'
  | 'slow'
  | 'slower'
  | 'veryslow'
  | 'placebo';
/**
 * superfast: measured on the 2-core box (bench/live-ladder.ts, 20 s runs, others' load ~4), a
 * 1080p30 source encoded to 1080p+720p+360p took 76% of one core with superfast against 83% with
 * veryfast, and veryfast's fragments left late under load (p50 868 ms after their first frame
 * against 469 ms); ultrafast is cheaper still (53%) but drops CABAC and the deblocking filter, so
 * it needs far more bits for the same picture. The source copied on top: 45% (superfast).
 */
export const DEFAULT_LIVE_PRESET: LivePreset = 'superfast';

export interface LiveTranscodeArgsOptions {
  /** x264 preset for the encoded rungs (default DEFAULT_LIVE_PRESET). */
  preset?: LivePreset;
  /** Keyframe interval of the encoded rungs when the source is not copied, s (default 2). */
  gopSeconds?: number;
  /** Fragment (LL-HLS part) length, s (default 1/3). */
  fragmentSeconds?: number;
  /** With a copied top rung: the source's keyframe interval, ms (x264's own GOP is set past it). */
  sourceKeyframeIntervalMs?: number | null;
  /** Seconds between progress blocks on stdout (default 0.5). */
  statsPeriodSeconds?: number;
  /** Also send this encoded rung as RTP (and the audio as Opus RTP) to local UDP ports, for WebRTC. */
  rtp?: LiveRtpOutputs | null;
}

export interface LiveRtpOutputs {
  /** Name of an encoded (not copied) rung. */
  rung: string;
  videoPort: number;
  /** Null: no Opus output (the source has no audio). */
  audioPort: number | null;
  /** RTP payload size limit: under the path MTU once SRTP and header extensions are added. */
  packetSize?: number;
}

export const RTP_PACKET_SIZE = 1200;
export const OPUS_BITRATE = 96_000;

/** The rung WebRTC can carry: the best encoded one (a copied rung may have B-frames). */
export function webrtcRung(rungs: LiveRung[]): LiveRung | null {
  return rungs.find((r) => !r.copy) ?? null;
}

const rtpUrl = (port: number, size: number) => `rtp://127.0.0.1:${port}?rtcpport=${port}&pkt_size=${size}`;

export function liveTranscodeArgs(
  input: { format: 'flv' | 'mpegts' },
  rungs: LiveRung[],
  opts: LiveTranscodeArgsOptions = {},
): string[] {
  if (rungs.length === 0) throw new Error('liveTranscodeArgs: no rungs');
  const preset = opts.preset ?? DEFAULT_LIVE_PRESET;
  const gopSeconds = opts.gopSeconds ?? LIVE_GOP_SECONDS;
  const fragmentUs = Math.round((opts.fragmentSeconds ?? 1 / 3) * 1e6);
  const copying = rungs.some((r) => r.copy);
  const encoded = rungs.filter((r) => !r.copy);
  const rtp = opts.rtp ?? null;
  if (rtp && !encoded.some((r) => r.name === rtp.rung))
    throw new Error(`liveTranscodeArgs: ${rtp.rung} is not an encoded rung`);
  const packetSize = rtp?.packetSize ?? RTP_PACKET_SIZE;

  // biome-ignore format: option/value pairs
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'warning', '-nostats',
    '-progress', 'pipe:1', '-stats_period', String(opts.statsPeriodSeconds ?? 0.5),
    '-probesize', input.format === 'flv' ? '256000' : '1000000',
    '-analyzeduration', input.format === 'flv' ? '500000' : '1000000',
    '-f', input.format, '-i', 'pipe:0',
  ];

  if (encoded.length > 0) {
    const scale = (r: LiveRung) => `scale=${r.width}:${r.height},format=yuv420p`;
    const graph =
      encoded.length === 1
        ? `[0:v:0]${scale(encoded[0] as LiveRung)}[v0]`
        : [
            `[0:v:0]split=${encoded.length}${encoded.map((_, i) => `[s${i}]`).join('')}`,
            ...encoded.map((r, i) => `[s${i}]${scale(r)}[v${i}]`),
          ].join(';');
    args.push('-filter_complex', graph);
  }

  let encodedIndex = 0;
  rungs.forEach((rung, i) => {
    if (rung.copy) {
      args.push('-map', '0:v:0', '-c:v', 'copy');
    } else {
      const fps = rung.fps > 0 ? rung.fps : 30;
      const rate = `${Math.round(rung.videoBitrate / 1000)}k`;
      let gop: number;
      let keyframes: string[];
      if (copying) {
        // Keyframes where the source has them; x264's own interval only as a backstop well past
        // the source's, so it never adds one the copied rung lacks.
        const sourceMs = opts.sourceKeyframeIntervalMs ?? gopSeconds * 1000;
        gop = Math.max(1, Math.round((fps * sourceMs * 2) / 1000));
        keyframes = ['-force_key_frames', 'source'];
      } else {
        gop = Math.max(1, Math.round(fps * gopSeconds));
        // On the clock as well as every `gop` frames: a publisher with a variable frame rate
        // (phones) still gets a keyframe every 2 s of media time.
        keyframes = ['-force_key_frames', `expr:gte(t,n_forced*${gopSeconds})`];
      }
      const level = h264Level(rung.width, rung.height, fps);
      // biome-ignore format: option/value pairs
      args.push(
        '-map', `[v${encodedIndex}]`,
        '-c:v', 'libx264', '-preset', preset, '-tune', 'zerolatency',
        '-profile:v', 'high', '-level:v', `${Math.floor(level / 10)}.${level % 10}`,
        '-bf', '0', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
        ...keyframes,
        '-b:v', rate, '-maxrate', rate, '-bufsize', rate,
      );
      encodedIndex++;
    }
    args.push('-fps_mode', 'passthrough');
    if (rung.audioBitrate > 0) {
      args.push('-map', '0:a:0?');
      // MPEG-TS carries AAC as ADTS frames, which the mp4 muxer takes only through the
      // aac_adtstoasc filter, and that filter's AudioSpecificConfig comes with the first packet:
      // too late for a `tee` slave, which writes its header before any packet (ffmpeg 5.1: "error
      // writing header: Invalid data"). So the WebRTC rung's audio is encoded again from SRT.
      const teed = rtp !== null && rung.name === rtp.rung;
      if (rung.audioCopy && !(teed && input.format === 'mpegts')) {
        args.push('-c:a', 'copy');
        // MPEG-TS carries AAC as ADTS frames; MP4 wants raw AAC and an AudioSpecificConfig. ffmpeg
        // 5.1 does not insert this filter by itself here: without it the mp4 muxer fails at once
        // ("Malformed AAC bitstream detected").
        if (input.format === 'mpegts') args.push('-bsf:a', 'aac_adtstoasc');
      } else
        args.push(
          '-c:a',
          'aac',
          '-b:a',
          `${Math.round(rung.audioBitrate / 1000)}k`,
          '-ac',
          '2',
          '-ar',
          '48000',
        );
    }
    if (rtp && rung.name === rtp.rung) {
      const mp4 = `[f=mp4:movflags=+frag_keyframe+empty_moov+default_base_moof+cmaf:frag_duration=${fragmentUs}:write_prft=wallclock:flush_packets=1]pipe:${3 + i}`;
      const video = `[f=rtp:select=v:onfail=ignore:bsfs/v=dump_extra]${rtpUrl(rtp.videoPort, packetSize)}`;
      args.push('-flags:v', '+global_header', '-f', 'tee', `${mp4}|${video}`);
      return;
    }
    // biome-ignore format: option/value pairs
    args.push(
      '-f', 'mp4',
      '-movflags', '+frag_keyframe+empty_moov+default_base_moof+cmaf',
      '-frag_duration', String(fragmentUs),
      '-write_prft', 'wallclock',
      '-flush_packets', '1',
      `pipe:${3 + i}`,
    );
  });
  if (rtp?.audioPort) {
    // biome-ignore format: option/value pairs
    args.push(
      '-map', '0:a:0',
      '-c:a', 'libopus', '-b:a', `${Math.round(OPUS_BITRATE / 1000)}k`, '-ac', '2', '-ar', '48000',
      '-application', 'lowdelay', '-frame_duration', '20',
      '-f', 'tee', `[f=rtp:onfail=ignore]${rtpUrl(rtp.audioPort, packetSize)}`,
    );
  }
  return args;
}
