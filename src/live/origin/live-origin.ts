import type { Readable } from 'node:stream';
import { AppError } from '../../shared/errors.ts';
import { MEDIA_SECONDS_HEADER } from '../../shared/playback-headers.ts';
import type { ObjectStore } from '../../storage/object-store.ts';
import type { LivePackager } from '../packager/live-packager.ts';
import { liveKeys } from '../recording/segment-recorder.ts';

/** Where a live playback id leads: its stream's broadcast, and the live node packaging it. */
export interface LiveTarget {
  streamId: string;
  /** The stream's `created_by`: whose usage its delivery is (docs/usage.md). */
  owner: string | null;
  title: string | null;
  latencyMode: 'low' | 'standard';
  policy: 'public' | 'signed';
  /** The broadcast on air (or the last one); null when the stream never went live. */
  broadcastId: string | null;
  status: 'idle' | 'active' | 'disconnected' | 'disabled';
  /** The live node holding the broadcast, and how other nodes reach its HTTP. */
  nodeId: string | null;
  internalUrl: string | null;
}

export interface LiveDirectory {
  byPlaybackId(playbackId: string): Promise<LiveTarget | null>;
}

/** The packagers of the broadcasts on this node. */
export interface LocalPackagers {
  readonly nodeId: string | null;
  packager(broadcastId: string): LivePackager | null;
}

export type LiveFile =
  | { kind: 'playlist' }
  | { kind: 'init'; id: number }
  | { kind: 'segment'; msn: number }
  | { kind: 'part'; msn: number; part: number };

const FILE = /^(?:(index\.m3u8)|init_(\d{1,6})\.mp4|seg_(\d{1,12})\.m4s|part_(\d{1,12})_(\d{1,4})\.m4s)$/;

/** The files under `/play/{id}/live/{broadcast}/{rendition}/`, or null for any other name. */
export function parseLiveFile(file: string): LiveFile | null {
  const m = FILE.exec(file);
  if (!m) return null;
  if (m[1]) return { kind: 'playlist' };
  if (m[2] !== undefined) return { kind: 'init', id: Number(m[2]) };
  if (m[3] !== undefined) return { kind: 'segment', msn: Number(m[3]) };
  return { kind: 'part', msn: Number(m[4]), part: Number(m[5]) };
}

/** What a live request is answered with. */
export type LiveAnswer =
  /** `tokenized`: the live node that answered already put the playback token on every URI. */
  | { status: 200; type: 'playlist'; body: string; tokenized?: boolean }
  /** `seconds`: the part's or segment's media seconds, when known (usage metering). */
  | { status: 200; type: 'media'; body: Buffer | Readable; seconds?: number }
  | { status: number; type: 'error'; message: string };

/** Sent on requests one node makes to another, so a lost stream is never proxied round in circles. */
export const INTERNAL_HEADER = 'x-framehouse-live-hop';
const PROXY_TIMEOUT_MS = 15_000;
/** A playback id's target is looked up at most this often per node (not per request). */
const LOOKUP_TTL_MS = 1_000;

/**
 * Answers live playback on any node. The node packaging a broadcast answers from its packager's
 * memory (blocking playlist reloads wait there); any other node forwards playlists and parts to
 * it, sharing one upstream request among every viewer asking for the same thing, and serves
 * segments that have left memory (the DVR window) from the object store itself. Lookups of a
 * playback id are cached for a second, so waiting viewers never poll the database.
 */
export class LiveOrigin {
  readonly #directory: LiveDirectory;
  readonly #local: LocalPackagers;
  readonly #store: ObjectStore;
  readonly #lookups = new Map<string, { at: number; target: Promise<LiveTarget | null> }>();
  readonly #inflight = new Map<string, Promise<ProxyAnswer>>();

  constructor(deps: { directory: LiveDirectory; local: LocalPackagers; store: ObjectStore }) {
    this.#directory = deps.directory;
    this.#local = deps.local;
    this.#store = deps.store;
  }

