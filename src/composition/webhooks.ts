import type { Config } from '../config/config.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { AnyJobDefinition } from '../queue/jobs.ts';
import { deliverWebhookJob } from '../webhooks/delivery.ts';
import type { Infrastructure } from './infrastructure.ts';

/** One delivery attempt of an event to an endpoint (signed, retried on a schedule, counted). */
export function webhookJobs(
  config: Config,
  { db, queue }: Infrastructure,
  metrics: Metrics,
): AnyJobDefinition[] {
  return [
    deliverWebhookJob({
      db,
      queue,
      config: {
        retrySchedule: config.webhookRetrySchedule,
        disableAfterFailures: config.webhookDisableAfter,
        allowPrivate: config.webhooksAllowPrivate,
        timeoutMs: config.webhookTimeoutMs,
      },
      onAttempt: (outcome) => metrics.webhookDeliveries.inc({ outcome }),
    }),
  ];
}
