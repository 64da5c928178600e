import { useRef } from 'preact/hooks';
import { formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { amount, ListState, Sparkline, Table, useData } from './shared.tsx';

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
      ? amount(Math.round(s), 'second')
      : s < 5400
        ? amount(Math.round(s / 60), 'minute')
        : amount(s / 3600, 'hour', 1);

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
      <h2 id="queues-title">{m.admin_queues_title()}</h2>
      <p>{m.admin_queues_intro()}</p>
      <ListState data={data} error={error} empty={m.admin_queues_empty()}>
        {(rows) => (
          <Table
            caption={m.admin_queues_caption()}
            headers={[
              m.admin_queues_col_type(),
              m.admin_queues_col_waiting(),
              m.admin_queues_col_trend(),
              m.admin_queues_col_delayed(),
              m.admin_queues_col_running(),
              m.admin_queues_col_dead(),
              m.admin_queues_col_oldest(),
            ]}
          >
            {rows.map((q) => (
              <tr key={q.type}>
                <td>{q.type}</td>
                <td>{formatNumber(q.depth)}</td>
                <td>
                  <Sparkline
                    values={history.current.get(q.type) ?? []}
                    label={m.admin_queues_trend_label({ type: q.type })}
                  />
                </td>
                <td>{formatNumber(q.delayed)}</td>
                <td>{formatNumber(q.running)}</td>
                <td>{formatNumber(q.dead)}</td>
                <td>{formatAge(q.oldest_age_seconds)}</td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
    </section>
  );
}
