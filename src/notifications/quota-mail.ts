import type { Db } from '../db/database.ts';
import { OutboxDispatcher } from '../events/outbox-dispatcher.ts';
import { enqueueJob } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { atTheLimit, formatAmount, QUOTA_TITLES, type QuotaName } from '../quotas/quota-rules.ts';
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

/** Which quota, how much is used of it, what happens at 100 %: in plain words. */
export function renderQuotaMail(p: { to: string; data: UsageThresholdData; link: string }): Mail {
  const { quota, level, used, limit, period } = p.data;
  const title = QUOTA_TITLES[quota];
  const amount = `${formatAmount(quota, used)} of ${formatAmount(quota, limit)}`;
  const month = quota === 'encoding_minutes_per_month' ? ` in ${period} (UTC)` : '';
  const first =
    quota === 'live_streams' && level === 100
      ? `A publish to one of your live streams was refused: ${amount} already receive one, your quota at once.`
      : level === 100
        ? `You have reached your ${title} quota${month}: ${amount}.`
        : `You have used ${Math.floor((used / limit) * 100)} % of your ${title} quota${month}: ${amount}.`;
  return composeMail({
    to: p.to,
    subject: level === 100 ? `Quota reached: ${title}` : `${level} % of your quota used: ${title}`,
    paragraphs: [first, atTheLimit(quota), 'An administrator of this server can raise your quota.'],
    link: { url: p.link, label: 'See your usage' },
    footer: 'You get this message because a quota is set for your account on this Framehouse server.',
  });
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
          .select('email')
          .where('id', '=', data.user_id)
          .executeTakeFirst();
        if (!user) continue;
        const mail = renderQuotaMail({ to: user.email, data, link: `${opts.publicUrl}/settings` });
        await enqueueJob(queue, trx, sendMailSpec, mail, { dedupeKey: `quota-mail:${event.id}` });
        jobs++;
      }
      return jobs;
    },
    onError,
  );
}
