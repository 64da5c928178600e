/**
 * Sizes as text, in decimal units (GB is 10⁹), in one of two styles:
 * - `sentence` (mails, refusals): up to TB with one decimal where not whole ("10.3 GB", "10 GB"); GB
 *   from 0.1 GB, MB from 0.1 MB, kB from 1 kB, so a small amount does not read "0 GB";
 * - `column` (CLI tables): the largest unit under 1000 of it, always one decimal past bytes
 *   ("1.0 KB", "512 B"), so the numbers of a column line up.
 */
export function formatBytes(bytes: number, style: 'sentence' | 'column' = 'sentence'): string {
  return style === 'column' ? column(bytes) : sentence(bytes);
}

const oneDecimal = (v: number) => {
  const r = Math.round(v * 10) / 10;
  return Number.isInteger(r) ? r.toFixed(0) : r.toFixed(1);
};

function sentence(bytes: number): string {
  if (bytes >= 1e8) return `${oneDecimal(bytes / 1e9)} GB`;
  if (bytes >= 1e5) return `${oneDecimal(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${oneDecimal(bytes / 1e3)} kB`;
  return `${bytes} byte${bytes === 1 ? '' : 's'}`;
}

const COLUMN_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

function column(bytes: number): string {
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < COLUMN_UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${COLUMN_UNITS[i]}`;
}
