import type { FastifyInstance } from 'fastify';
import { type Db, pingDatabase } from '../db/database.ts';
import { ffmpegVersion } from '../media/run-ffmpeg.ts';
import { dependencyOutage } from '../shared/outage.ts';
import type { ObjectStore } from '../storage/object-store.ts';

export interface HealthDeps {
  db: Db;
  store: ObjectStore;
  ffmpegPath: string;
}

/** `/healthz`: the process answers. `/readyz`: it can do its work (database, store, ffmpeg). */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  const readiness = readinessCheck(deps);
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const { ready, body } = await readiness();
    reply.code(ready ? 200 : 503);
    return body;
  });
}

/** What `/readyz` reports: each part `ok` or `failing: …`, and whether all are ok. */
export interface Readiness {
  ready: boolean;
  body: { status: 'ready' | 'unavailable'; checks: Record<string, string> };
}

/**
 * The readiness checks (database, object store, ffmpeg), for `/readyz` of the HTTP roles and of
 * a worker's own port (FRAMEHOUSE_METRICS_PORT). ffmpeg does not appear or vanish often: a good
 * answer is remembered for a minute.
 */
export function readinessCheck(deps: HealthDeps): () => Promise<Readiness> {
  let ffmpegOkUntil = 0;
  return async () => {
    const checks: Record<string, string> = {};
    const run = async (name: string, check: () => Promise<void>) => {
      try {
        await withTimeout(check(), 3000);
        checks[name] = 'ok';
      } catch (e) {
        // What happened, in words: "the object store answered 500 Internal Server Error", not the
        // SDK's "UnknownError" (a HEAD answer has no body to name the error).
        checks[name] = `failing: ${dependencyOutage(e)?.reason ?? ((e as Error).message || String(e))}`;
      }
    };
    await Promise.all([
      run('database', () => pingDatabase(deps.db)),
      run('object_store', () => deps.store.checkHealth()),
      run('ffmpeg', async () => {
        if (Date.now() < ffmpegOkUntil) return;
        const v = await ffmpegVersion(deps.ffmpegPath);
        if (!v) throw new Error(`${deps.ffmpegPath} not found`);
        ffmpegOkUntil = Date.now() + 60_000;
      }),
    ]);
    const ready = Object.values(checks).every((v) => v === 'ok');
    return { ready, body: { status: ready ? 'ready' : 'unavailable', checks } };
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
