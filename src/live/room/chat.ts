import { type AuditWho, recordAudit } from '../../audit/audit.ts';
import type { Principal } from '../../auth/principal.ts';
import { AppError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import { decodePageCursor, encodePageCursor } from '../../shared/page-cursor.ts';
import { accountChatName, cleanMessage, cleanNickname, MESSAGE_MAX_LIMIT } from './chat-text.ts';
import { BURST, diagnose, takeMessageSlot } from './rate-limit.ts';
import { type ChatMessage, offsetSeconds, presentMessage, settingsOf, wordListOf } from './room.presenter.ts';
import { type MessageRow, type RoomState, roomRepo as repo } from './room.repo.ts';
import type { RoomDeps } from './room-context.ts';
import { appendRoomEvent } from './room-log.ts';
import { addressHash } from './viewer-token.ts';
import { wordFilterFor } from './word-filter.ts';

/** A viewer token lasts this long; the page joins again after (same account: same viewer). */
export const VIEWER_TOKEN_SECONDS = 12 * 3600;
/** Guests one address may add to a room per minute (each join is a new guest id). */
const JOINS_PER_MINUTE = 10;

export interface Viewer {
  viewer_id: string;
  name: string;
  kind: 'user' | 'guest';
  viewer_token: string;
  expires_at: string;
}

/**
 * The chat: joining (a viewer token for a signed-in account or a guest nickname), sending (the
 * room's pause, length and word filter, then the viewer's rate limit, slow mode and bans in one
 * conditional update), the host's messages, deletion and the history the host page reads.
 * A message and its `message` room event commit together.
 */
export class ChatService {
  readonly #deps: RoomDeps;

  constructor(deps: RoomDeps) {
    this.#deps = deps;
  }

  async join(streamId: string, principal: Principal, address: string, nickname: unknown): Promise<Viewer> {
    const { db } = this.#deps;
    const state = await this.#state(streamId);
    const settings = settingsOf(state.room?.settings);
    const hash = addressHash(this.#deps.addressKey, address);
    const now = Date.now();
    let viewer: { id: string; name: string; kind: 'user' | 'guest' };
    if (principal.kind === 'user') {
      const ban = await repo.activeBan(
        db,
        streamId,
        { userId: principal.id, addressHash: hash, kind: 'user' },
        now,
      );
      if (ban) throw banned(ban.until);
      const name = accountChatName(await repo.userName(this.#deps.db, principal.id), principal.email);
      const existing = await repo.viewerOfUser(db, streamId, principal.id);
      if (existing) {
        // The account's current name, should it have changed, and the address of this join (an
        // account ban covers it for guests).
        if (existing.name !== name || existing.address_hash !== hash)
          await repo.renameViewer(db, existing.id, name, hash);
        viewer = { id: existing.id, name, kind: 'user' };
      } else {
        viewer = { id: newId(), name, kind: 'user' };
        await repo.insertViewer(db, newViewerRow(viewer, streamId, principal.id, hash, now));
      }
    } else {
      if (!settings.guests_allowed) throw new AppError('FH_ERR_CHAT_SIGN_IN_REQUIRED');
      const name = cleanNickname(nickname);
      const ban = await repo.activeBan(db, streamId, { userId: null, addressHash: hash, kind: 'guest' }, now);
      if (ban) throw banned(ban.until);
      const recent = await repo.guestsJoinedSince(db, streamId, hash, new Date(now - 60_000).toISOString());
      if (recent >= JOINS_PER_MINUTE)
        throw new AppError(
          'FH_ERR_CHAT_RATE_LIMITED',
          'Too many new guests from this address: wait a minute.',
          {
            retry_after: 60,
          },
        );
      viewer = { id: newId(), name, kind: 'guest' };
      await repo.insertViewer(db, newViewerRow(viewer, streamId, null, hash, now));
    }
    const expiresAt = Math.floor(now / 1000) + VIEWER_TOKEN_SECONDS;
    return {
      viewer_id: viewer.id,
      name: viewer.name,
      kind: viewer.kind,
      viewer_token: this.#deps.viewerTokens.sign(streamId, viewer.id, expiresAt),
      expires_at: new Date(expiresAt * 1000).toISOString(),
    };
  }

  /** A viewer's message. Throws the coded refusal (with `retryAfter` for 429s) otherwise. */
  async send(streamId: string, viewerToken: string | undefined, rawText: unknown): Promise<ChatMessage> {
    const claims = this.#deps.viewerTokens.verify(viewerToken, streamId);
    if (!claims) throw new AppError('FH_ERR_CHAT_VIEWER_REQUIRED');
    const state = await this.#state(streamId);
    const settings = settingsOf(state.room?.settings);
    const text = this.#filter(state, cleanMessage(rawText, settings.max_length));
    if (settings.paused) throw new AppError('FH_ERR_CHAT_PAUSED');
    const { db } = this.#deps;
    const now = Date.now();
    const message = await db.transaction().execute(async (trx) => {
      const ok = await takeMessageSlot(trx, {
        streamId,
        viewerId: claims.viewerId,
        now,
        slowModeSeconds: settings.slow_mode_seconds,
        guestsAllowed: settings.guests_allowed,
      });
      if (!ok) return null;
      const viewer = await repo.viewer(trx, streamId, claims.viewerId);
      const row = messageRow(
        state,
        { viewerId: claims.viewerId, name: viewer?.name ?? '', role: 'viewer', text },
        now,
      );
      await repo.insertMessage(trx, row);
      const presented = presentMessage(row);
      await appendRoomEvent(trx, streamId, 'message', presented);
      return presented;
    });
    if (message) return message;
    throw await this.#refusal(streamId, claims.viewerId, now, settings);
  }

  /** A message from the host page (`role: host`): no limits but the length cap. */
  async hostSend(
    streamId: string,
    principal: Principal,
    rawText: unknown,
    who: AuditWho,
  ): Promise<ChatMessage> {
    const state = await this.#state(streamId);
    const text = this.#filter(state, cleanMessage(rawText, MESSAGE_MAX_LIMIT));
    const name = await this.#hostName(principal);
    const row = messageRow(state, { viewerId: null, name, role: 'host', text }, Date.now());
    await this.#deps.db.transaction().execute(async (trx) => {
      await repo.insertMessage(trx, row);
      await appendRoomEvent(trx, streamId, 'message', presentMessage(row));
      await recordAudit(trx, who, {
        action: 'live_room.host_message',
        target: { type: 'live_stream', id: streamId },
        details: { message_id: row.id },
      });
    });
    return presentMessage(row);
  }

  async delete(streamId: string, messageId: string, who: AuditWho): Promise<void> {
    await this.#deps.db.transaction().execute(async (trx) => {
      const message = await repo.message(trx, streamId, messageId);
      if (!message) throw new AppError('FH_ERR_CHAT_MESSAGE_NOT_FOUND');
      if (!(await repo.markDeleted(trx, streamId, messageId))) return; // deleted already
      await appendRoomEvent(trx, streamId, 'message_deleted', { id: messageId });
      await recordAudit(trx, who, {
        action: 'live_room.message_deleted',
        target: { type: 'live_stream', id: streamId },
        details: { message_id: messageId, viewer_id: message.viewer_id },
      });
    });
  }

  /** The host page's history: newest first, deleted ones included and marked. */
  async history(streamId: string, limit: number, before?: string) {
    const rows = await repo.history(
      this.#deps.db,
      streamId,
      limit + 1,
      before ? decodePageCursor(before) : undefined,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      data: page.map((r) => ({
        ...presentMessage(r as MessageRow),
        deleted: r.deleted_at !== null,
        viewer_kind: (r.viewer_kind ?? null) as 'user' | 'guest' | null,
      })),
      next_cursor: rows.length > limit && last ? encodePageCursor(last.created_at, last.id) : null,
    };
  }

  /** The last `limit` messages, oldest first (the snapshot). */
  async recent(streamId: string, limit: number): Promise<ChatMessage[]> {
    return (await repo.recentMessages(this.#deps.db, streamId, limit)).reverse().map(presentMessage);
  }

  async #state(streamId: string): Promise<RoomState> {
    const state = await repo.state(this.#deps.db, streamId);
    if (!state) throw new AppError('FH_ERR_LIVE_STREAM_NOT_FOUND');
    return state;
  }

  #filter(state: RoomState, text: string): string {
    return wordFilterFor(this.#deps.operatorWords, wordListOf(state.room?.word_filter)).mask(text);
  }

  async #hostName(principal: Principal): Promise<string> {
    if (principal.kind === 'user')
      return accountChatName(await repo.userName(this.#deps.db, principal.id), principal.email);
    if (principal.kind === 'api_key') return principal.name.slice(0, 32) || 'host';
    return 'host';
  }

  async #refusal(
    streamId: string,
    viewerId: string,
    now: number,
    settings: { slow_mode_seconds: number; guests_allowed: boolean },
  ): Promise<AppError> {
    const slowModeSeconds = settings.slow_mode_seconds;
    const { db } = this.#deps;
    const viewer = await repo.viewer(db, streamId, viewerId);
    if (!viewer) return new AppError('FH_ERR_CHAT_VIEWER_REQUIRED');
    // A ban says more than a limit: checked first.
    const ban = await repo.activeBan(
      db,
      streamId,
      { viewerId, userId: viewer.user_id, addressHash: viewer.address_hash, kind: viewer.kind },
      now,
    );
    if (ban) return banned(ban.until);
    // Guests were turned off after this guest joined: the token no longer sends.
    if (viewer.kind === 'guest' && !settings.guests_allowed)
      return new AppError('FH_ERR_CHAT_SIGN_IN_REQUIRED');
    const why = diagnose(viewer, now, slowModeSeconds);
    if (why.kind === 'slow_mode')
      return new AppError('FH_ERR_CHAT_SLOW_MODE', undefined, {
        retry_after: why.retryAfter,
        slow_mode_seconds: slowModeSeconds,
      });
    if (why.kind === 'rate_limited')
      return new AppError('FH_ERR_CHAT_RATE_LIMITED', undefined, {
        retry_after: why.retryAfter,
        burst: BURST,
      });
    // Nothing refuses any more (a ban lifted, a time-out over meanwhile): try again.
    return new AppError('FH_ERR_CHAT_RATE_LIMITED', undefined, { retry_after: 1, burst: BURST });
  }
}

function banned(until: number | null): AppError {
  return new AppError('FH_ERR_CHAT_BANNED', undefined, {
    until: until === null ? null : new Date(Number(until)).toISOString(),
  });
}

function newViewerRow(
  viewer: { id: string; name: string; kind: 'user' | 'guest' },
  streamId: string,
  userId: string | null,
  hash: string,
  now: number,
) {
  return {
    id: viewer.id,
    live_stream_id: streamId,
    user_id: userId,
    name: viewer.name,
    kind: viewer.kind,
    address_hash: hash,
    last_message_at: null,
    bucket_tokens: BURST,
    bucket_at: now,
    created_at: new Date(now).toISOString(),
  };
}

function messageRow(
  state: RoomState,
  m: { viewerId: string | null; name: string; role: 'viewer' | 'host'; text: string },
  now: number,
): MessageRow {
  // Chat before the broadcast starts (or between broadcasts) is allowed: no broadcast, no offset.
  const onAir = state.status === 'active' || state.status === 'disconnected' ? state.broadcast_id : null;
  return {
    id: newId(),
    live_stream_id: state.stream_id,
    broadcast_id: onAir,
    viewer_id: m.viewerId,
    name: m.name,
    role: m.role,
    text: m.text,
    created_at: new Date(now).toISOString(),
    offset_seconds: onAir ? offsetSeconds(state.started_at, now) : null,
    deleted_at: null,
  };
}
