import type { ComponentChildren } from 'preact';
import { Fragment } from 'preact';

/**
 * A whole sentence from the catalogue with markup in its placeholders: `rich(m.x, { url: <code>…</code> })`.
 * Each language keeps its own word order ("Latency {value} s" / "지연 {value}초"), because the
 * message is built once with markers in the placeholders and then split on them, never glued
 * together from pieces in English order.
 */
export function rich<K extends string>(
  message: (inputs: Record<K, string>) => string,
  parts: Record<K, ComponentChildren>,
): ComponentChildren {
  const marked = {} as Record<K, string>;
  for (const key of Object.keys(parts) as K[]) marked[key] = `\u0001${key}\u0001`;
  // Odd pieces are the placeholders' names, even pieces the text around them.
  return message(marked)
    .split('\u0001')
    .map((piece, i) => (i % 2 === 0 ? piece : <Fragment key={i}>{parts[piece as K] ?? piece}</Fragment>));
}
