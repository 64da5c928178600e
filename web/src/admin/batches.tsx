import { useLiveEvents } from '../live.ts';
import { ListState, Table, useData, when } from './shared.tsx';

interface Batch {
  id: string;
  status: 'running' | 'completed';
  presets: string[];
  total: number;
  done: number;
  failed: number;
  created_at: string;
  finished_at: string | null;
  throughput: number | null;
  eta_seconds: number | null;
  errors: Array<{ asset_id: string; code: string; message: string }>;
}

const eta = (s: number | null) =>
  s === null ? '—' : s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;

/** Image batches with live progress: each batch event (every 5 %, and the end) reloads the list. */
export function BatchesTab() {
  const { data, error, reload } = useData<Batch[]>('/v1/batches?limit=20');
  useLiveEvents(['batch.created', 'batch.progress', 'batch.completed'], reload);
  return (
    <section aria-labelledby="batches-title">
      <h2 id="batches-title">Image batches</h2>
      <p>
        Started with <code>POST /v1/batches</code> or <code>framehouse images batch</code>; progress arrives
        live.
      </p>
      <ListState data={data} error={error} empty="No image batches yet.">
        {(rows) => (
          <Table
            caption="Image batches, newest first"
            headers={['Batch', 'Presets', 'Progress', 'Speed', 'Time left', 'Started', 'Failed items']}
          >
            {rows.map((b) => {
              const finished = b.done + b.failed;
              return (
                <tr key={b.id} data-batch={b.id} data-status={b.status}>
                  <td>{b.id}</td>
                  <td>{b.presets.join(', ')}</td>
                  <td>
                    <progress max={b.total} value={finished} aria-label={`${finished} of ${b.total}`} />{' '}
                    {finished}/{b.total} {b.status === 'completed' ? '(done)' : ''}
                  </td>
                  <td>{b.throughput === null ? '—' : `${b.throughput.toFixed(2)} images/s`}</td>
                  <td>{b.status === 'completed' ? '—' : eta(b.eta_seconds)}</td>
                  <td>{when(b.created_at)}</td>
                  <td>
                    {b.failed === 0 ? (
                      '0'
                    ) : (
                      <details>
                        <summary>{b.failed}</summary>
                        <ul>
                          {b.errors.map((e) => (
                            <li key={e.asset_id}>
                              {e.asset_id}: {e.message} ({e.code})
                            </li>
                          ))}
                        </ul>
                      </details>
                    )}
                  </td>
                </tr>
              );
            })}
          </Table>
        )}
      </ListState>
    </section>
  );
}
