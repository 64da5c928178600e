import type { FastifyRequest } from 'fastify';
import { describePrincipal, type Principal } from '../auth/principal.ts';
import type { Db } from '../db/database.ts';
import { newId } from '../shared/ids.ts';
import { isoNow } from '../shared/time.ts';

export interface AuditEntry {
  action: string;
  outcome?: 'success' | 'failure';
  target?: { type: string; id: string };
  /** Never a secret: names, scopes, changed field names, reasons. */
  details?: Record<string, unknown>;
}

/**
 * Appends to the audit trail (who, what, when, from where, with which credential). Pass the
 * transaction that makes the change, so the record and the change commit together.
 */
/** Who did it: an actor ("key:{id}", "anonymous", "open-mode"), the credential kind, the address. */
export interface AuditWho {
  actor: string;
  credential: string | null;
  ip: string | null;
}

export async function recordAudit(db: Db, who: AuditWho, entry: AuditEntry): Promise<void> {
  const { actor, credential, ip } = who;
  await db
    .insertInto('audit_events')
    .values({
      id: newId(),
      at: isoNow(),
      actor,
      credential,
      ip,
      action: entry.action,
      outcome: entry.outcome ?? 'success',
      target_type: entry.target?.type ?? null,
      target_id: entry.target?.id ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}

/** The request's principal and client address, as the audit trail records them. */
export function auditWho(request: FastifyRequest): AuditWho {
  return whoFor(request.principal, request.ip ?? null);
}

export function whoFor(principal: Principal, ip: string | null): AuditWho {
  return { ...describePrincipal(principal), ip };
}
