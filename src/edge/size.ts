const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
  TIB: 1024 ** 4,
};

/**
 * `10GB`, `500MB`, `64 MiB`, `1.5G` or plain bytes → bytes (binary units: a cache size is
 * compared with what `du` shows). null when it is not a size.
 */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*$/i.exec(text);
  if (!m) return null;
  let unit = (m[2] ?? '').toUpperCase();
  if (unit.length === 1 && unit !== 'B') unit += 'B';
  if (unit.length === 2 && unit.endsWith('I')) unit += 'B';
  const factor = UNITS[unit];
  if (factor === undefined) return null;
  const bytes = Math.floor(Number(m[1]) * factor);
  return Number.isFinite(bytes) ? bytes : null;
}
