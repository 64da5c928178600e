import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import { Link } from 'wouter-preact';
import { useData } from '../admin/shared.tsx';
import { formatDateTime, formatList, formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { useLocale } from '../i18n/locale.ts';
import { contentName } from './analytics-page.tsx';
import { axis, Chart, palette } from './chart.tsx';
import { useContentNames } from './content-names.ts';
import {
  fmtCount,
  fmtKbps,
  fmtMs,
  fmtPercent,
  fmtScore,
  fmtSeconds,
  renditionName,
  scoreBand,
  type TimelineEntry,
  type ViewDetail,
  viewerOf,
} from './qoe-data.ts';

/** CMCD play states (docs/qoe.md, "What a view is"), as the timeline names and colours them. */
const STATES: Record<string, { name: () => string; color: string }> = {
  d: { name: m.analytics_state_preloading, color: '#a1a1aa' },
  s: { name: m.analytics_state_starting, color: '#3b82f6' },
  p: { name: m.analytics_state_playing, color: '#22c55e' },
  k: { name: m.analytics_state_seeking, color: '#a855f7' },
  r: { name: m.analytics_state_stalled, color: '#f97316' },
  a: { name: m.analytics_state_paused, color: '#71717a' },
  e: { name: m.analytics_state_ended, color: '#52525b' },
  f: { name: m.analytics_state_failed, color: '#dc2626' },
};
const EVENTS: Record<string, () => string> = {
  ps: m.analytics_event_play_state,
  e: m.analytics_event_error,
  bc: m.analytics_event_bitrate_change,
  t: m.analytics_event_still_here,
  pr: m.analytics_event_playback_rate,
  beacon: m.analytics_event_player_report,
};
const stateName = (s: string | null | undefined) => (s ? (STATES[s]?.name() ?? s) : '');

/** `/analytics/views/{id}`: one view — what the viewer got, and its timeline. */
export function ViewPage({ id }: { id: string }) {
  const { data: v, error, reload } = useData<ViewDetail>(`/v1/qoe/views/${encodeURIComponent(id)}`);
  const names = useContentNames();
  if (error)
    return (
      <section class="analytics">
        <p class="error" role="alert">
          {m.analytics_view_load_failed({ reason: error })}{' '}
          <button type="button" class="link" onClick={reload}>
            {m.app_try_again()}
          </button>
        </p>
        <Link href="/analytics">{m.analytics_back_to_analytics()}</Link>
      </section>
    );
  if (!v) return <p aria-busy="true">{m.analytics_loading_view()}</p>;
  const back = v.asset_id
    ? `/analytics?asset_id=${encodeURIComponent(v.asset_id)}`
    : v.live_stream_id
      ? `/analytics?live_stream_id=${encodeURIComponent(v.live_stream_id)}`
      : '/analytics';
  const parts: Array<[string, number | null]> = [
    [m.analytics_part_success(), v.scores.success],
    [m.analytics_part_startup(), v.scores.startup],
    [m.analytics_part_smoothness(), v.scores.smoothness],
    [m.analytics_part_quality(), v.scores.quality],
  ];
  return (
    <section class="analytics view-detail" data-view-id={v.id}>
      <p>
        <Link href={back}>{m.analytics_back_arrow()}</Link>
      </p>
      <h1>
        {m.analytics_view_title({ content: contentName(v, names) })}{' '}
        {!v.closed && <span class="badge open-badge">{m.analytics_open()}</span>}
      </h1>
      <div class="analytics-grid">
        <section class="panel">
          <h2>{m.analytics_experience()}</h2>
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
          <h2>{m.analytics_facts()}</h2>
          <dl class="facts-grid">
            <dt>{m.analytics_col_started()}</dt>
            <dd>{formatDateTime(v.started_at)}</dd>
            <dt>{m.analytics_fact_last_report()}</dt>
            <dd>{formatDateTime(v.ended_at)}</dd>
            <dt>{m.analytics_col_viewer()}</dt>
            <dd>{viewerOf(v)}</dd>
            <dt>{m.analytics_col_startup()}</dt>
            <dd data-metric="startup">
              {v.failed
                ? m.analytics_startup_failed({ code: v.error_code ?? m.analytics_error() })
                : v.exited_before_start
                  ? m.analytics_left_before_start()
                  : fmtMs(v.startup_ms)}
            </dd>
            <dt>{m.analytics_col_stalls()}</dt>
            <dd data-metric="stalls">
              {fmtCount(v.rebuffer_count)} · {fmtMs(v.rebuffer_ms)} ({fmtPercent(v.rebuffer_percentage)})
            </dd>
            <dt>{m.analytics_col_watched()}</dt>
            <dd>
              {m.analytics_watched_playing({
                watched: fmtSeconds(v.watch_time_seconds),
                playing: fmtSeconds(v.playing_time_seconds),
              })}
            </dd>
            <dt>{m.analytics_fact_bitrate()}</dt>
            <dd>
              {fmtKbps(v.average_bitrate_kbps)} ·{' '}
              {m.analytics_switches({ count: v.switches, n: formatNumber(v.switches) })}
            </dd>
            <dt>{m.analytics_metric_upscaled()}</dt>
            <dd>
              {fmtPercent(v.upscale_percentage)}
              {v.max_upscale && v.max_upscale > 1
                ? ` ${m.analytics_upscaled_up_to({ factor: formatNumber(v.max_upscale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }) })}`
                : ''}
            </dd>
            <dt>{m.analytics_fact_dropped_frames()}</dt>
            <dd>{fmtCount(v.dropped_frames)}</dd>
          </dl>
        </section>
      </div>
      <section class="panel">
        <h2>{m.analytics_timeline()}</h2>
        <Timeline view={v} />
      </section>
      {v.renditions.length > 0 && (
        <section class="panel">
          <h2>{m.analytics_renditions()}</h2>
          <table class="table">
            <thead>
              <tr>
                <th scope="col">{m.analytics_group_rendition()}</th>
                <th scope="col">{m.analytics_col_playing()}</th>
                <th scope="col">{m.analytics_col_stalls()}</th>
                <th scope="col">{m.analytics_metric_upscaled()}</th>
              </tr>
            </thead>
            <tbody>
              {v.renditions.map((r, i) => (
                <tr key={`${r.rendition}${i}`}>
                  <th scope="row">
                    {r.rendition ? renditionName(r.rendition) : '—'}{' '}
                    {r.bitrate_kbps ? `(${fmtKbps(r.bitrate_kbps)})` : ''}
                  </th>
                  <td>{fmtMs(r.playing_ms ?? null)}</td>
                  <td>
                    {fmtCount(r.rebuffer_count ?? 0)} · {fmtMs(r.rebuffer_ms ?? 0)}
                  </td>
                  <td>{fmtMs(r.upscaled_ms ?? 0)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <details class="panel">
        <summary>{m.analytics_reports({ count: fmtCount(v.timeline.length) })}</summary>
        <Reports timeline={v.timeline} start={Date.parse(v.started_at)} />
      </details>
    </section>
  );
}

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
  const { locale } = useLocale();
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
        axis({
          // Seconds from the start; a short view's ticks fall between whole seconds.
          values: (_u, splits, _axis, _space, incr) =>
            splits.map((s) =>
              incr < 1
                ? formatNumber(s, {
                    style: 'unit',
                    unit: 'second',
                    unitDisplay: 'short',
                    maximumFractionDigits: incr < 0.1 ? 2 : 1,
                  })
                : fmtSeconds(s),
            ),
        }),
        axis({ size: 72, show: maxBr > 0, values: (_u, splits) => splits.map(fmtKbps) }),
      ],
      legend: { show: false },
      series: [
        {},
        {
          label: m.analytics_fact_bitrate(),
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
  }, [view, locale]);
  const stalls = view.states.filter((s) => s.state === 'r').length;
  return (
    <>
      <Chart
        options={options}
        data={data}
        height={240}
        class="timeline-chart"
        label={m.analytics_timeline_label({
          duration: fmtSeconds(end),
          states: present.length ? formatList(present.map(stateName)) : m.analytics_no_states(),
          count: stalls,
          n: formatNumber(stalls),
        })}
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
          {m.analytics_fact_bitrate()}
        </li>
        <li>
          <span class="swatch swatch-mark" aria-hidden="true" />
          {m.analytics_legend_event()}
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
            <th scope="col">{m.analytics_col_at()}</th>
            <th scope="col">{m.analytics_col_report()}</th>
            <th scope="col">{m.analytics_col_state()}</th>
            <th scope="col">{m.analytics_col_data()}</th>
          </tr>
        </thead>
        <tbody>
          {timeline.map((e, i) => (
            <tr key={`${e.time}${e.event}${i}`}>
              <td>{fmtOffset((Date.parse(e.time) - start) / 1000)}</td>
              <td>{EVENTS[e.event]?.() ?? e.event}</td>
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

/** Seconds since the view began, to the millisecond: "+1.250 sec" / "+1.250초". */
const fmtOffset = (seconds: number) =>
  formatNumber(seconds, {
    style: 'unit',
    unit: 'second',
    unitDisplay: 'short',
    signDisplay: 'always',
    minimumFractionDigits: 3,
    maximumFractionDigits: 3,
  });
