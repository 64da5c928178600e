/** The Framehouse API from the browser: same origin, the session cookie, errors with codes. */
import * as m from './i18n/generated/messages.js';
import { getLocale } from './i18n/generated/runtime.js';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Plain words for the codes a person meets most; the server's message otherwise (in the page's
 * language: it follows Accept-Language). better-auth's answers under /v1/auth are its own, in
 * English whatever the request asks: their codes are worded here.
 */
const PLAIN: Record<string, () => string> = {
  FH_ERR_UNAUTHENTICATED: m.app_error_unauthenticated,
  FH_ERR_FORBIDDEN: m.app_error_forbidden,
  FH_ERR_RATE_LIMITED: m.app_error_rate_limited,
  INVALID_EMAIL_OR_PASSWORD: m.app_error_bad_password,
  INVALID_CODE: m.app_error_bad_code,
  INVALID_BACKUP_CODE: m.app_error_bad_backup_code,
  USER_ALREADY_EXISTS: m.app_error_account_exists,
  USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: m.app_error_account_exists,
  PASSWORD_TOO_SHORT: m.app_error_password_short,
  PASSWORD_TOO_LONG: m.app_error_password_long,
  INVALID_PASSWORD: m.app_error_wrong_password,
  INVALID_TOKEN: m.app_error_link_invalid,
  TOKEN_EXPIRED: m.app_error_link_invalid,
  INVALID_EMAIL: m.app_error_email_invalid,
  SESSION_EXPIRED: m.app_error_session_expired,
};

/**
 * Accept-Language: the page's language, so the server writes its error messages in it (codes stay
 * the same). For requests that do not go through api(): the room's, tus uploads, WHEP.
 */
export const localeHeaders = (): Record<string, string> => ({ 'accept-language': getLocale() });

export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('content-type', 'application/json');
  for (const [name, value] of Object.entries(localeHeaders()))
    if (!headers.has(name)) headers.set(name, value);
  let res: Response;
  try {
    res = await fetch(path, {
      credentials: 'same-origin',
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', m.app_error_network());
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok) {
    // Framehouse: { error: { code, message } }; better-auth: { code, message }.
    const b = body as { error?: { code?: string; message?: string }; code?: string; message?: string } | null;
    const code = b?.error?.code ?? b?.code ?? `HTTP_${res.status}`;
    const message =
      PLAIN[code]?.() ?? b?.error?.message ?? b?.message ?? m.app_error_status({ status: res.status });
    throw new ApiError(res.status, code, message);
  }
  return body as T;
}

export interface Rendition {
  name: string;
  type: string;
  width: number | null;
  height: number | null;
  bandwidth: number | null;
  status: string;
}

export interface Asset {
  id: string;
  status: 'waiting' | 'processing' | 'ready' | 'errored';
  kind: 'video' | 'audio' | 'image';
  title: string | null;
  duration: number | null;
  width: number | null;
  height: number | null;
  is_360: boolean;
  progress: number | null;
  renditions: Rendition[];
  playback_ids: Array<{ id: string; policy: 'public' | 'signed' }>;
  playback: { hls: string; thumbnail: string; storyboard: string } | null;
  source: { filename: string | null; size: number | null };
  errors: Array<{ code: string; message: string }>;
  created_at: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'editor' | 'viewer';
  twoFactorEnabled?: boolean | null;
  notifyByEmail?: boolean | null;
  /** The language the account chose ('en' | 'ko'), or null: follow the browser. */
  locale?: string | null;
}
