import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, ERROR_CODES, type ErrorCode } from '../shared/errors.ts';

/** `{ error: { code, message, details? } }` for every failure; a user never sees a stack trace. */
export function errorBody(code: ErrorCode, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send(errorBody('FH_ERR_NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`));
  });

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      // A refusal that says when to come back (a limit, a full node, a reader not started yet)
      // carries it in the header too (RFC 9110 Retry-After), whichever route threw it.
      const retryAfter = (error.details as { retry_after?: unknown } | undefined)?.retry_after;
      if ((error.status === 429 || error.status === 503) && typeof retryAfter === 'number' && retryAfter > 0)
        reply.header('retry-after', String(Math.ceil(retryAfter)));
      if (error.status >= 500) {
        // Details of a server-side failure (ffmpeg's stderr, paths) go to the log, not the client.
        request.log.error({ err: error, details: error.details }, error.message);
        reply.code(error.status).send(errorBody(error.code, error.message));
        return;
      }
      reply.code(error.status).send(errorBody(error.code, error.message, error.details));
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
          errorBody('FH_ERR_VALIDATION', 'Too many parts: send one file in "file" and an optional "title".'),
        );
      return;
    }
    if (error.validation) {
      reply.code(400).send(
        errorBody(
          'FH_ERR_VALIDATION',
          error.message,
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
      reply.code(413).send(errorBody(code, ERROR_CODES[code].message));
      return;
    }
    if (status === 415) {
      reply.code(415).send(errorBody('FH_ERR_UNSUPPORTED_CONTENT_TYPE', error.message));
      return;
    }
    if (status >= 400 && status < 500) {
      reply.code(status).send(errorBody('FH_ERR_VALIDATION', error.message));
      return;
    }
    request.log.error({ err: error }, 'unhandled error');
    reply.code(500).send(errorBody('FH_ERR_INTERNAL', ERROR_CODES.FH_ERR_INTERNAL.message));
  });
}
