/**
 * The processes a chaos scenario breaks: real `framehouse` roles on loopback, on either topology
 * the README promises.
 *
 * - `embedded`: one `serve` (SQLite file and local folder in its data folder) — it is both the api
 *   and the worker, so killing "the worker" kills everything, as it would on a one-VM install.
 * - `scale-out`: 2 `api` + 2 `worker` processes, each with a data folder of its own (nothing shared
 *   on disk), on a PostgreSQL schema of their own and an S3 bucket (s3rver, the real AWS SDK).
 *   PostgreSQL is reached through a TcpFaultProxy and S3 through an HttpFaultProxy, so a scenario
 *   can cut, refuse, stall or fail them; the harness's own reads (`query`, `listObjects`) go
 *   around the proxies, so a fault never blinds the checks.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest, openDatabase } from '../src/db/database.ts';
import { parseS3Url, S3ObjectStore } from '../src/storage/s3-store.ts';
import { exited, freePort, spawnServe } from '../test/helpers/processes.ts';
import { startS3 } from '../test/helpers/s3.ts';
import { HttpFaultProxy } from './faults/http-fault-proxy.ts';
import { TcpFaultProxy } from './faults/tcp-proxy.ts';

export type Topology = 'embedded' | 'scale-out';
export type Role = 'serve' | 'api' | 'worker';

export interface ClusterOptions {
  /** Extra environment for every process (e.g. a short FRAMEHOUSE_JOB_VISIBILITY_TIMEOUT_MS). */
  env?: Record<string, string>;
  /** Scale-out only. Defaults 2 and 2. */
  apis?: number;
  workers?: number;
  /**
   * Environment for one process only, by name (`serve`, `api-2`, `worker-3`…), over `env`: e.g.
   * a process whose clock runs ahead (LD_PRELOAD libfaketime).
   */
  envFor?: Record<string, Record<string, string>>;
  /**
   * Runs once per process after its data folder is made and before it first starts: e.g. mount a
   * small tmpfs on it. Not run again on restart.
   */
  prepareDataDir?: (name: string, dataDir: string) => Promise<void>;
}

export interface Proc {
  role: Role;
  /** `serve`, `api-1`, `worker-2`… */
  name: string;
  /** HTTP roles: http://127.0.0.1:PORT (the same after a restart). */
  url: string | undefined;
  dataDir: string;
  pid(): number | undefined;
  alive(): boolean;
  /** SIGKILL by default; resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again with the same environment, port and data folder; resolves once it answers. */
  restart(): Promise<void>;
  /** Everything it printed since its last start. */
  log(): string;
}

export interface Cluster {
  topology: Topology;
  /** The first HTTP process's URL. */
  url: string;
  /** Every HTTP process's URL (embedded: one). */
  urls: string[];
  /** `Authorization: Bearer …` for FRAMEHOUSE_ADMIN_API_KEY, set on every process. */
  apiKey: string;
  procs: Proc[];
  /** Processes that answer HTTP (embedded: the serve). */
  apis: Proc[];
  /** Processes that run jobs (embedded: the same serve). */
  workers: Proc[];
  /** fetch against `url` (or a full URL) with the admin key. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /**
   * The database's URL around any fault (embedded: `sqlite:` + the serve's file; scale-out: the
   * direct PostgreSQL URL with the schema's search_path), for harness-owned processes.
   */
  databaseUrl: string;
  /** Reads the database around any fault. Write `?` placeholders; they become `$n` on PostgreSQL. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Object keys under a prefix, read around any fault. */
  listObjects(prefix?: string): Promise<string[]>;
  /** One object's bytes, read around any fault. */
  readObject(key: string): Promise<Buffer>;
  /** Bytes in every process's scratch folder (`{data dir}/work`). */
  scratchBytes(): Promise<number>;
  /** Scale-out only: the relays a scenario breaks. */
  faults: { postgres?: TcpFaultProxy; objectStore?: HttpFaultProxy };
  /** Kills everything and removes the data, schema and bucket. */
  stop(): Promise<void>;
}

const POSTGRES_URL = process.env.DATABASE_URL?.startsWith('postgres')
  ? process.env.DATABASE_URL
  : 'postgres://postgres@127.0.0.1:5432/test';

