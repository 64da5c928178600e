/**
 * Uploads and waiting, for the worker-kills and poison-jobs scenarios: real clips sent through
 * `POST /v1/assets` (multipart), then polled until each is `ready` or `errored`.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { makeClip } from '../test/fixtures/media.ts';
import type { Cluster } from './cluster.ts';

/** `n` distinct short clips (640x360, video and audio, `seconds` to `seconds` + 2 s) in `dir`. */
export async function makeClips(dir: string, n: number, prefix: string, seconds = 4): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < n; i++)
    files.push(
      await makeClip(dir, {
        name: `${prefix}-${i + 1}`,
        seconds: seconds + (i % 3),
        width: 640,
        height: 360,
      }),
    );
  return files;
}

/** One multipart upload; retried while the api is down (a killed embedded serve). Returns the asset id. */
export async function uploadClip(cluster: Cluster, file: string, deadlineMs = 120_000): Promise<string> {
  const bytes = await readFile(file);
  const until = Date.now() + deadlineMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const form = new FormData();
      form.set('file', new Blob([bytes], { type: 'video/mp4' }), basename(file));
      form.set('title', basename(file));
      const res = await cluster.api('/v1/assets', { method: 'POST', body: form });
      if (res.status === 202) return ((await res.json()) as { data: { id: string } }).data.id;
      last = `${res.status} ${await res.text()}`;
    } catch (e) {
      last = String(e);
    }
    await delay(500);
  }
  throw new Error(`upload of ${basename(file)} did not succeed: ${last}`);
}

export type AssetStatus = 'waiting' | 'processing' | 'ready' | 'errored';

/** Each asset's status, read from the database (around any fault, and while the api is down). */
export async function statuses(cluster: Cluster, ids: readonly string[]): Promise<Map<string, AssetStatus>> {
  const out = new Map<string, AssetStatus>();
  for (const id of ids) {
    const [row] = await cluster.query<{ status: AssetStatus }>('select status from assets where id = ?', [
      id,
    ]);
    if (row) out.set(id, row.status);
  }
  return out;
}

/** Whether every asset has settled (`ready` or `errored`). */
export async function allSettled(cluster: Cluster, ids: readonly string[]): Promise<boolean> {
  const s = await statuses(cluster, ids);
  return ids.every((id) => s.get(id) === 'ready' || s.get(id) === 'errored');
}

/**
 * `ready` is reached once the first rungs play; the transcode job goes on with the rest. Settled
 * here means: every asset ready or errored, and no job for them queued or running.
 */
export async function jobsOpenFor(cluster: Cluster, ids: readonly string[]): Promise<string[]> {
  const open: string[] = [];
  for (const id of ids) {
    const rows = await cluster.query<{ id: string; type: string; state: string }>(
      "select id, type, state from jobs where payload like ? and state in ('queued', 'running')",
      [`%"assetId":"${id}"%`],
    );
    for (const r of rows) open.push(`${r.type} ${r.id} (${r.state}) for ${id}`);
  }
  return open;
}

export interface JobRow {
  id: string;
  type: string;
  state: string;
  attempts: number;
  max_attempts: number;
  /** Attempts cut off by a worker's death (migration 0020), forgiven or not. */
  crashes: number;
  last_error: string | null;
}

/** Every job whose payload names one of the assets. */
export async function jobsFor(cluster: Cluster, ids: readonly string[]): Promise<Map<string, JobRow[]>> {
  const out = new Map<string, JobRow[]>();
  for (const id of ids) {
    const rows = await cluster.query<JobRow>(
      'select id, type, state, attempts, max_attempts, crashes, last_error from jobs where payload like ?',
      [`%"assetId":"${id}"%`],
    );
    out.set(
      id,
      rows.map((r) => ({
        ...r,
        attempts: Number(r.attempts),
        max_attempts: Number(r.max_attempts),
        crashes: Number(r.crashes),
      })),
    );
  }
  return out;
}

/** Polls `done` every `everyMs` until it holds or `timeoutMs` passes; true when it held. */
export async function waitUntil(
  done: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 500,
): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await done().catch(() => false)) return true;
    await delay(everyMs);
  }
  return done().catch(() => false);
}
