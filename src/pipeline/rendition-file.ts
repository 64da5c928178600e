import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mediaKeys } from '../storage/media-keys.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { parseMediaPlaylist } from './hls-playlists.ts';

/** The files our own rendition playlists name (anything else in one is refused, not fetched). */
const RENDITION_FILE = /^(init(_\d{1,3})?\.mp4|seg_\d{5,9}\.m4s)$/;

/**
 * Writes one published rendition as a single fragmented MP4 file: its init segment followed by
 * every media segment its playlist lists, in order. CMAF segments are fragments of one file, so
 * the concatenation is a file ffmpeg's mov demuxer reads as it is (no HLS demuxer, which would
 * follow URIs). The playlist must be complete (`#EXT-X-ENDLIST`).
 */
export async function writeRenditionFile(
  store: ObjectStore,
  assetId: string,
  rendition: string,
  path: string,
): Promise<{ segments: number; seconds: number }> {
  const key = (file: string) => mediaKeys.hls(assetId, `${rendition}/${file}`);
  const playlist = parseMediaPlaylist((await store.getBuffer(key('index.m3u8'))).toString('utf8'));
  if (!playlist.ended || !playlist.initUri || playlist.segments.length === 0) {
    throw new Error(`rendition ${rendition} of ${assetId} is not complete`);
  }
  const files = [playlist.initUri, ...playlist.segments.map((s) => s.uri)];
  const odd = files.find((f) => !RENDITION_FILE.test(f));
  if (odd) throw new Error(`rendition ${rendition} names an unexpected file: ${JSON.stringify(odd)}`);
  async function* bytes() {
    for (const file of files) yield* await store.get(key(file));
  }
  await pipeline(Readable.from(bytes()), createWriteStream(path));
  return {
    segments: playlist.segments.length,
    seconds: playlist.segments.reduce((sum, s) => sum + s.duration, 0),
  };
}

/**
 * Writes the init segment and the one media segment of a published rendition that holds
 * `seconds`: a small fragmented MP4 around that time (a thumbnail needs a frame, not the whole
 * rung). Returns where that segment starts in the rendition, so a reader seeks within the file.
 * Past the end, the last segment.
 */
export async function writeRenditionExcerpt(
  store: ObjectStore,
  assetId: string,
  rendition: string,
  seconds: number,
  path: string,
): Promise<{ start: number }> {
  const key = (file: string) => mediaKeys.hls(assetId, `${rendition}/${file}`);
  const playlist = parseMediaPlaylist((await store.getBuffer(key('index.m3u8'))).toString('utf8'));
  if (!playlist.initUri || playlist.segments.length === 0)
    throw new Error(`rendition ${rendition} of ${assetId} has no segments`);
  let start = 0;
  let index = 0;
  while (
    index < playlist.segments.length - 1 &&
    start + (playlist.segments[index]?.duration ?? 0) <= seconds
  ) {
    start += playlist.segments[index]?.duration ?? 0;
    index++;
  }
  const files = [playlist.initUri, playlist.segments[index]?.uri ?? ''];
  const odd = files.find((f) => !RENDITION_FILE.test(f));
  if (odd) throw new Error(`rendition ${rendition} names an unexpected file: ${JSON.stringify(odd)}`);
  async function* bytes() {
    for (const file of files) yield* await store.get(key(file));
  }
  await pipeline(Readable.from(bytes()), createWriteStream(path));
  return { start };
}
