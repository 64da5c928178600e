import type { Transaction } from 'kysely';
import { type AuditWho, recordAudit } from '../../audit/audit.ts';
import { describePrincipal, hasScope, type Principal } from '../../auth/principal.ts';
import type { Db } from '../../db/database.ts';
import type {
  Database,
  LatencyMode,
  LiveBroadcastRow,
  LiveNodeRow,
  LivePlaybackIdRow,
  LiveSegmentRow,
  LiveStreamRow,
} from '../../db/schema.ts';
import { type EventType, recordEvent } from '../../events/outbox.ts';
import { AppError, ERROR_CODES, type ErrorCode } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import { decodePageCursor, encodePageCursor } from '../../shared/page-cursor.ts';
import { isoNow } from '../../shared/time.ts';
import { liveStreamsRepo as repo, uniqueViolation } from './live-streams.repo.ts';
import {
  firstFreePort,
  hashStreamKey,
  isPlausibleStreamKey,
  newSrtPassphrase,
  newStreamKey,
  type PortRange,
} from './stream-keys.ts';

export type PlaybackPolicy = 'public' | 'signed';

/** What the live node reports while a stream is active (shown as the stream's `current`). */
export interface LiveCurrent {
  started_at: string;
  renditions: { name: string; width: number | null; height: number | null; bandwidth: number }[];
  /** Input bits per second over the last seconds. */
  ingest_bitrate: number | null;
  fps: number | null;
  /** Stream health for the host (see live/node/stream-health.ts); absent from older live nodes. */
  keyframe_interval?: number | null;
  transcode_speed?: number | null;
  dropped_frames?: number;
  latency?: number | null;
  server_latency?: number | null;
  audio?: boolean;
  /** `params`: the values in `message`, for a reader in another language (absent from older live nodes). */
  warnings?: { code: string; message: string; params?: Record<string, unknown> }[];
  /** Anything more the live node says (a ladder shrunk to keep up, the encoder's name…). */
  [more: string]: unknown;
}

export interface LiveStreamInput {
  title?: string | null;
  playback_policy?: PlaybackPolicy;
  latency_mode?: LatencyMode;
  reconnect_window?: number;
  record?: boolean;
}

/** `latency_mode` only while no broadcast is in progress (the packager is built with it). */
export type LiveStreamPatch = LiveStreamInput;

/** A stream with what its API shape shows besides its row. */
export interface LiveStreamView {
  stream: LiveStreamRow;
  playbackIds: LivePlaybackIdRow[];
  /** Asset ids of its broadcasts' recordings, oldest first. */
  recordings: string[];
}

export type PublishAuthorization =
  | { ok: true; stream: LiveStreamRow }
  /** `streamId` when the key matched a stream (so its refusal can be recorded with recordRefusal). */
  | { ok: false; code: 'unknown' | 'disabled' | 'busy'; streamId?: string };

export interface NewSegment {
  broadcastId: string;
  rendition: string;
  msn: number;
  duration: number;
  programDateTime: string;
  discontinuity: boolean;
  initId: number;
  objectKey: string;
}

export interface LiveNodeInfo {
  id: string;
  host: string;
  internalUrl: string;
  rtmpPort: number;
  maxStreams: number;
}

export const DEFAULTS = {
  playbackPolicy: 'public' as PlaybackPolicy,
  latencyMode: 'low' as LatencyMode,
  reconnectWindow: 60,
  record: true,
};

const BROADCASTING = ['active', 'disconnected'] as const;
const NOT_BROADCASTING = ['idle', 'disabled'] as const;
const CREATE_ATTEMPTS = 5;
const MAX_ERROR_MESSAGE = 500;
const MAX_SEGMENTS_PER_READ = 100_000;

/**
 * Live streams: the API's operations (create, list, get, patch, delete, reset the key, complete,
 * disable, enable) and those the live node calls (authorize a publish, report state, broadcasts,
 * segments, its own presence). Every state change commits with its outbox event.
 */
export class LiveStreamsService {
  readonly #db: Db;
  readonly #srtPorts: PortRange | null;
  readonly #kick: ((streamId: string, nodeId: string | null) => void | Promise<void>) | undefined;
  readonly #onError: (err: unknown) => void;
  readonly #broadcastEnded: BroadcastEndedHook;
  readonly #statusChanged: StatusChangedHook;

