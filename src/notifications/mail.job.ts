import type { Db } from '../db/database.ts';
import { defineJob, enqueueJob, type JobDefinition, jobSpec } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import type { Mail, Mailer } from './mailer.ts';

/** Up to 6 tries over roughly half an hour with the queue's backoff: an SMTP relay that is down for a while loses nothing. */
export const sendMailSpec = jobSpec<Mail>('email.send', { maxAttempts: 6 });

/** Hands one message to SMTP; a refusal or a network error is retried by the queue. */
export function sendMailJob(smtp: Mailer): JobDefinition<Mail> {
  return defineJob<Mail>(sendMailSpec.type, {
    ...sendMailSpec,
    timeoutMs: 5 * 60_000,
    handler: async ({ payload }) => {
      await smtp.send(payload);
    },
  });
}

/**
 * The mailer the request paths use (password reset, sign-in notices): it queues the message
 * and answers at once, so an SMTP relay that is slow or down neither delays the request nor
 * loses the mail. Without SMTP configured it is the plain mailer (which logs and drops).
 */
export class QueuedMailer implements Mailer {
  readonly #smtp: Mailer;
  readonly #queue: JobQueue;
  readonly #db: Db;

  constructor(smtp: Mailer, queue: JobQueue, db: Db) {
    this.#smtp = smtp;
    this.#queue = queue;
    this.#db = db;
  }

  get configured(): boolean {
    return this.#smtp.configured;
  }

  async send(mail: Mail): Promise<void> {
    if (!this.#smtp.configured) return this.#smtp.send(mail);
    await enqueueJob(this.#queue, this.#db, sendMailSpec, mail);
  }
}
