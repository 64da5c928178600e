import { useRef } from 'preact/hooks';
import { ListState, Sparkline, Table, useData } from './shared.tsx';

interface QueueStats {
  type: string;
  depth: number;
  delayed: number;
  running: number;
  dead: number;
  oldest_age_seconds: number;
}

const EVERY_MS = 3000;
/** Ten minutes of samples: enough to see a backlog grow or drain, small enough to redraw. */
const KEEP = 200;

export const formatAge = (s: number) =>
  s <= 0
    ? '—'
    : s < 90
      ? `${Math.round(s)} s`
      : s < 5400
        ? `${Math.round(s / 60)} min`
        : `${(s / 3600).toFixed(1)} h`;

/** Per job type, polled: the server keeps no history, so the trend is what this page has seen. */
export function QueuesTab() {
  const history = useRef(new Map<string, number[]>());
  const { data, error } = useData<QueueStats[]>('/v1/admin/queues', {
    everyMs: EVERY_MS,
    onData: (rows) => {
      for (const q of rows) {
        const samples = history.current.get(q.type) ?? [];
        samples.push(q.depth);
        history.current.set(q.type, samples.slice(-KEEP));
      }
    },
  });
  return (
    <section aria-labelledby="queues-title">
      <h2 id="queues-title">Queues</h2>
      <p>Refreshed every 3 seconds. The trend shows the depth since this page was opened.</p>
      <ListState
        data={data}
        error={error}
        empty="Nothing is waiting, running or dead: every job so far has finished."
      >
        {(rows) => (
          <Table
            caption="Jobs per type"
            headers={['Type', 'Waiting', 'Trend', 'Delayed', 'Running', 'Dead', 'Oldest waiting']}
          >
            {rows.map((q) => (
              <tr key={q.type}>
                <td>{q.type}</td>
                <td>{q.depth}</td>
                <td>
                  <Sparkline values={history.current.get(q.type) ?? []} label={`Waiting ${q.type} jobs`} />
                </td>
                <td>{q.delayed}</td>
                <td>{q.running}</td>
                <td>{q.dead}</td>
                <td>{formatAge(q.oldest_age_seconds)}</td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
    </section>
  );
}