  constructor(deps: {
    db: Db;
    /** FRAMEHOUSE_SRT_PORTS; null: SRT off (streams get no SRT port). */
    srtPorts: PortRange | null;
    /**
     * Drops the publisher of a stream whose broadcast was ended by the API (complete, disable),
     * after the change is committed. The live node provides it; `nodeId` says which node held the
     * stream (it may be another process). Without it the stream's state still changes and the
     * live node finds out from the database.
     */
    kick?: (streamId: string, nodeId: string | null) => void | Promise<void>;
    /** Where a failed kick is reported (the state change itself is committed by then). */
    onError?: (err: unknown) => void;
    /**
     * Runs in the transaction that ends a broadcast, whichever way it ends (window passed,
     * completed, disabled, replaced): the live feature enqueues the job that makes its
     * recording and clears its segments there, so no ended broadcast is left without one.
     */
    onBroadcastEnded?: BroadcastEndedHook;
    /**
     * Runs in the transaction of every change of a stream's broadcast state (on air, encoder
     * gone, ended, disabled): the live room tells its viewers there.
     */
    onStatusChanged?: StatusChangedHook;
  }) {
    this.#db = deps.db;
    this.#srtPorts = deps.srtPorts;
    this.#kick = deps.kick;
    this.#onError = deps.onError ?? (() => {});
    this.#broadcastEnded = deps.onBroadcastEnded ?? (async () => {});
    this.#statusChanged = deps.onStatusChanged ?? (async () => {});
  }

  // ---- The API's operations ----

