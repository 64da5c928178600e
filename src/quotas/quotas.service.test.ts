import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assetRow } from '../../test/helpers/asset-row.ts';
import type { Principal } from '../auth/principal.ts';
import type { Db } from '../db/database.ts';
import { openTestDatabase, postgresSkip, TEST_DIALECTS, type TestDatabase } from '../db/test-databases.ts';
import { LiveStreamsService } from '../live/streams/live-streams.service.ts';
import { AppError } from '../shared/errors.ts';
import { hourBucket, storedBytesOf } from '../usage/usage-records.ts';
import { checkQuotaThresholds } from './quota-notices.ts';
import { quotasRepo } from './quotas.repo.ts';
import { QuotasService } from './quotas.service.ts';

const NOW = Date.parse('2026-12-03T07:30:00.000Z');
const admin = { actor: 'key:admin', credential: 'api_key', ip: null };
const user = (id: string, role: 'admin' | 'editor' | 'viewer' = 'editor'): Principal => ({
  kind: 'user',
  id,
  email: `${id}@example.com`,
  role,
  scopes: ['assets:write'],
});

async function addUser(db: Db, id: string, role: string | null) {
  await db
    .insertInto('users')
    .values({
      id,
      name: id,
      email: `${id}@example.com`,
      emailVerified: false,
      image: null,
      createdAt: new Date(NOW).toISOString(),
      updatedAt: new Date(NOW).toISOString(),
      twoFactorEnabled: false,
      role,
      notifyByEmail: null,
    })
    .execute();
}

let assetSeq = 0;
async function addAsset(db: Db, owner: string, size: number, walked?: Record<string, number>) {
  const id = `asset${String(++assetSeq).padStart(8, '0')}`;
  const at = new Date(NOW).toISOString();
  await db
    .insertInto('assets')
    .values(assetRow(id, { source_size: size, created_at: at, updated_at: at, created_by: owner }))
    .execute();
  for (const [category, bytes] of Object.entries(walked ?? {}))
    await db
      .insertInto('usage_storage')
      .values({ asset_id: id, category, owner, bytes, objects: 1, sampled_at: at })
      .execute();
  return id;
}

async function addUpload(db: Db, owner: string, length: number | null) {
  await db
    .insertInto('uploads')
    .values({
      id: `upload${String(++assetSeq).padStart(8, '0')}`,
      asset_id: null,
      filename: null,
      title: null,
      length,
      created_at: new Date(NOW).toISOString(),
      completed_at: null,
      staging_cleared_at: null,
      created_by: owner,
      created_ip: null,
      hash_state: null,
      hash_bytes: null,
    })
    .execute();
}

async function addEncoding(db: Db, owner: string, seconds: number, at = NOW) {
  await db
    .insertInto('usage_records')
    .values({
      bucket: hourBucket(at),
      owner,
      subject_kind: 'asset',
      subject_id: `enc${++assetSeq}`,
      metric: 'encoding_seconds',
      dimension: 'sd',
      value: seconds,
    })
    .execute();
}

async function thresholdEvents(db: Db) {
  const rows = await db
    .selectFrom('events')
    .select(['data'])
    .where('type', '=', 'usage.threshold')
    .orderBy('seq')
    .execute();
  return rows.map((r) => JSON.parse(r.data) as Record<string, unknown>);
}

