import { useMemo, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { Link, useLocation, useSearch } from 'wouter-preact';
import { useData } from '../admin/shared.tsx';
import { api } from '../api.ts';
import { formatDateTime, formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { useLocale } from '../i18n/locale.ts';
import {
  axis,
  Chart,
  chartFont,
  countAxis,
  epochSeconds,
  legendDay,
  legendTime,
  palette,
  timeAxis,
} from './chart.tsx';
import { ConcurrencyChart } from './concurrency-chart.tsx';
import { assetName, type ContentNames, streamName, useContentNames } from './content-names.ts';
import {
  clientName,
  countryName,
  deviceName,
  fmtCount,
  fmtKbps,
  fmtMs,
  fmtPercent,
  fmtScore,
  fmtSeconds,
  type Histogram,
  isRange,
  type Metrics,
  type Overview,
  RANGES,
  type Range,
  rangeLabel,
  rangeQuery,
  renditionName,
  scoreBand,
  type View,
  viewerOf,
} from './qoe-data.ts';

const GROUPS = {
  device: m.analytics_group_device,
  os: m.analytics_group_os,
  browser: m.analytics_group_browser,
  country: m.analytics_group_country,
  rendition: m.analytics_group_rendition,
  asset: m.analytics_group_asset,
  live_stream: m.analytics_group_live_stream,
} as const;
type GroupBy = keyof typeof GROUPS;

/**
 * `/analytics[?range&asset_id|live_stream_id]`: how viewers experience playback — the score and
 * its parts over time, start-up times, breakdowns, the worst videos, and the views themselves.
 */
export function AnalyticsPage() {
  const search = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const range: Range = isRange(search.get('range')) ? (search.get('range') as Range) : '24h';
  const assetId = search.get('asset_id');
  const liveStreamId = search.get('live_stream_id');
  const names = useContentNames();
  const setFilter = (next: Record<string, string | null>) => {
    const q = new URLSearchParams({ range, ...(assetId ? { asset_id: assetId } : {}) });
    if (liveStreamId) q.set('live_stream_id', liveStreamId);
    for (const [k, v] of Object.entries(next)) {
      if (v) q.set(k, v);
      else q.delete(k);
    }
    navigate(`/analytics?${q}`, { replace: true });
  };

  // The query of every request on this page; the minute it was made keeps it stable across renders.
  const query = useMemo(() => {
    const q = rangeQuery(range);
    if (assetId) q.set('asset_id', assetId);
    else if (liveStreamId) q.set('live_stream_id', liveStreamId);
    return q.toString();
  }, [range, assetId, liveStreamId]);
  const overview = useData<Overview>(`/v1/qoe/overview?${query}`);
  const o = overview.data;
  const content = assetId ? `asset:${assetId}` : liveStreamId ? `live:${liveStreamId}` : '';

  return (
    <section class="analytics">
      <div class="toolbar">
        <h1>{m.analytics_title()}</h1>
        <label>
          <span class="visually-hidden">{m.analytics_period_label()}</span>
          <select value={range} onChange={(e) => setFilter({ range: e.currentTarget.value })}>
            {RANGES.map((k) => (
              <option key={k} value={k}>
                {rangeLabel(k)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span class="visually-hidden">{m.analytics_content_label()}</span>
          <select
            value={content}
            onChange={(e) => {
              const [kind, id] = e.currentTarget.value.split(':');
              setFilter({
                asset_id: kind === 'asset' ? (id ?? null) : null,
                live_stream_id: kind === 'live' ? (id ?? null) : null,
              });
            }}
          >
            <option value="">{m.analytics_content_all()}</option>
            {/* A filter from a link may name something the first page of the lists does not. */}
            {assetId && !names.assets.has(assetId) && (
              <option value={content}>{m.analytics_content_this_video()}</option>
            )}
            {liveStreamId && !names.streams.has(liveStreamId) && (
              <option value={content}>{m.analytics_content_this_stream()}</option>
            )}
            {names.assets.size > 0 && (
              <optgroup label={m.analytics_content_videos()}>
                {[...names.assets.keys()].map((id) => (
                  <option key={id} value={`asset:${id}`}>
                    {assetName(names, id)}
                  </option>
                ))}
              </optgroup>
            )}
            {names.streams.size > 0 && (
              <optgroup label={m.analytics_content_streams()}>
                {[...names.streams.keys()].map((id) => (
                  <option key={id} value={`live:${id}`}>
                    {streamName(names, id)}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        </label>
      </div>
      {overview.error ? (
        <p class="error" role="alert">
          {m.analytics_load_failed({ reason: overview.error })}{' '}
          <button type="button" class="link" onClick={overview.reload}>
            {m.app_try_again()}
          </button>
        </p>
      ) : !o ? (
        <p aria-busy="true">{m.analytics_loading_statistics()}</p>
      ) : o.totals.views === 0 ? (
        <div class="empty" data-empty="views">
          <p>
            <strong>{m.analytics_empty_title()}</strong>{' '}
            {m.analytics_empty_period({ period: rangeLabel(range) })}
          </p>
          <p class="muted">{m.analytics_empty_text()}</p>
        </div>
      ) : (
        <>
          <Totals metrics={o.totals} />
          <div class="analytics-grid">
            <section class="panel">
              <h2>{m.analytics_score_title()}</h2>
              <ScoreChart overview={o} />
            </section>
            <section class="panel">
              <h2>{m.analytics_startup_title()}</h2>
              <StartupHistogram histogram={o.histograms.startup_ms} />
            </section>
          </div>
          {liveStreamId && o.concurrency && (
            <section class="panel">
              <h2>{m.analytics_concurrency_title()}</h2>
              <ConcurrencyChart points={o.concurrency} from={o.from} to={o.to} />
            </section>
          )}
          <Breakdown query={query} names={names} filtered={Boolean(assetId || liveStreamId)} />
          {!assetId && !liveStreamId && o.worst_assets && o.worst_assets.length > 0 && (
            <WorstAssets rows={o.worst_assets} range={range} />
          )}
        </>
      )}
      {o && o.totals.views > 0 && <ViewsList query={query} names={names} />}
    </section>
  );
}

function Totals({ metrics: t }: { metrics: Metrics }) {
  const figures: Array<[string, string, string, string?]> = [
    [
      'views',
      m.analytics_metric_views(),
      fmtCount(t.views),
      t.open_views ? m.analytics_open_views({ count: fmtCount(t.open_views) }) : undefined,
    ],
    ['score', m.analytics_metric_score(), fmtScore(t.score)],
    [
      'startup',
      m.analytics_metric_startup_median(),
      fmtMs(t.startup_ms.median),
      m.analytics_p95({ value: fmtMs(t.startup_ms.p95) }),
    ],
    [
      'stalls',
      m.analytics_metric_time_stalled(),
      fmtPercent(t.rebuffer_percentage),
      m.analytics_views_stalled({ share: fmtPercent(t.rebuffered_view_rate, 0) }),
    ],
    [
      'failures',
      m.analytics_metric_failures(),
      fmtPercent(t.failure_rate),
      m.analytics_view_count({ count: t.failed, n: formatNumber(t.failed) }),
    ],
    ['exits', m.analytics_metric_exits(), fmtPercent(t.exit_before_start_rate)],
    ['watch', m.analytics_metric_watch_time(), fmtSeconds(t.watch_time_seconds)],
    ['bitrate', m.analytics_metric_bitrate(), fmtKbps(t.average_bitrate_kbps)],
    ['upscaled', m.analytics_metric_upscaled(), fmtPercent(t.upscale_percentage)],
  ];
  return (
    <dl class="qoe-figures qoe-totals">
      {figures.map(([key, label, value, note]) => (
        <div key={key}>
          <dt>{label}</dt>
          <dd data-metric={key} class={key === 'score' ? `score-${scoreBand(t.score)}` : undefined}>
            {value}
          </dd>
          {note && <dd class="note">{note}</dd>}
        </div>
      ))}
    </dl>
  );
}

function ScoreChart({ overview }: { overview: Overview }) {
  const { locale } = useLocale();
  const [options, data] = useMemo(() => {
    const c = palette();
    const xs = overview.series.map((p) => epochSeconds(p.time));
    const parts: Array<[string, string, (x: Metrics) => number | null]> = [
      [m.analytics_metric_score(), c.accent, (x) => x.score],
      [m.analytics_part_success(), '#16a34a', (x) => x.scores.success],
      [m.analytics_part_startup(), '#d97706', (x) => x.scores.startup],
      [m.analytics_part_smoothness(), '#db2777', (x) => x.scores.smoothness],
      [m.analytics_part_quality(), '#7c3aed', (x) => x.scores.quality],
    ];
    const hourly = overview.interval === 'hour';
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      scales: { y: { range: [0, 100] } },
      axes: [timeAxis(), countAxis()],
      series: [
        {
          label: hourly ? m.analytics_interval_hour() : m.analytics_interval_day(),
          value: hourly ? legendTime : legendDay,
        },
        ...parts.map(([label, stroke], i) => ({
          label,
          stroke,
          width: i === 0 ? 2.5 : 1.25,
          dash: i === 0 ? undefined : [4, 3],
          // Periods without views have no score: a period between two empty ones is a lone dot.
          points: { show: true, size: i === 0 ? 7 : 5, fill: stroke },
          value: (_u: uPlot, v: number | null) => fmtScore(v),
        })),
      ],
    };
    const data = [xs, ...parts.map(([, , pick]) => overview.series.map((p) => pick(p)))] as uPlot.AlignedData;
    return [options, data] as const;
  }, [overview, locale]);
  return (
    <Chart
      options={options}
      data={data}
      label={m.analytics_score_chart_label({ score: fmtScore(overview.totals.score) })}
      class="score-chart"
    />
  );
}

/** `[250, 500, …]` → `≤250 ms`, `≤500 ms`, …, `>13 s`. */
function bucketLabels(bounds: number[], unit: (n: number) => string): string[] {
  return [
    ...bounds.map((b) => m.analytics_at_most({ value: unit(b) })),
    m.analytics_more_than({ value: unit(bounds[bounds.length - 1] ?? 0) }),
  ];
}

function StartupHistogram({ histogram }: { histogram: Histogram }) {
  // Seconds on the axis (eleven labels must fit side by side), with units in the table.
  const { locale } = useLocale();
  const labels = bucketLabels(histogram.bounds, fmtMs);
  const ticks = bucketLabels(histogram.bounds, (ms) => formatNumber(ms / 1000).replace(/^0(?=\D)/, ''));
  const [options, data] = useMemo(() => {
    const c = palette();
    const xs = histogram.counts.map((_, i) => i);
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      scales: {
        x: { time: false, range: [-0.6, xs.length - 0.4] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
      },
      axes: [
        axis({
          splits: () => xs,
          values: (_u, splits) => splits.map((i) => ticks[i] ?? ''),
          label: m.analytics_startup_axis(),
          labelSize: 20,
          labelFont: chartFont(),
        }),
        countAxis(),
      ],
      legend: { show: false },
      cursor: { show: false },
      series: [
        {},
        {
          label: m.analytics_metric_views(),
          stroke: c.accent,
          fill: `${c.accent}99`,
          paths: uPlot.paths.bars?.({ size: [0.75, 64] }),
          points: { show: false },
        },
      ],
    };
    return [options, [xs, histogram.counts] as uPlot.AlignedData] as const;
  }, [histogram, locale]);
  const total = histogram.counts.reduce((a, b) => a + b, 0);
  return (
    <>
      <Chart options={options} data={data} label={m.analytics_startup_chart_label()} class="startup-chart" />
      <details>
        <summary>{m.analytics_the_numbers()}</summary>
        <table class="table">
          <tbody>
            {labels.map((l, i) => (
              <tr key={l}>
                <th scope="row">{l}</th>
                <td>{fmtCount(histogram.counts[i] ?? 0)}</td>
                <td>{total ? fmtPercent((histogram.counts[i] ?? 0) / total, 0) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </>
  );
}

/** Groups that span videos and streams: not offered within one of them (the API refuses them). */
const ACROSS_CONTENT: GroupBy[] = ['asset', 'live_stream'];

function Breakdown({ query, names, filtered }: { query: string; names: ContentNames; filtered: boolean }) {
  const [chosen, setGroupBy] = useState<GroupBy>('device');
  const groupBy = filtered && ACROSS_CONTENT.includes(chosen) ? 'device' : chosen;
  const { data, error } = useData<Overview>(`/v1/qoe/overview?${query}&group_by=${groupBy}`);
  const groups = data?.groups ?? [];
  const most = Math.max(1, ...groups.map((g) => g.views));
  const label = (g: { key: string; label: string }) => {
    switch (groupBy) {
      case 'asset':
        return assetName(names, g.key) ?? (g.label === g.key ? m.analytics_a_video() : g.label);
      case 'live_stream':
        return streamName(names, g.key) ?? (g.label === g.key ? m.analytics_a_stream() : g.label);
      case 'device':
        return deviceName(g.key);
      case 'country':
        return countryName(g.key);
      case 'rendition':
        return renditionName(g.key);
      default:
        return clientName(g.label);
    }
  };
  return (
    <section class="panel" aria-labelledby="breakdown-title">
      <div class="panel-head">
        <h2 id="breakdown-title">{m.analytics_breakdown_title()}</h2>
        <label class="inline">
          {m.analytics_breakdown_by()}
          <select value={groupBy} onChange={(e) => setGroupBy(e.currentTarget.value as GroupBy)}>
            {Object.entries(GROUPS)
              .filter(([k]) => !filtered || !ACROSS_CONTENT.includes(k as GroupBy))
              .map(([k, l]) => (
                <option key={k} value={k}>
                  {l()}
                </option>
              ))}
          </select>
        </label>
      </div>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : !data ? (
        <p aria-busy="true">{m.app_loading()}</p>
      ) : groups.length === 0 ? (
        <p class="muted">{m.analytics_breakdown_empty()}</p>
      ) : (
        <div class="table-wrap">
          <table class="table breakdown" data-group-by={groupBy}>
            <thead>
              <tr>
                <th scope="col">{GROUPS[groupBy]()}</th>
                <th scope="col">{m.analytics_metric_views()}</th>
                <th scope="col">{m.analytics_metric_score()}</th>
                <th scope="col">{m.analytics_metric_startup_median()}</th>
                <th scope="col">{m.analytics_metric_time_stalled()}</th>
                <th scope="col">{m.analytics_metric_failures()}</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.key} data-key={g.key}>
                  <th scope="row">
                    {groupBy === 'asset' ? (
                      <Link href={`/analytics?asset_id=${encodeURIComponent(g.key)}`}>{label(g)}</Link>
                    ) : groupBy === 'live_stream' ? (
                      <Link href={`/analytics?live_stream_id=${encodeURIComponent(g.key)}`}>{label(g)}</Link>
                    ) : (
                      label(g)
                    )}
                  </th>
                  <td class="bar-cell">
                    <span class="bar" style={{ width: `${(g.views / most) * 100}%` }} aria-hidden="true" />
                    <span>{fmtCount(g.views)}</span>
                  </td>
                  <td class="bar-cell">
                    <span
                      class={`bar score-bar score-${scoreBand(g.score)}`}
                      style={{ width: `${g.score ?? 0}%` }}
                      aria-hidden="true"
                    />
                    <span>{fmtScore(g.score)}</span>
                  </td>
                  <td>{fmtMs(g.startup_ms.median)}</td>
                  <td>{fmtPercent(g.rebuffer_percentage)}</td>
                  <td>{fmtPercent(g.failure_rate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function WorstAssets({ rows, range }: { rows: NonNullable<Overview['worst_assets']>; range: Range }) {
  return (
    <section class="panel" aria-labelledby="worst-title">
      <h2 id="worst-title">{m.analytics_worst_title()}</h2>
      <p class="muted">{m.analytics_worst_note()}</p>
      <table class="table worst-assets">
        <thead>
          <tr>
            <th scope="col">{m.analytics_group_asset()}</th>
            <th scope="col">{m.analytics_metric_views()}</th>
            <th scope="col">{m.analytics_metric_score()}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.asset_id}>
              <th scope="row">
                <Link href={`/analytics?asset_id=${encodeURIComponent(r.asset_id)}&range=${range}`}>
                  {r.title || m.app_untitled()}
                </Link>
              </th>
              <td>{fmtCount(r.views)}</td>
              <td class={`score-${scoreBand(r.score)}`}>{fmtScore(r.score)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const PAGE = 25;

function ViewsList({ query, names }: { query: string; names: ContentNames }) {
  const first = useData<View[]>(`/v1/qoe/views?${query}&limit=${PAGE}`);
  const [more, setMore] = useState<{ query: string; views: View[]; next: string | null } | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const extra = more?.query === query ? more : null;
  const views = [...(first.data ?? []), ...(extra?.views ?? [])];
  const next = extra ? extra.next : first.next;
  const loadMore = async () => {
    if (!next) return;
    setLoading(true);
    try {
      const page = await api<{ data: View[]; next_cursor: string | null }>(
        `/v1/qoe/views?${query}&limit=${PAGE}&cursor=${encodeURIComponent(next)}`,
      );
      setMore({ query, views: [...(extra?.views ?? []), ...page.data], next: page.next_cursor });
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setLoading(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="views-title">
      <h2 id="views-title">{m.analytics_views_title()}</h2>
      {first.error ? (
        <p class="error" role="alert">
          {first.error}
        </p>
      ) : !first.data ? (
        <p aria-busy="true">{m.app_loading()}</p>
      ) : views.length === 0 ? (
        <p class="muted">{m.analytics_no_views()}</p>
      ) : (
        <div class="table-wrap">
          <table class="table views-list">
            <thead>
              <tr>
                <th scope="col">{m.analytics_col_started()}</th>
                <th scope="col">{m.analytics_col_content()}</th>
                <th scope="col">{m.analytics_col_viewer()}</th>
                <th scope="col">{m.analytics_col_startup()}</th>
                <th scope="col">{m.analytics_col_stalls()}</th>
                <th scope="col">{m.analytics_col_watched()}</th>
                <th scope="col">{m.analytics_metric_score()}</th>
              </tr>
            </thead>
            <tbody>
              {views.map((v) => (
                <tr key={v.id} data-view-id={v.id}>
                  <td>
                    <Link href={`/analytics/views/${v.id}`}>{formatDateTime(v.started_at)}</Link>
                    {!v.closed && <span class="badge open-badge">{m.analytics_open()}</span>}
                  </td>
                  <td>{contentName(v, names)}</td>
                  <td>{viewerOf(v)}</td>
                  <td>
                    {v.failed ? (
                      <span class="error">{m.analytics_failed()}</span>
                    ) : v.exited_before_start ? (
                      m.analytics_left()
                    ) : (
                      fmtMs(v.startup_ms)
                    )}
                  </td>
                  <td>
                    {v.rebuffer_count
                      ? `${fmtCount(v.rebuffer_count)} · ${fmtMs(v.rebuffer_ms)}`
                      : fmtCount(0)}
                  </td>
                  <td>{fmtSeconds(v.watch_time_seconds)}</td>
                  <td class={`score-${scoreBand(v.score)}`}>{fmtScore(v.score)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {next && (
        <button type="button" class="secondary" disabled={loading} onClick={loadMore}>
          {loading ? m.app_loading() : m.analytics_more_views()}
        </button>
      )}
    </section>
  );
}

export function contentName(
  v: Pick<View, 'asset_id' | 'live_stream_id' | 'playback_id'>,
  names: ContentNames,
) {
  if (v.asset_id) return assetName(names, v.asset_id) ?? m.analytics_a_video();
  if (v.live_stream_id) return streamName(names, v.live_stream_id) ?? m.analytics_a_stream();
  return v.playback_id;
}
