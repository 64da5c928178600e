import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { playbackPaths } from '../assets/asset.presenter.ts';
import type { AssetsService } from '../assets/assets.service.ts';
import type { PlaybackTokens } from '../auth/playback-tokens.ts';
import { SEGMENT_NAME } from '../captions/hls-subtitles.ts';
import type { TracksService } from '../captions/tracks.service.ts';
import { attachmentDisposition } from '../downloads/content-disposition.ts';
import type { ImageRenditions } from '../images/image-renditions.ts';
import {
  INTERNAL_HEADER,
  type LiveOrigin,
  type LiveTarget,
  parseLiveFile,
} from '../live/origin/live-origin.ts';
import { replyLive } from '../live/origin/live-replies.ts';
import type { WhepOrigin } from '../live/whep/whep-origin.ts';
import { AppError } from '../shared/errors.ts';
import { bearerOf, SIGNED_MARKER } from '../shared/playback-headers.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { billedOwner } from '../usage/usage-records.ts';
import { AssetThumbnails } from './asset-thumbnail.ts';
import { type DeliveryUsage, vodSegmentSeconds } from './delivery-usage.ts';
import type { HotObjects } from './hot-objects.ts';
import { sendObject } from './serve-object.ts';
import { tokenizePlaylist, tokenizeStoryboard } from './signed-urls.ts';
import { SubtitleDelivery } from './subtitles.ts';
import type { Thumbnailer } from './thumbnails.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const LIVE_PLAYLIST = 'public, max-age=1';
const FINAL_PLAYLIST = 'public, max-age=300';
const IMAGE = 'public, max-age=86400';
// Signed playback: nothing shared caches may keep (each token is its own URL anyway).
const SIGNED_PLAYLIST = 'private, max-age=1';
const SIGNED_MEDIA = 'private, max-age=86400';
const HLS_TYPE = 'application/vnd.apple.mpegurl';
// The same URL serves a new file when mp4_support picks another rung: revalidate (ETag) soon.
const DOWNLOAD = 'public, max-age=300';
const SIGNED_DOWNLOAD = 'private, max-age=300';
/**
 * Signed media for CDNs (RFC 9213 CDN-Cache-Control, which addresses shared caches only, so
 * browsers still see `private`): a CDN that keys without the token and checks it itself (as
 * `framehouse edge` does) stores one copy for every viewer. Playlists get none: they carry the
 * viewer's token in every URI.
 */
const CDN_SIGNED = {
  media: IMMUTABLE,
  image: IMAGE,
  download: DOWNLOAD,
};
// (Live parts and segments get theirs in live-replies.ts, with the rest of live caching.)
const signedMedia = (token: string | undefined, cdn: string): Record<string, string> =>
  token ? { 'cdn-cache-control': cdn } : {};

/** Rendition files as ffmpeg names them: a playlist, an init segment, numbered media segments. */
const RENDITION_FILE = /^(index\.m3u8|init(_\d{1,3})?\.mp4|seg_\d{5,9}\.m4s)$/;
const RENDITION_NAME = /^[a-z0-9]{1,16}$/;
const PLAYBACK_ID = /^[a-z0-9]{8,64}$/;

/**
 * Players on any site may fetch playback resources (and read the headers ranges need); WebRTC
 * players on any site may POST their offer and DELETE their session (and read its Location).
 */
export const PLAYBACK_CORS = {
  origin: '*',
  methods: ['GET', 'HEAD', 'POST', 'DELETE'],
  exposedHeaders: ['content-length', 'content-range', 'etag', 'accept-ranges', 'location'],
  maxAge: 86400,
};

