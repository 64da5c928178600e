import { LRUCache } from 'lru-cache';
import { type AuditWho, recordAudit } from '../../audit/audit.ts';
import type { AssetRow } from '../../db/schema.ts';
import { AppError } from '../../shared/errors.ts';
import type { ChatService } from './chat.ts';
import type { ProductsService } from './products.ts';
import { REACTION_KINDS } from './reactions.ts';
import {
  type ChatMessage,
  DEFAULT_SETTINGS,
  presentMessage,
  presentRoom,
  type Room,
  type RoomSettings,
  settingsOf,
  wordListOf,
} from './room.presenter.ts';
import { type RoomState, roomRepo as repo } from './room.repo.ts';
import type { AssetImages, RoomDeps } from './room-context.ts';
import { format } from './room-feed.ts';
import { appendRoomEvent } from './room-log.ts';

export const SNAPSHOT_MESSAGES = 100;
const REPLAY_LIMIT = 20_000;

export interface RoomPatch extends Partial<RoomSettings> {
  word_filter?: string[];
  scheduled_at?: string | null;
  poster_asset_id?: string | null;
}

const SETTING_KEYS = [
  'guests_allowed',
  'links_allowed',
  'slow_mode_seconds',
  'paused',
  'max_length',
] as const;

/** Rooms whose snapshot a process keeps (the busiest; a quiet room's is cheap to read again). */
const SNAPSHOT_ROOMS = 500;
/** A cached snapshot is read again after this long even if no room event came. */
const SNAPSHOT_MAX_AGE_MS = 5_000;

/**
 * The room itself: its state as viewers and hosts see it, the snapshot a new event stream
 * starts with, settings, the `status` event when a broadcast goes on or off air, the summary of
 * a broadcast and the chat replay of its recording.
 */
export class RoomService {
  readonly #deps: RoomDeps;
  readonly #chat: ChatService;
  readonly #products: ProductsService;
  readonly #images: AssetImages;
  /**
   * Per room: the last snapshot, good while the feed's epoch of the room is unchanged and for a
   * few seconds at most (a change that writes no room event, such as the stream's title, shows
   * after that). Only rooms this process has viewers of are kept (dropped when the last leaves),
   * and at most SNAPSHOT_ROOMS of them, the least recently used going first.
   */
  readonly #snapshots = new LRUCache<
    string,
    { epoch: number; value: Promise<{ chunk: string; ids: Set<string> }> }
  >({ max: SNAPSHOT_ROOMS, ttl: SNAPSHOT_MAX_AGE_MS, ttlAutopurge: false });

