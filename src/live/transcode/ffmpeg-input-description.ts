/**
 * Reads the "Input #0" block ffmpeg prints on stderr (at `-loglevel info`) for what a live source
 * is: codecs, size, frame rate, bitrate. It is the only report ffmpeg gives before it starts
 * copying, and reading it saves probing the stream a second time.
 *
 *   Input #0, mpegts, from 'srt://127.0.0.1:40000':
 *     Duration: N/A, start: 1.400000, bitrate: N/A
 *     Stream #0:0[0x100]: Video: h264 (High) ([27][0][0][0] / 0x001B), yuv420p(progressive), 1280x720 [SAR 1:1 DAR 16:9], 30 fps, 30 tbr, 90k tbn
 *     Stream #0:1[0x101](und): Audio: aac (LC) ([15][0][0][0] / 0x000F), 48000 Hz, stereo, fltp, 130 kb/s
 *   Output #0, mpegts, to 'pipe:1':
 *
 * The block ends at the first line that is not part of it ("Output #0", "Stream mapping:").
 * Bounded: the caller feeds lines and stops after a few hundred.
 */

export interface DescribedStream {
  kind: 'video' | 'audio';
  codec: string;
  /** 'High', 'LC', … (the parenthesised word after the codec) */
  profile: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  /** bits/s when ffmpeg states it per stream */
  bitrate: number | null;
}

export interface InputDescription {
  format: string | null;
  video: DescribedStream | null;
  audio: DescribedStream | null;
}

const STREAM_LINE =
  /^\s*Stream #\d+:\d+(?:\[[^\]]*\])?(?:\([^)]*\))?: (Video|Audio): ([A-Za-z0-9_]+)(?: \(([^)]*)\))?(.*)$/;

/** A line-by-line reader; `done` is set once the input block has ended. */
export class InputDescriptionReader {
  private inInput = false;
  done = false;
  readonly description: InputDescription = { format: null, video: null, audio: null };

  push(line: string): void {
    if (this.done) return;
    const input = /^Input #0, ([^,]+),/.exec(line);
    if (input) {
      this.inInput = true;
      this.description.format = input[1] ?? null;
      return;
    }
    if (!this.inInput) return;
    if (/^(Output #|Stream mapping:)/.test(line)) {
      this.done = true;
      return;
    }
    const m = STREAM_LINE.exec(line.slice(0, 1000));
    if (!m) return;
    const kind = m[1] === 'Video' ? 'video' : 'audio';
    if (this.description[kind]) return; // the first stream of a kind is the one mapped
    const rest = m[4] ?? '';
    const size = /, (\d{2,5})x(\d{2,5})[ ,]/.exec(`${rest} `);
    const fps = /, ([\d.]+) fps/.exec(rest) ?? /, ([\d.]+) tbr/.exec(rest);
    const kbps = /, (\d+) kb\/s/.exec(rest);
    this.description[kind] = {
      kind,
      codec: (m[2] as string).toLowerCase(),
      profile: m[3] && !m[3].startsWith('[') ? m[3] : null,
      width: size ? Number(size[1]) : null,
      height: size ? Number(size[2]) : null,
      fps: fps ? Number(fps[1]) : null,
      bitrate: kbps ? Number(kbps[1]) * 1000 : null,
    };
  }
}