interface Deps {
  assets: AssetsService;
  store: ObjectStore;
  thumbnails: Thumbnailer;
  tokens: PlaybackTokens;
  /** Renderings of image assets (their thumbnails). */
  images: ImageRenditions;
  /** > 0: segments are answered with a redirect to a presigned store URL valid this long. */
  segmentRedirectSeconds: number;
  /** Subtitle and caption tracks, served as HLS subtitle renditions. */
  tracks: TracksService;
  /** Live streams' playback (their playback ids share `/play/` with assets'). */
  live?: LiveOrigin | undefined;
  /** WebRTC playback of live streams (WHEP). */
  whep?: WhepOrigin | undefined;
  /** The memory tier for hot objects (segments, playlists); none: every answer reads the store. */
  hot?: HotObjects | undefined;
  /** Told of every master playlist asked for (an asset's last view, for the storage lifecycle). */
  onMasterPlaylist?: ((assetId: string) => void) | undefined;
  /** Counts what each answer delivers (docs/usage.md); none: nothing is metered. */
  usage?: DeliveryUsage | undefined;
  /** FRAMEHOUSE_SEGMENT_SECONDS: a VOD media segment's media seconds (the last one: the rest). */
  segmentSeconds?: number;
}

/**
 * The playback origin: `/play/{playbackId}/…` serves HLS playlists and segments, thumbnails
 * and storyboards, with cache headers a CDN can follow (CORS for players on any site: see
 * PLAYBACK_CORS, applied by the app).
 */
