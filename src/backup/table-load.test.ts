import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { booleanType, dialectOf, timestampType } from '../db/dialect-helpers.ts';
import { openTestDatabase, postgresSkip, type TestDialect } from '../db/test-databases.ts';
import { withDatabaseSnapshot } from './database-snapshot.ts';
import { targetCatalog } from './restore-database.ts';
import { loadRows } from './table-load.ts';
import { type DumpValue, encodeValue } from './value-codec.ts';

const BIG = '9007199254740993'; // 2^53 + 1: a JS number cannot hold it

/** The same table on either dialect, with a column of each kind the migrations use. */
async function createTable(db: Db): Promise<void> {
  const k = db as unknown as Kysely<unknown>;
  await k.schema
    .createTable('conv')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('flag', booleanType(k))
    .addColumn('n', 'integer')
    .addColumn('big', 'bigint')
    .addColumn('r', 'double precision')
    .addColumn('at', timestampType(k))
    .addColumn('t', 'text')
    .addColumn('bin', dialectOf(k) === 'sqlite' ? 'blob' : 'bytea')
    .execute();
}

async function fill(db: Db, dialect: TestDialect): Promise<void> {
  const pg = dialect === 'postgres';
  // What each dialect holds as the app writes it: better-auth writes ISO strings and 0/1 on SQLite.
  await sql`insert into conv (id, flag, n, big, r, at, t, bin) values
    (1, ${pg ? true : 1}, 7, ${pg ? BIG : BigInt(BIG)}, 1.5, ${pg ? new Date('2024-01-02T03:04:05.678Z') : '2024-01-02T03:04:05.678Z'}, ${'héllo "quoted"\nline ☃'}, ${Buffer.from([0, 1, 255])}),
    (2, ${pg ? false : 0}, -3, -5, -0.25, ${pg ? new Date('2024-01-02T03:04:05.000Z') : '2024-01-02 03:04:05'}, '', ${Buffer.alloc(0)}),
    (3, null, null, null, null, null, null, null)`.execute(db);
}

/** Rows as both dialects can be asked for them: bigints as text, everything else as the driver gives it. */
async function readBack(db: Db) {
  const { rows } = await sql<
    Record<string, unknown>
  >`select id, flag, n, cast(big as text) as big, r, at, t, bin from conv order by id`.execute(db);
  return rows.map((r) => ({
    ...r,
    flag: r.flag === null ? null : Boolean(r.flag),
    at: r.at instanceof Date ? r.at.toISOString() : r.at,
    bin: r.bin === null ? null : Buffer.from(r.bin as Uint8Array).toString('hex'),
  }));
}

const pairs: Array<[TestDialect, TestDialect]> = [
  ['sqlite', 'sqlite'],
  ['sqlite', 'postgres'],
  ['postgres', 'sqlite'],
  ['postgres', 'postgres'],
];

for (const [from, to] of pairs) {
  test(`dump → JSON → load keeps every kind of value (${from} → ${to})`, {
    skip: postgresSkip(from) || postgresSkip(to),
  }, async () => {
    const source = await openTestDatabase(from);
    const target = await openTestDatabase(to);
    const scratch = await mkdtemp(join(tmpdir(), 'fh-conv-'));
    try {
      await createTable(source.db);
      await createTable(target.db);
      await fill(source.db, from);
      const lines = await withDatabaseSnapshot(
        source.db,
        { databaseUrl: source.url, scratchDir: scratch },
        async (snap) => {
          const table = snap.tables.find((t) => t.name === 'conv');
          assert.ok(table);
          const out: string[] = [];
          for await (const row of snap.rows(table)) out.push(JSON.stringify(row.map(encodeValue)));
          return { columns: table.columns.map((c) => c.name), out };
        },
      );
      assert.ok(!lines.out[0]?.includes('9007199254740992'), 'no precision lost on the way out');
      const table = (await targetCatalog(target.db)).find((t) => t.name === 'conv');
      assert.ok(table);
      async function* rows() {
        for (const l of lines.out) yield JSON.parse(l) as DumpValue[];
      }
      const loaded = await loadRows(target.db as unknown as Kysely<unknown>, table, lines.columns, rows(), {
        dialect: to,
      });
      assert.equal(loaded.rows, 3);
      const got = await readBack(target.db);
      // A time SQLite wrote without a zone is UTC: PostgreSQL gets it as such. Kept as written otherwise.
      const second =
        from === 'sqlite' && to === 'sqlite' ? '2024-01-02 03:04:05' : '2024-01-02T03:04:05.000Z';
      assert.deepEqual(got, [
        {
          id: 1,
          flag: true,
          n: 7,
          big: BIG,
          r: 1.5,
          at: '2024-01-02T03:04:05.678Z',
          t: 'héllo "quoted"\nline ☃',
          bin: '0001ff',
        },
        { id: 2, flag: false, n: -3, big: '-5', r: -0.25, at: second, t: '', bin: '' },
        { id: 3, flag: null, n: null, big: null, r: null, at: null, t: null, bin: null },
      ]);
      if (to === 'postgres') {
        // The column types hold what PostgreSQL's readers expect: real booleans and times.
        const { rows: typed } = await sql<{
          flag: unknown;
          at: unknown;
        }>`select flag, at from conv where id = 1`.execute(target.db);
        assert.equal(typed[0]?.flag, true);
        assert.ok(typed[0]?.at instanceof Date);
      }
    } finally {
      await source.close();
      await target.close();
      await rm(scratch, { recursive: true, force: true });
    }
  });
}
