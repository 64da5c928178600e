import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { dateFormat, formatDate, formatDateTime, formatNumber } from '../i18n/format.ts';

/**
 * A uPlot chart that fills its container's width and follows it. Only the analytics pages (and
 * the live stream page's viewer count, loaded on demand) import this: uPlot never reaches the
 * player page. `label` describes the chart for screen readers; a table next to it has the numbers.
 */
export function Chart(props: {
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  label: string;
  height?: number;
  class?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const height = props.height ?? 220;
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const plot = new uPlot({ ...props.options, width: el.clientWidth || 600, height }, props.data, el);
    const sized = new ResizeObserver(() => {
      if (el.clientWidth && el.clientWidth !== plot.width) plot.setSize({ width: el.clientWidth, height });
    });
    sized.observe(el);
    return () => {
      sized.disconnect();
      plot.destroy();
    };
  }, [props.options, props.data, height]);
  return <div class={`chart ${props.class ?? ''}`} ref={host} role="img" aria-label={props.label} />;
}

/** The page's colours (light or dark scheme) for drawing on a canvas. */
export function palette() {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    fg: v('--fg', '#1a1a1a'),
    muted: v('--muted', '#595959'),
    line: v('--line', '#d0d0d0'),
    accent: v('--accent', '#1d4ed8'),
    danger: v('--danger', '#b91c1c'),
    ok: v('--ok', '#166534'),
    warn: v('--warn', '#92400e'),
  };
}

/**
 * Text on a canvas in the page's own font stack (styles.css: it names Hangul fonts, which a bare
 * `system-ui` may not reach), at 12px.
 */
export function chartFont(): string {
  const family = getComputedStyle(document.body).fontFamily || 'system-ui, sans-serif'; // i18n-ignore: a CSS font list
  return `12px ${family}`;
}

/** Axes drawn in the page's colours and font. */
export function axis(extra: uPlot.Axis = {}): uPlot.Axis {
  const c = palette();
  return {
    stroke: c.muted,
    grid: { stroke: c.line, width: 1 },
    ticks: { stroke: c.line, width: 1 },
    font: chartFont(),
    ...extra,
  };
}

export const epochSeconds = (iso: string) => Date.parse(iso) / 1000;

const dayOf = (d: Date) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;

/**
 * A time axis in the reader's language (uPlot's own labels are English month names): days as
 * "Dec 3" / "12월 3일"; times of day as "2 PM" / "오후 2시" (or "2:30 PM" / "오후 2:30"), with
 * the day under the first tick and under each tick where a new day starts.
 */
export function timeAxis(extra: uPlot.Axis = {}): uPlot.Axis {
  return axis({
    values: (_u, splits, _axis, _space, incr) => {
      let last = '';
      return splits.map((s) => {
        const d = new Date(s * 1000);
        if (incr >= 86_400) return dateFormat(DAY).format(d);
        const time = dateFormat(incr % 3600 === 0 ? HOUR : TIME).format(d);
        const day = dayOf(d);
        if (day === last) return time;
        last = day;
        return `${time}\n${dateFormat(DAY).format(d)}`;
      });
    },
    // Room for "오후 12시" or "12:30 PM" side by side.
    space: 70,
    ...extra,
  });
}
const DAY: Intl.DateTimeFormatOptions = { month: 'short', day: 'numeric' };
const TIME: Intl.DateTimeFormatOptions = { hour: 'numeric', minute: '2-digit' };
const HOUR: Intl.DateTimeFormatOptions = { hour: 'numeric' };

/** A count axis: whole numbers in the reader's language, no ticks between them. */
export const countAxis = (extra: uPlot.Axis = {}): uPlot.Axis =>
  axis({
    size: 40,
    values: (_u, splits) => splits.map((n) => (Number.isInteger(n) ? formatNumber(n) : '')),
    ...extra,
  });

/** The legend's value of a time (seconds since the epoch) and of a count. */
export const legendTime = (_u: uPlot, v: number | null) => (v == null ? '—' : formatDateTime(v * 1000));
export const legendDay = (_u: uPlot, v: number | null) => (v == null ? '—' : formatDate(v * 1000));
export const legendCount = (_u: uPlot, v: number | null) => (v == null ? '—' : formatNumber(v));
