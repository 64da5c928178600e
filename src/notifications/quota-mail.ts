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
  const { quota, level } = p.data;
  return composeMail({
    to: p.to,
    subject:
      level === 100
        ? `${QUOTA_TITLES[quota]}: your quota is reached`
        : `${QUOTA_TITLES[quota]}: ${level} % of your quota used`,
    paragraphs: [
      usedSentence(p.data),
      atTheLimit(quota),
      'An administrator of this server can raise your quota.',
    ],
    link: { url: p.link, label: 'See your usage' },
    footer: 'You get this message because a quota is set for your account on this Framehouse server.',
  });
}

function usedSentence({ quota, level, used, limit, period }: UsageThresholdData): string {
  // A share over 100 % (usage read after the notice) or of a limit of 0 reads as 100 %.
  const percent = limit > 0 ? Math.min(100, Math.floor((used / limit) * 100)) : 100;
  const share = level === 100 ? 'your quota' : `${percent} % of your quota`;
  switch (quota) {
    case 'storage_bytes':
      return `Your storage holds ${formatAmount(quota, used)}: ${share} of ${formatAmount(quota, limit)}${level === 100 ? ' is reached' : ''}.`;
    case 'encoding_minutes_per_month':
      return `You have used ${formatAmount(quota, used)} of encoding in ${period} (UTC): ${share} of ${formatAmount(quota, limit)} a month${level === 100 ? ' is reached' : ''}.`;
    case 'live_streams': {
      const receiving = used === 1 ? 'One of your live streams is' : `${used} of your live streams are`;
      return level === 100
        ? `A publish to one of your live streams was refused: ${receiving.replace(/^One/, 'one')} already receiving one, and your quota is ${limit} at once.`
        : // Counted, not a share: "1 live stream of yours is receiving a publish" reads right at any level.
          `${formatAmount(quota, used)} of yours ${used === 1 ? 'is' : 'are'} receiving a publish: your quota is ${limit} at once.`;
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
          .select('email')
          .where('id', '=', data.user_id)
          .executeTakeFirst();
        if (!user) continue;
        const mail = renderQuotaMail({ to: user.email, data, link: `${opts.publicUrl}/settings#usage` });
        await enqueueJob(queue, trx, sendMailSpec, mail, { dedupeKey: `quota-mail:${event.id}` });
        jobs++;
      }
      return jobs;
    },
    onError,
  );
}
