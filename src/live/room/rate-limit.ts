import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * The chat's per-viewer limits, decided in the database by one conditional update of the viewer's
 * row, so that a viewer spreading messages over several api nodes gets the same answer (the row
 * is the one place every node writes to):
 * - a token bucket: `BURST` messages at once, refilled at BURST per WINDOW_MS;
 * - slow mode: at least `slowModeSeconds` since the viewer's last message;
 * - bans: no ban in force by the viewer's id, account, or (guests) address hash;
 * - guests: a guest's token stops working for sending once the room no longer allows guests.
 * The update passes all three or changes nothing; `diagnose` then says which one refused.
 */
export const BURST = 5;
export const WINDOW_MS = 10_000;
const RATE = BURST / WINDOW_MS; // tokens per ms

/** Tokens in the bucket at `now`, from what was left at `at`. */
export function tokensAt(tokens: number, at: number, now: number): number {
  return Math.min(BURST, tokens + Math.max(0, now - at) * RATE);
}

/** Seconds until the bucket holds a whole token again. */
export function secondsUntilToken(tokens: number): number {
  return Math.max(1, Math.ceil((1 - tokens) / RATE / 1000));
}

/** Takes one message slot for the viewer; false when a limit or a ban refuses it (nothing changed then). */
export async function takeMessageSlot(
  db: Executor,
  opts: { streamId: string; viewerId: string; now: number; slowModeSeconds: number; guestsAllowed?: boolean },
): Promise<boolean> {
  const now = sql`cast(${opts.now} as bigint)`;
  const rate = sql`cast(${RATE} as double precision)`;
  const burst = sql`cast(${BURST} as double precision)`;
  const refilled = sql`(bucket_tokens + (${now} - bucket_at) * ${rate})`;
  const slowMs = sql`cast(${opts.slowModeSeconds * 1000} as bigint)`;
  const r = await sql`update live_chat_viewers set
      bucket_tokens = (case when ${refilled} > ${burst} then ${burst} else ${refilled} end) - 1,
      bucket_at = ${now},
      last_message_at = ${now}
    where id = ${opts.viewerId} and live_stream_id = ${opts.streamId}
      and ${refilled} >= 1
      ${opts.guestsAllowed === false ? sql`and kind <> 'guest'` : sql``}
      and (${slowMs} = 0 or last_message_at is null or last_message_at <= ${now} - ${slowMs})
      and not exists (select 1 from live_chat_bans b
        where b.live_stream_id = live_chat_viewers.live_stream_id
          and (b.until is null or b.until > ${now})
          and (b.viewer_id = live_chat_viewers.id
            or (live_chat_viewers.user_id is not null and b.user_id = live_chat_viewers.user_id)
            or (live_chat_viewers.kind = 'guest' and live_chat_viewers.address_hash is not null
                and b.address_hash = live_chat_viewers.address_hash)))`.execute(db);
  return Number(r.numAffectedRows ?? 0) > 0;
}

export type Refusal =
  | { kind: 'slow_mode'; retryAfter: number }
  | { kind: 'rate_limited'; retryAfter: number }
  | { kind: 'unknown_viewer' }
  | { kind: 'banned' };

/** Why takeMessageSlot refused, from the viewer's row as it is now (bans are looked up apart). */
export function diagnose(
  viewer: { bucket_tokens: number; bucket_at: number; last_message_at: number | null } | undefined,
  now: number,
  slowModeSeconds: number,
): Refusal {
  if (!viewer) return { kind: 'unknown_viewer' };
  if (slowModeSeconds > 0 && viewer.last_message_at !== null) {
    const wait = Number(viewer.last_message_at) + slowModeSeconds * 1000 - now;
    if (wait > 0) return { kind: 'slow_mode', retryAfter: Math.max(1, Math.ceil(wait / 1000)) };
  }
  const tokens = tokensAt(Number(viewer.bucket_tokens), Number(viewer.bucket_at), now);
  if (tokens < 1) return { kind: 'rate_limited', retryAfter: secondsUntilToken(tokens) };
  return { kind: 'banned' };
}