  /**
   * One transaction: the stream (with a fresh key, passphrase and, when SRT is on, the lowest
   * free SRT port of the range), its playback id and `live_stream.created`. Two creations racing
   * for one port: the unique index refuses the second, which tries again with the next port.
   */
  async create(input: LiveStreamInput, who: AuditWho): Promise<LiveStreamView> {
    const id = newId();
    for (let attempt = 1; ; attempt++) {
      const key = newStreamKey();
      const now = isoNow();
      try {
        await this.#db.transaction().execute(async (trx) => {
          await repo.insert(trx, {
            id,
            title: input.title ?? null,
            status: 'idle',
            stream_key: key,
            stream_key_hash: hashStreamKey(key),
            srt_passphrase: newSrtPassphrase(),
            srt_port: await this.#freeSrtPort(trx),
            latency_mode: input.latency_mode ?? DEFAULTS.latencyMode,
            reconnect_window: input.reconnect_window ?? DEFAULTS.reconnectWindow,
            record: (input.record ?? DEFAULTS.record) ? 1 : 0,
            created_by: who.actor,
            created_at: now,
            updated_at: now,
            node_id: null,
            current: null,
            last_error_code: null,
            last_error_message: null,
            disconnected_at: null,
            broadcast_id: null,
          });
          await repo.insertPlaybackId(trx, {
            id: newId(),
            live_stream_id: id,
            policy: input.playback_policy ?? DEFAULTS.playbackPolicy,
            created_at: now,
          });
          await emit(trx, 'live_stream.created', id);
          await recordAudit(trx, who, { action: 'live_stream.created', target: { type: 'live_stream', id } });
        });
        return this.get(id);
      } catch (err) {
        if (attempt < CREATE_ATTEMPTS && uniqueViolation(err)) continue;
        throw err;
      }
    }
  }

  async get(id: string): Promise<LiveStreamView> {
    const stream = await repo.get(this.#db, id);
    if (!stream) throw new AppError('FH_ERR_LIVE_STREAM_NOT_FOUND');
    const [playbackIds, recordings] = await Promise.all([
      repo.playbackIds(this.#db, [id]),
      repo.recordings(this.#db, [id]),
    ]);
    return { stream, playbackIds, recordings: recordings.map((r) => r.asset_id) };
  }

  /** Newest first, `limit` per page; `next_cursor` null on the last page. */
  async list(
    limit: number,
    cursor?: string,
  ): Promise<{ data: LiveStreamView[]; next_cursor: string | null }> {
    const rows = await repo.list(this.#db, limit + 1, cursor ? decodePageCursor(cursor) : undefined);
    const page = rows.slice(0, limit);
    const ids = page.map((r) => r.id);
    const [playbackIds, recordings] = await Promise.all([
      repo.playbackIds(this.#db, ids),
      repo.recordings(this.#db, ids),
    ]);
    const last = page.at(-1);
    return {
      data: page.map((stream) => ({
        stream,
        playbackIds: playbackIds.filter((p) => p.live_stream_id === stream.id),
        recordings: recordings.filter((r) => r.live_stream_id === stream.id).map((r) => r.asset_id),
      })),
      next_cursor: rows.length > limit && last ? encodePageCursor(last.created_at, last.id) : null,
    };
  }

  /**
   * Editors manage the streams they made; admins, API keys (made by admins) and open mode manage
   * every stream. 404 when there is no such stream, 403 otherwise.
   */
  async assertCanManage(id: string, principal: Principal): Promise<void> {
    if (principal.kind !== 'user' || principal.role === 'admin') return;
    const stream = await repo.get(this.#db, id);
    if (!stream) throw new AppError('FH_ERR_LIVE_STREAM_NOT_FOUND');
    if (stream.created_by !== `user:${principal.id}`) throw new AppError('FH_ERR_NOT_OWNER');
  }

  async update(id: string, patch: LiveStreamPatch, who: AuditWho): Promise<LiveStreamView> {
    const { playback_policy: policy, record, ...rest } = patch;
    const fields = { ...rest, ...(record !== undefined ? { record: record ? 1 : 0 } : {}) };
    const changes = Object.keys(patch);
    await this.#db.transaction().execute(async (trx) => {
      const stream = await repo.get(trx, id);
      if (!stream) throw new AppError('FH_ERR_LIVE_STREAM_NOT_FOUND');
      // The broadcast in progress was packaged for its latency mode: it changes between broadcasts.
      const latencyChanges = patch.latency_mode !== undefined && patch.latency_mode !== stream.latency_mode;
      const changed = await repo.update(trx, id, fields, latencyChanges ? NOT_BROADCASTING : undefined);
      if (!changed)
        throw new AppError(
          'FH_ERR_LIVE_STREAM_BROADCASTING',
          'The latency mode changes between broadcasts: complete this one first (POST …/complete), or change it once the stream is idle.',
        );
      if (policy) await repo.setPlaybackPolicy(trx, id, policy);
      await emit(trx, 'live_stream.updated', id, { changes, playback_ids: await playbackIdsOf(trx, id) });
      await recordAudit(trx, who, {
        action: 'live_stream.updated',
        target: { type: 'live_stream', id },
        details: { changes },
      });
    });
    return this.get(id);
  }

  /**
   * Refused while a broadcast is in progress (active, or disconnected within its reconnect
   * window): ending a live show must be a deliberate `complete` or `disable`, never a side effect
   * of a delete. Recordings already made are assets and stay; the broadcasts' rows stay for the
   * recording still being made (deleteBroadcast removes them).
   */
  async delete(id: string, who: AuditWho): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const stream = await repo.get(trx, id);
      if (!stream) throw new AppError('FH_ERR_LIVE_STREAM_NOT_FOUND');
      if (isBroadcasting(stream)) throw new AppError('FH_ERR_LIVE_STREAM_BROADCASTING');
      // Decided in SQL too: a publish that became active since the read above wins over the delete.
      const locked = await repo.update(trx, id, {}, NOT_BROADCASTING);
      if (!locked) throw new AppError('FH_ERR_LIVE_STREAM_BROADCASTING');
      const playbackIds = await playbackIdsOf(trx, id);
      await repo.delete(trx, id);
      await emit(trx, 'live_stream.deleted', id, { playback_ids: playbackIds });
      await recordAudit(trx, who, { action: 'live_stream.deleted', target: { type: 'live_stream', id } });
    });
  }

  /**
   * A new key and SRT passphrase: the old key is refused by the next publish at once (it is
   * looked up by its hash, which is gone). A publisher already live goes on: end it with
   * `complete` or `disable` when the key leaked. A stream made while SRT was off gets its port here.
   */
  async resetStreamKey(id: string, who: AuditWho): Promise<LiveStreamView> {
    for (let attempt = 1; ; attempt++) {
      const key = newStreamKey();
      try {
        await this.#db.transaction().execute(async (trx) => {
          const stream = await repo.get(trx, id);
          if (!stream) throw new AppError('FH_ERR_LIVE_STREAM_NOT_FOUND');
          const srtPort = stream.srt_port ?? (await this.#freeSrtPort(trx));
          await repo.update(trx, id, {
            stream_key: key,
            stream_key_hash: hashStreamKey(key),
            srt_passphrase: newSrtPassphrase(),
            srt_port: srtPort,
          });
          await emit(trx, 'live_stream.updated', id, { changes: ['stream_key'] });
          await recordAudit(trx, who, {
            action: 'live_stream.stream_key_reset',
            target: { type: 'live_stream', id },
          });
        });
        return this.get(id);
      } catch (err) {
        if (attempt < CREATE_ATTEMPTS && uniqueViolation(err)) continue;
        throw err;
      }
    }
  }

  /**
   * Ends the broadcast in progress now: the stream turns `idle` (`live_stream.idle`, reason
   * `completed`), the broadcast `ended` (its recording goes on as for any end), and the
   * publisher is dropped. Nothing to end: the stream is answered as it is.
   */
  async complete(id: string, who: AuditWho): Promise<LiveStreamView> {
    const ended = await this.#db.transaction().execute(async (trx) => {
      const stream = await repo.get(trx, id);
      if (!stream) throw new AppError('FH_ERR_LIVE_STREAM_NOT_FOUND');
      if (!isBroadcasting(stream)) return null;
      const done = await endBroadcastOf(
        trx,
        stream,
        'idle',
        'completed',
        this.#broadcastEnded,
        this.#statusChanged,
      );
      if (done)
        await recordAudit(trx, who, { action: 'live_stream.completed', target: { type: 'live_stream', id } });
      return done ? stream : null;
    });
    if (ended) this.#kickPublisher(ended);
    return this.get(id);
  }

  /**
   * No publish is accepted until enabled again. A broadcast in progress ends (its broadcast id
   * in the `live_stream.disabled` event) and its publisher is dropped.
   */
  async disable(id: string, who: AuditWho): Promise<LiveStreamView> {
    const kicked = await this.#db.transaction().execute(async (trx) => {
      const stream = await repo.get(trx, id);
      if (!stream) throw new AppError('FH_ERR_LIVE_STREAM_NOT_FOUND');
      if (stream.status === 'disabled') return null;
      const broadcasting = isBroadcasting(stream);
      if (broadcasting)
        await endBroadcastOf(trx, stream, 'disabled', 'disabled', this.#broadcastEnded, this.#statusChanged);
      else if (!(await repo.update(trx, id, { status: 'disabled' }, ['idle'])))
        throw new AppError('FH_ERR_BUSY', 'The stream changed state meanwhile: try again.');
      if (!broadcasting) {
        await emit(trx, 'live_stream.disabled', id, {
          broadcast_id: null,
          playback_ids: await playbackIdsOf(trx, id),
        });
        await this.#statusChanged(trx, id, 'disabled', null);
      }
      await recordAudit(trx, who, { action: 'live_stream.disabled', target: { type: 'live_stream', id } });
      return broadcasting ? stream : null;
    });
    if (kicked) this.#kickPublisher(kicked);
    return this.get(id);
  }

  async enable(id: string, who: AuditWho): Promise<LiveStreamView> {
    await this.#db.transaction().execute(async (trx) => {
      const stream = await repo.get(trx, id);
      if (!stream) throw new AppError('FH_ERR_LIVE_STREAM_NOT_FOUND');
      if (!(await repo.update(trx, id, { status: 'idle' }, ['disabled']))) return;
      await emit(trx, 'live_stream.enabled', id);
      await this.#statusChanged(trx, id, 'idle', null);
      await recordAudit(trx, who, { action: 'live_stream.enabled', target: { type: 'live_stream', id } });
    });
    return this.get(id);
  }

  // ---- What the live node calls ----

  /**
   * Before a publish is accepted. The key is looked up by its sha256 (no comparison of the
   * secret that could leak by its timing). Idle and disconnected streams (an encoder coming back
   * within the reconnect window) may publish; `busy`: another encoder is live on it.
   * The final word on a race between two publishers is markActive's.
   */
  async authorizePublish(streamKey: string): Promise<PublishAuthorization> {
    if (!isPlausibleStreamKey(streamKey)) return { ok: false, code: 'unknown' };
    const stream = await repo.byKeyHash(this.#db, hashStreamKey(streamKey));
    if (!stream) return { ok: false, code: 'unknown' };
    if (stream.status === 'disabled') return { ok: false, code: 'disabled', streamId: stream.id };
    if (stream.status === 'active') return { ok: false, code: 'busy', streamId: stream.id };
    return { ok: true, stream };
  }

  /** A new broadcast of the stream (status `live`, sequence numbers from 0). Then markActive. */
  async startBroadcast(
    streamId: string,
    opts: { nodeId: string; renditions?: unknown[] },
  ): Promise<LiveBroadcastRow> {
    const stream = await repo.get(this.#db, streamId);
    if (!stream) throw new AppError('FH_ERR_LIVE_STREAM_NOT_FOUND');
    const row: LiveBroadcastRow = {
      id: newId(),
      live_stream_id: streamId,
      status: 'live',
      started_at: isoNow(),
      ended_at: null,
      node_id: opts.nodeId,
      next_msn: 0,
      discontinuity_sequence: 0,
      renditions: JSON.stringify(opts.renditions ?? []),
      asset_id: null,
      record: stream.record,
    };
    await repo.insertBroadcast(this.#db, row);
    return row;
  }

  /**
   * The broadcast a disconnected stream goes on with (an encoder back within the window, maybe
   * on another node): its row (next_msn, discontinuity_sequence) and where it is now held.
   * Null when the stream has no broadcast in progress. Then markActive.
   */
  async resumeBroadcast(streamId: string, opts: { nodeId: string }): Promise<LiveBroadcastRow | null> {
    const stream = await repo.get(this.#db, streamId);
    if (!stream?.broadcast_id || stream.status !== 'disconnected') return null;
    const moved = await repo.updateBroadcast(this.#db, stream.broadcast_id, { node_id: opts.nodeId }, [
      'live',
      'disconnected',
    ]);
    return moved ? ((await repo.getBroadcast(this.#db, stream.broadcast_id)) ?? null) : null;
  }

  /**
   * idle/disconnected → active with this node and broadcast; `live_stream.active`. False when the
   * stream is not in a state to go live (another publisher won the race, or it was disabled):
   * drop the publisher and end the broadcast you started.
   */
  async markActive(
    streamId: string,
    opts: { nodeId: string; broadcastId: string; current: LiveCurrent },
  ): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const before = await repo.get(trx, streamId);
      const went = await repo.update(
        trx,
        streamId,
        {
          status: 'active',
          node_id: opts.nodeId,
          broadcast_id: opts.broadcastId,
          current: JSON.stringify(opts.current),
          disconnected_at: null,
          last_error_code: null,
          last_error_message: null,
        },
        ['idle', 'disconnected'],
      );
      if (!went) return false;
      // A new broadcast on a disconnected stream: the one it replaces is over.
      if (
        before?.broadcast_id &&
        before.broadcast_id !== opts.broadcastId &&
        (await repo.updateBroadcast(trx, before.broadcast_id, { status: 'ended', ended_at: isoNow() }, [
          'live',
          'disconnected',
        ]))
      )
        await this.#broadcastEnded(trx, before.broadcast_id);
      await repo.updateBroadcast(trx, opts.broadcastId, { status: 'live', node_id: opts.nodeId });
      const broadcast = await repo.getBroadcast(trx, opts.broadcastId);
      await this.#statusChanged(trx, streamId, 'active', broadcast?.started_at ?? null);
      await emit(trx, 'live_stream.active', streamId, {
        broadcast_id: opts.broadcastId,
        node_id: opts.nodeId,
        resumed: before?.status === 'disconnected' && before.broadcast_id === opts.broadcastId,
      });
      return true;
    });
  }

  /** While active: what the live node measures now (renditions, bitrate, fps). No event. */
  updateCurrent(streamId: string, current: LiveCurrent): Promise<boolean> {
    return repo.update(this.#db, streamId, { current: JSON.stringify(current) }, ['active']);
  }

  /** active → disconnected (the encoder dropped; the reconnect window runs); `live_stream.disconnected`. */
  async markDisconnected(streamId: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const stream = await repo.get(trx, streamId);
      if (!stream) return false;
      const went = await repo.update(trx, streamId, { status: 'disconnected', disconnected_at: isoNow() }, [
        'active',
      ]);
      if (!went) return false;
      if (stream.broadcast_id)
        await repo.updateBroadcast(trx, stream.broadcast_id, { status: 'disconnected' }, ['live']);
      const broadcast = stream.broadcast_id ? await repo.getBroadcast(trx, stream.broadcast_id) : undefined;
      await this.#statusChanged(trx, streamId, 'disconnected', broadcast?.started_at ?? null);
      await emit(trx, 'live_stream.disconnected', streamId, {
        broadcast_id: stream.broadcast_id,
        reconnect_window: stream.reconnect_window,
      });
      return true;
    });
  }

  /**
   * The broadcast is over (reconnect window passed, or the encoder ended it): the stream turns
   * idle, the broadcast `ended`; `live_stream.idle`. Answers the ended broadcast (record it when
   * its `record` is 1), or null when there was none to end.
   */
  async markIdle(streamId: string, reason = 'ended'): Promise<LiveBroadcastRow | null> {
    return this.#db.transaction().execute(async (trx) => {
      const stream = await repo.get(trx, streamId);
      if (!stream || !isBroadcasting(stream)) return null;
      if (!(await endBroadcastOf(trx, stream, 'idle', reason, this.#broadcastEnded, this.#statusChanged)))
        return null;
      return stream.broadcast_id ? ((await repo.getBroadcast(trx, stream.broadcast_id)) ?? null) : null;
    });
  }

  /** Why the last publish was refused or ended, for the broadcaster (`last_error` in the API). */
  async recordRefusal(streamId: string, code: ErrorCode, message?: string): Promise<void> {
    await repo.update(this.#db, streamId, {
      last_error_code: code,
      last_error_message: (message ?? ERROR_CODES[code].message).slice(0, MAX_ERROR_MESSAGE),
    });
  }

  /**
   * The stream behind a playback id, with the id's policy, its broadcast in progress and the
   * live node holding it (for api nodes answering /play/{playback_id}/…).
   */
  async byPlaybackId(playbackId: string): Promise<
    | {
        stream: LiveStreamRow;
        policy: PlaybackPolicy;
        broadcast: LiveBroadcastRow | null;
        node: LiveNodeRow | null;
      }
    | undefined
  > {
    const found = await repo.streamByPlaybackId(this.#db, playbackId);
    if (!found) return undefined;
    const { policy, ...stream } = found;
    const [broadcast, node] = await Promise.all([
      stream.broadcast_id ? repo.getBroadcast(this.#db, stream.broadcast_id) : undefined,
      stream.node_id ? repo.getNode(this.#db, stream.node_id) : undefined,
    ]);
    return { stream, policy, broadcast: broadcast ?? null, node: node ?? null };
  }

  /**
   * How many streams receive a publish now (`active`; a `disconnected` one waits for its encoder),
   * per owner: what the live_streams quota counts (src/quotas).
   */
  async receivingByOwner(owner?: string): Promise<Map<string, number>> {
    const rows = await repo.receivingByOwner(this.#db, owner);
    return new Map(rows.map((r) => [r.owner, r.streams]));
  }

  /** The stored row (state, key hash, node), for the live node. */
  row(streamId: string): Promise<LiveStreamRow | undefined> {
    return repo.get(this.#db, streamId);
  }

  /** Disconnected streams whose reconnect window has passed by `now` (for whoever sweeps them to idle). */
  async disconnectedPastWindow(now = Date.now()): Promise<LiveStreamRow[]> {
    const rows = await repo.withStatus(this.#db, 'disconnected');
    return rows.filter(
      (s) => s.disconnected_at && Date.parse(s.disconnected_at) + s.reconnect_window * 1000 <= now,
    );
  }

  // ---- Broadcasts and their segments ----

  getBroadcast(broadcastId: string): Promise<LiveBroadcastRow | undefined> {
    return repo.getBroadcast(this.#db, broadcastId);
  }

  /** Ladder changes (a rung dropped to keep up) are kept with the broadcast, for the recording. */
  async setBroadcastRenditions(broadcastId: string, renditions: unknown[]): Promise<void> {
    await repo.updateBroadcast(this.#db, broadcastId, { renditions: JSON.stringify(renditions) });
  }

  /**
   * A segment written to the object store; the broadcast's next_msn (and, when given, its
   * discontinuity sequence) move past it. Idempotent.
   */
  async addSegment(segment: NewSegment, opts: { discontinuitySequence?: number } = {}): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await repo.insertSegment(trx, {
        broadcast_id: segment.broadcastId,
        rendition: segment.rendition,
        msn: segment.msn,
        duration: segment.duration,
        program_date_time: segment.programDateTime,
        discontinuity: segment.discontinuity ? 1 : 0,
        init_id: segment.initId,
        object_key: segment.objectKey,
      });
      await repo.advanceNextMsn(trx, segment.broadcastId, segment.msn + 1, opts.discontinuitySequence);
    });
  }

  /** Segments of a broadcast by rendition then msn (one rendition, from an msn, at most `limit`). */
  listSegments(
    broadcastId: string,
    opts: { rendition?: string; fromMsn?: number; limit?: number } = {},
  ): Promise<LiveSegmentRow[]> {
    const limit = Math.min(Math.max(1, opts.limit ?? MAX_SEGMENTS_PER_READ), MAX_SEGMENTS_PER_READ);
    return repo.listSegments(this.#db, broadcastId, { ...opts, limit });
  }

  /** Ends a broadcast that is not the stream's (one markActive refused). True when it was not ended yet. */
  endBroadcast(broadcastId: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const ended = await repo.updateBroadcast(trx, broadcastId, { status: 'ended', ended_at: isoNow() }, [
        'live',
        'disconnected',
      ]);
      if (ended) await this.#broadcastEnded(trx, broadcastId);
      return ended;
    });
  }

  /** In the transaction that creates the recording's asset: the broadcast names it from then on. */
  async linkRecording(trx: Transaction<Database>, broadcastId: string, assetId: string): Promise<void> {
    if (!(await repo.updateBroadcast(trx, broadcastId, { asset_id: assetId })))
      throw new AppError('FH_ERR_NOT_FOUND', 'No broadcast has this id.');
  }

  /** Streams a live node opens an SRT listener for: those with a port that may publish. */
  async srtStreams(): Promise<LiveStreamRow[]> {
    const rows = await repo.withSrtPort(this.#db);
    return rows.filter((s) => s.status !== 'disabled');
  }

  /** The recording's asset (it shows in the stream's `recordings` from now on). */
  async setBroadcastAsset(broadcastId: string, assetId: string): Promise<void> {
    if (!(await repo.updateBroadcast(this.#db, broadcastId, { asset_id: assetId })))
      throw new AppError('FH_ERR_NOT_FOUND', 'No broadcast has this id.');
  }

  /** The recording is a ready asset: `live_stream.recording.ready` (the event's asset_id is the recording). */
  async recordingReady(broadcastId: string): Promise<void> {
    const broadcast = await repo.getBroadcast(this.#db, broadcastId);
    if (!broadcast?.asset_id) throw new AppError('FH_ERR_NOT_FOUND', 'This broadcast has no recording.');
    await recordEvent(this.#db, 'live_stream.recording.ready', broadcast.asset_id, {
      live_stream_id: broadcast.live_stream_id,
      broadcast_id: broadcast.id,
      asset_id: broadcast.asset_id,
    });
  }

  /** A broadcast and its segment rows (once its recording is made, or it is not recorded). */
  deleteBroadcast(broadcastId: string): Promise<void> {
    return this.#db.transaction().execute((trx) => repo.deleteBroadcast(trx, broadcastId));
  }

  // ---- Live nodes ----

  /** A live node starting (again, with the same id: its row is replaced). */
  async registerNode(node: LiveNodeInfo): Promise<void> {
    const now = isoNow();
    await repo.upsertNode(this.#db, {
      id: node.id,
      host: node.host,
      internal_url: node.internalUrl,
      rtmp_port: node.rtmpPort,
      streams: 0,
      max_streams: node.maxStreams,
      started_at: now,
      last_seen_at: now,
    });
  }

  /** The node is alive and holds `streams` streams. False: its row is gone (register again). */
  heartbeat(nodeId: string, streams: number): Promise<boolean> {
    return repo.updateNode(this.#db, nodeId, { streams, last_seen_at: isoNow() });
  }

  /** Nodes seen within the last `seconds`. */
  liveNodes(seconds: number): Promise<LiveNodeRow[]> {
    return repo.nodesSeenSince(this.#db, new Date(Date.now() - seconds * 1000).toISOString());
  }

  /** Nodes not seen for `seconds` or more (dead, or cut off). */
  nodesNotSeenFor(seconds: number): Promise<LiveNodeRow[]> {
    return repo.nodesNotSeenSince(this.#db, new Date(Date.now() - seconds * 1000).toISOString());
  }

  /**
   * A node is gone: its active streams turn disconnected (their encoders may come back on another
   * node within the window). Answers the ids of the streams it held.
   */
  async nodeLost(nodeId: string): Promise<string[]> {
    const held = await repo.streamsOnNodes(this.#db, [nodeId]);
    for (const s of held) if (s.status === 'active') await this.markDisconnected(s.id);
    return held.map((s) => s.id);
  }

  removeNode(nodeId: string): Promise<void> {
    return repo.deleteNode(this.#db, nodeId);
  }

  // ---- inside ----

  async #freeSrtPort(trx: Transaction<Database>): Promise<number | null> {
    if (!this.#srtPorts) return null;
    const port = firstFreePort(this.#srtPorts, await repo.usedSrtPorts(trx, this.#srtPorts));
    if (port === null) {
      const { first, last } = this.#srtPorts;
      throw new AppError(
        'FH_ERR_LIVE_SRT_PORTS_EXHAUSTED',
        `Every SRT port of FRAMEHOUSE_SRT_PORTS (${first}-${last}, ${last - first + 1} ports) is taken by a live stream: widen the range, or delete streams no longer used.`,
      );
    }
    return port;
  }

  #kickPublisher(stream: LiveStreamRow): void {
    if (!this.#kick) return;
    Promise.resolve()
      .then(() => this.#kick?.(stream.id, stream.node_id))
      .catch(this.#onError);
  }
}

/**
 * Who may see a stream's key and SRT passphrase: its creator (the same account or API key) and
 * admins (open mode included). Anyone else with read access sees the stream without them.
 */
export function canSeeSecrets(stream: Pick<LiveStreamRow, 'created_by'>, principal: Principal): boolean {
  if (principal.kind === 'open' || hasScope(principal, 'admin')) return true;
  if (principal.kind !== 'user' && principal.kind !== 'api_key') return false;
  return stream.created_by !== null && describePrincipal(principal).actor === stream.created_by;
}

/** See the constructor's `onStatusChanged`; `startedAt`: of the broadcast, while there is one. */
export type StatusChangedHook = (
  trx: Transaction<Database>,
  streamId: string,
  status: LiveStreamRow['status'],
  startedAt: string | null,
) => Promise<void>;

/** See the constructor's `onBroadcastEnded`. */
export type BroadcastEndedHook = (trx: Transaction<Database>, broadcastId: string) => Promise<void>;

export function isBroadcasting(stream: Pick<LiveStreamRow, 'status'>): boolean {
  return (BROADCASTING as readonly string[]).includes(stream.status);
}

function emit(
  trx: Transaction<Database>,
  type: EventType,
  streamId: string,
  data: Record<string, unknown> = {},
): Promise<void> {
  // Live events tie to no asset (except recording.ready, whose asset is the recording).
  return recordEvent(trx, type, null, { live_stream_id: streamId, ...data });
}

/** The stream's playback ids, named in its events so that caches in front can purge them. */
async function playbackIdsOf(trx: Transaction<Database>, streamId: string): Promise<string[]> {
  return (await repo.playbackIds(trx, [streamId])).map((p) => p.id);
}

/**
 * The stream's broadcast ends now and the stream takes `status`: `idle` emits
 * `live_stream.idle`, `disabled` emits `live_stream.disabled`; both carry the broadcast id.
 * False when the stream was no longer broadcasting (a concurrent end won).
 */
async function endBroadcastOf(
  trx: Transaction<Database>,
  stream: LiveStreamRow,
  status: 'idle' | 'disabled',
  reason: string,
  broadcastEnded: BroadcastEndedHook,
  statusChanged: StatusChangedHook,
): Promise<boolean> {
  const went = await repo.update(
    trx,
    stream.id,
    { status, node_id: null, broadcast_id: null, current: null, disconnected_at: null },
    BROADCASTING,
  );
  if (!went) return false;
  if (
    stream.broadcast_id &&
    (await repo.updateBroadcast(trx, stream.broadcast_id, { status: 'ended', ended_at: isoNow() }, [
      'live',
      'disconnected',
    ]))
  )
    await broadcastEnded(trx, stream.broadcast_id);
  await statusChanged(trx, stream.id, status, null);
  await emit(trx, status === 'idle' ? 'live_stream.idle' : 'live_stream.disabled', stream.id, {
    broadcast_id: stream.broadcast_id,
    reason,
    ...(status === 'disabled' ? { playback_ids: await playbackIdsOf(trx, stream.id) } : {}),
  });
  return true;
}
