import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorFacts, errorMessage } from '../i18n/error-messages.ts';
import { DEFAULT_LOCALE, type Locale, localeFromAcceptLanguage } from '../i18n/locales.ts';
import { AppError, ERROR_CODES, type ErrorCode, isStorageFull } from '../shared/errors.ts';
import { dependencyOutage } from '../shared/outage.ts';

/** `{ error: { code, message, details? } }` for every failure; a user never sees a stack trace. */
export function errorBody(code: ErrorCode, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Endpoints only machines call (Prometheus, health probes, edge nodes' usage reports, the storage
 * hook, players' analytics beacons): their errors stay in English whatever Accept-Language says.
 */
const MACHINE_PATHS = [
  '/metrics',
  '/healthz',
  '/readyz',
  '/v1/usage/edge-reports',
  '/v1/hooks/',
  '/v1/qoe/cmcd',
  '/v1/qoe/beacon',
];

/**
 * What players and <img> tags fetch (playlists, segments, thumbnails, storyboards, info.json,
 * images): no person reads those bodies (the player says what went wrong in its own words), and
 * an answer with `Vary: Accept-Language` would be cached by an edge once per language. WebRTC
 * sessions and token renewals are not among them: the player page shows their refusals.
 */
const isMediaPath = (path: string) =>
  path.startsWith('/img/') || (path.startsWith('/play/') && !/\/(whep(\/.*)?|token)$/.test(path));

const isMachinePath = (path: string) =>
  isMediaPath(path) || MACHINE_PATHS.some((p) => path === p || (p.endsWith('/') && path.startsWith(p)));

/**
 * The language of a request's error messages: its Accept-Language ('ko-KR,ko;q=0.9' → Korean),
 * English by default and on machine endpoints (`negotiated` false: the header was not asked).
 * Codes and statuses are the same in every language. `path` without its query.
 */
export function localeForPath(
  path: string,
  acceptLanguage: string | string[] | null | undefined,
): { locale: Locale; negotiated: boolean } {
  if (isMachinePath(path)) return { locale: DEFAULT_LOCALE, negotiated: false };
  return { locale: localeFromAcceptLanguage(acceptLanguage ?? undefined), negotiated: true };
}

/** The language of a Fastify request's error messages (see localeForPath). */
export function requestLocale(request: Pick<FastifyRequest, 'headers' | 'url'>): Locale {
  return localeForPath(pathOf(request.url), request.headers['accept-language']).locale;
}

const pathOf = (url: string) => url.split('?')[0] ?? '';

/**
 * A message chosen by Accept-Language: caches must keep one copy per language
 * (`Vary: Accept-Language`, added to what Vary already names) and readers learn which one this is.
 */
function sayLanguage(reply: FastifyReply, locale: Locale): void {
  reply.header('content-language', locale);
  const vary = reply.getHeader('vary');
  const names = (Array.isArray(vary) ? vary.join(',') : vary === undefined ? '' : String(vary))
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (names.some((v) => v === '*' || v.toLowerCase() === 'accept-language')) return;
  reply.header('vary', [...names, 'Accept-Language'].join(', '));
}

/** A refusal's wait in seconds: its details' retry_after, else the Retry-After already set (the rate limiter's). */
function retryAfterOf(details: unknown, reply: FastifyReply): number | null {
  const fromDetails = (details as { retry_after?: unknown } | undefined)?.retry_after;
  if (typeof fromDetails === 'number' && fromDetails > 0) return fromDetails;
  const header = Number(reply.getHeader('retry-after'));
  return Number.isFinite(header) && header > 0 ? header : null;
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    const { locale, negotiated } = localeForPath(path, request.headers['accept-language']);
    if (negotiated) sayLanguage(reply, locale);
    reply
      .code(404)
      .send(
        errorBody(
          'FH_ERR_NOT_FOUND',
          errorMessage('FH_ERR_NOT_FOUND', locale, `No route for ${request.method} ${path}`),
        ),
      );
  });

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const { locale, negotiated } = localeForPath(pathOf(request.url), request.headers['accept-language']);
    if (negotiated) sayLanguage(reply, locale);
    // The message for this reader: Korean answers the code's Korean message (a specific English
    // text is logged below where it matters, not translated); English is as before.
    const say = (code: ErrorCode, english?: string, facts?: ErrorFacts) =>
      errorMessage(code, locale, english, facts);
    if (error instanceof AppError) {
      // A refusal that says when to come back (a limit, a full node, a reader not started yet)
      // carries it in the header too (RFC 9110 Retry-After), whichever route threw it.
      const retryAfter = (error.details as { retry_after?: unknown } | undefined)?.retry_after;
      if ((error.status === 429 || error.status === 503) && typeof retryAfter === 'number' && retryAfter > 0)
        reply.header('retry-after', String(Math.ceil(retryAfter)));
      if (error.status >= 500) {
        // Details of a server-side failure (ffmpeg's stderr, paths) go to the log, not the client.
        request.log.error({ err: error, details: error.details }, error.message);
        reply.code(error.status).send(errorBody(error.code, say(error.code, error.message)));
        return;
      }
      const facts = { details: error.details, retryAfter: retryAfterOf(error.details, reply) };
      const message = say(error.code, error.message, facts);
      // The specific English text a translated refusal leaves out (its code's plain message
      // answered instead), for whoever reads the log: one info line, no stack. A refusal whose
      // translation says its numbers (a quota's, a rate limit's wait) leaves nothing out.
      if (
        locale !== DEFAULT_LOCALE &&
        error.message !== ERROR_CODES[error.code].message &&
        message === say(error.code)
      )
        request.log.info({ code: error.code, english: error.message }, `refusal answered in ${locale}`);
      reply.code(error.status).send(errorBody(error.code, message, error.details));
      return;
    }
    if (
      error.code === 'FST_FILES_LIMIT' ||
      error.code === 'FST_PARTS_LIMIT' ||
      error.code === 'FST_FIELDS_LIMIT'
    ) {
      reply
        .code(400)
        .send(
          errorBody(
            'FH_ERR_VALIDATION',
            say('FH_ERR_VALIDATION', 'Too many parts: send one file in "file" and an optional "title".'),
          ),
        );
      return;
    }
    if (isMalformedMultipart(error)) {
      reply
        .code(400)
        .send(
          errorBody(
            'FH_ERR_VALIDATION',
            say('FH_ERR_VALIDATION', `The multipart body is malformed: ${error.message}.`),
          ),
        );
      return;
    }
    if (error.validation) {
      reply.code(400).send(
        errorBody(
          'FH_ERR_VALIDATION',
          say('FH_ERR_VALIDATION', error.message),
          error.validation.map((v) => ({ path: v.instancePath, message: v.message })),
        ),
      );
      return;
    }
    // Errors raised by Fastify and its plugins carry a 4xx status: map the common ones.
    const status = error.statusCode ?? 500;
    if (status === 413) {
      // Fastify's own body parsers (JSON, text) say FST_ERR_CTP_BODY_TOO_LARGE: a request body,
      // not a file; a file over the limit comes from the multipart parser.
      const code =
        error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'FH_ERR_BODY_TOO_LARGE' : 'FH_ERR_UPLOAD_TOO_LARGE';
      reply.code(413).send(errorBody(code, say(code)));
      return;
    }
    if (status === 415) {
      reply
        .code(415)
        .send(
          errorBody('FH_ERR_UNSUPPORTED_CONTENT_TYPE', say('FH_ERR_UNSUPPORTED_CONTENT_TYPE', error.message)),
        );
      return;
    }
    if (status >= 400 && status < 500) {
      reply.code(status).send(errorBody('FH_ERR_VALIDATION', say('FH_ERR_VALIDATION', error.message)));
      return;
    }
    if (isStorageFull(error)) {
      // The disk (or the embedded database's) is full: nothing was kept, and space comes back.
      request.log.error({ err: error }, 'no space left to store the request');
      reply.code(507).send(errorBody('FH_ERR_STORAGE_FULL', say('FH_ERR_STORAGE_FULL')));
      return;
    }
    // The database or the object store down: a coded 503 the client may retry, not an internal error.
    const outage = dependencyOutage(error);
    if (outage) {
      request.log.error({ err: error, part: outage.part }, outage.reason);
      const code = outage.part === 'database' ? 'FH_ERR_DATABASE_UNAVAILABLE' : 'FH_ERR_STORAGE_UNAVAILABLE';
      reply
        .header('retry-after', '5')
        .code(503)
        .send(errorBody(code, say(code)));
      return;
    }
    request.log.error({ err: error }, 'unhandled error');
    reply.code(500).send(errorBody('FH_ERR_INTERNAL', say('FH_ERR_INTERNAL')));
  });
}

/**
 * The multipart parser (busboy) throws plain errors, with no status, for a body that is not
 * multipart as it says: no boundary in its Content-Type, or a body that ends before its closing
 * boundary. They are the client's, not ours.
 */
const MALFORMED_MULTIPART =
  /^(Multipart: Boundary not found|Boundary required|Unexpected end of multipart data|(Part|Preamble) terminated early due to unexpected end of multipart data|Malformed part header)$/;

function isMalformedMultipart(error: { message?: unknown; statusCode?: unknown }): boolean {
  return (
    error.statusCode === undefined &&
    typeof error.message === 'string' &&
    MALFORMED_MULTIPART.test(error.message)
  );
}
