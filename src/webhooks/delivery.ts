import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Db } from '../db/database.ts';
import { recordEvent } from '../events/outbox.ts';
import { defineJob, enqueueJob, type JobDefinition, jobSpec } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { newId } from '../shared/ids.ts';
import { publicOnlyLookup } from '../shared/safe-url.ts';
import { isoNow } from '../shared/time.ts';
import { webhookHeaders } from './signing.ts';

export interface DeliveryPayload {
  webhookId: string;
  eventId: string;
  /** 1 for the first try. */
  attempt: number;
}

export const deliverWebhookSpec = jobSpec<DeliveryPayload>('webhook.deliver', {
  maxAttempts: 3,
  priority: 5,
});

export interface DeliveryConfig {
  /** Seconds to wait before each retry; its length is the number of retries (Standard Webhooks' schedule, within 24 h). */
  retrySchedule: number[];
  /** Failed attempts in a row after which an endpoint is disabled. */
  disableAfterFailures: number;
  allowPrivate: boolean;
  timeoutMs: number;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * One delivery attempt: POST the event, signed (Standard Webhooks), log the attempt, and on
 * failure schedule the next attempt with jittered delay — the retries are jobs of their own, so
 * the schedule is the webhook's, not the queue's.
 */
export function deliverWebhookJob(deps: {
  db: Db;
  queue: JobQueue;
  config: DeliveryConfig;
  onAttempt?: (outcome: 'delivered' | 'failed') => void;
}): JobDefinition<DeliveryPayload> {
  const { db, queue, config } = deps;
  return defineJob<DeliveryPayload>(deliverWebhookSpec.type, {
    visibilityTimeoutMs: config.timeoutMs * 3,
    timeoutMs: Math.max(5 * 60_000, config.timeoutMs * 3),
    handler: async ({ payload }) => {
      const webhook = await db
        .selectFrom('webhooks')
        .selectAll()
        .where('id', '=', payload.webhookId)
        .executeTakeFirst();
      const event = await db
        .selectFrom('events')
        .selectAll()
        .where('id', '=', payload.eventId)
        .executeTakeFirst();
      if (!webhook || !event || webhook.enabled !== 1) return; // deleted or disabled meanwhile
      const body = JSON.stringify({
        type: event.type,
        timestamp: event.created_at,
        data: {
          ...(JSON.parse(event.data) as object),
          ...(event.asset_id ? { asset_id: event.asset_id } : {}),
        },
      });
      const started = performance.now();
      const result = await post(webhook.url, webhookHeaders(webhook.secret, event.id, body), body, config);
      const latency = Math.round(performance.now() - started);
      const delivered = result.status !== null && result.status >= 200 && result.status < 300;
      deps.onAttempt?.(delivered ? 'delivered' : 'failed');

      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('webhook_deliveries')
          .values({
            id: newId(),
            webhook_id: webhook.id,
            event_id: event.id,
            event_type: event.type,
            attempt: payload.attempt,
            status_code: result.status,
            latency_ms: latency,
            error: result.error,
            outcome: delivered ? 'delivered' : 'failed',
            created_at: isoNow(),
          })
          .execute();
        if (delivered) {
          await trx.updateTable('webhooks').set({ failure_streak: 0 }).where('id', '=', webhook.id).execute();
          return;
        }
        const streak = webhook.failure_streak + 1;
        const disable = streak >= config.disableAfterFailures;
        await trx
          .updateTable('webhooks')
          .set({
            failure_streak: streak,
            ...(disable
              ? { enabled: 0, disabled_reason: `${streak} failed deliveries in a row`, updated_at: isoNow() }
              : {}),
          })
          .where('id', '=', webhook.id)
          .execute();
        if (disable) {
          await recordEvent(trx, 'webhook.disabled', null, {
            webhook_id: webhook.id,
            url: webhook.url,
            failures: streak,
          });
          return;
        }
        const delay = config.retrySchedule[payload.attempt - 1];
        if (delay === undefined) return; // the schedule is spent: the delivery log says so
        await enqueueJob(
          queue,
          trx,
          deliverWebhookSpec,
          { ...payload, attempt: payload.attempt + 1 },
          // ±20 % jitter: endpoints coming back up are not hit by every retry at once.
          { delayMs: Math.round(delay * 1000 * (0.8 + Math.random() * 0.4)) },
        );
      });
    },
  });
}

/** POSTs with a timeout, no redirects, public addresses only (unless allowed); reads at most 64 KiB back. */
function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  config: DeliveryConfig,
): Promise<{ status: number | null; error: string | null }> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: publicOnlyLookup(config.allowPrivate),
        timeout: config.timeoutMs,
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) res.destroy();
        });
        res.on('close', () => resolve({ status: res.statusCode ?? null, error: null }));
        res.on('error', () => resolve({ status: res.statusCode ?? null, error: null }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${config.timeoutMs} ms`)));
    req.on('error', (err) => resolve({ status: null, error: err.message.slice(0, 500) }));
    req.end(body);
  });
}
