import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import { formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { useLocale } from '../i18n/locale.ts';
import { Chart, countAxis, epochSeconds, legendCount, legendTime, palette, timeAxis } from './chart.tsx';

const MINUTE = 60;

/**
 * Viewers watching a live stream, per minute (docs/qoe.md `concurrency`). The API lists the
 * minutes someone watched; the others of the period are drawn as the zero they were.
 */
export function ConcurrencyChart({
  points,
  from,
  to,
}: {
  points: Array<{ time: string; viewers: number }>;
  from: string;
  to: string;
}) {
  const { locale } = useLocale();
  const [options, data] = useMemo(() => {
    const c = palette();
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      axes: [timeAxis(), countAxis()],
      scales: { y: { range: (_u, _min, max) => [0, Math.max(2, max)] } },
      series: [
        // uPlot names the time series "Time" in its legend unless told.
        { label: m.analytics_chart_time(), value: legendTime },
        {
          label: m.analytics_viewers(),
          value: legendCount,
          stroke: c.accent,
          fill: `${c.accent}33`,
          width: 2,
          paths: uPlot.paths.stepped?.({ align: 1 }),
          points: { show: false },
        },
      ],
    };
    const known = new Map(points.map((p) => [Math.floor(epochSeconds(p.time) / MINUTE) * MINUTE, p.viewers]));
    const xs: number[] = [];
    const ys: number[] = [];
    const last = Math.floor(epochSeconds(to) / MINUTE) * MINUTE;
    for (let t = Math.floor(epochSeconds(from) / MINUTE) * MINUTE; t <= last; t += MINUTE) {
      xs.push(t);
      ys.push(known.get(t) ?? 0);
    }
    const data: uPlot.AlignedData = [xs, ys];
    return [options, data] as const;
  }, [points, from, to, locale]);
  if (points.length === 0) return <p class="muted">{m.analytics_concurrency_empty()}</p>;
  const peak = Math.max(...points.map((p) => p.viewers));
  return (
    <Chart
      options={options}
      data={data}
      height={180}
      class="concurrency-chart"
      label={m.analytics_concurrency_label({ peak: formatNumber(peak) })}
    />
  );
}
