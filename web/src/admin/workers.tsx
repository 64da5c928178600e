import { ListState, Table, useData, when } from './shared.tsx';

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
      <h2 id="workers-title">Workers</h2>
      <p>Workers report every 10 seconds; one silent for 30 seconds is shown as gone.</p>
      <ListState
        data={data}
        error={error}
        empty="No worker is running: queued jobs wait until one starts (framehouse worker)."
      >
        {(rows) => (
          <Table
            caption="Worker processes, oldest first"
            headers={[
              'Worker',
              'Host',
              'Role',
              'Job types',
              'Busy slots',
              'Started',
              'Last heartbeat',
              'Status',
            ]}
          >
            {rows.map((w) => (
              <tr key={w.id}>
                <td>{w.id}</td>
                <td>{w.host}</td>
                <td>{w.role}</td>
                <td>{w.types.length ? w.types.join(', ') : '—'}</td>
                <td>
                  {w.busy} of {w.slots}
                </td>
                <td>{when(w.started_at)}</td>
                <td>{when(w.last_heartbeat_at)}</td>
                <td>{w.alive ? 'Alive' : 'Gone (no heartbeat)'}</td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
    </section>
  );
}
