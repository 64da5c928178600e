import { type AuditWho, recordAudit } from '../audit/audit.ts';
import type { Db } from '../db/database.ts';
import type { WebhooksTable } from '../db/schema.ts';
import { enqueueJob } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { AppError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { assertSafeUrl, UnsafeUrlError } from '../shared/safe-url.ts';
import { isoNow } from '../shared/time.ts';
import { deliverWebhookSpec } from './delivery.ts';
import { newWebhookSecret } from './signing.ts';

export interface WebhookJson {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookInput {
  url?: string;
  events?: string[];
  enabled?: boolean;
}

/** Webhook endpoints: each with its own `whsec_` secret, shown when made or rotated only. */
export class WebhooksService {
  readonly #db: Db;
  readonly #allowPrivate: boolean;
  readonly #queue: JobQueue;

  constructor(db: Db, allowPrivate: boolean, queue: JobQueue) {
    this.#db = db;
    this.#allowPrivate = allowPrivate;
    this.#queue = queue;
  }

  async create(who: AuditWho, input: Required<Pick<WebhookInput, 'url' | 'events'>> & WebhookInput) {
    await this.#checkUrl(input.url);
    const now = isoNow();
    const row: WebhooksTable = {
      id: newId(),
      url: input.url,
      events: JSON.stringify([...new Set(input.events)]),
      enabled: input.enabled === false ? 0 : 1,
      secret: newWebhookSecret(),
      failure_streak: 0,
      disabled_reason: null,
      created_by: who.actor,
      created_at: now,
      updated_at: now,
    };
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto('webhooks').values(row).execute();
      await recordAudit(trx, who, {
        action: 'webhook.created',
        target: { type: 'webhook', id: row.id },
        details: { url: row.url },
      });
    });
    return { ...present(row), secret: row.secret };
  }

  async list(): Promise<WebhookJson[]> {
    return (await this.#db.selectFrom('webhooks').selectAll().orderBy('created_at').execute()).map(present);
  }

  async get(id: string): Promise<WebhookJson> {
    return present(await this.#row(id));
  }

  /** Edits; `rotateSecret` answers the new secret (the old one stops signing at once). */
  async update(who: AuditWho, id: string, input: WebhookInput & { rotateSecret?: boolean }) {
    const before = await this.#row(id);
    if (input.url !== undefined) await this.#checkUrl(input.url);
    const secret = input.rotateSecret ? newWebhookSecret() : before.secret;
    const patch = {
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.events !== undefined ? { events: JSON.stringify([...new Set(input.events)]) } : {}),
      // Enabling again clears the failure run that disabled it.
      ...(input.enabled !== undefined
        ? {
            enabled: input.enabled ? 1 : 0,
            ...(input.enabled ? { failure_streak: 0, disabled_reason: null } : {}),
          }
        : {}),
      secret,
      updated_at: isoNow(),
    };
    await this.#db.transaction().execute(async (trx) => {
      await trx.updateTable('webhooks').set(patch).where('id', '=', id).execute();
      await recordAudit(trx, who, {
        action: input.rotateSecret ? 'webhook.secret_rotated' : 'webhook.updated',
        target: { type: 'webhook', id },
        details: { changes: Object.keys(input) },
      });
    });
    const after = present(await this.#row(id));
    return input.rotateSecret ? { ...after, secret } : after;
  }

  async delete(who: AuditWho, id: string): Promise<void> {
    await this.#row(id);
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('webhooks').where('id', '=', id).execute();
      await recordAudit(trx, who, { action: 'webhook.deleted', target: { type: 'webhook', id } });
    });
  }

  async deliveries(id: string, limit: number) {
    await this.#row(id);
    const rows = await this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('webhook_id', '=', id)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      event_id: r.event_id,
      event_type: r.event_type,
      attempt: r.attempt,
      outcome: r.outcome,
      status_code: r.status_code,
      latency_ms: r.latency_ms,
      error: r.error,
      created_at: r.created_at,
    }));
  }

  /** Sends an event to the endpoint again, as a new first attempt. */
  async redeliver(id: string, eventId: string): Promise<void> {
    await this.#row(id);
    const event = await this.#db
      .selectFrom('events')
      .select('id')
      .where('id', '=', eventId)
      .executeTakeFirst();
    if (!event) throw new AppError('FH_ERR_EVENT_NOT_FOUND');
    await enqueueJob(this.#queue, this.#db, deliverWebhookSpec, { webhookId: id, eventId, attempt: 1 });
  }

  async #checkUrl(url: string): Promise<void> {
    try {
      await assertSafeUrl(url, this.#allowPrivate);
    } catch (e) {
      if (e instanceof UnsafeUrlError)
        throw new AppError('FH_ERR_WEBHOOK_URL', `This URL cannot receive webhooks: ${e.message}.`);
      throw e;
    }
  }

  async #row(id: string): Promise<WebhooksTable> {
    const row = await this.#db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('FH_ERR_WEBHOOK_NOT_FOUND');
    return row;
  }
}

function present(row: WebhooksTable): WebhookJson {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    enabled: row.enabled === 1,
    disabled_reason: row.disabled_reason,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
