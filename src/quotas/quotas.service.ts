import { type AuditWho, recordAudit } from '../audit/audit.ts';
import { type Principal, ROLES, roleOf } from '../auth/principal.ts';
import type { Db } from '../db/database.ts';
import type { QuotasTable } from '../db/schema.ts';
import { recordEvent } from '../events/outbox.ts';
import { AppError } from '../shared/errors.ts';
import { isoNow } from '../shared/time.ts';
import { encodingSecondsOf, monthStart, nextMonthStart, storedBytesOf } from '../usage/usage-records.ts';
import {
  effectiveLimits,
  encodingRefusal,
  liveRefusal,
  type NoticeLevel,
  numberOrNull,
  percentOf,
  periodOf,
  QUOTA_MAXIMA,
  QUOTA_NAMES,
  type QuotaLimits,
  type QuotaName,
  type QuotaRefusal,
  refusalMessage,
  SUBJECT_PATTERN,
  storageRefusal,
} from './quota-rules.ts';
import { quotasRepo as repo } from './quotas.repo.ts';

/** Live streams receiving a publish now, per owner (the live streams service answers it). */
export type ReceivingStreams = (owner?: string) => Promise<Map<string, number>>;

export interface QuotasDeps {
  db: Db;
  receiving: ReceivingStreams;
  now?: () => number;
}

/** What the upload entry points call (tus creation, multipart and URL `POST /v1/assets`). */
export interface UploadQuotaCheck {
  /** Throws FH_ERR_QUOTA_EXCEEDED; `requestedBytes` null: the size is not known (usage alone). */
  checkUpload(principal: Principal, requestedBytes: number | null): Promise<void>;
  /**
   * The caller's storage limit and what they store now (null: no storage quota), for uploads
   * whose size is only known as the bytes arrive (a deferred tus length, a chunked multipart body).
   */
  storageRoom(principal: Principal): Promise<{ limit: number; used: number } | null>;
}

/** What the live node calls before it accepts a publish: the refusal, or null. */
export interface PublishQuotaCheck {
  /** `pending`: publishes of the owner accepted and not active yet (the live node counts them). */
  checkPublish(owner: string | null, pending?: number): Promise<QuotaRefusal | null>;
}

export interface QuotaValues {
  storage_bytes: number | null;
  encoding_minutes_per_month: number | null;
  live_streams: number | null;
}

export interface QuotaUsageLine {
  quota: QuotaName;
  limit: number;
  used: number;
  percent: number;
}

export interface AdminQuotaRow extends QuotaValues {
  subject: string;
  updated_at: string;
  updated_by: string | null;
  /** User rows: the account's e-mail (null once the account is gone). */
  email: string | null;
  /** User rows: what the user uses now, per quota. Role rows: null. */
  usage: Record<QuotaName, number> | null;
  /** Role rows: the accounts with that role. User rows: null. */
  users: number | null;
}

/** The owner quotas apply to: users only (API keys and open mode have none). */
export function quotaOwnerOf(principal: Principal): string | null {
  return principal.kind === 'user' ? `user:${principal.id}` : null;
}

const userIdOf = (owner: string) => (owner.startsWith('user:') ? owner.slice('user:'.length) : null);

/**
 * Quotas per user or role (docs/usage.md, "Quotas"): the effective limits, the checks every
 * entry point calls, the caller's view and the admin's rows. The notices are quota-notices.ts's.
 */
export class QuotasService implements UploadQuotaCheck, PublishQuotaCheck {
  readonly #db: Db;
  readonly #receiving: ReceivingStreams;
  readonly #now: () => number;

  constructor(deps: QuotasDeps) {
    this.#db = deps.db;
    this.#receiving = deps.receiving;
    this.#now = deps.now ?? Date.now;
  }

