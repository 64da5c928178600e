import type { OutboxDispatcher } from '../events/outbox-dispatcher.ts';
import { backupMailDispatcher } from '../notifications/backup-mail.ts';
import { assetMailDispatcher } from '../notifications/mail-dispatcher.ts';
import { quotaMailDispatcher } from '../notifications/quota-mail.ts';
import { webhookDispatcher } from '../webhooks/dispatcher.ts';
import type { Infrastructure } from './infrastructure.ts';

/**
 * What turns outbox events into work on nodes with job slots: webhook deliveries and e-mail
 * notices (once each, whichever node is first). The events API (`GET /v1/events`, the SSE
 * stream) reads the outbox on its own, on api nodes.
 */
export function outboxConsumers(
  { db, queue, log }: Infrastructure,
  mail: { smtpConfigured: boolean; publicUrl: string },
): OutboxDispatcher[] {
  return [
    webhookDispatcher(db, queue, (err) => log.warn({ err }, 'webhook dispatch failed')),
    assetMailDispatcher(db, queue, (err) => log.warn({ err }, 'mail dispatch failed')),
    // A failed backup (scheduled or from the CLI) → a mail to every admin.
    backupMailDispatcher(db, queue, mail, (err) => log.warn({ err }, 'backup mail dispatch failed')),
    // A quota's 80 % / 100 % notice → a mail to the user it concerns.
    quotaMailDispatcher(db, queue, mail, (err) => log.warn({ err }, 'quota mail dispatch failed')),
  ];
}
