import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { mediaKeys } from '../storage/media-keys.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { finalizePlaylist, parseMediaPlaylist } from './hls-playlists.ts';

export interface PublishedRendition {
  name: string;
  /** Seconds of media whose segments are in the store. */
  publishedSeconds: number;
  segments: { uri: string; duration: number; bytes: number }[];
  ended: boolean;
}

/**
 * Copies what ffmpeg has finished into the object store while it is still encoding, so an asset
 * is playable after its first segments. Order matters: a playlist is published only after
 * every file it names, so a player never sees a link to a missing segment.
 */
export class HlsPublisher {
  readonly #store: ObjectStore;
  readonly #assetId: string;
  readonly #workDir: string;
  readonly #transformInit: ((init: Buffer, rendition: string) => Buffer) | undefined;
  readonly #state = new Map<string, { published: Set<string>; playlist: string; info: PublishedRendition }>();

  constructor(opts: {
    store: ObjectStore;
    assetId: string;
    workDir: string;
    renditions: string[];
    /** Rewrites each init segment before it is published (360° metadata). */
    transformInit?: ((init: Buffer, rendition: string) => Buffer) | undefined;
  }) {
    this.#store = opts.store;
    this.#assetId = opts.assetId;
    this.#workDir = opts.workDir;
    this.#transformInit = opts.transformInit;
    for (const name of opts.renditions) {
      this.#state.set(name, {
        published: new Set(),
        playlist: '',
        info: { name, publishedSeconds: 0, segments: [], ended: false },
      });
    }
  }

  /**
   * Publishes whatever is new (of the renditions in `only`, when given). Safe to call at any
   * time, as often as wanted, but not while another call runs.
   */
  async sync(only?: ReadonlySet<string>): Promise<PublishedRendition[]> {
    for (const [name, st] of this.#state) {
      if (only && !only.has(name)) continue;
      let text: string;
      try {
        text = await readFile(join(this.#workDir, name, 'index.m3u8'), 'utf8');
      } catch {
        continue; // not written yet
      }
      if (text === st.playlist) continue;
      const playlist = parseMediaPlaylist(text);
      if (playlist.segments.length === 0) continue;
      if (playlist.initUri && !st.published.has(playlist.initUri)) {
        await this.#publishInit(name, playlist.initUri);
        st.published.add(playlist.initUri);
      }
      for (const seg of playlist.segments) {
        if (st.published.has(seg.uri)) continue;
        const path = join(this.#workDir, name, seg.uri);
        const { size } = await stat(path);
        await this.#store.putFile(this.#key(name, seg.uri), path, { link: true });
        st.published.add(seg.uri);
        st.info.segments.push({ uri: seg.uri, duration: seg.duration, bytes: size });
        st.info.publishedSeconds += seg.duration;
      }
      await this.#store.put(this.#key(name, 'index.m3u8'), finalizePlaylist(text));
      st.playlist = text;
      st.info.ended = playlist.ended;
    }
    return this.renditions();
  }

  renditions(): PublishedRendition[] {
    return [...this.#state.values()].map((s) => s.info);
  }

  /** Every key this publisher wrote: used to remove anything else (leftovers of an earlier attempt). */
  publishedKeys(): Set<string> {
    const keys = new Set<string>();
    for (const [name, st] of this.#state) {
      keys.add(this.#key(name, 'index.m3u8'));
      for (const uri of st.published) keys.add(this.#key(name, uri));
    }
    return keys;
  }

  async #publishInit(name: string, uri: string): Promise<void> {
    const path = join(this.#workDir, name, uri);
    if (this.#transformInit)
      await this.#store.put(this.#key(name, uri), this.#transformInit(await readFile(path), name));
    else await this.#store.putFile(this.#key(name, uri), path, { link: true });
  }

  #key(rendition: string, file: string): string {
    return mediaKeys.hls(this.#assetId, `${rendition}/${file}`);
  }
}
