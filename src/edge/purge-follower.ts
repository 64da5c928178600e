import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OriginPool } from './origin-pool.ts';

const RETRY_MS = 2_000;
/**
 * Events that make cached playback wrong: gone, its policy changed, a subtitle track listed in
 * (or gone from) the master playlist, a download made from another rung, back from the trash
 * (whatever was kept of it while it answered 404 must go) (docs/cdn.md).
 */
const TYPES = [
  'asset.deleted',
  'asset.restored',
  'asset.updated',
  'asset.track.ready',
  'asset.track.deleted',
  'asset.download.ready',
  'live_stream.deleted',
  'live_stream.updated',
  'live_stream.disabled',
];

const ALWAYS = new Set([
  'asset.deleted',
  'asset.restored',
  'asset.track.ready',
  'asset.track.deleted',
  'asset.download.ready',
  'live_stream.deleted',
  'live_stream.disabled',
]);

export interface PurgeEvent {
  type: string;
  data: { changes?: string[]; playback_ids?: string[] };
}

/** Whether an event makes the edge forget its playback ids' objects. */
export function purges(e: PurgeEvent): string[] {
  const ids = e.data.playback_ids ?? [];
  if (ALWAYS.has(e.type)) return ids;
  if (
    (e.type === 'asset.updated' || e.type === 'live_stream.updated') &&
    e.data.changes?.includes('playback_policy')
  )
    return ids;
  return [];
}

/**
 * Follows the origin's event stream (`GET /v1/events/stream`, Server-Sent Events) with the
 * edge's API key and purges what an event makes wrong. The cursor of the last event read is
 * kept in the cache folder, so a restarted edge resumes where it stopped (Last-Event-ID) and
 * purges what was deleted while it was down. Written by hand: an SSE reader is a line parser
 * of a dozen lines; undici's EventSource cannot send an Authorization header.
 */
export class PurgeFollower {
  readonly #pool: OriginPool;
  readonly #apiKey: string;
  readonly #cursorFile: string;
  readonly #purge: (playbackIds: string[], type: string) => void;
  readonly #log: (message: string) => void;
  #abort = new AbortController();
  #cursor: string | null = null;
  #connected = false;

  constructor(o: {
    pool: OriginPool;
    apiKey: string;
    cacheDir: string;
    purge: (playbackIds: string[], type: string) => void;
    log: (message: string) => void;
  }) {
    this.#pool = o.pool;
    this.#apiKey = o.apiKey;
    this.#cursorFile = join(o.cacheDir, 'events.cursor');
    this.#purge = o.purge;
    this.#log = o.log;
  }

  get connected(): boolean {
    return this.#connected;
  }

  async start(): Promise<void> {
    const saved = await readFile(this.#cursorFile, 'utf8').catch(() => '');
    if (/^\d{1,18}$/.test(saved.trim())) this.#cursor = saved.trim();
    void this.#run();
  }

  stop(): void {
    this.#abort.abort();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        await this.#follow(signal);
      } catch (e) {
        if (signal.aborted) return;
        this.#log(`event stream: ${(e as Error).message}; reconnecting`);
      }
      this.#connected = false;
      await new Promise((r) => setTimeout(r, RETRY_MS).unref());
    }
  }

  async #follow(signal: AbortSignal): Promise<void> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#apiKey}`,
      accept: 'text/event-stream',
    };
    if (this.#cursor) headers['last-event-id'] = this.#cursor;
    const { res, origin } = await this.#pool.request({
      path: `/v1/events/stream?type=${TYPES.join(',')}`,
      method: 'GET',
      headers,
      retryable: true,
      headersTimeout: 15_000,
      // The origin sends a keep-alive comment every 15 s: 45 s of silence is a dead stream.
      bodyTimeout: 45_000,
      signal,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`${origin.name} answered ${res.statusCode}`);
    }
    this.#connected = true;
    this.#log(`following the event stream of ${origin.name}${this.#cursor ? ` from ${this.#cursor}` : ''}`);
    let buffer = '';
    let id: string | null = null;
    let data = '';
    for await (const chunk of res.body) {
      buffer += (chunk as Buffer).toString('utf8');
      let nl = buffer.indexOf('\n');
      while (nl !== -1) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        if (line === '') {
          if (data) await this.#dispatch(id, data);
          id = null;
          data = '';
        } else if (line.startsWith('id:')) id = line.slice(3).trim();
        else if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(5).trimStart();
      }
    }
    throw new Error('the stream ended');
  }

  async #dispatch(id: string | null, data: string): Promise<void> {
    try {
      const event = JSON.parse(data) as PurgeEvent;
      const ids = purges(event);
      if (ids.length > 0) this.#purge(ids, event.type);
    } catch {
      // Not an event of ours: skipped.
    }
    if (id && /^\d{1,18}$/.test(id)) {
      this.#cursor = id;
      await writeCursor(this.#cursorFile, id).catch(() => {});
    }
  }
}

/**
 * The cursor written whole or not at all (a temporary file renamed over it): a crash or a full
 * disk in the middle of a plain write leaves an empty or cut file, and an edge restarted with it
 * would follow from the wrong event (or from now, missing the purges in between).
 */
export async function writeCursor(file: string, id: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, id);
  await rename(tmp, file);
}
