import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/database.ts';
import { POSTGRES_URL } from '../../src/db/test-databases.ts';
import { newId } from '../../src/shared/ids.ts';
import { startS3 } from './s3.ts';

/**
 * Where a Framehouse lives: its database and its object store, as the environment of every
 * process that runs on it names them. A test walks the store (every object and its SHA-256, read
 * here with fs or the AWS SDK, not through the code under test) and wipes the site the way a
 * disaster would: the database file or schema gone, the bucket or folder empty.
 */
export interface Site {
  readonly label: string;
  /** DATABASE_URL, STORAGE_URL and FRAMEHOUSE_DATA_DIR for `serve` and the CLI. */
  readonly env: Record<string, string>;
  /** The database, for a test to read what the API never shows (the secrets at rest). */
  readonly databaseUrl: string;
  /** Every object of the store: key → size and SHA-256. */
  walk(): Promise<Map<string, StoredObject>>;
  /** One object's bytes. */
  read(key: string): Promise<Buffer>;
  /** Deletes the database and every object; the site is empty, as after losing a machine. */
  wipe(): Promise<void>;
  close(): Promise<void>;
}

export interface StoredObject {
  size: number;
  sha256: string;
}

async function hashStream(stream: Readable): Promise<StoredObject> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(stream, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      size += chunk.length;
      hash.update(chunk);
    }
  });
  return { size, sha256: hash.digest('hex') };
}

