/**
 * Timestamps are stored as ISO-8601 UTC strings with millisecond precision. Every value has
 * the same width, so string comparison in SQL orders them correctly on SQLite and PostgreSQL.
 */
export function isoNow(): string {
  return new Date().toISOString();
}

export function isoIn(ms: number, from = Date.now()): string {
  return new Date(from + ms).toISOString();
}
