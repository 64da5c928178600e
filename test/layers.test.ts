import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkLayers, placeOf, type Violation } from '../scripts/check-layers.ts';
import { ROOT } from './helpers/processes.ts';

// The layer check (scripts/check-layers.ts, a step of `npm test`) run on small trees written
// here, each with one wrong import or one query in the wrong place, and on the real tree.

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fh-layers-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A tree of a well-layered app, plus `extra` files (path → source) that may break it. */
let trees = 0;
async function tree(extra: Record<string, string> = {}): Promise<Violation[]> {
  const root = join(dir, `tree-${++trees}`);
  const files: Record<string, string> = {
    'src/shared/ids.ts': 'export const newId = () => "x";\n',
    'src/config/config.ts': 'export const config = {};\n',
    'src/db/database.ts':
      "import { sql } from 'kysely';\nexport type Db = unknown;\nexport const ping = sql`select 1`;\n",
    'src/queue/queue.ts':
      "import type { Db } from '../db/database.ts';\nimport { newId } from '../shared/ids.ts';\nexport class JobQueue { constructor(readonly db: Db) { newId(); } }\n",
    'src/events/outbox.ts':
      "import type { Db } from '../db/database.ts';\nexport const recordEvent = (db: Db) => db;\n",
    'src/events/events.routes.ts':
      "import { recordEvent } from './outbox.ts';\nexport const registerEventRoutes = () => recordEvent;\n",
    'src/assets/assets.repo.ts':
      "import type { Db } from '../db/database.ts';\nexport const assetsRepo = { get: (db: Db) => db.selectFrom('assets') };\n",
    'src/assets/assets.service.ts':
      "import { assetsRepo } from './assets.repo.ts';\nexport class AssetsService { get = assetsRepo.get; }\n",
    'src/assets/assets.routes.ts':
      "import type { AssetsService } from './assets.service.ts';\nexport const registerAssetRoutes = (s: AssetsService) => s.get;\n",
    'src/pipeline/transcode.job.ts':
      "import { AssetsService } from '../assets/assets.service.ts';\nimport { JobQueue } from '../queue/queue.ts';\nexport const job = [AssetsService, JobQueue];\n",
    'src/composition/app.ts':
      "import { registerAssetRoutes } from '../assets/assets.routes.ts';\nimport { registerEventRoutes } from '../events/events.routes.ts';\nexport const app = [registerAssetRoutes, registerEventRoutes];\n",
    'src/server.ts': "import { app } from './composition/app.ts';\nexport const startServer = () => app;\n",
    'src/cli/main.ts': "import { startServer } from '../server.ts';\nexport const main = startServer;\n",
    // Tests are outside the rules.
    'src/queue/queue.test.ts':
      "import { AssetsService } from '../assets/assets.service.ts';\nimport '../../test/fixtures/media.ts';\nexport const t = AssetsService;\n",
    ...extra,
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return checkLayers(root);
}

const summary = (vs: Violation[]) =>
  vs.map((v) => `${v.file}${v.imports ? ` → ${v.imports}` : ''} [${v.rule}]`);

describe('the layer check', () => {
  test('a well-layered tree passes', async () => {
    assert.deepEqual(summary(await tree()), []);
  });

  test('infrastructure importing a feature fails (type-only imports count)', async () => {
    const vs = await tree({
      'src/queue/queue.ts':
        "import type { AssetsService } from '../assets/assets.service.ts';\nexport type X = AssetsService;\n",
    });
    assert.deepEqual(summary(vs), ['src/queue/queue.ts → src/assets/assets.service.ts [direction]']);
    assert.match(vs[0]?.message ?? '', /infrastructure \(queue\) imports feature \(assets\)/);
  });

  test('a port importing another port fails (queue → events), but any port may use db', async () => {
    const vs = await tree({
      'src/queue/queue.ts':
        "import { recordEvent } from '../events/outbox.ts';\nimport type { Db } from '../db/database.ts';\nexport const x = (db: Db) => recordEvent(db);\n",
    });
    assert.deepEqual(summary(vs), ['src/queue/queue.ts → src/events/outbox.ts [ports]']);
  });

  test('a feature importing the composition root, or base importing infrastructure, fails', async () => {
    const vs = await tree({
      'src/pipeline/transcode.job.ts':
        "import { startServer } from '../server.ts';\nexport const x = startServer;\n",
      'src/shared/ids.ts':
        "import { JobQueue } from '../queue/queue.ts';\nexport const newId = () => JobQueue.name;\n",
    });
    assert.deepEqual(summary(vs).sort(), [
      'src/pipeline/transcode.job.ts → src/server.ts [direction]',
      'src/shared/ids.ts → src/queue/queue.ts [direction]',
    ]);
  });

  test("a feature importing another feature's repository or routes fails", async () => {
    const vs = await tree({
      'src/pipeline/transcode.job.ts':
        "import { assetsRepo } from '../assets/assets.repo.ts';\nexport const x = assetsRepo;\n",
      'src/auth/policy.ts': "export { registerAssetRoutes } from '../assets/assets.routes.ts';\n",
    });
    assert.deepEqual(summary(vs).sort(), [
      'src/auth/policy.ts → src/assets/assets.routes.ts [private]',
      'src/pipeline/transcode.job.ts → src/assets/assets.repo.ts [private]',
    ]);
  });

  test('the events API is a feature: the outbox may not import it', async () => {
    assert.deepEqual(placeOf('src/events/outbox.ts'), { layer: 'infrastructure', unit: 'events' });
    assert.deepEqual(placeOf('src/events/events.routes.ts'), { layer: 'feature', unit: 'events' });
    const vs = await tree({
      'src/events/outbox.ts':
        "import { registerEventRoutes } from './events.routes.ts';\nexport const recordEvent = registerEventRoutes;\n",
    });
    assert.deepEqual(summary(vs), ['src/events/outbox.ts → src/events/events.routes.ts [direction]']);
  });

  test('SQL in a routes file fails: a query, sql`…`, kysely, or its own repository', async () => {
    const vs = await tree({
      'src/assets/assets.routes.ts': [
        "import { sql } from 'kysely';",
        "import { assetsRepo } from './assets.repo.ts';",
        'export const registerAssetRoutes = async (db: any) => {',
        "  await db.selectFrom('assets').selectAll().execute();",
        '  await db.transaction().execute(async () => {});',
        '  await sql`select 1`.execute(db);',
        '  return assetsRepo;',
        '};',
        '',
      ].join('\n'),
    });
    assert.deepEqual(summary(vs), [
      'src/assets/assets.routes.ts → kysely [routes-sql]',
      'src/assets/assets.routes.ts → src/assets/assets.repo.ts [routes-sql]',
      'src/assets/assets.routes.ts [routes-sql]',
      'src/assets/assets.routes.ts [routes-sql]',
      'src/assets/assets.routes.ts [routes-sql]',
    ]);
    assert.deepEqual(
      vs.filter((v) => !v.imports).map((v) => v.message.split(':')[0]),
      ['selectFrom() at line 4', 'transaction() at line 5', 'sql`…` at line 6'],
    );
  });

  test('SQL in the composition root fails; production code importing test code fails', async () => {
    const vs = await tree({
      'src/composition/infra.ts': "export const anyUser = (db: any) => db.selectFrom('users').execute();\n",
      'src/media/probe.ts': "import { clip } from '../../test/fixtures/media.ts';\nexport const x = clip;\n",
    });
    assert.deepEqual(summary(vs), [
      'src/composition/infra.ts [composition-sql]',
      'src/media/probe.ts → test/fixtures/media.ts [test-code]',
    ]);
  });

  test('dynamic import() counts', async () => {
    const vs = await tree({
      'src/storage/local-store.ts': "export const load = () => import('../pipeline/transcode.job.ts');\n",
    });
    assert.deepEqual(summary(vs), ['src/storage/local-store.ts → src/pipeline/transcode.job.ts [direction]']);
  });

  test("Framehouse's own tree keeps every rule", () => {
    assert.deepEqual(summary(checkLayers(ROOT)), []);
  });
});
