import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import { Link } from 'wouter-preact';
import { useData } from '../admin/shared.tsx';
import { contentName } from './analytics-page.tsx';
import { axis, Chart, palette } from './chart.tsx';
import { useContentNames } from './content-names.ts';
import {
  fmtCount,
  fmtMs,
  fmtPercent,
  fmtScore,
  fmtSeconds,
  scoreBand,
  type TimelineEntry,
  type ViewDetail,
} from './qoe-data.ts';

/** CMCD play states (docs/qoe.md, "What a view is"), as the timeline names and colours them. */
const STATES: Record<string, { name: string; color: string }> = {
  d: { name: 'Preloading', color: '#a1a1aa' },
  s: { name: 'Starting', color: '#3b82f6' },
  p: { name: 'Playing', color: '#22c55e' },
  k: { name: 'Seeking', color: '#a855f7' },
  r: { name: 'Stalled', color: '#f97316' },
  a: { name: 'Paused', color: '#71717a' },
  e: { name: 'Ended', color: '#52525b' },
  f: { name: 'Failed', color: '#dc2626' },
};
const EVENTS: Record<string, string> = {
  ps: 'Play state',
  e: 'Error',
  bc: 'Bitrate change',
  t: 'Still here',
  pr: 'Playback rate',
  beacon: 'Player report',
};
const stateName = (s: string | null | undefined) => (s ? (STATES[s]?.name ?? s) : '');

