import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { api } from '../api.ts';
import * as m from '../i18n/generated/messages.js';
import { fmtCount, fmtMs, fmtPercent, fmtScore, type Overview, rangeQuery, scoreBand } from './qoe-data.ts';

/**
 * On an asset's page: how its viewers fared over the last 30 days, in five numbers, linking to
 * the analytics page filtered to it. Plain markup: the chart library stays on the analytics pages.
 */
export function AssetQoePanel({ assetId }: { assetId: string }) {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const q = rangeQuery('30d');
    q.set('asset_id', assetId);
    let alive = true;
    api<{ data: Overview }>(`/v1/qoe/overview?${q}`).then(
      (r) => alive && setOverview(r.data),
      (err: Error) => alive && setError(err.message),
    );
    return () => {
      alive = false;
    };
  }, [assetId]);

  const t = overview?.totals;
  return (
    <section class="panel qoe-panel" aria-labelledby="qoe-panel-title">
      <h2 id="qoe-panel-title">{m.analytics_viewers_30d()}</h2>
      {error ? (
        <p class="error" role="alert">
          {m.analytics_viewers_load_failed({ reason: error })}
        </p>
      ) : !t ? (
        <p aria-busy="true">{m.app_loading()}</p>
      ) : t.views === 0 ? (
        <p class="muted">{m.analytics_no_views()}</p>
      ) : (
        <dl class="qoe-figures">
          <div>
            <dt>{m.analytics_metric_views()}</dt>
            <dd data-metric="views">{fmtCount(t.views)}</dd>
          </div>
          <div>
            <dt>{m.analytics_metric_score()}</dt>
            <dd data-metric="score" class={`score-${scoreBand(t.score)}`}>
              {fmtScore(t.score)}
            </dd>
          </div>
          <div>
            <dt>{m.analytics_metric_startup_median()}</dt>
            <dd data-metric="startup">{fmtMs(t.startup_ms.median)}</dd>
          </div>
          <div>
            <dt>{m.analytics_metric_time_stalled()}</dt>
            <dd data-metric="stalls">{fmtPercent(t.rebuffer_percentage)}</dd>
          </div>
          <div>
            <dt>{m.analytics_metric_failures()}</dt>
            <dd data-metric="failures">
              {fmtCount(t.failed)} {t.failure_rate ? `(${fmtPercent(t.failure_rate)})` : ''}
            </dd>
          </div>
        </dl>
      )}
      <Link href={`/analytics?asset_id=${encodeURIComponent(assetId)}&range=30d`}>
        {m.analytics_see_analytics()}
      </Link>
    </section>
  );
}
