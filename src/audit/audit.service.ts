import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { AuditEventsTable } from '../db/schema.ts';

export type AuditEventRow = Selectable<AuditEventsTable>;

/** What `GET /v1/audit` filters on (its query string's names). */
export interface AuditFilters {
  action?: string;
  actor?: string;
  target_id?: string;
  outcome?: 'success' | 'failure';
  since?: string;
  until?: string;
}

/** Reads the audit trail (`recordAudit` in audit.ts appends to it, in the writer's transaction). */
export class AuditService {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Newest first, older than `before` (a `seq`) when given. */
  page(f: AuditFilters, before: number | undefined, limit: number): Promise<AuditEventRow[]> {
    let q = this.#db.selectFrom('audit_events').selectAll();
    if (f.action) q = q.where('action', '=', f.action);
    if (f.actor) q = q.where('actor', '=', f.actor);
    if (f.target_id) q = q.where('target_id', '=', f.target_id);
    if (f.outcome) q = q.where('outcome', '=', f.outcome);
    if (f.since) q = q.where('at', '>=', new Date(f.since).toISOString());
    if (f.until) q = q.where('at', '<', new Date(f.until).toISOString());
    if (before !== undefined) q = q.where('seq', '<', before);
    return q.orderBy('seq', 'desc').limit(limit).execute();
  }
}
