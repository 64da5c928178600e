import type { Db } from '../db/database.ts';
import { OutboxDispatcher } from '../events/outbox-dispatcher.ts';
import { type TextFormat, textFormat } from '../i18n/format.ts';
import { accountLocale, DEFAULT_LOCALE, type Locale } from '../i18n/locales.ts';
import { type MailMessages, mailMessages } from '../i18n/mail-messages.ts';
import { enqueueJob } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import type { QuotaName } from '../quotas/quota-rules.ts';
import { sendMailSpec } from './mail.job.ts';
import type { Mail } from './mailer.ts';
import { composeMail } from './templates.ts';

/** A `usage.threshold` event's data (src/quotas/quota-notices.ts). */
export interface UsageThresholdData {
  owner: string;
  user_id: string | null;
  quota: QuotaName;
  level: 80 | 100;
  used: number;
  limit: number;
  period: string;
}

/** Which quota, how much is used of it, what happens at 100 %: in plain words, in the reader's language. */
export function renderQuotaMail(p: {
  to: string;
  data: UsageThresholdData;
  link: string;
  locale?: Locale;
}): Mail {
  const { quota, level } = p.data;
  const locale = p.locale ?? DEFAULT_LOCALE;
  const t = mailMessages(locale).quota;
  const f = textFormat(locale);
  const title = t.title[quota];
  return composeMail({
    to: p.to,
    subject: level === 100 ? t.reachedSubject(title) : t.levelSubject(title, f.number(level)),
    paragraphs: [usedSentence(p.data, t, f), t.atTheLimit(t.whenFull[quota]), t.adminCanRaise],
    link: { url: p.link, label: t.link },
    footer: t.footer,
    lang: locale,
  });
}

function usedSentence(
  { quota, level, used, limit, period }: UsageThresholdData,
  t: MailMessages['quota'],
  f: TextFormat,
): string {
  // A share over 100 % (usage read after the notice) or of a limit of 0 reads as 100 %.
  const percent =
    level === 100 ? null : f.number(limit > 0 ? Math.min(100, Math.floor((used / limit) * 100)) : 100);
  switch (quota) {
    case 'storage_bytes':
      return t.storageUsed({ used: f.bytes(used), limit: f.bytes(limit), percent });
    case 'encoding_minutes_per_month':
      return t.encodingUsed({
        used: f.minutes(used),
        limit: f.minutes(limit),
        percent,
        month: f.month(period),
      });
    case 'live_streams': {
      // Counted, not a share: "1 live stream of yours is receiving a publish" reads right at any level.
      const streams = { receiving: used, receivingText: f.number(used), limit: f.number(limit) };
      return level === 100 ? t.liveRefused(streams) : t.liveOnAir(streams);
    }
  }
}

/**
 * `usage.threshold` → one mail to the user it concerns (API keys have no quota, so no mail), queued
 * in the same transaction as the outbox cursor moves: once per event across all nodes. Sent
 * whatever the upload-notice setting says: it is about the account, not an upload.
 */
export function quotaMailDispatcher(
  db: Db,
  queue: JobQueue,
  opts: { smtpConfigured: boolean; publicUrl: string },
  onError: (err: unknown) => void,
): OutboxDispatcher {
  return new OutboxDispatcher(
    db,
    'quota_mail_dispatch',
    async (trx, events) => {
      const notices = events.filter((e) => e.type === 'usage.threshold');
      if (!opts.smtpConfigured || notices.length === 0) return 0;
      let jobs = 0;
      for (const event of notices) {
        const data = JSON.parse(event.data) as UsageThresholdData;
        if (!data.user_id) continue;
        const user = await trx
          .selectFrom('users')
          .select(['email', 'locale'])
          .where('id', '=', data.user_id)
          .executeTakeFirst();
        if (!user) continue;
        const mail = renderQuotaMail({
          to: user.email,
          data,
          link: `${opts.publicUrl}/settings#usage`,
          locale: accountLocale(user.locale),
        });
        await enqueueJob(queue, trx, sendMailSpec, mail, { dedupeKey: `quota-mail:${event.id}` });
        jobs++;
      }
      return jobs;
    },
    onError,
  );
}
