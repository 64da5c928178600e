import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import { axis, Chart } from '../analytics/chart.tsx';
import { dateFormat } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { getLocale } from '../i18n/generated/runtime.js';
import { type DayRow, daysBetween, type Label } from './usage-data.ts';

/** One layer of a stacked chart: its label, colour and the figure it takes from a day's row. */
export interface Layer {
  /** Read when the chart is drawn, in the page's language. */
  label: Label;
  color: string;
  pick: (row: DayRow) => number;
  /** Drawn (and in the legend) even when zero on every day: origin and edge are always told apart. */
  always?: boolean;
}

// Colours for the layers beyond the page's own (light and dark schemes alike).
export const LAYER_COLORS = ['#2563eb', '#0891b2', '#d97706', '#7c3aed', '#db2777', '#16a34a', '#64748b'];

/**
 * Daily bars of one figure, its parts stacked (origin under edge, SD under HD, …). uPlot has no
 * stacking of its own: each layer is drawn as the sum of itself and the layers under it, top
 * layer first, and the legend shows each layer's own value. Days without usage are drawn as the
 * zero they were. Layers that are zero on every day are left out (no legend of "4K 0" on a
 * server that never encodes 4K) unless marked `always`, and one stays so that an empty figure
 * still has its axis.
 */
export function DailyChart(props: {
  metric: string;
  title: Label;
  rows: DayRow[];
  from: string;
  to: string;
  layers: Layer[];
  format: (n: number) => string;
}) {
  const { rows, from, to, layers, format } = props;
  // The legend and axes hold words and dates: drawn again when the language changes.
  const locale = getLocale();
  const { options, data, total, shown } = useMemo(() => {
    const days = daysBetween(from, to);
    const byDay = new Map(rows.map((r) => [r.day, r]));
    const raw = layers.map((l) => days.map((d) => (byDay.has(d) ? l.pick(byDay.get(d) as DayRow) : 0)));
    let keep = layers.map((l, i) => l.always === true || (raw[i] ?? []).some((v) => v !== 0));
    if (!keep.some(Boolean)) keep = layers.map((_, i) => i === 0);
    const shown = layers.map((l, i) => ({ ...l, values: raw[i] ?? [] })).filter((_, i) => keep[i]);
    // Bottom layer first: stacked[i] = shown[0] + … + shown[i].
    const stacked: number[][] = [];
    shown.forEach((l, i) => {
      stacked.push(l.values.map((v, d) => v + (i > 0 ? (stacked[i - 1]?.[d] ?? 0) : 0)));
    });
    const top = [...shown.keys()].reverse(); // drawn top layer first, the lower ones over it
    const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const first = xs[0] ?? 0;
    const last = xs[xs.length - 1] ?? first;
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      // Usage's days are UTC days: the axis and the legend say the same day as the API.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: {
        // Half a day either side: the first and last bars are whole.
        x: { range: () => [first - DAY / 2, last + DAY / 2] },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] },
      },
      axes: [
        // Ticks on whole days (a week apart when the days are many), never on hours.
        axis({
          incrs: [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY],
          values: (_u, splits) => splits.map((t) => utcDay(t)),
        }),
        axis({
          values: (_u, splits) => splits.map((n) => format(n)),
          // As wide as its longest label (GB-hours of a small store have many digits).
          size: (_u, values) => 14 + 7 * Math.max(4, ...(values ?? []).map((v) => String(v).length)),
        }),
      ],
      series: [
        {
          label: m.admin_usage_chart_day(),
          value: (_u, v) => (v == null ? m.admin_usage_chart_period() : utcDay(v)),
        },
        ...top.map((i) => {
          const layer = shown[i] as (typeof shown)[number];
          const sum = layer.values.reduce((a, b) => a + b, 0);
          return {
            label: layer.label(),
            stroke: layer.color,
            fill: `${layer.color}cc`,
            width: 1,
            paths: uPlot.paths.bars?.({ size: [0.7, 48] }),
            points: { show: false },
            // The hovered day's own value; the period's sum when no day is hovered.
            value: (_u: uPlot, _v: number | null, _s: number, idx: number | null) =>
              format(idx == null ? sum : (layer.values[idx] ?? 0)),
          };
        }),
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    const data = [xs, ...top.map((i) => stacked[i] ?? [])] as uPlot.AlignedData;
    const total = shown.reduce((sum, l) => sum + l.values.reduce((a, b) => a + b, 0), 0);
    return { options, data, total, shown };
  }, [rows, from, to, layers, format, locale]);
  return (
    <section
      class="panel usage-chart"
      data-metric={props.metric}
      data-total={total}
      aria-label={props.title()}
    >
      <h3>{props.title()}</h3>
      <Chart
        options={options}
        data={data}
        height={200}
        class={`usage-chart-${props.metric}`}
        label={m.admin_usage_chart_label({
          title: props.title(),
          total: format(total),
          layers: shown.map((l) => l.label()).join(', '),
        })}
      />
    </section>
  );
}

const DAY = 86_400;
const utcDay = (seconds: number) => dateFormat(UTC_DAY).format(new Date(seconds * 1000));
const UTC_DAY: Intl.DateTimeFormatOptions = { timeZone: 'UTC', day: 'numeric', month: 'short' };
