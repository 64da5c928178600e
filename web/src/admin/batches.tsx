import { formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { rich } from '../i18n/rich.tsx';
import { useLiveEvents } from '../live.ts';
import { amount, ListState, ofTotal, Table, useData, when } from './shared.tsx';

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
  s === null
    ? '—'
    : s >= 60
      ? m.admin_batches_eta({
          minutes: amount(Math.floor(s / 60), 'minute'),
          seconds: amount(s % 60, 'second'),
        })
      : amount(s, 'second');

/** Image batches with live progress: each batch event (every 5 %, and the end) reloads the list. */
export function BatchesTab() {
  const { data, error, reload } = useData<Batch[]>('/v1/batches?limit=20');
  useLiveEvents(['batch.created', 'batch.progress', 'batch.completed'], reload);
  return (
    <section aria-labelledby="batches-title">
      <h2 id="batches-title">{m.admin_batches_title()}</h2>
      <p>
        {rich(m.admin_batches_intro, {
          // i18n-ignore: an API route, as typed
          route: <code>POST /v1/batches</code>,
          // i18n-ignore: a command, as typed
          command: <code>framehouse images batch</code>,
        })}
      </p>
      <ListState data={data} error={error} empty={m.admin_batches_empty()}>
        {(rows) => (
          <Table
            caption={m.admin_batches_caption()}
            headers={[
              m.admin_batches_col_batch(),
              m.admin_batches_col_presets(),
              m.admin_batches_col_progress(),
              m.admin_batches_col_speed(),
              m.admin_batches_col_left(),
              m.admin_batches_col_started(),
              m.admin_batches_col_failed(),
            ]}
          >
            {rows.map((b) => {
              const finished = b.done + b.failed;
              return (
                <tr key={b.id} data-batch={b.id} data-status={b.status}>
                  <td>{b.id}</td>
                  <td>{b.presets.join(', ')}</td>
                  <td>
                    <progress max={b.total} value={finished} aria-label={ofTotal(finished, b.total)} />{' '}
                    {formatNumber(finished)}/{formatNumber(b.total)}{' '}
                    {b.status === 'completed' ? m.admin_batches_done() : ''}
                  </td>
                  <td>
                    {b.throughput === null
                      ? '—'
                      : m.admin_batches_speed({
                          rate: formatNumber(b.throughput, {
                            minimumFractionDigits: 2,
                            maximumFractionDigits: 2,
                          }),
                        })}
                  </td>
                  <td>{b.status === 'completed' ? '—' : eta(b.eta_seconds)}</td>
                  <td>{when(b.created_at)}</td>
                  <td>
                    {b.failed === 0 ? (
                      formatNumber(0)
                    ) : (
                      <details>
                        <summary>{formatNumber(b.failed)}</summary>
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
