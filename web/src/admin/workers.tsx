import * as m from '../i18n/generated/messages.js';
import { ListState, ofTotal, Table, useData, when } from './shared.tsx';

interface Worker {
  id: string;
  host: string;
  role: string;
  types: string[];
  slots: number;
  busy: number;
  started_at: string;
  last_heartbeat_at: string;
  alive: boolean;
}

/** Every worker process; polled, since "alive" only means something while it is fresh. */
export function WorkersTab() {
  const { data, error } = useData<Worker[]>('/v1/admin/workers', { everyMs: 10_000 });
  return (
    <section aria-labelledby="workers-title">
      <h2 id="workers-title">{m.admin_workers_title()}</h2>
      <p>{m.admin_workers_intro()}</p>
      <ListState data={data} error={error} empty={m.admin_workers_empty()}>
        {(rows) => (
          <Table
            caption={m.admin_workers_caption()}
            headers={[
              m.admin_workers_col_worker(),
              m.admin_workers_col_host(),
              m.admin_workers_col_role(),
              m.admin_workers_col_types(),
              m.admin_workers_col_busy(),
              m.admin_workers_col_started(),
              m.admin_workers_col_heartbeat(),
              m.admin_workers_col_status(),
            ]}
          >
            {rows.map((w) => (
              <tr key={w.id}>
                <td>{w.id}</td>
                <td>{w.host}</td>
                <td>{w.role}</td>
                <td>{w.types.length ? w.types.join(', ') : '—'}</td>
                <td>{ofTotal(w.busy, w.slots)}</td>
                <td>{when(w.started_at)}</td>
                <td>{when(w.last_heartbeat_at)}</td>
                <td>{w.alive ? m.admin_workers_alive() : m.admin_workers_gone()}</td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
    </section>
  );
}
