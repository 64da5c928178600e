import { useMemo } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { useData } from '../admin/shared.tsx';
import * as m from '../i18n/generated/messages.js';
import './analytics.css';
import { ConcurrencyChart } from './concurrency-chart.tsx';
import { type Overview, rangeQuery } from './qoe-data.ts';

/** On a live stream's page: how many watched, minute by minute, over the last 24 hours. */
export function ConcurrencyPanel({ liveStreamId }: { liveStreamId: string }) {
  const query = useMemo(() => {
    const q = rangeQuery('24h');
    q.set('live_stream_id', liveStreamId);
    return q.toString();
  }, [liveStreamId]);
  const { data, error } = useData<Overview>(`/v1/qoe/overview?${query}`);
  return (
    <section class="panel" aria-labelledby="concurrency-title">
      <h2 id="concurrency-title">{m.analytics_viewers_24h()}</h2>
      {error ? (
        <p class="error" role="alert">
          {m.analytics_viewers_load_failed({ reason: error })}
        </p>
      ) : !data ? (
        <p aria-busy="true">{m.app_loading()}</p>
      ) : (
        <ConcurrencyChart points={data.concurrency ?? []} from={data.from} to={data.to} />
      )}
      <Link href={`/analytics?live_stream_id=${encodeURIComponent(liveStreamId)}`}>
        {m.analytics_see_analytics()}
      </Link>
    </section>
  );
}
