/**
 * One player report as the ingest path carries it (docs/qoe.md): a CMCD v2 event report or a JSON
 * beacon, reduced to what the server uses. The same shape is stored in a view's timeline
 * (`qoe_view_events`: ts, sn, event, state, data), so a view can be recomputed from it.
 */

/** CMCD `sta`: d preloading, s starting, p playing, k seeking, r rebuffering, a paused, w waiting, e ended, f fatal error, q quit. */
export type PlayState = 'd' | 's' | 'p' | 'k' | 'r' | 'a' | 'w' | 'e' | 'f' | 'q';
export const PLAY_STATES: ReadonlySet<string> = new Set(['d', 's', 'p', 'k', 'r', 'a', 'w', 'e', 'f', 'q']);

/** CMCD `st`: v on demand, l live, ll low-latency live. */
export type CmcdStreamType = 'v' | 'l' | 'll';

/** The event name a beacon has in the timeline (CMCD event types are short tokens: no clash). */
export const BEACON_EVENT = 'beacon';
/** A beacon's sequence number: it sorts before a CMCD report of the same millisecond. */
export const BEACON_SN = -1;

/**
 * The keys of a report the server keeps (JSON in `qoe_view_events.data`): what the reducer reads,
 * and what the timeline shows. CMCD values in their units (br, mtp in kbps; bl, msd in ms).
 */
export interface ReportData {
  br?: number;
  bl?: number;
  mtp?: number;
  pr?: number;
  ec?: string;
  msd?: number;
  st?: CmcdStreamType;
  // Beacons
  video_width?: number;
  video_height?: number;
  player_width?: number;
  player_height?: number;
  dropped_frames?: number;
  total_frames?: number;
  exit?: boolean;
}

/** A report of one view, in the player's clock. */
export interface ViewReport {
  ts: number;
  sn: number;
  event: string;
  state: PlayState | null;
  data: ReportData;
}

/** A report as received: the view it belongs to (session and playback id) and the report itself. */
export interface IncomingReport {
  sid: string;
  cid: string;
  report: ViewReport;
}

/** CMCD `sid`: 1–64 characters of A–Z a–z 0–9 . _ ~ : - (docs/qoe.md). */
export const SID_PATTERN = /^[A-Za-z0-9._~:-]{1,64}$/;
/** A `cid` is a playback id of ours when known; anything longer is no id of ours. */
export const MAX_CID_LENGTH = 128;
/** A report's `ts` further than this from the server's clock is refused. */
export const MAX_CLOCK_SKEW_MS = 24 * 60 * 60 * 1000;
/** Error codes kept at most this long (a player's code names the failure, not a message). */
export const MAX_ERROR_CODE_LENGTH = 100;
