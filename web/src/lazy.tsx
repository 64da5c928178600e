import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import * as m from './i18n/generated/messages.js';

/** What a lazy panel says while it loads and when its chunk cannot be fetched (messages). */
export interface LazyText {
  loading?: () => string;
  failed?: () => string;
}

/**
 * A page or panel fetched on first use, as a chunk of its own (with its messages): the player
 * and embed pages download only what they show (src/web/page-weight.test.ts).
 */
export function lazy<P extends object>(
  load: () => Promise<ComponentType<P>>,
  { loading: loadingText = m.app_loading, failed: failedText = m.app_chunk_failed }: LazyText = {},
) {
  let loading: Promise<ComponentType<P>> | undefined;
  return function Lazy(props: P) {
    const [Component, setComponent] = useState<ComponentType<P> | null>(null);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      loading ??= load();
      loading.then(
        (c) => setComponent(() => c),
        () => {
          loading = undefined; // a deploy replaced the chunk, or the network failed: next time, again
          setFailed(true);
        },
      );
    }, []);
    if (failed)
      return (
        <p class="error" role="alert">
          {failedText()}
        </p>
      );
    return Component ? <Component {...props} /> : <p aria-busy="true">{loadingText()}</p>;
  };
}
