import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { type Asset, api } from '../api.ts';
import { formatNumber, formatPercent } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { ErrorLine, ListState, OutcomeLine, ofTotal, Table, useAction, useData, when } from './shared.tsx';

interface Job {
  id: string;
  type: string;
  state: 'queued' | 'running' | 'completed' | 'dead';
  attempts: number;
  max_attempts: number;
  error: string | null;
  payload: unknown;
  run_at: string;
  lease_owner: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

// Words as functions: read in the language chosen when the page draws.
const STATES = [
  {
    value: 'dead',
    label: m.admin_jobs_state_dead,
    caption: m.admin_jobs_caption_dead,
    empty: m.admin_jobs_empty_dead,
  },
  {
    value: 'running',
    label: m.admin_jobs_state_running,
    caption: m.admin_jobs_caption_running,
    empty: m.admin_jobs_empty_running,
  },
  {
    value: 'queued',
    label: m.admin_jobs_state_queued,
    caption: m.admin_jobs_caption_queued,
    empty: m.admin_jobs_empty_queued,
  },
  {
    value: 'completed',
    label: m.admin_jobs_state_completed,
    caption: m.admin_jobs_caption_completed,
    empty: m.admin_jobs_empty_completed,
  },
] as const;
type State = (typeof STATES)[number]['value'];
const LIMIT = 100;

const assetOf = (j: Job) => {
  const id = (j.payload as { assetId?: unknown } | null)?.assetId;
  return typeof id === 'string' ? id : null;
};

/** Jobs by state: running ones live, the dead-letter list with redrive and discard. */
export function JobsTab() {
  const [state, setState] = useState<State>('dead');
  const [type, setType] = useState('');
  const [progress, setProgress] = useState<Record<string, number | null>>({});
  const types = useData<Array<{ type: string }>>('/v1/admin/queues');
  const params = new URLSearchParams({ state, limit: String(LIMIT) });
  if (type) params.set('type', type);
  const jobs = useData<Job[]>(`/v1/admin/jobs?${params}`, {
    everyMs: state === 'running' || state === 'queued' ? 3000 : undefined,
    // Jobs carry no progress; the asset a transcode works on does (probing is too quick to need one).
    onData: (rows) => {
      if (state !== 'running') return;
      const assets = rows.filter((j) => j.type === 'transcode').map(assetOf);
      for (const id of assets.slice(0, 20)) {
        if (!id) continue;
        void api<{ data: Asset }>(`/v1/assets/${id}`)
          .then((a) => setProgress((p) => ({ ...p, [id]: a.data.progress })))
          .catch(() => {});
      }
    },
  });
  const action = useAction();
  const redrive = (j: Job) =>
    action.run(m.admin_jobs_redrive_confirm({ type: j.type, id: j.id }), async () => {
      await api(`/v1/admin/jobs/${j.id}/redrive`, { method: 'POST' });
      jobs.reload();
      return m.admin_jobs_redrive_done({ type: j.type, id: j.id });
    });
  const discard = (j: Job) =>
    action.run(
      j.state === 'running'
        ? m.admin_jobs_cancel_confirm({ type: j.type, id: j.id })
        : m.admin_jobs_discard_confirm({ type: j.type, id: j.id }),
      async () => {
        await api(`/v1/admin/jobs/${j.id}`, { method: 'DELETE' });
        jobs.reload();
        return m.admin_jobs_discard_done({ type: j.type, id: j.id });
      },
    );
  const current = STATES.find((s) => s.value === state) ?? STATES[0];

  return (
    <section aria-labelledby="jobs-title">
      <h2 id="jobs-title">{m.admin_jobs_title()}</h2>
      <div class="toolbar">
        <label>
          {m.admin_jobs_state()}{' '}
          <select value={state} onChange={(e) => setState(e.currentTarget.value as State)}>
            {STATES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label()}
              </option>
            ))}
          </select>
        </label>
        <label>
          {m.admin_jobs_type()}{' '}
          <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">{m.admin_jobs_all_types()}</option>
            {types.data?.map((t) => (
              <option key={t.type} value={t.type}>
                {t.type}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorLine error={types.error} />
      <OutcomeLine value={action.outcome} />
      <ListState data={jobs.data} error={jobs.error} empty={current.empty()}>
        {(rows) => (
          <>
            <Table caption={current.caption()} headers={headersFor(state)}>
              {rows.map((j) => (
                <tr key={j.id}>
                  <td>
                    {j.type}
                    <br />
                    <small>{j.id}</small>
                  </td>
                  <td>
                    {assetOf(j) ? (
                      <Link href={`/assets/${assetOf(j)}`}>
                        {m.admin_jobs_asset({ id: assetOf(j) ?? '' })}
                      </Link>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{ofTotal(j.attempts, j.max_attempts)}</td>
                  <StateCells job={j} progress={progress} />
                  <td>
                    {j.state === 'dead' && (
                      <button type="button" disabled={action.busy} onClick={() => redrive(j)}>
                        {m.admin_jobs_redrive()}
                      </button>
                    )}
                    {j.state !== 'completed' && (
                      <button type="button" class="danger" disabled={action.busy} onClick={() => discard(j)}>
                        {j.state === 'running' ? m.admin_jobs_cancel() : m.admin_jobs_discard()}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </Table>
            {rows.length >= LIMIT && <p>{m.admin_jobs_limited({ count: LIMIT, n: formatNumber(LIMIT) })}</p>}
          </>
        )}
      </ListState>
    </section>
  );
}

function headersFor(state: State) {
  const middle = {
    dead: [m.admin_jobs_col_last_error(), m.admin_jobs_col_failed()],
    running: [m.admin_jobs_col_progress(), m.admin_jobs_col_worker(), m.admin_jobs_col_started()],
    queued: [m.admin_jobs_col_runs_at(), m.admin_jobs_col_queued()],
    completed: [m.admin_jobs_col_finished()],
  }[state];
  return [
    m.admin_jobs_col_type(),
    m.admin_jobs_col_for(),
    m.admin_jobs_col_attempts(),
    ...middle,
    m.admin_jobs_col_actions(),
  ];
}

function StateCells({ job: j, progress }: { job: Job; progress: Record<string, number | null> }) {
  if (j.state === 'dead')
    return (
      <>
        <td>
          <ErrorText text={j.error} />
        </td>
        <td>{when(j.finished_at ?? j.updated_at)}</td>
      </>
    );
  if (j.state === 'running') {
    const asset = assetOf(j);
    const p = asset ? progress[asset] : null;
    return (
      <>
        <td>
          {p == null ? (
            '—'
          ) : (
            <progress max={1} value={p} aria-label={m.admin_jobs_progress_label({ id: asset ?? '' })}>
              {formatPercent(p, 0)}
            </progress>
          )}
        </td>
        <td>{j.lease_owner ?? '—'}</td>
        <td>{when(j.updated_at)}</td>
      </>
    );
  }
  if (j.state === 'queued')
    return (
      <>
        <td>{when(j.run_at)}</td>
        <td>{when(j.created_at)}</td>
      </>
    );
  return <td>{when(j.finished_at)}</td>;
}

/** Errors can be long (a stack, ffmpeg's output): the first line, the rest on demand. */
function ErrorText({ text }: { text: string | null }) {
  if (!text) return <>—</>;
  const first = text.split('\n', 1)[0] ?? '';
  if (first.length <= 160 && first.length === text.length) return <>{text}</>;
  return (
    <details>
      <summary>{first.length > 160 ? `${first.slice(0, 160)}…` : first}</summary>
      <pre>{text}</pre>
    </details>
  );
}
