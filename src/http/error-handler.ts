import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { errorMessage } from '../i18n/error-messages.ts';
import { DEFAULT_LOCALE, type Locale, localeFromAcceptLanguage } from '../i18n/locales.ts';
import { AppError, ERROR_CODES, type ErrorCode } from '../shared/errors.ts';

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
 * The language of a request's error messages: its Accept-Language ('ko-KR,ko;q=0.9' → Korean),
 * English by default and on machine endpoints. Codes and statuses are the same in every language.
 */
export function requestLocale(request: Pick<FastifyRequest, 'headers' | 'url'>): Locale {
  const path = request.url.split('?')[0] ?? '';
  if (MACHINE_PATHS.some((p) => path === p || (p.endsWith('/') && path.startsWith(p)))) return DEFAULT_LOCALE;
  return localeFromAcceptLanguage(request.headers['accept-language']);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send(
        errorBody(
          'FH_ERR_NOT_FOUND',
          errorMessage(
            'FH_ERR_NOT_FOUND',
            requestLocale(request),
            `No route for ${request.method} ${request.url.split('?')[0]}`,
          ),
        ),
      );
  });

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const locale = requestLocale(request);
    // The message for this reader: Korean answers the code's Korean message (a specific English
    // text is logged below where it matters, not translated); English is as before.
    const say = (code: ErrorCode, english?: string) => errorMessage(code, locale, english);
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
      if (locale !== DEFAULT_LOCALE && error.message !== ERROR_CODES[error.code].message)
        request.log.debug(
          { code: error.code, message: error.message },
          "refusal answered with its code's message",
        );
      reply.code(error.status).send(errorBody(error.code, say(error.code, error.message), error.details));
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
    request.log.error({ err: error }, 'unhandled error');
    reply.code(500).send(errorBody('FH_ERR_INTERNAL', say('FH_ERR_INTERNAL')));
  });
}
