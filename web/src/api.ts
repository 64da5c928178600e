/** The Framehouse API from the browser: same origin, the session cookie, errors with codes. */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Plain words for the codes a person meets most; the server's message otherwise. */
const PLAIN: Record<string, string> = {
  FH_ERR_UNAUTHENTICATED: 'Please sign in again.',
  FH_ERR_FORBIDDEN: 'Your account is not allowed to do that.',
  FH_ERR_RATE_LIMITED: 'Too many attempts. Wait a minute and try again.',
  INVALID_EMAIL_OR_PASSWORD: 'That e-mail and password do not match an account.',
  INVALID_CODE: 'That code is not right. Codes change every 30 seconds.',
};

export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('content-type', 'application/json');
  let res: Response;
  try {
    res = await fetch(path, {
      credentials: 'same-origin',
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached. Check your connection.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok) {
    // Framehouse: { error: { code, message } }; better-auth: { code, message }.
    const b = body as { error?: { code?: string; message?: string }; code?: string; message?: string } | null;
    const code = b?.error?.code ?? b?.code ?? `HTTP_${res.status}`;
    const message = PLAIN[code] ?? b?.error?.message ?? b?.message ?? `The server answered ${res.status}.`;
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
}

export const formatDuration = (s: number | null) => {
  if (s == null) return '';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
};

const BYTE_UNITS = [
  [1e12, 'terabyte'],
  [1e9, 'gigabyte'],
  [1e6, 'megabyte'],
  [1e3, 'kilobyte'],
] as const;
const byteFormats = new Map<string, Intl.NumberFormat>();
const byteFormat = (locale: string | undefined, unit: string | null): Intl.NumberFormat => {
  const key = `${locale ?? ''}|${unit ?? ''}`;
  let made = byteFormats.get(key);
  if (!made) {
    made = new Intl.NumberFormat(
      locale,
      unit
        ? { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }
        : { maximumFractionDigits: 0 },
    );
    byteFormats.set(key, made);
  }
  return made;
};

/**
 * Sizes in decimal units (GB is 10⁹ bytes, as the API and docs/usage.md count), one decimal at
 * most, in the reader's locale: every page and tab shows sizes with this one.
 */
export function formatBytes(n: number, locale?: string): string {
  for (const [size, unit] of BYTE_UNITS)
    if (Math.abs(n) >= size) return byteFormat(locale, unit).format(n / size);
  // Intl's short "byte" reads "0 byte": B, like the units above it.
  return `${byteFormat(locale, null).format(n)} B`;
}