/** `/analytics/views/{id}`: one view — what the viewer got, and its timeline. */
export function ViewPage({ id }: { id: string }) {
  const { data: v, error, reload } = useData<ViewDetail>(`/v1/qoe/views/${encodeURIComponent(id)}`);
  const names = useContentNames();
  if (error)
    return (
      <section class="analytics">
        <p class="error" role="alert">
          This view cannot be shown: {error}{' '}
          <button type="button" class="link" onClick={reload}>
            Try again
          </button>
        </p>
        <Link href="/analytics">Back to the analytics</Link>
      </section>
    );
  if (!v) return <p aria-busy="true">Loading the view…</p>;
  const back = v.asset_id
    ? `/analytics?asset_id=${encodeURIComponent(v.asset_id)}`
    : v.live_stream_id
      ? `/analytics?live_stream_id=${encodeURIComponent(v.live_stream_id)}`
      : '/analytics';
  const parts: Array<[string, number | null]> = [
    ['Success', v.scores.success],
    ['Start-up', v.scores.startup],
    ['Smoothness', v.scores.smoothness],
    ['Quality', v.scores.quality],
  ];
  return (
    <section class="analytics view-detail" data-view-id={v.id}>
      <p>
        <Link href={back}>← Analytics</Link>
      </p>
      <h1>
        A view of {contentName(v, names)} {!v.closed && <span class="badge open-badge">open</span>}
      </h1>
      <div class="analytics-grid">
        <section class="panel">
          <h2>Experience</h2>
          <p class={`big-score score-${scoreBand(v.score)}`} data-metric="score">
            {fmtScore(v.score)}
          </p>
          <ul class="score-parts">
            {parts.map(([label, value]) => (
              <li key={label}>
                <span>{label}</span>
                <span class="bar-track" aria-hidden="true">
                  <span
                    class={`bar score-bar score-${scoreBand(value)}`}
                    style={{ width: `${value ?? 0}%` }}
                  />
                </span>
                <span>{fmtScore(value)}</span>
              </li>
            ))}
          </ul>
        </section>
        <section class="panel">
          <h2>Facts</h2>
          <dl class="facts-grid">
            <dt>Started</dt>
            <dd>{new Date(v.started_at).toLocaleString()}</dd>
            <dt>Last report</dt>
            <dd>{new Date(v.ended_at).toLocaleString()}</dd>
            <dt>Viewer</dt>
            <dd>
              {v.device_type} · {v.os} · {v.browser} · {v.country}
            </dd>
            <dt>Start-up</dt>
            <dd data-metric="startup">
              {v.failed
                ? `failed (${v.error_code ?? 'error'})`
                : v.exited_before_start
                  ? 'left before it started'
                  : fmtMs(v.startup_ms)}
            </dd>
            <dt>Stalls</dt>
            <dd data-metric="stalls">
              {v.rebuffer_count} · {fmtMs(v.rebuffer_ms)} ({fmtPercent(v.rebuffer_percentage)})
            </dd>
            <dt>Watched</dt>
            <dd>
              {fmtSeconds(v.watch_time_seconds)} ({fmtSeconds(v.playing_time_seconds)} playing)
            </dd>
            <dt>Bitrate</dt>
            <dd>
              {v.average_bitrate_kbps == null ? '—' : `${Math.round(v.average_bitrate_kbps)} kbps`} ·{' '}
              {v.switches} {v.switches === 1 ? 'switch' : 'switches'}
            </dd>
            <dt>Upscaled</dt>
            <dd>
              {fmtPercent(v.upscale_percentage)}
              {v.max_upscale && v.max_upscale > 1 ? ` (up to ${v.max_upscale.toFixed(2)}×)` : ''}
            </dd>
            <dt>Dropped frames</dt>
            <dd>{fmtCount(v.dropped_frames)}</dd>
          </dl>
        </section>
      </div>
      <section class="panel">
        <h2>Timeline</h2>
        <Timeline view={v} />
      </section>
      {v.renditions.length > 0 && (
        <section class="panel">
          <h2>Renditions</h2>
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Rendition</th>
                <th scope="col">Playing</th>
                <th scope="col">Stalls</th>
                <th scope="col">Upscaled</th>
              </tr>
            </thead>
            <tbody>
              {v.renditions.map((r, i) => (
                <tr key={`${r.rendition}${i}`}>
                  <th scope="row">
                    {r.rendition ?? '—'} {r.bitrate_kbps ? `(${Math.round(r.bitrate_kbps)} kbps)` : ''}
                  </th>
                  <td>{fmtMs(r.playing_ms ?? null)}</td>
                  <td>
                    {r.rebuffer_count ?? 0} · {fmtMs(r.rebuffer_ms ?? 0)}
                  </td>
                  <td>{fmtMs(r.upscaled_ms ?? 0)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <details class="panel">
        <summary>Reports ({v.timeline.length})</summary>
        <Reports timeline={v.timeline} start={Date.parse(v.started_at)} />
      </details>
    </section>
  );
}

const fmtKbps = (kbps: number) =>
  kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mb/s` : `${Math.round(kbps)} kb/s`;

/** The bitrate (kbps) a report carries: CMCD `br` is a list (one per object), the beacon has none. */
function bitrateOf(e: TimelineEntry): number | null {
  const br = e.data?.br;
  const n = Array.isArray(br) ? br[0] : br;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/**
 * The view on one time axis (seconds from its start): its states as coloured bands, the bitrate
 * it played as a line, and each event other than the keep-alives as a mark on top.
 */
function Timeline({ view }: { view: ViewDetail }) {
  const { options, data, present, end } = useMemo(() => {
    const c = palette();
    const t0 = Math.min(
      Date.parse(view.started_at),
      ...view.states.map((s) => Date.parse(s.from)),
      ...view.timeline.map((e) => Date.parse(e.time)),
    );
    const at = (iso: string) => (Date.parse(iso) - t0) / 1000;
    const bands = view.states.map((s) => ({ state: s.state, from: at(s.from), to: at(s.to) }));
    const marks = view.timeline
      .filter((e) => e.event !== 't' && e.event !== 'beacon')
      .map((e) => ({ x: at(e.time), event: e.event, state: e.state }));
    const end = Math.max(at(view.ended_at), ...bands.map((b) => b.to), 0.001);
    // The bitrate in effect at each report, carried to the end of the view.
    const points = view.timeline
      .map((e) => ({ x: at(e.time), br: bitrateOf(e) }))
      .filter((p): p is { x: number; br: number } => p.br !== null)
      .sort((a, b) => a.x - b.x);
    const xs: number[] = [0];
    const brs: Array<number | null> = [null];
    for (const p of points) {
      if (p.x === xs[xs.length - 1]) brs[brs.length - 1] = p.br;
      else {
        xs.push(p.x);
        brs.push(p.br);
      }
    }
    xs.push(end);
    brs.push(points.length ? (points[points.length - 1]?.br ?? null) : null);
    const maxBr = Math.max(0, ...points.map((p) => p.br));

    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      scales: {
        x: { time: false, range: [0, end] },
        y: { range: [0, maxBr ? maxBr * 1.15 : 1] },
      },
      axes: [
        axis({ values: (_u, splits) => splits.map((s) => fmtSeconds(s)) }),
        axis({ size: 72, show: maxBr > 0, values: (_u, splits) => splits.map(fmtKbps) }),
      ],
      legend: { show: false },
      series: [
        {},
        {
          label: 'Bitrate',
          stroke: c.fg,
          width: 2,
          paths: uPlot.paths.stepped?.({ align: 1 }),
          points: { show: false },
        },
      ],
      hooks: {
        // Bands under the line: what the viewer was going through.
        drawClear: [
          (u) => {
            const { ctx, bbox } = u;
            ctx.save();
            ctx.globalAlpha = 0.28;
            for (const b of bands) {
              const x0 = u.valToPos(b.from, 'x', true);
              const x1 = u.valToPos(b.to, 'x', true);
              ctx.fillStyle = STATES[b.state]?.color ?? c.line;
              ctx.fillRect(x0, bbox.top, Math.max(1, x1 - x0), bbox.height);
            }
            ctx.restore();
          },
        ],
        // Marks over the line: the events, errors in red.
        draw: [
          (u) => {
            const { ctx, bbox } = u;
            const px = devicePixelRatio || 1;
            ctx.save();
            for (const m of marks) {
              const x = u.valToPos(m.x, 'x', true);
              ctx.fillStyle =
                m.event === 'e' ? c.danger : m.event === 'ps' ? (STATES[m.state ?? '']?.color ?? c.fg) : c.fg;
              ctx.beginPath();
              ctx.moveTo(x - 5 * px, bbox.top);
              ctx.lineTo(x + 5 * px, bbox.top);
              ctx.lineTo(x, bbox.top + 8 * px);
              ctx.fill();
              ctx.globalAlpha = 0.5;
              ctx.fillRect(x - px / 2, bbox.top, px, bbox.height);
              ctx.globalAlpha = 1;
            }
            ctx.restore();
          },
        ],
      },
    };
    const present = [...new Set(bands.map((b) => b.state))];
    return { options, data: [xs, brs] as uPlot.AlignedData, present, end };
  }, [view]);
  const stalls = view.states.filter((s) => s.state === 'r').length;
  return (
    <>
      <Chart
        options={options}
        data={data}
        height={240}
        class="timeline-chart"
        label={`The view over ${fmtSeconds(end)}: ${present.map(stateName).join(', ') || 'no states'}; ${stalls} stall intervals`}
      />
      <ul class="state-legend">
        {present.map((s) => (
          <li key={s}>
            <span class="swatch" style={{ background: STATES[s]?.color ?? '#999' }} aria-hidden="true" />
            {stateName(s)}
          </li>
        ))}
        <li>
          <span class="swatch swatch-line" aria-hidden="true" />
          Bitrate
        </li>
        <li>
          <span class="swatch swatch-mark" aria-hidden="true" />
          Event
        </li>
      </ul>
    </>
  );
}

function Reports({ timeline, start }: { timeline: TimelineEntry[]; start: number }) {
  return (
    <div class="table-wrap">
      <table class="table reports">
        <thead>
          <tr>
            <th scope="col">At</th>
            <th scope="col">Report</th>
            <th scope="col">State</th>
            <th scope="col">Data</th>
          </tr>
        </thead>
        <tbody>
          {timeline.map((e, i) => (
            <tr key={`${e.time}${e.event}${i}`}>
              <td>+{((Date.parse(e.time) - start) / 1000).toFixed(3)} s</td>
              <td>{EVENTS[e.event] ?? e.event}</td>
              <td>{stateName(e.state)}</td>
              <td>
                <code>
                  {Object.entries(e.data ?? {})
                    .map(([k, val]) => `${k}=${Array.isArray(val) ? val.join(' ') : String(val)}`)
                    .join(', ')}
                </code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
