import type { FastifyReply } from 'fastify';
import { answerError, type LiveAnswer } from './live-origin.ts';

const HLS_TYPE = 'application/vnd.apple.mpegurl';

/**
 * Cache lifetimes a CDN (or `framehouse edge`) can follow. A playlist changes with every part;
 * a blocking request names the version it waits for, so its answer stays right for a while
 * longer (and many viewers ask for exactly that URL). Parts, segments and init segments live
 * under the broadcast's own folder, so their URLs never name other bytes: they are immutable.
 */
const CACHING = {
  playlist: 'public, max-age=1',
  blockingPlaylist: 'public, max-age=6',
  media: 'public, max-age=86400, immutable',
};

export interface LiveReplyOptions {
  /** The playback token of a signed playback id: nothing shared may be cached, URIs carry it. */
  token: string | undefined;
  /** A blocking reload (`_HLS_msn`): its answer is one playlist version. */
  blocking: boolean;
  tokenize(playlist: string, token: string): string;
}

/** Sends what the live origin answered, with its content type and caching. */
export function replyLive(reply: FastifyReply, answer: LiveAnswer, o: LiveReplyOptions): FastifyReply {
  if (answer.type === 'error') throw answerError(answer);
  if (answer.type === 'playlist') {
    const caching = o.blocking ? CACHING.blockingPlaylist : CACHING.playlist;
    return reply
      .header('content-type', HLS_TYPE)
      .header('cache-control', o.token ? caching.replace('public', 'private') : caching)
      .send(o.token && !answer.tokenized ? o.tokenize(answer.body, o.token) : answer.body);
  }
  // Signed media: `private` for browsers, the same lifetime for a CDN that checks tokens itself
  // (RFC 9213 CDN-Cache-Control; see CDN_SIGNED in delivery/playback.routes.ts).
  if (o.token) reply.header('cdn-cache-control', CACHING.media);
  return reply
    .header('content-type', 'video/mp4')
    .header('cache-control', o.token ? 'private, max-age=86400' : CACHING.media)
    .send(answer.body);
}