for (const dialect of TEST_DIALECTS) {
  describe(`quotas on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let t: TestDatabase;
    let quotas: QuotasService;
    let streams: LiveStreamsService;
    const receiving = (owner?: string) => streams.receivingByOwner(owner);

    before(async () => {
      t = await openTestDatabase(dialect);
      streams = new LiveStreamsService({ db: t.db, srtPorts: null });
      quotas = new QuotasService({ db: t.db, receiving, now: () => NOW });
      for (const [id, role] of [
        ['ada', 'editor'],
        ['bo', 'editor'],
        ['cy', null],
        ['dee', 'viewer'],
      ] as const)
        await addUser(t.db, id, role);
    });
    after(() => t.close());

    test('grouped stored bytes agree with storedBytesOf for every owner', async () => {
      await addAsset(t.db, 'user:ada', 1000, { source: 1000, renditions: 500 });
      await addAsset(t.db, 'user:ada', 300); // not walked yet: its original counts
      await addUpload(t.db, 'user:ada', 200); // unfinished: its declared length is reserved
      await addUpload(t.db, 'user:ada', null); // deferred length: nothing to reserve
      await addAsset(t.db, 'user:bo', 50, { source: 50 });
      await addAsset(t.db, 'key:k1', 70);
      const grouped = await quotasRepo.storedBytesByOwner(t.db);
      for (const owner of ['user:ada', 'user:bo', 'key:k1', 'user:cy'])
        assert.equal(grouped.get(owner) ?? 0, await storedBytesOf(t.db, owner), owner);
      assert.equal(grouped.get('user:ada'), 2000);
    });

    test("a role's row applies to its users; a user's row overrides it where not null", async () => {
      await quotas.put(
        'role:editor',
        { storage_bytes: 5000, encoding_minutes_per_month: 10, live_streams: 1 },
        admin,
      );
      await quotas.put(
        'user:bo',
        { storage_bytes: 60, encoding_minutes_per_month: null, live_streams: null },
        admin,
      );
      assert.deepEqual(await quotas.limitsOf('user:ada'), {
        storage_bytes: 5000,
        encoding_minutes_per_month: 10,
        live_streams: 1,
      });
      assert.deepEqual(await quotas.limitsOf('user:bo'), {
        storage_bytes: 60,
        encoding_minutes_per_month: 10,
        live_streams: 1,
      });
      // No role: a viewer, without a viewer row: no limits.
      assert.deepEqual(await quotas.limitsOf('user:cy'), {
        storage_bytes: null,
        encoding_minutes_per_month: null,
        live_streams: null,
      });
      assert.equal(await quotas.limitsOf('key:k1'), null);
    });

    test('the upload that would pass the limit is refused with the numbers; API keys have no quota', async () => {
      await quotas.checkUpload(user('bo'), 10); // 50 + 10 ≤ 60
      await assert.rejects(quotas.checkUpload(user('bo'), 11), (e: unknown) => {
        assert.ok(e instanceof AppError);
        assert.equal(e.code, 'FH_ERR_QUOTA_EXCEEDED');
        assert.equal(e.status, 403);
        assert.deepEqual(e.details, { quota: 'storage_bytes', limit: 60, used: 50, requested: 11 });
        assert.equal(
          e.message,
          'This upload (11 bytes) would take your storage to 61 bytes; your quota is 60 bytes.',
        );
        return true;
      });
      await quotas.checkUpload(
        { kind: 'api_key', id: 'k1', name: 'k', scopes: ['admin'], fromEnv: false },
        10 ** 15,
      );
      await quotas.checkUpload({ kind: 'open' }, 10 ** 15);
    });

    test('encoding minutes: uploads are refused once the month is used up; last month does not count', async () => {
      await addEncoding(t.db, 'user:ada', 9 * 60);
      await addEncoding(t.db, 'user:ada', 500 * 60, Date.parse('2026-11-30T23:00:00Z'));
      await quotas.checkUpload(user('ada'), 1);
      await addEncoding(t.db, 'user:ada', 60);
      await assert.rejects(quotas.checkUpload(user('ada'), 1), (e: unknown) => {
        assert.ok(e instanceof AppError);
        assert.deepEqual(e.details, {
          quota: 'encoding_minutes_per_month',
          limit: 10,
          used: 10,
          requested: null,
        });
        return true;
      });
    });

    test('notices: 80 % and 100 % each told once per period; storage notices clear under 80 %', async () => {
      // bo: 50 of 60 bytes (83 %): 80. ada: 10 of 10 minutes (100 %) → 100 told, 80 recorded.
      const first = await checkQuotaThresholds({ db: t.db, quotas, receiving, now: () => NOW });
      const events = await thresholdEvents(t.db);
      assert.equal(first.told, events.length);
      const byKey = (e: Record<string, unknown>) => `${e.owner} ${e.quota} ${e.level}`;
      assert.deepEqual(events.map(byKey).sort(), [
        'user:ada encoding_minutes_per_month 100',
        'user:bo storage_bytes 80',
      ]);
      const bo = events.find((e) => e.owner === 'user:bo');
      assert.deepEqual(bo, {
        owner: 'user:bo',
        user_id: 'bo',
        quota: 'storage_bytes',
        level: 80,
        used: 50,
        limit: 60,
        period: 'current',
      });
      assert.equal(events.find((e) => e.owner === 'user:ada')?.period, '2026-12');

      // Nothing new: nothing told again.
      await checkQuotaThresholds({ db: t.db, quotas, receiving, now: () => NOW });
      assert.equal((await thresholdEvents(t.db)).length, 2);

      // bo goes to 100 %: told once.
      await addUpload(t.db, 'user:bo', 10);
      await checkQuotaThresholds({ db: t.db, quotas, receiving, now: () => NOW });
      await checkQuotaThresholds({ db: t.db, quotas, receiving, now: () => NOW });
      assert.deepEqual((await thresholdEvents(t.db)).map(byKey).slice(2), ['user:bo storage_bytes 100']);

      // A larger limit: under 80 % again, the notices go, and the next crossing is told again.
      await quotas.put(
        'user:bo',
        { storage_bytes: 1000, encoding_minutes_per_month: null, live_streams: null },
        admin,
      );
      const cleared = await checkQuotaThresholds({ db: t.db, quotas, receiving, now: () => NOW });
      assert.equal(cleared.cleared, 1);
      const left = await t.db
        .selectFrom('usage_notices')
        .selectAll()
        .where('owner', '=', 'user:bo')
        .execute();
      assert.equal(left.length, 0);
      await quotas.put(
        'user:bo',
        { storage_bytes: 70, encoding_minutes_per_month: null, live_streams: null },
        admin,
      );
      await checkQuotaThresholds({ db: t.db, quotas, receiving, now: () => NOW });
      assert.deepEqual((await thresholdEvents(t.db)).map(byKey).slice(3), ['user:bo storage_bytes 80']);

      // The month's notices stay (a new month is a new period).
      const nextMonth = Date.parse('2027-01-01T00:30:00Z');
      await addEncoding(t.db, 'user:ada', 11 * 60, nextMonth);
      await checkQuotaThresholds({ db: t.db, quotas, receiving, now: () => nextMonth });
      const last = (await thresholdEvents(t.db)).at(-1);
      assert.equal(last?.period, '2027-01');
      assert.equal(last?.level, 100);
    });

    test('live streams: one more than the limit is refused, the refusal tells the 100 % notice once', async () => {
      const made = await streams.create(
        { title: 'one' },
        { actor: 'user:dee', credential: 'session', ip: null },
      );
      await streams.create({ title: 'two' }, { actor: 'user:dee', credential: 'session', ip: null });
      await quotas.put(
        'user:dee',
        { storage_bytes: null, encoding_minutes_per_month: null, live_streams: 1 },
        admin,
      );
      assert.equal(await quotas.checkPublish('user:dee'), null);
      await t.db
        .updateTable('live_streams')
        .set({ status: 'active' })
        .where('id', '=', made.stream.id)
        .execute();
      assert.deepEqual(await quotas.checkPublish('user:dee'), {
        quota: 'live_streams',
        limit: 1,
        used: 1,
        requested: 1,
      });
      await quotas.checkPublish('user:dee');
      const live = (await thresholdEvents(t.db)).filter((e) => e.quota === 'live_streams');
      assert.deepEqual(
        live.map((e) => [e.owner, e.level, e.used, e.limit]),
        [['user:dee', 100, 1, 1]],
      );
      assert.equal(await quotas.checkPublish('user:cy'), null);
      assert.equal(await quotas.checkPublish(null), null);
      // The refusal recorded 80 with its 100: the periodic run (1 of 1 receiving: 100 %) tells nothing more.
      await checkQuotaThresholds({ db: t.db, quotas, receiving, now: () => NOW });
      assert.equal((await thresholdEvents(t.db)).filter((e) => e.quota === 'live_streams').length, 1);
    });

    test('live streams, limit 0: the refusal is told once, whatever the periodic runs between retries', async () => {
      await addUser(t.db, 'fay', 'viewer');
      await quotas.put(
        'user:fay',
        { storage_bytes: null, encoding_minutes_per_month: null, live_streams: 0 },
        admin,
      );
      const told = async () =>
        (await thresholdEvents(t.db)).filter((e) => e.owner === 'user:fay' && e.quota === 'live_streams');
      for (let retry = 0; retry < 3; retry++) {
        assert.equal((await quotas.checkPublish('user:fay'))?.limit, 0);
        await checkQuotaThresholds({ db: t.db, quotas, receiving, now: () => NOW });
      }
      assert.deepEqual(
        (await told()).map((e) => [e.level, e.used, e.limit]),
        [[100, 0, 0]],
      );
    });

    test('admin rows: validation, usage per user row, accounts per role row, audit', async () => {
      await assert.rejects(
        quotas.put(
          'role:owner',
          { storage_bytes: 1, encoding_minutes_per_month: null, live_streams: null },
          admin,
        ),
        /subject/,
      );
      await assert.rejects(
        quotas.put(
          'user:nobody',
          { storage_bytes: 1, encoding_minutes_per_month: null, live_streams: null },
          admin,
        ),
        (e: unknown) => e instanceof AppError && e.code === 'FH_ERR_USER_NOT_FOUND',
      );
      await assert.rejects(
        quotas.put(
          'user:ada',
          { storage_bytes: -1, encoding_minutes_per_month: null, live_streams: null },
          admin,
        ),
        (e: unknown) => e instanceof AppError && e.code === 'FH_ERR_VALIDATION',
      );
      const rows = await quotas.adminList();
      const editor = rows.find((r) => r.subject === 'role:editor');
      assert.equal(editor?.users, 2);
      assert.equal(editor?.usage, null);
      const bo = rows.find((r) => r.subject === 'user:bo');
      assert.equal(bo?.email, 'bo@example.com');
      assert.equal(bo?.usage?.storage_bytes, 60);
      await quotas.remove('user:bo', admin);
      await assert.rejects(
        quotas.remove('user:bo', admin),
        (e: unknown) => e instanceof AppError && e.code === 'FH_ERR_NOT_FOUND',
      );
      const audit = await t.db
        .selectFrom('audit_events')
        .select(['action', 'target_id'])
        .where('action', 'like', 'quota.%')
        .execute();
      assert.ok(audit.some((a) => a.action === 'quota.deleted' && a.target_id === 'user:bo'));
      assert.ok(audit.filter((a) => a.action === 'quota.updated').length >= 5);
    });

    test('a role sign-in does not know is a viewer for quotas too', async () => {
      await addUser(t.db, 'gus', 'superuser');
      await addAsset(t.db, 'user:gus', 20);
      await quotas.put(
        'role:viewer',
        { storage_bytes: 10, encoding_minutes_per_month: null, live_streams: null },
        admin,
      );
      assert.equal((await quotas.limitsOf('user:gus'))?.storage_bytes, 10);
      const viewers = (await quotas.adminList()).find((r) => r.subject === 'role:viewer');
      // cy (no role), dee, fay and gus.
      assert.equal(viewers?.users, 4);
      await checkQuotaThresholds({ db: t.db, quotas, receiving, now: () => NOW });
      const told = await thresholdEvents(t.db);
      assert.ok(told.some((e) => e.owner === 'user:gus' && e.quota === 'storage_bytes'));
      await quotas.remove('role:viewer', admin);
    });
  });
}
