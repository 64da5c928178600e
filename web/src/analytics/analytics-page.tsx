import { useMemo, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { Link, useLocation, useSearch } from 'wouter-preact';
import { useData } from '../admin/shared.tsx';
import { api } from '../api.ts';
import { axis, Chart, epochSeconds, palette } from './chart.tsx';
import { ConcurrencyChart } from './concurrency-chart.tsx';
import { type ContentNames, useContentNames } from './content-names.ts';
import {
  fmtCount,
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
  rangeQuery,
  scoreBand,
  type View,
} from './qoe-data.ts';

const GROUPS = {
  device: 'Device',
  os: 'Operating system',
  browser: 'Browser',
  country: 'Country',
  rendition: 'Rendition',
  asset: 'Video',
  live_stream: 'Live stream',
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
        <h1>Analytics</h1>
        <label>
          <span class="visually-hidden">Period</span>
          <select value={range} onChange={(e) => setFilter({ range: e.currentTarget.value })}>
            {Object.entries(RANGES).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span class="visually-hidden">Video or live stream</span>
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
            <option value="">All videos and live streams</option>
            {/* A filter from a link may name something the first page of the lists does not. */}
            {assetId && !names.assets.has(assetId) && <option value={content}>This video</option>}
            {liveStreamId && !names.streams.has(liveStreamId) && (
              <option value={content}>This live stream</option>
            )}
            {names.assets.size > 0 && (
              <optgroup label="Videos">
                {[...names.assets].map(([id, title]) => (
                  <option key={id} value={`asset:${id}`}>
                    {title}
                  </option>
                ))}
              </optgroup>
            )}
            {names.streams.size > 0 && (
              <optgroup label="Live streams">
                {[...names.streams].map(([id, title]) => (
                  <option key={id} value={`live:${id}`}>
                    {title}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        </label>
      </div>
      {overview.error ? (
        <p class="error" role="alert">
          The statistics cannot be loaded: {overview.error}{' '}
          <button type="button" class="link" onClick={overview.reload}>
            Try again
          </button>
        </p>
      ) : !o ? (
        <p aria-busy="true">Loading the statistics…</p>
      ) : o.totals.views === 0 ? (
        <div class="empty" data-empty="views">
          <p>
            <strong>No views yet</strong> {RANGES[range].toLowerCase()}.
          </p>
          <p class="muted">
            Views appear here as soon as someone plays a video with the Framehouse player or embed (or any
            player that reports CMCD v2 to this server). Viewers who ask not to be tracked are not counted.
          </p>
        </div>
      ) : (
        <>
          <Totals metrics={o.totals} />
          <div class="analytics-grid">
            <section class="panel">
              <h2>Experience score</h2>
              <ScoreChart overview={o} />
            </section>
            <section class="panel">
              <h2>Start-up time</h2>
              <StartupHistogram histogram={o.histograms.startup_ms} />
            </section>
          </div>
          {liveStreamId && o.concurrency && (
            <section class="panel">
              <h2>Viewers watching</h2>
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
    ['views', 'Views', fmtCount(t.views), t.open_views ? `${fmtCount(t.open_views)} still open` : undefined],
    ['score', 'Score', fmtScore(t.score)],
    ['startup', 'Start-up (median)', fmtMs(t.startup_ms.median), `p95 ${fmtMs(t.startup_ms.p95)}`],
    [
      'stalls',
      'Time stalled',
      fmtPercent(t.rebuffer_percentage),
      `${fmtPercent(t.rebuffered_view_rate, 0)} of views stalled`,
    ],
    [
      'failures',
      'Failures',
      fmtPercent(t.failure_rate),
      `${fmtCount(t.failed)} ${t.failed === 1 ? 'view' : 'views'}`,
    ],
    ['exits', 'Left before start', fmtPercent(t.exit_before_start_rate)],
    ['watch', 'Watch time', fmtSeconds(t.watch_time_seconds)],
    [
      'bitrate',
      'Average bitrate',
      t.average_bitrate_kbps == null ? '—' : `${Math.round(t.average_bitrate_kbps)} kbps`,
    ],
    ['upscaled', 'Upscaled', fmtPercent(t.upscale_percentage)],
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
  const [options, data] = useMemo(() => {
    const c = palette();
    const xs = overview.series.map((p) => epochSeconds(p.time));
    const parts: Array<[string, string, (m: Metrics) => number | null]> = [
      ['Score', c.accent, (m) => m.score],
      ['Success', '#16a34a', (m) => m.scores.success],
      ['Start-up', '#d97706', (m) => m.scores.startup],
      ['Smoothness', '#db2777', (m) => m.scores.smoothness],
      ['Quality', '#7c3aed', (m) => m.scores.quality],
    ];
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      scales: { y: { range: [0, 100] } },
      axes: [axis(), axis({ size: 40 })],
      series: [
        { label: overview.interval === 'hour' ? 'Hour' : 'Day' },
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
  }, [overview]);
  return (
    <Chart
      options={options}
      data={data}
      label={`Experience score over time; ${fmtScore(overview.totals.score)} overall`}
      class="score-chart"
    />
  );
}

/** `[250, 500, …]` → `≤250 ms`, `≤500 ms`, …, `>13 s`. */
function bucketLabels(bounds: number[], unit: (n: number) => string): string[] {
  return [...bounds.map((b) => `≤${unit(b)}`), `>${unit(bounds[bounds.length - 1] ?? 0)}`];
}

function StartupHistogram({ histogram }: { histogram: Histogram }) {
  // Seconds on the axis (eleven labels must fit side by side), with units in the table.
  const labels = bucketLabels(histogram.bounds, (ms) => (ms < 1000 ? `${ms} ms` : `${ms / 1000} s`));
  const ticks = bucketLabels(histogram.bounds, (ms) => String(ms / 1000).replace(/^0\./, '.'));
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
          label: 'seconds, at most',
          labelSize: 20,
          labelFont: '12px system-ui, sans-serif',
        }),
        axis({ size: 40, values: (_u, splits) => splits.map((n) => (Number.isInteger(n) ? String(n) : '')) }),
      ],
      legend: { show: false },
      cursor: { show: false },
      series: [
        {},
        {
          label: 'Views',
          stroke: c.accent,
          fill: `${c.accent}99`,
          paths: uPlot.paths.bars?.({ size: [0.75, 64] }),
          points: { show: false },
        },
      ],
    };
    return [options, [xs, histogram.counts] as uPlot.AlignedData] as const;
  }, [histogram]);
  const total = histogram.counts.reduce((a, b) => a + b, 0);
  return (
    <>
      <Chart
        options={options}
        data={data}
        label="How many views started within each time"
        class="startup-chart"
      />
      <details>
        <summary>The numbers</summary>
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
  const label = (g: { key: string; label: string }) =>
    groupBy === 'asset'
      ? (names.assets.get(g.key) ?? g.label)
      : groupBy === 'live_stream'
        ? (names.streams.get(g.key) ?? g.label)
        : g.label;
  return (
    <section class="panel" aria-labelledby="breakdown-title">
      <div class="panel-head">
        <h2 id="breakdown-title">Breakdown</h2>
        <label class="inline">
          By
          <select value={groupBy} onChange={(e) => setGroupBy(e.currentTarget.value as GroupBy)}>
            {Object.entries(GROUPS)
              .filter(([k]) => !filtered || !ACROSS_CONTENT.includes(k as GroupBy))
              .map(([k, l]) => (
                <option key={k} value={k}>
                  {l}
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
        <p aria-busy="true">Loading…</p>
      ) : groups.length === 0 ? (
        <p class="muted">Nothing to break down in this period.</p>
      ) : (
        <div class="table-wrap">
          <table class="table breakdown" data-group-by={groupBy}>
            <thead>
              <tr>
                <th scope="col">{GROUPS[groupBy]}</th>
                <th scope="col">Views</th>
                <th scope="col">Score</th>
                <th scope="col">Start-up (median)</th>
                <th scope="col">Time stalled</th>
                <th scope="col">Failures</th>
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
      <h2 id="worst-title">Videos with the lowest scores</h2>
      <p class="muted">Videos with at least five views in this period.</p>
      <table class="table worst-assets">
        <thead>
          <tr>
            <th scope="col">Video</th>
            <th scope="col">Views</th>
            <th scope="col">Score</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.asset_id}>
              <th scope="row">
                <Link href={`/analytics?asset_id=${encodeURIComponent(r.asset_id)}&range=${range}`}>
                  {r.title || 'Untitled'}
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
      <h2 id="views-title">Views</h2>
      {first.error ? (
        <p class="error" role="alert">
          {first.error}
        </p>
      ) : !first.data ? (
        <p aria-busy="true">Loading…</p>
      ) : views.length === 0 ? (
        <p class="muted">No views yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="table views-list">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Content</th>
                <th scope="col">Viewer</th>
                <th scope="col">Start-up</th>
                <th scope="col">Stalls</th>
                <th scope="col">Watched</th>
                <th scope="col">Score</th>
              </tr>
            </thead>
            <tbody>
              {views.map((v) => (
                <tr key={v.id} data-view-id={v.id}>
                  <td>
                    <Link href={`/analytics/views/${v.id}`}>{new Date(v.started_at).toLocaleString()}</Link>
                    {!v.closed && <span class="badge open-badge">open</span>}
                  </td>
                  <td>{contentName(v, names)}</td>
                  <td>
                    {v.device_type} · {v.os} · {v.browser} · {v.country}
                  </td>
                  <td>
                    {v.failed ? (
                      <span class="error">failed</span>
                    ) : v.exited_before_start ? (
                      'left'
                    ) : (
                      fmtMs(v.startup_ms)
                    )}
                  </td>
                  <td>{v.rebuffer_count ? `${v.rebuffer_count} · ${fmtMs(v.rebuffer_ms)}` : '0'}</td>
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
          {loading ? 'Loading…' : 'More views'}
        </button>
      )}
    </section>
  );
}

export function contentName(
  v: Pick<View, 'asset_id' | 'live_stream_id' | 'playback_id'>,
  names: ContentNames,
) {
  if (v.asset_id) return names.assets.get(v.asset_id) ?? 'A video';
  if (v.live_stream_id) return names.streams.get(v.live_stream_id) ?? 'A live stream';
  return v.playback_id;
}
