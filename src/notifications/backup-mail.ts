import type { Db } from '../db/database.ts';
import { OutboxDispatcher } from '../events/outbox-dispatcher.ts';
import { recordedErrorText } from '../i18n/error-messages.ts';
import { textFormat } from '../i18n/format.ts';
import { accountLocale, DEFAULT_LOCALE, type Locale } from '../i18n/locales.ts';
import { mailMessages } from '../i18n/mail-messages.ts';
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

export function renderBackupFailedMail(p: {
  to: string;
  data: BackupFailedData;
  link: string;
  locale?: Locale;
}): Mail {
  const { data } = p;
  const locale = p.locale ?? DEFAULT_LOCALE;
  const t = mailMessages(locale).backupFailed;
  const code = data.error?.code;
  // A registered code reads in the reader's language (English: the message recorded with it).
  const reason = recordedErrorText(code, data.error?.message, locale) || code || t.noReason;
  // The verification's findings are the checker's own words (file names, checksums): as recorded.
  const problems = data.verification_problems ?? [];
  return composeMail({
    to: p.to,
    subject: t.subject(code || null),
    paragraphs: [
      t.happened({
        fromCli: data.trigger === 'cli',
        id: data.backup_id ?? null,
        started: data.started_at ? textFormat(locale).dateTime(data.started_at) : null,
        reason,
      }),
      ...(problems.length ? [t.verification(problems.join('; '))] : []),
      t.consequence,
    ],
    link: { url: p.link, label: t.link },
    footer: t.footer,
    lang: locale,
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
        .select(['id', 'email', 'locale'])
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
            locale: accountLocale(admin.locale),
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
