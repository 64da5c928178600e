/**
 * `fn` over an async sequence with at most `limit` calls under way, results in input order.
 * Hand-written (a dozen lines) rather than a dependency: p-map and friends return arrays, and the
 * sequences here (every object of a store) must never be held whole.
 */
export async function* mapOrdered<T, R>(
  items: AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<R>,
): AsyncIterable<R> {
  const window: Promise<R>[] = [];
  try {
    for await (const item of items) {
      const p = fn(item);
      p.catch(() => {}); // awaited below in turn; this only keeps an early failure from going unhandled
      window.push(p);
      if (window.length >= limit) yield await (window.shift() as Promise<R>);
    }
    while (window.length > 0) yield await (window.shift() as Promise<R>);
  } finally {
    // A consumer that stops early (an error) lets the calls under way finish before returning.
    await Promise.allSettled(window);
  }
}