/** The embedded default: a SQLite file and a local folder, both in one data folder. */
export async function embeddedSite(work: string, name = 'data'): Promise<Site> {
  const dataDir = join(work, name);
  const objects = join(dataDir, 'objects');
  return {
    label: 'SQLite + local folder',
    // CI's DATABASE_URL is PostgreSQL: cleared, so the embedded defaults apply.
    env: { FRAMEHOUSE_DATA_DIR: dataDir, DATABASE_URL: '', STORAGE_URL: '' },
    databaseUrl: `sqlite:${join(dataDir, 'framehouse.db')}`,
    async walk() {
      const found = new Map<string, StoredObject>();
      if (!existsSync(objects)) return found;
      for (const entry of await readdir(objects, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const path = join(entry.parentPath, entry.name);
        const key = relative(objects, path);
        // The local store's scratch folder: half-written files, never objects.
        if (key.startsWith('.tmp/')) continue;
        found.set(key, await hashStream(createReadStream(path)));
      }
      return sorted(found);
    },
    read: (key) => readFile(join(objects, key)),
    async wipe() {
      await rm(dataDir, { recursive: true, force: true });
      assert.ok(!existsSync(dataDir));
    },
    async close() {
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A schema of its own on the test PostgreSQL, empty (the server migrates it). */
export async function postgresSchema(): Promise<{
  url: string;
  recreate(): Promise<void>;
  drop(): Promise<void>;
}> {
  assert.ok(POSTGRES_URL, 'DATABASE_URL is not a postgres:// URL');
  // fh_test_: the prefix every test schema has, so a sweep of leftovers finds this one too.
  const schema = `fh_test_${newId(12)}`;
  const admin = openDatabase(POSTGRES_URL);
  await sql`create schema ${sql.id(schema)}`.execute(admin);
  const separator = POSTGRES_URL.includes('?') ? '&' : '?';
  return {
    url: `${POSTGRES_URL}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    async recreate() {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(admin);
      await sql`create schema ${sql.id(schema)}`.execute(admin);
      const left = await sql<{ n: number }>`
        select count(*)::int as n from information_schema.tables where table_schema = ${schema}`.execute(
        admin,
      );
      assert.equal(left.rows[0]?.n, 0, 'the schema is empty');
    },
    async drop() {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin);
      await admin.destroy();
    },
  };
}

/** A bucket on an s3rver of its own, for the real AWS SDK (as a provider's bucket would be). */
export async function bucket(name: string) {
  const s3 = await startS3(name);
  const client = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: process.env.AWS_REGION ?? 'us-east-1',
  });
  const listAll = async (prefix = '') => {
    const keys: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: name, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key) keys.push({ key: o.Key, size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  };
  return {
    name,
    endpoint: s3.endpoint,
    /** `s3://name/prefix?endpoint=…`, as STORAGE_URL or a backup target. */
    url: (prefix: string) =>
      `s3://${name}/${prefix}?endpoint=${encodeURIComponent(s3.endpoint)}&force_path_style=true`,
    listAll,
    async read(key: string): Promise<Buffer> {
      const res = await client.send(new GetObjectCommand({ Bucket: name, Key: key }));
      return Buffer.from(
        await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
    },
    async hash(key: string): Promise<StoredObject> {
      const res = await client.send(new GetObjectCommand({ Bucket: name, Key: key }));
      return hashStream(res.Body as Readable);
    },
    /** Every object and every unfinished multipart upload of the bucket gone. */
    async empty() {
      for (;;) {
        const keys = await listAll();
        if (keys.length === 0) break;
        for (let i = 0; i < keys.length; i += 1000) {
          await client.send(
            new DeleteObjectsCommand({
              Bucket: name,
              Delete: { Objects: keys.slice(i, i + 1000).map((k) => ({ Key: k.key })) },
            }),
          );
        }
      }
      try {
        const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: name }));
        for (const u of uploads.Uploads ?? [])
          await client.send(
            new AbortMultipartUploadCommand({ Bucket: name, Key: u.Key, UploadId: u.UploadId }),
          );
      } catch (e) {
        // s3rver keeps no listable multipart uploads (NotImplemented): nothing to abort there.
        if ((e as { name?: string }).name !== 'NotImplemented') throw e;
      }
      assert.deepEqual(await listAll(), [], 'the bucket is empty');
    },
    async close() {
      client.destroy();
      await s3.stop();
    },
  };
}

/** The scale-out shape: a PostgreSQL schema and an S3 bucket (s3rver), a scratch data folder. */
export async function scaleOutSite(work: string, name = 'scale-out'): Promise<Site> {
  const db = await postgresSchema();
  const media = await bucket('media');
  const prefix = 'framehouse';
  const dataDir = join(work, name);
  await mkdir(dataDir, { recursive: true });
  return {
    label: 'PostgreSQL + S3',
    env: { DATABASE_URL: db.url, STORAGE_URL: media.url(prefix), FRAMEHOUSE_DATA_DIR: dataDir },
    databaseUrl: db.url,
    async walk() {
      const found = new Map<string, StoredObject>();
      for (const { key } of await media.listAll(`${prefix}/`))
        found.set(key.slice(prefix.length + 1), await media.hash(key));
      return sorted(found);
    },
    read: (key) => media.read(`${prefix}/${key}`),
    async wipe() {
      await db.recreate();
      await media.empty();
      // The node's scratch (tus staging of a local store, work files): a new machine has none.
      await rm(dataDir, { recursive: true, force: true });
      await mkdir(dataDir, { recursive: true });
    },
    async close() {
      await db.drop();
      await media.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The columns docs/operations.md calls secrets ("Secrets"), and whole tables of them. */
const SECRET_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['playback_signing_keys', 'secret'],
  ['webhooks', 'secret'],
  ['live_streams', 'stream_key'],
  ['live_streams', 'srt_passphrase'],
  ['two_factors', 'secret'],
  ['two_factors', 'backupCodes'],
  ['accounts', 'accessToken'],
  ['accounts', 'refreshToken'],
  ['accounts', 'idToken'],
  ['instance_settings', 'value'],
  ['sessions', 'token'],
  ['verifications', 'value'],
];

/**
 * Every secret value a stopped site's database holds, read with SQL: what must never be in an
 * archive in clear. Short values are left out (they would match by chance).
 */
export async function secretsAtRest(databaseUrl: string): Promise<string[]> {
  const db = openDatabase(databaseUrl);
  try {
    const found: string[] = [];
    for (const [table, column] of SECRET_COLUMNS) {
      const { rows } = await sql<{
        v: unknown;
      }>`select ${sql.ref(column)} as v from ${sql.table(table)}`.execute(db);
      for (const { v } of rows) if (typeof v === 'string' && v.length >= 16) found.push(v);
    }
    return found;
  } finally {
    await db.destroy();
  }
}

function sorted<V>(m: Map<string, V>): Map<string, V> {
  return new Map([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A scratch folder for one describe block. */
export const workDir = (tmp: string, name: string) => mkdtemp(join(tmp, `fh-${name}-`));

/** What differs between two walks of a store, one line each (empty: the same objects, byte for byte). */
export function diffObjects(before: Map<string, StoredObject>, after: Map<string, StoredObject>): string[] {
  const problems: string[] = [];
  for (const [key, b] of before) {
    const a = after.get(key);
    if (!a) problems.push(`missing: ${key}`);
    else if (a.sha256 !== b.sha256 || a.size !== b.size)
      problems.push(
        `different: ${key} (${b.size} B ${b.sha256.slice(0, 12)} → ${a.size} B ${a.sha256.slice(0, 12)})`,
      );
  }
  for (const key of after.keys()) if (!before.has(key)) problems.push(`extra: ${key}`);
  return problems;
}