  constructor(deps: RoomDeps, parts: { chat: ChatService; products: ProductsService; images: AssetImages }) {
    this.#deps = deps;
    this.#chat = parts.chat;
    this.#products = parts.products;
    this.#images = parts.images;
    deps.feed.onRoomEmpty((streamId) => this.#snapshots.delete(streamId));
  }

  async room(streamId: string): Promise<Room> {
    const state = await this.#state(streamId);
    return this.#present(state);
  }

  async adminRoom(
    streamId: string,
  ): Promise<Room & { word_filter: string[]; poster_asset_id: string | null }> {
    const state = await this.#state(streamId);
    return {
      ...(await this.#present(state)),
      word_filter: wordListOf(state.room?.word_filter),
      poster_asset_id: state.room?.poster_asset_id ?? null,
    };
  }

  /**
   * The `snapshot` event (room and the last 100 messages) for a new stream of a room, formatted,
   * with the ids of its messages. Connections attached while the room's epoch is unchanged share
   * one read: a crowd arriving at once costs a few queries, not a few per viewer.
   */
  snapshot(streamId: string): Promise<{ chunk: string; ids: Set<string> }> {
    const epoch = this.#deps.feed.epoch(streamId) ?? -1;
    const cached = this.#snapshots.get(streamId);
    if (cached && cached.epoch === epoch) return cached.value;
    const value = (async () => {
      const [room, messages] = await Promise.all([
        this.room(streamId),
        this.#chat.recent(streamId, SNAPSHOT_MESSAGES),
      ]);
      return {
        chunk: format('snapshot', JSON.stringify({ room, messages })),
        ids: new Set(messages.map((m) => m.id)),
      };
    })();
    const entry = { epoch, value };
    this.#snapshots.set(streamId, entry);
    value.catch(() => {
      if (this.#snapshots.peek(streamId) === entry) this.#snapshots.delete(streamId);
    });
    return value;
  }

  async update(streamId: string, patch: RoomPatch, who: AuditWho) {
    if (patch.poster_asset_id) await this.#images.check(patch.poster_asset_id);
    const changed = Object.keys(patch);
    // Read before the transaction (SQLite has one connection: no other query while it is open).
    const scheduleChanged = patch.scheduled_at !== undefined || patch.poster_asset_id !== undefined;
    const posterUrl = scheduleChanged
      ? await this.#images.url(
          streamId,
          patch.poster_asset_id !== undefined
            ? patch.poster_asset_id
            : ((await repo.state(this.#deps.db, streamId))?.room?.poster_asset_id ?? null),
        )
      : null;
    await this.#deps.db.transaction().execute(async (trx) => {
      const room = await repo.ensureRoom(trx, streamId, JSON.stringify(DEFAULT_SETTINGS));
      const settings = settingsOf(room.settings);
      let settingsChanged = false;
      for (const key of SETTING_KEYS) {
        const value = patch[key];
        if (value !== undefined && settings[key] !== value) {
          (settings as unknown as Record<string, unknown>)[key] = value;
          settingsChanged = true;
        }
      }
      await repo.updateRoom(trx, streamId, {
        settings: JSON.stringify(settings),
        ...(patch.word_filter !== undefined
          ? { word_filter: JSON.stringify(cleanWords(patch.word_filter)) }
          : {}),
        ...(patch.scheduled_at !== undefined
          ? { scheduled_at: patch.scheduled_at === null ? null : new Date(patch.scheduled_at).toISOString() }
          : {}),
        ...(patch.poster_asset_id !== undefined ? { poster_asset_id: patch.poster_asset_id } : {}),
      });
      if (settingsChanged) await appendRoomEvent(trx, streamId, 'settings', settings);
      // The countdown and poster of pages already open follow (and every process's cached
      // snapshot is renewed: an event changes the room's epoch).
      if (scheduleChanged) {
        const room = await repo.ensureRoom(trx, streamId, JSON.stringify(DEFAULT_SETTINGS));
        await appendRoomEvent(trx, streamId, 'schedule', {
          scheduled_at: room.scheduled_at,
          poster_url: posterUrl,
        });
      }
      await recordAudit(trx, who, {
        action: 'live_room.settings_updated',
        target: { type: 'live_stream', id: streamId },
        details: { fields: changed },
      });
    });
    return this.adminRoom(streamId);
  }

  async summary(streamId: string, broadcastId?: string) {
    const { db } = this.#deps;
    const broadcast = await repo.broadcast(db, streamId, broadcastId);
    if (!broadcast) throw new AppError('FH_ERR_BROADCAST_NOT_FOUND');
    const [samples, messages, reactions, products] = await Promise.all([
      repo.sampleTotals(db, broadcast.id),
      repo.countBroadcastMessages(db, broadcast.id),
      repo.reactionTotals(db, streamId, broadcast.id),
      repo.broadcastClicks(db, streamId, broadcast.id),
    ]);
    const counts: Record<string, number> = Object.fromEntries(REACTION_KINDS.map((k) => [k, 0]));
    for (const r of reactions) counts[r.kind] = Number(r.count);
    return {
      broadcast_id: broadcast.id,
      started_at: broadcast.started_at,
      ended_at: broadcast.ended_at,
      viewers: {
        peak: samples.length ? Math.max(...samples) : 0,
        average: samples.length
          ? Math.round((samples.reduce((a, b) => a + b, 0) / samples.length) * 10) / 10
          : 0,
      },
      messages,
      reactions: counts,
      products: products.map((p) => ({ id: p.id, title: p.title, clicks: Number(p.clicks ?? 0) })),
    };
  }

  /**
   * The messages of the broadcast whose recording is this asset, oldest first, not deleted ones.
   * Any other asset has no chat: an empty list (the asset page asks for every asset).
   */
  async replay(assetId: string): Promise<ChatMessage[]> {
    const broadcast = await repo.broadcastOfRecording(this.#deps.db, assetId);
    if (!broadcast) return [];
    return (await repo.broadcastMessages(this.#deps.db, broadcast.id, REPLAY_LIMIT)).map(presentMessage);
  }

  /** The poster's asset, to draw (404 when the room has none). */
  async posterAsset(streamId: string): Promise<AssetRow> {
    return this.#images.drawable((await repo.state(this.#deps.db, streamId))?.room?.poster_asset_id);
  }

  async #state(streamId: string): Promise<RoomState> {
    const state = await repo.state(this.#deps.db, streamId);
    if (!state) throw new AppError('FH_ERR_LIVE_STREAM_NOT_FOUND');
    return state;
  }

  async #present(state: RoomState): Promise<Room> {
    const [pinned, posterUrl, viewers] = await Promise.all([
      this.#products.pinned(state.stream_id, state.room?.pinned_product_id),
      this.#images.url(state.stream_id, state.room?.poster_asset_id ?? null),
      this.#deps.presence.viewers(state.stream_id),
    ]);
    return presentRoom(state, { posterUrl, pinned, viewers });
  }
}

function cleanWords(words: string[]): string[] {
  return [...new Set(words.map((w) => w.normalize('NFC').trim()).filter(Boolean))];
}
