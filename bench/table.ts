/** One table, two renderings: aligned text for the terminal, Markdown for the README. */
export type Table = { head: string[]; rows: string[][] };

export function textTable(t: Table): string {
  // Markdown emphasis means nothing in a terminal.
  const plain = (r: string[]) => r.map((c) => c.replaceAll('**', ''));
  const head = plain(t.head);
  const rows = t.rows.map(plain);
  const all = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  // First column (labels) left-aligned, numbers right-aligned.
  const line = (r: string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable({ head, rows }: Table): string {
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [
    line(head),
    `|${head.map((_, c) => (c === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

export const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
export const mb = (kb: number) => (kb / 1024).toFixed(0);
