import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * The analytics pages and charts (and the trash), fetched on first use: uPlot and the pages are a
 * chunk of their own, so the player, embed and library pages never download them
 * (src/web/page-weight.test.ts).
 */
export function lazy<P extends object>(load: () => Promise<ComponentType<P>>, what: string) {
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
          The {what} could not be loaded. Reload the page.
        </p>
      );
    return Component ? <Component {...props} /> : <p aria-busy="true">Loading the {what}…</p>;
  };
}

export const AnalyticsPage = lazy<Record<string, never>>(
  () => import('./analytics-pages.ts').then((m) => m.AnalyticsPage),
  'analytics',
);
export const ViewPage = lazy<{ id: string }>(
  () => import('./analytics-pages.ts').then((m) => m.ViewPage),
  'view',
);
export const ConcurrencyPanel = lazy<{ liveStreamId: string }>(
  () => import('./concurrency-panel.tsx').then((m) => m.ConcurrencyPanel),
  'viewer chart',
);
