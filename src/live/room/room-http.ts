import type { FastifyRequest } from 'fastify';
import { bearerOf } from '../../shared/playback-headers.ts';

/** The playback token of a signed playback id: `?token=`, or `Authorization: Bearer <token>`. */
export function playbackTokenOf(request: FastifyRequest): string | undefined {
  const query = (request.query as { token?: string } | undefined)?.token;
  if (query) return query;
  return bearerOf(request.headers.authorization);
}
