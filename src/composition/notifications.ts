import type { Config } from '../config/config.ts';
import { assetMailJob } from '../notifications/asset-mail.ts';
import { QueuedMailer, sendMailJob } from '../notifications/mail.job.ts';
import { createMailer } from '../notifications/mailer.ts';
import type { AnyJobDefinition } from '../queue/jobs.ts';
import type { Infrastructure } from './infrastructure.ts';

/** E-mail: the SMTP mailer, and the queued one requests use (reset links, sign-in notices). */
export function notificationServices(config: Config, { db, queue, log }: Infrastructure) {
  const smtp = createMailer(config.smtpUrl, config.mailFrom, log);
  // Requests queue their mail; workers hand it to SMTP and retry.
  const mailer = new QueuedMailer(smtp, queue, db);
  // Where links in mails point (the admins' backup-failure mail).
  const publicUrl = config.publicUrl ?? `http://localhost:${config.port}`;
  return { smtp, mailer, publicUrl };
}

export type NotificationServices = ReturnType<typeof notificationServices>;

/** Asset notices (ready, errored) and the queued mail itself. */
export function notificationJobs(
  config: Config,
  { db }: Infrastructure,
  { smtp }: NotificationServices,
): AnyJobDefinition[] {
  return [
    assetMailJob({ db, mailer: smtp, publicUrl: config.publicUrl ?? `http://localhost:${config.port}` }),
    sendMailJob(smtp),
  ];
}
