import { roleOf } from '../auth/principal.ts';
import type { Db } from '../db/database.ts';
import { defineJob, jobSpec } from '../queue/jobs.ts';
import { askPeriodically } from '../queue/periodic-job.ts';
import type { JobQueue } from '../queue/queue.ts';
import { monthStart, nextMonthStart } from '../usage/usage-records.ts';
import {
  effectiveLimits,
  levelsReached,
  noticesClear,
  noticesToSend,
  periodOf,
  QUOTA_NAMES,
  type QuotaName,
  type QuotaRow,
} from './quota-rules.ts';
import { quotasRepo as repo } from './quotas.repo.ts';
import type { QuotasService, ReceivingStreams } from './quotas.service.ts';

/**
 * The 80 % / 100 % notices (docs/usage.md, "Notices"): one run compares every owner with an
 * effective limit against it, in a handful of grouped queries whatever the number of users.
 * A crossing records its `usage_notices` row and the `usage.threshold` event together (webhooks
 * deliver the event; src/notifications/quota-mail.ts mails the user). `current` rows (storage,
 * live streams) go when usage falls back under 80 %, so the next crossing is told again.
 */
export interface NoticeDeps {
  db: Db;
  quotas: QuotasService;
  receiving: ReceivingStreams;
  now?: () => number;
}

export async function checkQuotaThresholds(deps: NoticeDeps): Promise<{ told: number; cleared: number }> {
  const { db } = deps;
  const now = (deps.now ?? Date.now)();
  const rows = await repo.all(db);
  const userRows = new Map(rows.filter((r) => r.subject.startsWith('user:')).map((r) => [r.subject, r]));
  const roleRows = new Map(
    rows.filter((r) => r.subject.startsWith('role:')).map((r) => [r.subject.slice('role:'.length), r]),
  );
  const accounts = new Map<string, string | null>();
  for (const u of [
    ...(await repo.users(
      db,
      [...userRows.keys()].map((s) => s.slice('user:'.length)),
    )),
    ...(await repo.usersWithRoles(db, [...roleRows.keys()])),
  ])
    accounts.set(u.id, u.role);

  // Every owner's limits; usage is read only for the quotas someone has a limit on.
  const limited: { owner: string; quota: QuotaName; limit: number }[] = [];
  for (const [id, role] of accounts) {
    const owner = `user:${id}`;
    const limits = effectiveLimits(userRows.get(owner), roleRows.get(roleOf(role)) as QuotaRow | undefined);
    for (const quota of QUOTA_NAMES) {
      const limit = limits[quota];
      if (limit !== null) limited.push({ owner, quota, limit });
    }
  }
  const wanted = new Set(limited.map((l) => l.quota));
  const [stored, encoding, receiving] = await Promise.all([
    wanted.has('storage_bytes') ? repo.storedBytesByOwner(db) : new Map<string, number>(),
    wanted.has('encoding_minutes_per_month')
      ? repo.encodingSecondsByOwner(db, monthStart(now), nextMonthStart(now))
      : new Map<string, number>(),
    wanted.has('live_streams') ? deps.receiving() : new Map<string, number>(),
  ]);
  const usedOf = (owner: string, quota: QuotaName) =>
    quota === 'storage_bytes'
      ? (stored.get(owner) ?? 0)
      : quota === 'encoding_minutes_per_month'
        ? (encoding.get(owner) ?? 0) / 60
        : (receiving.get(owner) ?? 0);

  const month = periodOf('encoding_minutes_per_month', now);
  const sent = new Map<string, Set<number>>();
  for (const n of await repo.notices(db, [month, 'current'])) {
    const key = `${n.owner}|${n.quota}|${n.period}`;
    sent.set(key, (sent.get(key) ?? new Set()).add(Number(n.level)));
  }

  let told = 0;
  let cleared = 0;
  const seen = new Set<string>();
  for (const { owner, quota, limit } of limited) {
    const period = periodOf(quota, now);
    const key = `${owner}|${quota}|${period}`;
    seen.add(key);
    const used = usedOf(owner, quota);
    const already = sent.get(key) ?? new Set<number>();
    if (period === 'current' && already.size > 0 && noticesClear(used, limit)) {
      await repo.deleteNotices(db, owner, quota, period);
      cleared++;
      continue;
    }
    const { record, tell } = noticesToSend(levelsReached(quota, used, limit), already);
    if (
      tell &&
      (await deps.quotas.recordNotice(owner, quota, tell, used, limit, { alsoRecord: record, now }))
    )
      told++;
  }
  // A limit removed (or an account gone): its `current` notices go too, so a new limit starts afresh.
  for (const key of sent.keys()) {
    const [owner = '', quota = '', period = ''] = key.split('|');
    if (period !== 'current' || seen.has(key)) continue;
    await repo.deleteNotices(db, owner, quota as QuotaName, period);
    cleared++;
  }
  return { told, cleared };
}

/** One at a time across the cluster (its schedule enqueues it with a dedupe key); the next run is the retry. */
export const quotaNoticesSpec = jobSpec<Record<string, never>>('quota.notices', {
  maxAttempts: 1,
  priority: 5,
});

export const quotaNoticesJob = (deps: NoticeDeps) =>
  defineJob<Record<string, never>>(quotaNoticesSpec.type, {
    ...quotaNoticesSpec,
    async handler({ log }) {
      const { told, cleared } = await checkQuotaThresholds(deps);
      if (told + cleared > 0) log.info({ told, cleared }, 'quota notices: thresholds checked');
    },
  });

/**
 * Every worker node asks for the check each flush interval (FRAMEHOUSE_USAGE_FLUSH_SECONDS,
 * when new usage can have arrived); the dedupe key keeps one queued or running at a time.
 */
export function startQuotaNoticeSchedule(
  deps: { db: Db; queue: JobQueue },
  everyMs: number,
  onError: (err: unknown) => void,
): { stop(): void } {
  return askPeriodically(deps, quotaNoticesSpec, everyMs, onError);
}
