/**
 * Watching a ladder that is still being encoded. hls.js reads the master playlist once, so a
 * viewer who starts while only the lowest rung exists would keep it for the whole session: this
 * polls the master while it says more rungs are coming (EXT-X-SESSION-DATA
 * "com.framehouse.ladder" = "pending", written by the server), and says when the player can move
 * onto the new rungs without catching up with their encoder.
 */

export const LADDER_DATA_ID = 'com.framehouse.ladder';
const POLL_MS = 2000;

export interface MasterInfo {
  /** Video variants: their playlist URL (absolute) and height. */
  rungs: Array<{ url: string; height: number }>;
  pending: boolean;
}

export function parseMaster(text: string, base: string): MasterInfo {
  const lines = text.split(/\r?\n/);
  const rungs: MasterInfo['rungs'] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!line.startsWith('#EXT-X-STREAM-INF:')) continue;
    const height = Number(/RESOLUTION=\d+x(\d+)/.exec(line)?.[1] ?? 0);
    const uri = lines.slice(i + 1).find((l) => l.trim() && !l.startsWith('#'));
    if (uri) rungs.push({ url: new URL(uri.trim(), base).href, height });
  }
  const pending = lines.some(
    (l) =>
      l.startsWith('#EXT-X-SESSION-DATA:') && l.includes(`"${LADDER_DATA_ID}"`) && l.includes('"pending"'),
  );
  return { rungs, pending };
}

export interface MediaInfo {
  /** Seconds of media listed. */
  seconds: number;
  ended: boolean;
  /** EXT-X-TARGETDURATION: the longest segment. */
  target: number;
}

export function parseMedia(text: string): MediaInfo {
  let seconds = 0;
  for (const m of text.matchAll(/#EXTINF:([\d.]+)/g)) seconds += Number(m[1]);
  const target = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(text)?.[1] ?? 4);
  return { seconds, ended: /^#EXT-X-ENDLIST/m.test(text), target };
}

/**
 * How fast a playlist grows, from the moments it was seen to grow: at least (b − a) media
 * seconds over (t_b − t_a + one poll interval) wall seconds, since each growth happened at some
 * point within the poll before it was seen.
 */
export class Growth {
  readonly #seen: Array<{ at: number; seconds: number }> = [];
  #last: number | null = null;

  observe(seconds: number, at: number): void {
    if (this.#last !== null && seconds > this.#last) this.#seen.push({ at, seconds });
    this.#last = seconds;
  }

  /** Media seconds per wall second, a lower bound; null before it grew twice. */
  pace(pollSeconds: number): number | null {
    const a = this.#seen[0];
    const b = this.#seen.at(-1);
    if (!a || !b || a === b) return null;
    return (b.seconds - a.seconds) / (b.at - a.at + pollSeconds);
  }
}

export interface JoinInput {
  /** Where the player will be when the new rungs take over. */
  position: number;
  duration: number;
  /** Media published on the new rungs (the least of them), and whether they are complete. */
  published: number;
  ended: boolean;
  /** Their encoder's pace (lower bound), media seconds per second; null while unknown. */
  pace: number | null;
  /** Segment length (the playlists' target duration). */
  target: number;
}

/**
 * Whether a player at `position` can play on from the new rungs without waiting for their
 * encoder: the next segment and the last one are published before the player needs them, with
 * our poll and hls.js's playlist reload (about a target duration) on top. In between, both
 * advance steadily, so those two ends decide (the server's rule for a viewer starting now, at
 * the position of this one).
 */
export function canJoin(o: JoinInput): boolean {
  if (o.ended) return true;
  if (o.pace === null || o.pace <= 0) return false;
  const lag = o.target + POLL_MS / 1000;
  const ahead = o.published - o.position;
  if (o.target / o.pace + lag > ahead) return false;
  return (o.duration - o.published) / o.pace + lag <= o.duration - o.position - o.target;
}

export interface WatchOptions {
  /** The master playlist's absolute URL (with the current token, for signed playback). */
  masterUrl: () => string;
  /** The heights of the video rungs the player has now. */
  heightsNow: () => number[];
  /** Where the player will be once it switched (its position plus the time a switch takes). */
  position: () => number;
  /** The media's duration, once a complete rung tells it; null before. */
  duration: () => number | null;
  /** Move onto the master playlist at this URL (it lists more rungs). Resolves when done. */
  upgrade: (masterUrl: string) => Promise<void>;
  signal: AbortSignal;
}

/**
 * Polls the master playlist while more rungs are coming; when it lists more than the player has
 * and canJoin says they are safe at the player's position, calls upgrade. Stops when the ladder
 * is complete, on abort, or after an upgrade that leaves nothing more to come.
 */
export async function watchLadder(o: WatchOptions): Promise<void> {
  let growth = { of: '', g: new Growth() };
  const text = async (url: string) => {
    const res = await fetch(url, { cache: 'no-cache', signal: o.signal });
    // i18n-ignore: never shown: a failed poll is logged (console.debug) and tried again
    if (!res.ok) throw new Error(`${res.status} for ${url}`);
    return res.text();
  };
  while (!o.signal.aborted) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (o.signal.aborted) return;
    try {
      const url = o.masterUrl();
      const master = parseMaster(await text(url), url);
      const heights = o.heightsNow();
      const fresh = master.rungs.filter((r) => !heights.includes(r.height));
      if (fresh.length > 0) {
        // The new rungs come from one ffmpeg run: they advance together.
        const now = performance.now() / 1000;
        const media = await Promise.all(fresh.map(async (r) => parseMedia(await text(r.url))));
        const published = Math.min(...media.map((m) => m.seconds));
        const of = fresh.map((r) => r.url).join(' ');
        if (growth.of !== of) growth = { of, g: new Growth() };
        growth.g.observe(published, now);
        const duration = o.duration();
        const join =
          duration !== null &&
          canJoin({
            position: o.position(),
            duration,
            published,
            ended: media.every((m) => m.ended),
            pace: growth.g.pace(POLL_MS / 1000),
            target: Math.max(...media.map((m) => m.target)),
          });
        if (join) await o.upgrade(url);
      } else if (!master.pending) return;
    } catch (e) {
      if (o.signal.aborted) return;
      // A failed poll or switch: the player plays on as it is; try again at the next poll.
      console.debug('ladder watch', e);
    }
  }
}
