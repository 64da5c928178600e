import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import { axis, Chart, epochSeconds, palette } from './chart.tsx';

/** Viewers watching a live stream, per minute (docs/qoe.md `concurrency`). */
export function ConcurrencyChart({ points }: { points: Array<{ time: string; viewers: number }> }) {
  const [options, data] = useMemo(() => {
    const c = palette();
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      axes: [axis(), axis({ size: 40 })],
      scales: { y: { range: (_u, _min, max) => [0, Math.max(2, max)] } },
      series: [
        {},
        {
          label: 'Viewers',
          stroke: c.accent,
          fill: `${c.accent}33`,
          width: 2,
          paths: uPlot.paths.stepped?.({ align: 1 }),
          points: { show: points.length < 3 },
        },
      ],
    };
    const data: uPlot.AlignedData = [points.map((p) => epochSeconds(p.time)), points.map((p) => p.viewers)];
    return [options, data] as const;
  }, [points]);
  if (points.length === 0) return <p class="muted">No one watched in this period.</p>;
  const peak = Math.max(...points.map((p) => p.viewers));
  return (
    <Chart
      options={options}
      data={data}
      height={180}
      class="concurrency-chart"
      label={`Viewers watching, per minute; at most ${peak}`}
    />
  );
}
