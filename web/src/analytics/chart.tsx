import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

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

/** Axes drawn in the page's colours. */
export function axis(extra: uPlot.Axis = {}): uPlot.Axis {
  const c = palette();
  return {
    stroke: c.muted,
    grid: { stroke: c.line, width: 1 },
    ticks: { stroke: c.line, width: 1 },
    font: '12px system-ui, sans-serif',
    ...extra,
  };
}

export const epochSeconds = (iso: string) => Date.parse(iso) / 1000;
