import type { FastifyInstance } from 'fastify';
import { type Db, pingDatabase } from '../db/database.ts';
import { ffmpegVersion } from '../media/run-ffmpeg.ts';
import type { ObjectStore } from '../storage/object-store.ts';

interface HealthDeps {
  db: Db;
  store: ObjectStore;
  ffmpegPath: string;
}

/** `/healthz`: the process answers. `/readyz`: it can do its work (database, store, ffmpeg). */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  // ffmpeg does not appear or vanish often: remember a good answer for a minute.
  let ffmpegOkUntil = 0;

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const checks: Record<string, string> = {};
    const run = async (name: string, check: () => Promise<void>) => {
      try {
        await withTimeout(check(), 3000);
        checks[name] = 'ok';
      } catch (e) {
        checks[name] = `failing: ${(e as Error).message}`;
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
    const failing = Object.entries(checks).filter(([, v]) => v !== 'ok');
    reply.code(failing.length ? 503 : 200);
    return { status: failing.length ? 'unavailable' : 'ready', checks };
  });
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
