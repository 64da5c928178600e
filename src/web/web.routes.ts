import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../shared/errors.ts';
import { APP_PAGES } from './app-pages.ts';

/** Where `npm run build:web` puts the browser app (web/ → web/dist). */
export const WEB_DIST = join(import.meta.dirname, '..', '..', 'web', 'dist');

/**
 * The page's Content-Security-Policy. Players need `blob:` for media (MSE) and workers (hls.js),
 * and `data:` for media too: hls.js gives each subtitle track a `<track src="data:,WEBVTT">`;
 * `https:` for connections lets segments come from a bucket via presigned redirects. Embeds may
 * be framed by any site; the rest of the app by none.
 */
const csp = (framedBy: string) =>
  [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: data:",
    "worker-src 'self' blob:",
    "connect-src 'self' https:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    `frame-ancestors ${framedBy}`,
  ].join('; ');

/**
 * Serves the browser app built by Vite: hashed files under /app/ cached for a year, the pages
 * themselves never cached (a deploy is seen at the next navigation). Without a build, the
 * pages say how to make one and the API works as before.
 */
export async function registerWebRoutes(app: FastifyInstance, dist = WEB_DIST): Promise<void> {
  const indexPath = join(dist, 'index.html');
  const built = existsSync(indexPath);
  if (built) {
    await app.register(fastifyStatic, {
      root: join(dist, 'app'),
      prefix: '/app/',
      immutable: true,
      maxAge: '365d',
      index: false,
      wildcard: true,
    });
  }
  const index = built ? readFileSync(indexPath) : null;
  const sendPage = (reply: FastifyReply, embed: boolean) => {
    if (!index) throw new AppError('FH_ERR_WEB_NOT_BUILT');
    if (embed) reply.removeHeader('x-frame-options');
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', csp(embed ? '*' : "'self'"))
      .send(index);
  };
  for (const page of APP_PAGES) {
    app.get(page, { schema: { hide: true } }, (_request, reply) =>
      sendPage(reply, page.startsWith('/embed/')),
    );
  }
  if (!built) {
    app.get('/app/*', { schema: { hide: true } }, () => {
      throw new AppError('FH_ERR_WEB_NOT_BUILT');
    });
  }
}