  /** A user's effective limits (null for an owner that is not a user, or a user gone). */
  async limitsOf(owner: string): Promise<QuotaLimits | null> {
    const userId = userIdOf(owner);
    if (!userId) return null;
    const user = await repo.user(this.#db, userId);
    if (!user) return null;
    const role = `role:${roleOf(user.role)}`;
    const rows = await repo.some(this.#db, [owner, role]);
    return effectiveLimits(
      rows.find((r) => r.subject === owner),
      rows.find((r) => r.subject === role),
    );
  }

  /** What the owner uses now, in the quota's unit (bytes, minutes this UTC month, streams). */
  async usedOf(owner: string, quota: QuotaName): Promise<number> {
    switch (quota) {
      case 'storage_bytes':
        return storedBytesOf(this.#db, owner);
      case 'encoding_minutes_per_month': {
        const now = this.#now();
        return (await encodingSecondsOf(this.#db, owner, monthStart(now), nextMonthStart(now))) / 60;
      }
      case 'live_streams':
        return (await this.#receiving(owner)).get(owner) ?? 0;
    }
  }

  async checkUpload(principal: Principal, requestedBytes: number | null): Promise<void> {
    const owner = quotaOwnerOf(principal);
    if (!owner) return;
    const limits = await this.limitsOf(owner);
    if (!limits) return;
    const refusal =
      (limits.storage_bytes === null
        ? null
        : storageRefusal(limits.storage_bytes, await this.usedOf(owner, 'storage_bytes'), requestedBytes)) ??
      (limits.encoding_minutes_per_month === null
        ? null
        : encodingRefusal(
            limits.encoding_minutes_per_month,
            await this.usedOf(owner, 'encoding_minutes_per_month'),
          ));
    if (refusal) throw quotaError(refusal);
  }

  async storageRoom(principal: Principal): Promise<{ limit: number; used: number } | null> {
    const owner = quotaOwnerOf(principal);
    const limit = owner ? (await this.limitsOf(owner))?.storage_bytes : null;
    if (!owner || limit === null || limit === undefined) return null;
    return { limit, used: await this.usedOf(owner, 'storage_bytes') };
  }

  /**
   * Before a publish is accepted: one more stream receiving must stay within live_streams. A
   * refusal also tells the owner (the live_streams 100 % notice, once until usage falls under 80 %).
   */
  async checkPublish(owner: string | null, pending = 0): Promise<QuotaRefusal | null> {
    if (!owner) return null;
    const limits = await this.limitsOf(owner);
    if (!limits || limits.live_streams === null) return null;
    const refusal = liveRefusal(limits.live_streams, (await this.usedOf(owner, 'live_streams')) + pending);
    // The 80 % it passed is recorded with it, so the periodic check does not tell it afterwards.
    if (refusal)
      await this.recordNotice(owner, 'live_streams', 100, refusal.used, refusal.limit, { alsoRecord: [80] });
    return refusal;
  }

  /**
   * Records a notice and its `usage.threshold` event in one transaction: once per owner, quota,
   * period and level (the row's primary key), whichever node gets there first. True if it was new.
   */
  async recordNotice(
    owner: string,
    quota: QuotaName,
    level: NoticeLevel,
    used: number,
    limit: number,
    opts: { alsoRecord?: NoticeLevel[]; now?: number } = {},
  ): Promise<boolean> {
    const now = opts.now ?? this.#now();
    const period = periodOf(quota, now);
    return this.#db.transaction().execute(async (trx) => {
      const at = new Date(now).toISOString();
      for (const lower of opts.alsoRecord ?? [])
        if (lower !== level)
          await repo.insertNotice(trx, { owner, quota, period, level: lower, sent_at: at });
      const fresh = await repo.insertNotice(trx, { owner, quota, period, level, sent_at: at });
      if (fresh)
        await recordEvent(trx, 'usage.threshold', null, {
          owner,
          user_id: userIdOf(owner),
          quota,
          level,
          used,
          limit,
          period,
        });
      return fresh;
    });
  }

  /** `GET /v1/usage/quota`: the caller's effective limits and usage (API keys and open mode: none). */
  async forCaller(principal: Principal): Promise<QuotaUsageLine[]> {
    const owner = quotaOwnerOf(principal);
    const limits = owner ? await this.limitsOf(owner) : null;
    if (!owner || !limits) return [];
    const lines: QuotaUsageLine[] = [];
    for (const quota of QUOTA_NAMES) {
      const limit = limits[quota];
      if (limit === null) continue;
      const used = await this.usedOf(owner, quota);
      lines.push({ quota, limit, used, percent: Math.round(percentOf(used, limit) * 10) / 10 });
    }
    return lines;
  }

  /**
   * `GET /v1/admin/quotas`: every row; user rows with the user's usage, role rows with their
   * number of accounts. Usage is read grouped (the notice job's queries), whatever the number of rows.
   */
  async adminList(): Promise<AdminQuotaRow[]> {
    const rows = await repo.all(this.#db);
    const userIds = rows.map((r) => userIdOf(r.subject)).filter((id): id is string => id !== null);
    const roles = rows
      .filter((r) => r.subject.startsWith('role:'))
      .map((r) => r.subject.slice('role:'.length));
    const now = this.#now();
    const [users, members, stored, encoding, receiving] = await Promise.all([
      repo.users(this.#db, userIds),
      repo.usersWithRoles(this.#db, roles),
      userIds.length ? repo.storedBytesByOwner(this.#db) : new Map<string, number>(),
      userIds.length
        ? repo.encodingSecondsByOwner(this.#db, monthStart(now), nextMonthStart(now))
        : new Map<string, number>(),
      userIds.length ? this.#receiving() : new Map<string, number>(),
    ]);
    const emails = new Map(users.map((u) => [u.id, u.email]));
    return rows.map((row) => {
      const userId = userIdOf(row.subject);
      const role = userId ? null : row.subject.slice('role:'.length);
      return {
        ...valuesOf(row),
        subject: row.subject,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
        email: userId ? (emails.get(userId) ?? null) : null,
        usage: userId
          ? {
              storage_bytes: stored.get(row.subject) ?? 0,
              encoding_minutes_per_month: (encoding.get(row.subject) ?? 0) / 60,
              live_streams: receiving.get(row.subject) ?? 0,
            }
          : null,
        users: role ? members.filter((m) => roleOf(m.role) === role).length : null,
      };
    });
  }

  /** `PUT /v1/admin/quotas/{subject}`: sets the row (every value; null: no limit there), audited. */
  async put(subject: string, values: QuotaValues, who: AuditWho): Promise<QuotasTable> {
    await this.#assertSubject(subject);
    for (const q of QUOTA_NAMES) {
      const v = values[q];
      if (v !== null && !(Number.isFinite(v) && v >= 0))
        throw new AppError('FH_ERR_VALIDATION', `"${q}" is a number of 0 or more, or null for no limit.`, {
          field: q,
        });
      if (v !== null && q !== 'encoding_minutes_per_month' && !Number.isInteger(v))
        throw new AppError('FH_ERR_VALIDATION', `"${q}" is a whole number.`, { field: q });
      if (v !== null && v > QUOTA_MAXIMA[q])
        throw new AppError('FH_ERR_VALIDATION', `"${q}" is at most ${QUOTA_MAXIMA[q]}.`, { field: q });
    }
    const row: QuotasTable = { subject, ...values, updated_at: isoNow(), updated_by: who.actor };
    await this.#db.transaction().execute(async (trx) => {
      await repo.put(trx, row);
      await recordAudit(trx, who, {
        action: 'quota.updated',
        target: { type: 'quota', id: subject },
        details: { ...values },
      });
    });
    return row;
  }

  /** `DELETE /v1/admin/quotas/{subject}`, audited; 404 when there is no such row. */
  async remove(subject: string, who: AuditWho): Promise<void> {
    if (!SUBJECT_PATTERN.test(subject)) throw badSubject(subject);
    await this.#db.transaction().execute(async (trx) => {
      if (!(await repo.delete(trx, subject)))
        throw new AppError('FH_ERR_NOT_FOUND', `No quota is set for ${subject}.`);
      await recordAudit(trx, who, { action: 'quota.deleted', target: { type: 'quota', id: subject } });
    });
  }

  async #assertSubject(subject: string): Promise<void> {
    if (!SUBJECT_PATTERN.test(subject)) throw badSubject(subject);
    const userId = userIdOf(subject);
    if (userId && !(await repo.user(this.#db, userId)))
      throw new AppError('FH_ERR_USER_NOT_FOUND', `No account has the id ${userId}.`);
  }
}

export function quotaError(r: QuotaRefusal): AppError {
  return new AppError('FH_ERR_QUOTA_EXCEEDED', refusalMessage(r), {
    quota: r.quota,
    limit: r.limit,
    used: r.used,
    requested: r.requested,
  });
}

function badSubject(subject: string): AppError {
  return new AppError(
    'FH_ERR_VALIDATION',
    `A quota's subject is user:{id} or ${ROLES.map((r) => `role:${r}`).join(', ')} (got ${JSON.stringify(subject.slice(0, 80))}).`,
    { field: 'subject' },
  );
}

function valuesOf(row: QuotasTable): QuotaValues {
  return {
    storage_bytes: numberOrNull(row.storage_bytes),
    encoding_minutes_per_month: numberOrNull(row.encoding_minutes_per_month),
    live_streams: numberOrNull(row.live_streams),
  };
}
