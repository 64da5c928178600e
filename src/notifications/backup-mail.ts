import type { Db } from '../db/database.ts';
import { OutboxDispatcher } from '../events/outbox-dispatcher.ts';
import { enqueueJob } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { sendMailSpec } from './mail.job.ts';
import type { Mail } from './mailer.ts';
import { composeMail } from './templates.ts';

/** The part of a `backup.failed` event the mail says (src/backup/backup-signals.ts). */
interface BackupFailedData {
  backup_id?: string | null;
  trigger?: string;
  started_at?: string;
  error?: { code?: string; message?: string } | null;
  verification_problems?: string[];
}

export function renderBackupFailedMail(p: { to: string; data: BackupFailedData; link: string }): Mail {
  const { data } = p;
  const what = data.trigger === 'cli' ? 'A backup run from the command line' : 'The scheduled backup';
  const reason = data.error?.message || data.error?.code || 'no reason was recorded';
  const problems = data.verification_problems ?? [];
  return composeMail({
    to: p.to,
    subject: `Backup failed${data.error?.code ? `: ${data.error.code}` : ''}`,
    paragraphs: [
      `${what}${data.backup_id ? ` (${data.backup_id})` : ''}${data.started_at ? `, started ${data.started_at},` : ''} failed: ${reason}`,
      ...(problems.length ? [`Its verification found: ${problems.join('; ')}`] : []),
      'Until a backup succeeds, the newest good backup is older than you planned. The next scheduled run tries again.',
    ],
    link: { url: p.link, label: 'See the backups' },
    footer: 'You get this message because you are an admin of this Framehouse server.',
  });
}

/**
 * `backup.failed` → one mail to every admin account, queued in the same transaction as the
 * outbox cursor moves (once per event across all nodes). Nothing is queued without SMTP: the
 * metrics and webhooks still say it.
 */
export function backupMailDispatcher(
  db: Db,
  queue: JobQueue,
  opts: { smtpConfigured: boolean; publicUrl: string },
  onError: (err: unknown) => void,
): OutboxDispatcher {
  return new OutboxDispatcher(
    db,
    'backup_mail_dispatch',
    async (trx, events) => {
      const failures = events.filter((e) => e.type === 'backup.failed');
      if (!opts.smtpConfigured || failures.length === 0) return 0;
      const admins = await trx
        .selectFrom('users')
        .select(['id', 'email'])
        .where('role', '=', 'admin')
        .orderBy('email')
        .execute();
      let jobs = 0;
      for (const event of failures) {
        const data = JSON.parse(event.data) as BackupFailedData;
        for (const admin of admins) {
          const mail = renderBackupFailedMail({
            to: admin.email,
            data,
            link: `${opts.publicUrl}/admin/backups`,
          });
          await enqueueJob(queue, trx, sendMailSpec, mail, {
            dedupeKey: `backup-mail:${event.id}:${admin.id}`,
          });
          jobs++;
        }
      }
      return jobs;
    },
    onError,
  );
}
