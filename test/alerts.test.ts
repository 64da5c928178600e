import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { readBackupGauges } from '../src/backup/backup-gauges.ts';
import { openTestDatabase, type TestDatabase } from '../src/db/test-databases.ts';
import { JOB_TYPES } from '../src/job-types.ts';
import { Metrics } from '../src/ops/metrics.ts';
import { JobQueue } from '../src/queue/queue.ts';
import { ROOT } from './helpers/processes.ts';

let t: TestDatabase;
before(async () => {
  t = await openTestDatabase('sqlite');
});
after(async () => {
  await t.close();
});

test('every framehouse_ metric the alert rules use is one the server exports', async () => {
  const rules = await readFile(`${ROOT}deploy/prometheus/alerts.yml`, 'utf8');
  const exprs = [...rules.matchAll(/expr: (\|\n(?:\s{10,}.*\n)+|.*)/g)].map((m) => m[1] ?? '');
  const used = new Set(exprs.flatMap((e) => e.match(/\bframehouse_[a-z_]+/g) ?? []));
  assert.ok(
    used.has('framehouse_backup_failures_total') &&
      used.has('framehouse_backup_last_success_timestamp_seconds'),
  );

  const metrics = new Metrics({
    db: t.db,
    queue: new JobQueue({ db: t.db }),
    workers: () => null,
    jobTypes: JOB_TYPES,
  });
  metrics.observeBackups(() => readBackupGauges(t.db));
  const exported = new Map((await metrics.registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
  for (const name of used) {
    // A histogram's series are its name with _count, _sum or _bucket.
    const histogram = name.replace(/_(count|sum|bucket)$/, '');
    assert.ok(
      exported.has(name) || exported.get(histogram) === 'histogram',
      `alerts.yml uses ${name}, which no metric exports`,
    );
  }
  // Each rule names its alert once.
  const names = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
  assert.ok(names.includes('FramehouseBackupFailed') && names.includes('FramehouseBackupTooOld'));
  assert.equal(new Set(names).size, names.length);
});
