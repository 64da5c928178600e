/**
 * Requests to the room API that need more than `api()` gives: the playback token of a signed id,
 * the viewer token header, and `Retry-After` for slow mode and rate limits.
 */

import { localeHeaders } from '../api.ts';
import * as m from '../i18n/generated/messages.js';

export class RoomError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds, from `Retry-After` (slow mode, rate limit). */
  readonly retryAfter: number | null;
  readonly details: Record<string, unknown> | null;

  constructor(
    status: number,
    code: string,
    message: string,
    retryAfter: number | null,
    details: Record<string, unknown> | null,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.details = details;
  }
}

export interface RoomAuth {
  /** The playback token of a signed playback id (sent as a bearer token). */
  playbackToken?: (() => string | null) | undefined;
  viewerToken?: string | null | undefined;
}

export async function roomRequest<T>(
  path: string,
  init: { method?: string; json?: unknown; keepalive?: boolean } & RoomAuth = {},
): Promise<T> {
  const headers = new Headers(localeHeaders());
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  const token = init.playbackToken?.();
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (init.viewerToken) headers.set('framehouse-viewer', init.viewerToken);
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? 'GET',
      credentials: 'same-origin',
      headers,
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
      ...(init.keepalive ? { keepalive: true } : {}),
    });
  } catch {
    throw new RoomError(0, 'NETWORK', m.app_error_network(), null, null);
  }
  if (res.status === 204 || res.status === 202) return undefined as T;
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const e = (
      body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null
    )?.error;
    const retry = Number(res.headers.get('retry-after'));
    throw new RoomError(
      res.status,
      e?.code ?? `HTTP_${res.status}`,
      e?.message ?? m.app_error_status({ status: String(res.status) }),
      Number.isFinite(retry) && retry > 0 ? retry : null,
      e?.details ?? null,
    );
  }
  return body as T;
}