export async function registerPlaybackRoutes(
  app: FastifyInstance,
  {
    assets,
    store,
    thumbnails,
    tokens,
    images,
    segmentRedirectSeconds,
    tracks,
    live,
    whep,
    hot,
    onMasterPlaylist,
    usage,
    segmentSeconds = 4,
  }: Deps,
): Promise<void> {
  // Segment URLs never change content; everything else is revalidated against the store.
  const immutable = hot ? { tier: hot, immutable: true } : undefined;
  const revalidated = hot ? { tier: hot, immutable: false } : undefined;
  const subtitles = new SubtitleDelivery({ assets, store, tracks });
  const pictures = new AssetThumbnails({ store, thumbnails, images, hot });
  await app.register(
    async (scope) => {
      // Playback is the same for every site (`Access-Control-Allow-Origin: *`): the CORS plugin's
      // `Vary: Origin` (it adds one whenever the policy is chosen per request) would make every
      // CDN keep one copy of each segment per embedding site.
      // Only Origin goes: what else Vary names stays (an error's `Accept-Language`: its message
      // is in the reader's language).
      scope.addHook('onSend', (_request, reply, payload, done) => {
        const vary = reply.getHeader('vary');
        if (vary !== undefined) {
          const kept = (Array.isArray(vary) ? vary.join(',') : String(vary))
            .split(',')
            .map((v) => v.trim())
            .filter((v) => v && v.toLowerCase() !== 'origin');
          if (kept.length) reply.header('vary', kept.join(', '));
          else reply.removeHeader('vary');
        }
        done(null, payload);
      });
      /**
       * The asset behind a playback id, and the token its URLs must carry when the id is signed
       * (verified here: a missing, altered, expired or foreign token is a 403 with its code).
       */
      const findAsset = async (request: FastifyRequest, reply: FastifyReply) => {
        const { playbackId = '' } = request.params as { playbackId?: string };
        if (!PLAYBACK_ID.test(playbackId)) throw new AppError('FH_ERR_PLAYBACK_NOT_FOUND');
        const asset = await assets.byPlaybackId(playbackId);
        if (!asset) throw new AppError('FH_ERR_PLAYBACK_NOT_FOUND');
        if (asset.policy !== 'signed') return { asset, token: undefined };
        // On the refusal too: a cache in front learns that this id is signed either way.
        reply.header(SIGNED_MARKER, 'signed');
        const token = (request.query as { token?: string }).token;
        await tokens.verify(token, playbackId);
        return { asset, token };
      };
      /** A playlist as stored, or with the token added to every URI it names. */
      const sendPlaylist = async (
        request: FastifyRequest,
        reply: FastifyReply,
        key: string,
        token: string | undefined,
        caching: string,
        tokenize = tokenizePlaylist,
      ) => {
        if (!token) return sendObject(request, reply, store, key, caching, {}, revalidated);
        const stored = await store.stat(key);
        if (!stored) throw new AppError('FH_ERR_NOT_FOUND', 'This file does not exist (yet).');
        const text = (await store.getBuffer(key)).toString('utf8');
        return reply
          .header('content-type', stored.contentType)
          .header('cache-control', SIGNED_PLAYLIST)
          .send(tokenize(text, token));
      };
      // Playlists change while renditions are still being written; afterwards they are final.
      const playlistCaching = async (assetId: string) => {
        const renditions = await assets.renditionRows(assetId);
        return renditions.length > 0 && renditions.every((r) => r.status === 'ready')
          ? FINAL_PLAYLIST
          : LIVE_PLAYLIST;
      };
      /** Text made for this request (a playlist with its subtitle renditions, a WebVTT segment). */
      const sendText = (
        request: FastifyRequest,
        reply: FastifyReply,
        text: string,
        contentType: string,
        caching: string,
      ) => {
        const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
        reply.header('content-type', contentType).header('etag', etag).header('cache-control', caching);
        if (request.headers['if-none-match']?.split(',').some((t) => t.trim() === etag)) {
          return reply.code(304).send();
        }
        return reply.send(text);
      };
      const schema = { hide: false, tags: ['playback'] };

      /** The live stream behind the request's playback id (token checked when signed), or null. */
      const findLive = async (
        request: FastifyRequest,
        reply: FastifyReply,
      ): Promise<{ target: LiveTarget; token: string | undefined; playbackId: string } | null> => {
        const { playbackId = '' } = request.params as { playbackId?: string };
        if (!live || !PLAYBACK_ID.test(playbackId)) return null;
        const target = await live.lookup(playbackId);
        if (!target) return null;
        if (target.policy !== 'signed') return { target, token: undefined, playbackId };
        reply.header(SIGNED_MARKER, 'signed');
        // `?token=`, or `Authorization: Bearer` (what WHEP clients send).
        const token = (request.query as { token?: string }).token ?? bearerOf(request.headers.authorization);
        await tokens.verify(token, playbackId);
        return { target, token, playbackId };
      };
      const liveQuery = (request: FastifyRequest) => {
        const q = request.query as Record<string, unknown>;
        const out: Record<string, string> = {};
        for (const name of ['_HLS_msn', '_HLS_part', '_HLS_skip'] as const) {
          const v = q[name];
          if (typeof v === 'string' || typeof v === 'number') out[name] = String(v);
        }
        return out;
      };
      const isHop = (request: FastifyRequest) => request.headers[INTERNAL_HEADER] !== undefined;
      /** Counts this answer for the asset (`seconds`: its media seconds when it is media). */
      const meterAsset = (
        request: FastifyRequest,
        reply: FastifyReply,
        asset: { id: string; created_by: string | null },
        seconds = 0,
      ) => usage?.meter(request, reply, billedOwner(asset.created_by), 'asset', asset.id, seconds);
      /** Counts this answer for the live stream, unless it is a hop from another node (that node counts it). */
      const meterLive = (request: FastifyRequest, reply: FastifyReply, target: LiveTarget, seconds = 0) =>
        usage?.meter(
          request,
          reply,
          billedOwner(target.owner),
          'live_stream',
          target.streamId,
          seconds,
          !isHop(request),
        );

      scope.get(
        '/:playbackId/master.m3u8',
        { schema: { ...schema, summary: 'HLS master playlist (of an asset, or of a live stream on air)' } },
        async (request, reply) => {
          const onAir = await findLive(request, reply);
          if (onAir && live) {
            const answer = await live.master(onAir.playbackId, onAir.target, isHop(request), onAir.token);
            meterLive(request, reply, onAir.target);
            return replyLive(reply, answer, {
              token: onAir.token,
              blocking: false,
              tokenize: tokenizePlaylist,
            });
          }
          const { asset, token } = await findAsset(request, reply);
          if (asset.status !== 'ready') throw new AppError('FH_ERR_NOT_READY');
          onMasterPlaylist?.(asset.id);
          meterAsset(request, reply, asset);
          const key = mediaKeys.hls(asset.id, 'master.m3u8');
          const caching = await playlistCaching(asset.id);
          const withTracks = await subtitles.master(asset.id, async () => {
            if (!(await store.stat(key)))
              throw new AppError('FH_ERR_NOT_FOUND', 'This file does not exist (yet).');
            return (await store.getBuffer(key)).toString('utf8');
          });
          if (withTracks === null) return sendPlaylist(request, reply, key, token, caching);
          return token
            ? sendText(request, reply, tokenizePlaylist(withTracks, token), HLS_TYPE, SIGNED_PLAYLIST)
            : sendText(request, reply, withTracks, HLS_TYPE, caching);
        },
      );

      scope.get(
        '/:playbackId/:rendition/:file',
        { schema: { ...schema, summary: 'Rendition playlist, init segment or media segment' } },
        async (request, reply) => {
          const { rendition, file } = request.params as Record<string, string>;
          if (!RENDITION_NAME.test(rendition ?? '') || !RENDITION_FILE.test(file ?? ''))
            throw new AppError('FH_ERR_NOT_FOUND');
          const { asset, token } = await findAsset(request, reply);
          const key = mediaKeys.hls(asset.id, `${rendition}/${file}`);
          if (file === 'index.m3u8') {
            meterAsset(request, reply, asset);
            return sendPlaylist(request, reply, key, token, await playlistCaching(asset.id));
          }
          // Segment bytes straight from the bucket when configured: the api answers with a
          // redirect, which caches (for half the URL's life) like the segment would.
          const presigned =
            segmentRedirectSeconds > 0 ? await store.presignedGetUrl(key, segmentRedirectSeconds) : null;
          if (presigned) {
            return reply
              .code(302)
              .header('location', presigned)
              .header(
                'cache-control',
                `${token ? 'private' : 'public'}, max-age=${Math.floor(segmentRedirectSeconds / 2)}`,
              )
              .send();
          }
          // seg_NNNNN.m4s: media seconds (init segments: none).
          const segment = file?.startsWith('seg_') ? Number(file.slice(4, -4)) : -1;
          meterAsset(
            request,
            reply,
            asset,
            segment >= 0 ? vodSegmentSeconds(segment, segmentSeconds, asset.duration) : 0,
          );
          return sendObject(
            request,
            reply,
            store,
            key,
            token ? SIGNED_MEDIA : IMMUTABLE,
            signedMedia(token, CDN_SIGNED.media),
            immutable,
          );
        },
      );

      scope.get(
        '/:playbackId/live/:broadcastId/:rendition/:file',
        {
          schema: {
            ...schema,
            summary:
              'A live broadcast: a rendition playlist (LL-HLS: _HLS_msn, _HLS_part, _HLS_skip), part, segment or init segment',
          },
        },
        async (request, reply) => {
          const { broadcastId = '', rendition = '', file = '' } = request.params as Record<string, string>;
          const parsed = parseLiveFile(file);
          if (!parsed || !PLAYBACK_ID.test(broadcastId) || !RENDITION_NAME.test(rendition))
            throw new AppError('FH_ERR_NOT_FOUND');
          const onAir = await findLive(request, reply);
          if (!onAir || !live) throw new AppError('FH_ERR_PLAYBACK_NOT_FOUND');
          // A viewer who leaves stops waiting: the packager forgets its blocked request.
          const abort = new AbortController();
          request.raw.once('close', () => abort.abort());
          const query = liveQuery(request);
          const answer = await live.file(
            onAir.playbackId,
            onAir.target,
            { broadcastId, rendition, file: parsed, query, hop: isHop(request), token: onAir.token },
            abort.signal,
          );
          meterLive(request, reply, onAir.target, answer.type === 'media' ? (answer.seconds ?? 0) : 0);
          return replyLive(reply, answer, {
            token: onAir.token,
            blocking: query._HLS_msn !== undefined,
            tokenize: tokenizePlaylist,
          });
        },
      );

      // WHEP (RFC 9725): an SDP offer in, the answer out; DELETE of the session's URL ends it.
      scope.addContentTypeParser(
        'application/sdp',
        { parseAs: 'string', bodyLimit: 64 * 1024 },
        (_request, body, done) => done(null, body),
      );
      scope.post(
        '/:playbackId/whep',
        {
          schema: {
            ...schema,
            summary:
              'WebRTC playback of a live stream (WHEP): an SDP offer (application/sdp) in, 201 with the SDP answer and the session URL (Location) out',
          },
        },
        async (request, reply) => {
          if (!/^application\/sdp\s*(;|$)/i.test(request.headers['content-type'] ?? ''))
            throw new AppError(
              'FH_ERR_UNSUPPORTED_CONTENT_TYPE',
              'A WHEP offer is sent as Content-Type: application/sdp.',
            );
          if (typeof request.body !== 'string' || request.body.length === 0)
            throw new AppError(
              'FH_ERR_WHEP_BAD_OFFER',
              'Send the SDP offer as the body (Content-Type: application/sdp).',
            );
          const onAir = await findLive(request, reply);
          if (!onAir || !whep) throw new AppError('FH_ERR_PLAYBACK_NOT_FOUND');
          const { sessionId, answer } = await whep.offer(onAir.playbackId, onAir.target, {
            offer: request.body,
            hop: isHop(request),
            token: onAir.token,
          });
          return reply
            .code(201)
            .header('content-type', 'application/sdp')
            .header('location', `/play/${onAir.playbackId}/whep/${sessionId}`)
            .header('cache-control', 'no-store')
            .send(answer);
        },
      );
      scope.delete(
        '/:playbackId/whep/:sessionId',
        { schema: { ...schema, summary: 'Ends a WebRTC playback session (WHEP)' } },
        async (request, reply) => {
          const { sessionId = '' } = request.params as { sessionId?: string };
          const onAir = await findLive(request, reply);
          if (!onAir || !whep) throw new AppError('FH_ERR_PLAYBACK_NOT_FOUND');
          await whep.stop(onAir.playbackId, onAir.target, {
            sessionId,
            hop: isHop(request),
            token: onAir.token,
          });
          return reply.code(204).send();
        },
      );

      scope.get(
        '/:playbackId/subs/:trackId/:file',
        { schema: { ...schema, summary: 'Subtitle track: its media playlist or a WebVTT segment' } },
        async (request, reply) => {
          const { trackId = '', file = '' } = request.params as Record<string, string>;
          const segment = SEGMENT_NAME.exec(file);
          if (!PLAYBACK_ID.test(trackId) || (file !== 'index.m3u8' && !segment))
            throw new AppError('FH_ERR_NOT_FOUND');
          const { asset, token } = await findAsset(request, reply);
          meterAsset(request, reply, asset);
          if (!segment) {
            const playlist = await subtitles.playlist(asset, trackId);
            return token
              ? sendText(request, reply, tokenizePlaylist(playlist, token), HLS_TYPE, SIGNED_PLAYLIST)
              : sendText(request, reply, playlist, HLS_TYPE, FINAL_PLAYLIST);
          }
          const vtt = await subtitles.segment(asset, trackId, Number(segment[1]));
          if (token) reply.header('cdn-cache-control', CDN_SIGNED.image);
          return sendText(request, reply, vtt, 'text/vtt; charset=utf-8', token ? SIGNED_MEDIA : IMAGE);
        },
      );

      scope.get(
        '/:playbackId/thumbnail.jpg',
        {
          schema: {
            ...schema,
            summary: 'A JPEG frame: the poster, or the frame at `time` seconds scaled to `width`',
            querystring: {
              type: 'object',
              properties: {
                time: { type: 'number', minimum: 0, maximum: 1e7 },
                width: { type: 'integer', minimum: 16, maximum: 3840 },
              },
            },
          },
        },
        async (request, reply) => {
          const { asset, token } = await findAsset(request, reply);
          meterAsset(request, reply, asset);
          const query = request.query as { time?: number; width?: number };
          return pictures.send(request, reply, asset, query, token !== undefined);
        },
      );

      for (const [file, key] of [
        ['storyboard.vtt', mediaKeys.storyboardVtt],
        ['storyboard.jpg', mediaKeys.storyboardImage],
      ] as const) {
        scope.get(
          `/:playbackId/${file}`,
          { schema: { ...schema, summary: `Storyboard (${file})` } },
          async (request, reply) => {
            const { asset, token } = await findAsset(request, reply);
            meterAsset(request, reply, asset);
            if (file === 'storyboard.vtt')
              return sendPlaylist(request, reply, key(asset.id), token, IMAGE, tokenizeStoryboard);
            return sendObject(
              request,
              reply,
              store,
              key(asset.id),
              token ? SIGNED_MEDIA : IMAGE,
              signedMedia(token, CDN_SIGNED.image),
              revalidated,
            );
          },
        );
      }

      // The MP4 download (an M4A for audio-only assets), under the same token rules as the stream.
      for (const ext of ['mp4', 'm4a'] as const) {
        scope.get(
          `/:playbackId/download.${ext}`,
          {
            schema: {
              ...schema,
              summary: `The asset's ${ext === 'mp4' ? 'MP4' : 'audio-only M4A'} download; \`filename\` makes it an attachment`,
              querystring: {
                type: 'object',
                properties: { filename: { type: 'string', maxLength: 1000 }, token: { type: 'string' } },
              },
            },
          },
          async (request, reply) => {
            const { asset, token } = await findAsset(request, reply);
            const download = await assets.readyDownload(asset, ext);
            // Its bytes' share of the asset's duration (a range, an aborted download).
            meterAsset(request, reply, asset, asset.duration ?? 0);
            const { filename } = request.query as { filename?: string };
            return sendObject(
              request,
              reply,
              store,
              download.object_key,
              token ? SIGNED_DOWNLOAD : DOWNLOAD,
              {
                ...signedMedia(token, CDN_SIGNED.download),
                ...(filename === undefined
                  ? {}
                  : { 'content-disposition': attachmentDisposition(filename, asset.title, ext) }),
              },
            );
          },
        );
      }

      // What a player page needs before it starts (the embed page has no session to ask the API).
      scope.get(
        '/:playbackId/info.json',
        {
          schema: {
            ...schema,
            summary:
              'Title, duration, size, 360° flag and URLs of a playback id (of a live stream: title, status, latency mode)',
          },
        },
        async (request, reply) => {
          const onAir = await findLive(request, reply);
          if (onAir) {
            const { target, token, playbackId } = onAir;
            reply.header('cache-control', token ? 'private, max-age=2' : 'public, max-age=2');
            return {
              data: {
                live: true,
                title: target.title,
                status: target.status,
                latency_mode: target.latencyMode,
                policy: target.policy,
                hls: `/play/${playbackId}/master.m3u8`,
              },
            };
          }
          const { asset, token } = await findAsset(request, reply);
          const paths = playbackPaths((request.params as { playbackId: string }).playbackId);
          reply.header('cache-control', token ? 'private, max-age=5' : 'public, max-age=5');
          return {
            data: {
              title: asset.title,
              status: asset.status,
              duration: asset.duration,
              width: asset.width,
              height: asset.height,
              is_360: asset.is_360 === 1,
              policy: asset.policy,
              ...paths,
            },
          };
        },
      );

      // A renewable token exchanged for a fresh one before it expires (see PlaybackTokens.renew).
      scope.post(
        '/:playbackId/token',
        {
          schema: {
            ...schema,
            summary: 'Exchange a renewable playback token for a fresh one',
            body: {
              type: 'object',
              required: ['token'],
              additionalProperties: false,
              properties: { token: { type: 'string', maxLength: 4000 } },
            },
          },
        },
        async (request, reply) => {
          const { playbackId } = request.params as { playbackId: string };
          if (!PLAYBACK_ID.test(playbackId)) throw new AppError('FH_ERR_PLAYBACK_NOT_FOUND');
          const { token, expiresAt } = await tokens.renew(
            (request.body as { token: string }).token,
            playbackId,
          );
          reply.header('cache-control', 'no-store');
          return { data: { token, expires_at: expiresAt.toISOString() } };
        },
      );
    },
    { prefix: '/play' },
  );
}