  /** The live stream behind a playback id, or null when the id is not a live stream's. */
  lookup(playbackId: string): Promise<LiveTarget | null> {
    const now = Date.now();
    const hit = this.#lookups.get(playbackId);
    if (hit && now - hit.at < LOOKUP_TTL_MS) return hit.target;
    const target = this.#directory.byPlaybackId(playbackId);
    this.#lookups.set(playbackId, { at: now, target });
    target.catch(() => this.#lookups.delete(playbackId));
    if (this.#lookups.size > 10_000) this.#lookups.delete(this.#lookups.keys().next().value as string);
    return target;
  }

  /** The multivariant playlist of the broadcast on air; its URIs name the broadcast. */
  async master(playbackId: string, target: LiveTarget, hop: boolean, token?: string): Promise<LiveAnswer> {
    if (!target.broadcastId || target.status === 'idle' || target.status === 'disabled')
      return notLive(target);
    const packager = this.#local.packager(target.broadcastId);
    if (packager) {
      return {
        status: 200,
        type: 'playlist',
        body: prefixMaster(packager.masterPlaylist(), target.broadcastId),
      };
    }
    if (hop || !this.#remote(target)) return betweenNodes(target);
    return this.#proxy(target, `/play/${playbackId}/master.m3u8`, 'playlist', token);
  }

  /** A rendition's playlist, part, segment or init segment of one broadcast. */
  async file(
    playbackId: string,
    target: LiveTarget,
    req: {
      broadcastId: string;
      rendition: string;
      file: LiveFile;
      query: Record<string, string>;
      hop: boolean;
      /** A signed playback's token: the live node checks it again. */
      token?: string | undefined;
    },
    signal: AbortSignal,
  ): Promise<LiveAnswer> {
    const { broadcastId, rendition, file } = req;
    const packager = this.#local.packager(broadcastId);
    if (packager) {
      const answer = await fromPackager(packager, rendition, file, req.query, signal);
      if (answer) return answer;
    }
    // Segments and init segments that left memory (or belong to an ended broadcast) are in the store.
    if (file.kind === 'segment' || file.kind === 'init') {
      const key =
        file.kind === 'segment'
          ? liveKeys.segment(broadcastId, rendition, file.msn)
          : liveKeys.init(broadcastId, rendition, file.id);
      if (await this.#store.stat(key)) {
        // The packager still lists the segment (its duration) after its bytes left memory.
        const seconds = file.kind === 'segment' ? packager?.mediaSeconds(rendition, file.msn) : undefined;
        return {
          status: 200,
          type: 'media',
          body: await this.#store.get(key),
          ...(seconds ? { seconds } : {}),
        };
      }
    }
    if (!packager && !req.hop && target.broadcastId === broadcastId && this.#remote(target)) {
      const search = new URLSearchParams(req.query).toString();
      const path = `/play/${playbackId}/live/${broadcastId}/${rendition}/${fileName(file)}${search ? `?${search}` : ''}`;
      return this.#proxy(target, path, file.kind === 'playlist' ? 'playlist' : 'media', req.token);
    }
    if (!packager && file.kind === 'playlist' && target.broadcastId === broadcastId)
      return betweenNodes(target);
    return { status: 404, type: 'error', message: 'This part of the live stream does not exist.' };
  }

  /** Another node holds the broadcast (this one has no packager for it). */
  #remote(target: LiveTarget): boolean {
    return holdingNodeUrl(target, this.#local.nodeId) !== null;
  }

  /** One upstream request per distinct path at a time, shared by every viewer asking for it. */
  async #proxy(
    target: LiveTarget,
    path: string,
    kind: 'playlist' | 'media',
    token?: string,
  ): Promise<LiveAnswer> {
    const url = withToken(`${target.internalUrl}${path}`, token);
    let pending = this.#inflight.get(url);
    if (!pending) {
      pending = fetchUpstream(url).finally(() => this.#inflight.delete(url));
      this.#inflight.set(url, pending);
    }
    const got = await pending;
    if (got.status !== 200) return { status: got.status, type: 'error', message: got.text };
    return kind === 'playlist'
      ? { status: 200, type: 'playlist', body: got.body.toString('utf8'), tokenized: token !== undefined }
      : { status: 200, type: 'media', body: got.body, ...(got.seconds ? { seconds: got.seconds } : {}) };
  }
}

/** The internal URL of the node holding the broadcast, when that is another node; else null. */
export function holdingNodeUrl(target: LiveTarget, localNodeId: string | null): string | null {
  return target.internalUrl !== null && target.nodeId !== localNodeId ? target.internalUrl : null;
}

/** A URL between nodes with the viewer's playback token, which the holding node checks again. */
export function withToken(url: string, token: string | undefined): string {
  return token ? `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : url;
}

interface ProxyAnswer {
  status: number;
  body: Buffer;
  text: string;
  /** The holding node's X-Framehouse-Media-Seconds, when it sent one. */
  seconds?: number;
}

async function fetchUpstream(url: string): Promise<ProxyAnswer> {
  try {
    const res = await fetch(url, {
      headers: { [INTERNAL_HEADER]: '1' },
      signal: AbortSignal.timeout(PROXY_TIMEOUT_MS),
    });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status === 200) {
      const seconds = Number(res.headers.get(MEDIA_SECONDS_HEADER));
      return { status: 200, body, text: '', ...(seconds > 0 ? { seconds } : {}) };
    }
    let message = 'The live node answered with an error.';
    try {
      message =
        (JSON.parse(body.toString('utf8')) as { error?: { message?: string } }).error?.message ?? message;
    } catch {}
    return { status: res.status, body, text: message };
  } catch {
    return {
      status: 502,
      body: Buffer.alloc(0),
      text: 'The live node holding this stream cannot be reached.',
    };
  }
}

async function fromPackager(
  packager: LivePackager,
  rendition: string,
  file: LiveFile,
  query: Record<string, string>,
  signal: AbortSignal,
): Promise<LiveAnswer | null> {
  switch (file.kind) {
    case 'playlist': {
      const answer = await packager.mediaPlaylist(
        rendition,
        {
          ...(query._HLS_msn !== undefined ? { msn: Number(query._HLS_msn) } : {}),
          ...(query._HLS_part !== undefined ? { part: Number(query._HLS_part) } : {}),
          ...(query._HLS_skip !== undefined ? { skip: query._HLS_skip } : {}),
        },
        signal,
      );
      return answer.status === 200
        ? { status: 200, type: 'playlist', body: answer.body }
        : { status: answer.status, type: 'error', message: answer.message };
    }
    case 'part': {
      const bytes = await packager.part(rendition, file.msn, file.part, signal);
      return bytes
        ? {
            status: 200,
            type: 'media',
            body: bytes,
            seconds: packager.mediaSeconds(rendition, file.msn, file.part),
          }
        : null;
    }
    case 'segment': {
      const bytes = packager.segment(rendition, file.msn);
      return bytes
        ? { status: 200, type: 'media', body: bytes, seconds: packager.mediaSeconds(rendition, file.msn) }
        : null;
    }
    case 'init': {
      const bytes = packager.init(rendition, file.id);
      return bytes ? { status: 200, type: 'media', body: bytes } : null;
    }
  }
}

function fileName(file: LiveFile): string {
  switch (file.kind) {
    case 'playlist':
      return 'index.m3u8';
    case 'init':
      return `init_${file.id}.mp4`;
    case 'segment':
      return `seg_${file.msn}.m4s`;
    case 'part':
      return `part_${file.msn}_${file.part}.m4s`;
  }
}

/** The packager names `{rendition}/index.m3u8`; players fetch them under the broadcast's folder. */
export function prefixMaster(master: string, broadcastId: string): string {
  return master
    .split('\n')
    .map((line) => (line && !line.startsWith('#') ? `live/${broadcastId}/${line}` : line))
    .join('\n');
}

/**
 * The broadcast is on (or its encoder is within the reconnect window) but no live node holds it
 * right now: its node died and another has not taken it over yet. A 5xx, which players retry
 * (hls.js gives up on a 4xx playlist), rather than "not on air".
 */
function betweenNodes(target: LiveTarget): LiveAnswer {
  if (target.status !== 'active' && target.status !== 'disconnected') return notLive(target);
  return {
    status: 502,
    type: 'error',
    message:
      'The live node holding this broadcast is not answering; another takes it over when the encoder reconnects.',
  };
}

function notLive(target: LiveTarget): LiveAnswer {
  const message =
    target.status === 'disabled'
      ? 'This live stream is disabled.'
      : 'This live stream is not on air right now.';
  return { status: 404, type: 'error', message };
}

/** AppError for a LiveAnswer that is an error, for routes that throw. */
export function answerError(answer: { status: number; message: string }): AppError {
  if (answer.status === 400) return new AppError('FH_ERR_VALIDATION', answer.message);
  if (answer.status === 503) return new AppError('FH_ERR_LIVE_WAIT_TIMEOUT', answer.message);
  if (answer.status === 502) return new AppError('FH_ERR_LIVE_NODE_UNREACHABLE', answer.message);
  // The holding node refused the token (expired meanwhile, say): the viewer needs a new one.
  if (answer.status === 403) return new AppError('FH_ERR_PLAYBACK_TOKEN_INVALID', answer.message);
  return new AppError('FH_ERR_LIVE_NOT_ON_AIR', answer.message);
}
