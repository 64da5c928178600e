import { useState } from 'preact/hooks';
import { formatBytes, formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { amount, ListState, ofTotal, StackPager, Table, useData, when } from './shared.tsx';

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

const STATUS: Record<Backup['status'], { label: () => string; badge: string }> = {
  running: { label: m.admin_backups_status_running, badge: 'processing' },
  succeeded: { label: m.admin_backups_status_succeeded, badge: 'ready' },
  failed: { label: m.admin_backups_status_failed, badge: 'errored' },
};

export const formatMs = (ms: number | null) => {
  if (ms === null) return '—';
  const s = ms / 1000;
  if (s < 90) return amount(s < 10 ? Math.round(s * 10) / 10 : Math.round(s), 'second', 1);
  if (s < 5400) return amount(Math.round(s / 60), 'minute');
  return amount(s / 3600, 'hour', 1);
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
      <h2 id="backups-title">{m.admin_backups_title()}</h2>
      <ScheduleLine schedule={list.body?.schedule} />
      <ListState data={list.data} error={list.error} empty={m.admin_backups_empty()}>
        {(rows) => (
          <Table
            caption={m.admin_backups_caption()}
            headers={[
              m.admin_backups_col_status(),
              m.admin_backups_col_started(),
              m.admin_backups_col_duration(),
              m.admin_backups_col_size(),
              m.admin_backups_col_objects(),
              m.admin_backups_col_verification(),
              m.admin_backups_col_error(),
              m.admin_backups_col_run_by(),
            ]}
          >
            {rows.map((b) => (
              <tr key={b.id} data-backup={b.id}>
                <td>
                  <span class={`badge badge-${STATUS[b.status].badge}`} data-status={b.status}>
                    {STATUS[b.status].label()}
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
                    ? m.admin_backups_objects_none()
                    : b.objects_total === null
                      ? '—'
                      : ofTotal(b.objects_copied ?? 0, b.objects_total)}
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
                  {b.trigger === 'schedule' ? m.admin_backups_by_schedule() : m.admin_backups_by_cli()}
                  <br />
                  <small>{b.target}</small>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      <StackPager label={m.admin_backups_pages()} cursors={cursors} older={older} setCursors={setCursors} />
    </section>
  );
}

function ScheduleLine({ schedule }: { schedule: Schedule | null | undefined }) {
  if (schedule === undefined) return null;
  if (schedule === null)
    return (
      <p data-schedule="none">
        {m.admin_backups_no_schedule_before()} <code>0 3 * * *</code>
        {m.admin_backups_no_schedule_after()}
      </p>
    );
  return (
    <dl class="facts-grid" data-schedule={schedule.cron}>
      <dt>{m.admin_backups_schedule()}</dt>
      <dd>
        <code>{schedule.cron}</code>
      </dd>
      <dt>{m.admin_backups_next_run()}</dt>
      <dd data-next-run={schedule.next_run_at ?? ''}>{when(schedule.next_run_at)}</dd>
      <dt>{m.admin_backups_target()}</dt>
      <dd>{schedule.target}</dd>
      <dt>{m.admin_backups_keeps()}</dt>
      <dd>{m.admin_backups_keeps_newest({ count: schedule.keep, n: formatNumber(schedule.keep) })}</dd>
      <dt>{m.admin_backups_objects()}</dt>
      <dd>
        {schedule.objects === 'all' ? m.admin_backups_objects_copied() : m.admin_backups_objects_not_copied()}
      </dd>
      <dt>{m.admin_backups_secrets()}</dt>
      <dd>
        {schedule.secrets_included ? m.admin_backups_secrets_included() : m.admin_backups_secrets_left_out()}
      </dd>
    </dl>
  );
}

function Verification({ backup }: { backup: Backup }) {
  if (backup.verification === null) return <>—</>;
  if (backup.verification === 'passed') return <>{m.admin_backups_verification_passed()}</>;
  const problems = backup.verification_problems;
  return (
    <details>
      <summary>
        {m.admin_backups_verification_failed({ count: problems.length, n: formatNumber(problems.length) })}
      </summary>
      <ul>
        {problems.map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
    </details>
  );
}
