import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.ts';
import { bearerOf } from '../../shared/playback-headers.ts';

/** The playback token of a signed playback id: `?token=`, or `Authorization: Bearer <token>`. */
export function playbackTokenOf(request: FastifyRequest): string | undefined {
  const query = (request.query as { token?: string } | undefined)?.token;
  if (query) return query;
  return bearerOf(request.headers.authorization);
}

/** Runs a handler; a 429 or 503 it throws gets its `Retry-After` header from the error's details. */
export async function withRetryAfter<T>(reply: FastifyReply, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof AppError && (err.status === 429 || err.status === 503)) {
      const seconds = (err.details as { retry_after?: number } | undefined)?.retry_after;
      if (seconds) reply.header('retry-after', String(seconds));
    }
    throw err;
  }
}