export async function startCluster(
  topology: Topology,
  tmp: string,
  options: ClusterOptions = {},
): Promise<Cluster> {
  const apiKey = `fh_chaos_${randomBytes(12).toString('hex')}`;
  const baseEnv: Record<string, string> = {
    FRAMEHOUSE_ADMIN_API_KEY: apiKey,
    // One client address sends every request here; the limiter would measure itself.
    FRAMEHOUSE_RATE_LIMIT_PER_MINUTE: '1000000',
    // Errors only: a soak's ten minutes of access lines would sit in the harness's memory.
    FRAMEHOUSE_ACCESS_LOG: 'errors',
    ...options.env,
  };
  const cleanups: Array<() => Promise<void>> = [];
  const procs: Proc[] = [];
  const faults: Cluster['faults'] = {};
  let query: Cluster['query'];
  let listObjects: Cluster['listObjects'];
  let databaseUrl: string;
  let readObject: Cluster['readObject'];

  const addProc = async (role: Role, name: string, env: Record<string, string>) => {
    const dataDir = join(tmp, name);
    await mkdir(dataDir, { recursive: true });
    await options.prepareDataDir?.(name, dataDir);
    const port = role === 'worker' ? undefined : String(await freePort());
    const fullEnv = {
      ...baseEnv,
      ...env,
      ...options.envFor?.[name],
      FRAMEHOUSE_DATA_DIR: dataDir,
      ...(port ? { PORT: port } : {}),
    };
    let current = await spawnServe(fullEnv, role);
    const proc: Proc = {
      role,
      name,
      url: port ? current.url : undefined,
      dataDir,
      pid: () => current.child.pid,
      alive: () => current.child.exitCode === null && current.child.signalCode === null,
      async kill(signal = 'SIGKILL') {
        if (!proc.alive()) return;
        current.child.kill(signal);
        await exited(current.child);
      },
      async restart() {
        await proc.kill();
        current = await spawnServe(fullEnv, role);
      },
      log: () => current.log(),
    };
    procs.push(proc);
    return proc;
  };

  try {
    if (topology === 'embedded') {
      const serve = await addProc('serve', 'serve', {});
      const dbFile = join(serve.dataDir, 'framehouse.db');
      databaseUrl = `sqlite:${dbFile}`;
      query = async <T>(text: string, params: unknown[] = []) => {
        const db = new DatabaseSync(dbFile, { readOnly: true });
        try {
          return db.prepare(text).all(...(params as never[])) as T[];
        } finally {
          db.close();
        }
      };
      const objects = join(serve.dataDir, 'objects');
      listObjects = async (prefix = '') => {
        const keys: string[] = [];
        const entries = await readdir(objects, { withFileTypes: true, recursive: true }).catch(() => []);
        for (const e of entries) {
          if (!e.isFile()) continue;
          const key = relative(objects, join(e.parentPath, e.name));
          // The local store's temp files (atomic write: temp + rename) are not objects.
          if (key.startsWith(prefix) && !key.includes('.tmp-')) keys.push(key);
        }
        return keys.sort();
      };
      readObject = (key) => readFile(join(objects, key));
    } else {
      // PostgreSQL: a schema of our own, migrated here, reached by the processes through the relay.
      const schema = `fh_chaos_${randomBytes(6).toString('hex')}`;
      const admin = openDatabase(POSTGRES_URL);
      await sql`create schema ${sql.id(schema)}`.execute(admin);
      cleanups.push(async () => {
        await sql`drop schema ${sql.id(schema)} cascade`.execute(admin);
        await admin.destroy();
      });
      const searchPath = `options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const direct = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}${searchPath}`;
      databaseUrl = direct;
      const migrator = openDatabase(direct);
      await migrateToLatest(migrator);
      await migrator.destroy();
      const target = new URL(POSTGRES_URL);
      const pgRelay = await TcpFaultProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
      faults.postgres = pgRelay;
      cleanups.push(() => pgRelay.close());
      const viaProxy = new URL(direct);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(pgRelay.port);

      const reader = new pg.Pool({ connectionString: direct, max: 2 });
      cleanups.push(() => reader.end());
      query = async <T>(text: string, params: unknown[] = []) => {
        let n = 0;
        const numbered = text.replace(/\?/g, () => `$${++n}`);
        return (await reader.query(numbered, params)).rows as T[];
      };

      // S3: s3rver in this process, the processes reaching it through the fault relay.
      const s3 = await startS3();
      cleanups.push(() => s3.stop());
      const s3Target = new URL(s3.endpoint);
      const s3Relay = await HttpFaultProxy.start({ host: s3Target.hostname, port: Number(s3Target.port) });
      faults.objectStore = s3Relay;
      cleanups.push(() => s3Relay.close());
      const storageUrl = s3.url.replace(
        encodeURIComponent(s3.endpoint),
        encodeURIComponent(s3Relay.endpoint),
      );
      const store = new S3ObjectStore(parseS3Url(s3.url));
      listObjects = async (prefix = '') => (await store.list(prefix)).sort();
      readObject = (key) => store.getBuffer(key);

      const env = { DATABASE_URL: viaProxy.toString(), STORAGE_URL: storageUrl };
      for (let i = 1; i <= (options.apis ?? 2); i++) await addProc('api', `api-${i}`, env);
      for (let i = 1; i <= (options.workers ?? 2); i++) await addProc('worker', `worker-${i}`, env);
    }
  } catch (e) {
    for (const p of procs) await p.kill().catch(() => {});
    for (const c of cleanups.reverse()) await c().catch(() => {});
    throw e;
  }

  const apis = procs.filter((p) => p.url !== undefined);
  const url = apis[0]?.url;
  if (!url) throw new Error('a cluster without an HTTP process');
  return {
    topology,
    url,
    urls: apis.map((p) => p.url as string),
    apiKey,
    databaseUrl,
    procs,
    apis,
    workers: procs.filter((p) => p.role !== 'api'),
    api: (path, init = {}) =>
      fetch(path.startsWith('http') ? path : `${url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${apiKey}`, ...(init.headers as Record<string, string>) },
      }),
    query: (text, params) => query(text, params),
    listObjects: (prefix) => listObjects(prefix),
    readObject: (key) => readObject(key),
    scratchBytes: async () => {
      let total = 0;
      for (const p of procs) total += await bytesUnder(join(p.dataDir, 'work'));
      return total;
    },
    faults,
    async stop() {
      for (const p of procs) await p.kill().catch(() => {});
      for (const c of cleanups.reverse()) await c().catch(() => {});
      await rm(tmp, { recursive: true, force: true }).catch(() => {});
    },
  };
}

async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const e of entries) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
