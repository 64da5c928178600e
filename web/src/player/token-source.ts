/**
 * The playback token a player puts on every request, renewed before it expires. Segments
 * already buffered keep playing; the next playlist or segment request carries the new token,
 * so playback never stops for a renewal.
 */
export class TokenSource {
  #token: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #renew: (current: string) => Promise<{ token: string; expires_at: string }>;
  renewals = 0;

  constructor(
    token: string,
    expiresAt: string,
    renew: (current: string) => Promise<{ token: string; expires_at: string }>,
  ) {
    this.#token = token;
    this.#renew = renew;
    this.#schedule(expiresAt);
  }

  get token(): string {
    return this.#token;
  }

  /** The URL with this source's current token in place of whatever token it had. */
  apply(url: string): string {
    const u = new URL(url, location.href);
    if (!u.pathname.startsWith('/play/')) return url; // presigned bucket URLs carry their own signature
    u.searchParams.set('token', this.#token);
    return u.href;
  }

  /** Renews at once when the token is (nearly) expired: a link opened later than its token's life. */
  async fresh(expiresAt: string): Promise<void> {
    if (Date.parse(expiresAt) - Date.now() > 5000) return;
    clearTimeout(this.#timer);
    const next = await this.#renew(this.#token);
    this.#token = next.token;
    this.renewals++;
    this.#schedule(next.expires_at);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  #schedule(expiresAt: string): void {
    const left = Date.parse(expiresAt) - Date.now();
    // At two thirds of the remaining life, so one failed attempt still leaves time for another.
    this.#timer = setTimeout(() => void this.#refresh(), Math.max(1000, (left * 2) / 3));
  }

  async #refresh(): Promise<void> {
    try {
      const next = await this.#renew(this.#token);
      this.#token = next.token;
      this.renewals++;
      this.#schedule(next.expires_at);
    } catch {
      this.#timer = setTimeout(() => void this.#refresh(), 5000);
    }
  }
}

/** The token a signed link carries, and when it ends (read from the JWT, never trusted for access). */
export function tokenExpiry(token: string): string {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]?.replace(/-/g, '+').replace(/_/g, '/') ?? '')) as {
      exp?: number;
    };
    return new Date((payload.exp ?? 0) * 1000).toISOString();
  } catch {
    return new Date().toISOString();
  }
}
