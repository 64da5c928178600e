import { useState } from 'preact/hooks';
import { formatBytes } from '../i18n/format.ts';
import { ListState, StackPager, Table, useData, when } from './shared.tsx';

interface Backup {
  id: string;
  trigger: 'cli' | 'schedule';
  status: 'running' | 'succeeded' | 'failed';
  target: string;
  objects: 'all' | 'none';
  secrets_included: boolean;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  size_bytes: number | null;
  objects_total: number | null;
  objects_copied: number | null;
  verification: 'passed' | 'failed' | null;
  verification_problems: string[];
  error: { code: string; message: string } | null;
}

interface Schedule {
  cron: string;
  next_run_at: string | null;
  target: string;
  keep: number;
  objects: 'all' | 'none';
  secrets_included: boolean;
}

const PAGE = 25;
const EVERY_MS = 10_000;

const STATUS: Record<Backup['status'], { label: string; badge: string }> = {
  running: { label: 'Running', badge: 'processing' },
  succeeded: { label: 'Succeeded', badge: 'ready' },
  failed: { label: 'Failed', badge: 'errored' },
};

export const formatMs = (ms: number | null) => {
  if (ms === null) return '—';
  const s = ms / 1000;
  if (s < 90) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
};

const size = (n: number | null) => (n === null ? '—' : formatBytes(n));

/** Runs newest first (polled: a running backup turns into its outcome), and the schedule above them. */
export function BackupsTab() {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const page = new URLSearchParams({ limit: String(PAGE), ...(cursor ? { cursor } : {}) });
  const list = useData<Backup[], { schedule: Schedule | null }>(`/v1/admin/backups?${page}`, {
    everyMs: EVERY_MS,
  });
  const older = list.next;
  return (
    <section aria-labelledby="backups-title">
      <h2 id="backups-title">Backups</h2>
      <ScheduleLine schedule={list.body?.schedule} />
      <ListState
        data={list.data}
        error={list.error}
        empty="No backup has run yet. Run `framehouse backup --to DIR`, or set FRAMEHOUSE_BACKUP_SCHEDULE."
      >
        {(rows) => (
          <Table
            caption="Backup runs, newest first"
            headers={[
              'Status',
              'Started',
              'Duration',
              'Size',
              'Objects copied',
              'Verification',
              'Error',
              'Run by',
            ]}
          >
            {rows.map((b) => (
              <tr key={b.id} data-backup={b.id}>
                <td>
                  <span class={`badge badge-${STATUS[b.status].badge}`} data-status={b.status}>
                    {STATUS[b.status].label}
                  </span>
                </td>
                <td>
                  {when(b.started_at)}
                  <br />
                  <small>{b.id}</small>
                </td>
                <td>{formatMs(b.duration_ms)}</td>
                <td>{size(b.size_bytes)}</td>
                <td>
                  {b.objects === 'none'
                    ? 'none (left to the bucket)'
                    : b.objects_total === null
                      ? '—'
                      : `${b.objects_copied ?? 0} of ${b.objects_total}`}
                </td>
                <td>
                  <Verification backup={b} />
                </td>
                <td>
                  {b.error ? (
                    <>
                      <code>{b.error.code}</code> {b.error.message}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td>
                  {b.trigger === 'schedule' ? 'Schedule' : 'Command line'}
                  <br />
                  <small>{b.target}</small>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      <StackPager label="Backup pages" cursors={cursors} older={older} setCursors={setCursors} />
    </section>
  );
}

function ScheduleLine({ schedule }: { schedule: Schedule | null | undefined }) {
  if (schedule === undefined) return null;
  if (schedule === null)
    return (
      <p data-schedule="none">
        No schedule: backups run only from the command line. Set FRAMEHOUSE_BACKUP_SCHEDULE (a cron expression
        such as <code>0 3 * * *</code>) on the workers to run them here.
      </p>
    );
  return (
    <dl class="facts-grid" data-schedule={schedule.cron}>
      <dt>Schedule</dt>
      <dd>
        <code>{schedule.cron}</code>
      </dd>
      <dt>Next run</dt>
      <dd data-next-run={schedule.next_run_at ?? ''}>{when(schedule.next_run_at)}</dd>
      <dt>Target</dt>
      <dd>{schedule.target}</dd>
      <dt>Keeps</dt>
      <dd>the newest {schedule.keep} backups</dd>
      <dt>Objects</dt>
      <dd>{schedule.objects === 'all' ? 'copied into the target' : 'not copied (left to the bucket)'}</dd>
      <dt>Secrets</dt>
      <dd>{schedule.secrets_included ? 'included, encrypted with the passphrase' : 'left out'}</dd>
    </dl>
  );
}

function Verification({ backup }: { backup: Backup }) {
  if (backup.verification === null) return <>—</>;
  if (backup.verification === 'passed') return <>Passed</>;
  const problems = backup.verification_problems;
  return (
    <details>
      <summary>
        Failed: {problems.length} problem{problems.length === 1 ? '' : 's'}
      </summary>
      <ul>
        {problems.map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
    </details>
  );
}
