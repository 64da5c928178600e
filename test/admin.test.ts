import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeClip } from './fixtures/media.ts';
import { isFinished, startTestServer } from './helpers/server.ts';

interface Job {
  id: string;
  type: string;
  state: string;
  attempts: number;
  error: string | null;
}

test('a poison job reaches the dead-letter list with its error, and completes after a redrive', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fh-admin-'));
  try {
    // First a node whose ffprobe is missing: every probe fails until it is dead.
    const broken = await startTestServer({ FRAMEHOUSE_FFPROBE_PATH: '/nonexistent/ffprobe' }, dataDir);
    const clip = await makeClip(dataDir, { name: 'poison', seconds: 1 });
    const asset = await broken.upload(clip);
    const errored = await broken.waitForAsset(asset.id, isFinished, 60_000);
    assert.equal(errored.status, 'errored');
    const dead = await broken.api<{ data: Job[] }>('/v1/admin/jobs?state=dead');
    const probe = dead.body.data.find((j) => j.type === 'probe');
    assert.ok(probe, JSON.stringify(dead.body));
    assert.equal(probe.attempts, 3);
    assert.match(probe.error ?? '', /ffprobe|ENOENT/i);
    const queues = await broken.api<{ data: Array<{ type: string; dead: number }> }>('/v1/admin/queues');
    assert.equal(queues.body.data.find((q) => q.type === 'probe')?.dead, 1);
    const events = await broken.api<{
      data: Array<{
        type: string;
        asset_id: string | null;
        data: { job_id: string; type: string; error: string };
      }>;
    }>('/v1/events?type=job.dead');
    assert.equal(events.body.data.length, 1, JSON.stringify(events.body));
    assert.deepEqual(
      [events.body.data[0]?.asset_id, events.body.data[0]?.data.job_id, events.body.data[0]?.data.type],
      [asset.id, probe.id, 'probe'],
    );
    assert.match(events.body.data[0]?.data.error ?? '', /ffprobe|ENOENT/i);
    await broken.close();

    // The tool is back: an operator redrives the job and it finishes.
    const fixed = await startTestServer({}, dataDir);
    try {
      const workers = await fixed.api<{
        data: Array<{ host: string; slots: number; alive: boolean; role: string }>;
      }>('/v1/admin/workers');
      assert.deepEqual(
        workers.body.data.filter((w) => w.alive).map((w) => [w.host, w.role, w.slots]),
        [[hostname(), 'all', 2]],
      );
      assert.equal((await fixed.api(`/v1/admin/jobs/${probe.id}/redrive`, { method: 'POST' })).status, 204);
      // (The asset is still `errored` until the redriven probe gets going.)
      const ready = await fixed.waitForAsset(
        asset.id,
        (a) => a.status === 'ready' && a.progress === 1,
        60_000,
      );
      assert.equal(ready.status, 'ready', JSON.stringify(ready.errors));
      const redriven = await fixed.api<{ data: Job[] }>('/v1/admin/jobs?type=probe');
      assert.equal(redriven.body.data[0]?.state, 'completed');
      const again = await fixed.api<{ error: { code: string } }>(`/v1/admin/jobs/${probe.id}/redrive`, {
        method: 'POST',
      });
      assert.deepEqual([again.status, again.body.error.code], [409, 'FH_ERR_JOB_NOT_DEAD']);
      assert.equal((await fixed.api(`/v1/admin/jobs/${probe.id}`, { method: 'DELETE' })).status, 204);
      assert.equal((await fixed.api(`/v1/admin/jobs/${probe.id}`, { method: 'DELETE' })).status, 404);
      const audit = await fixed.api<{ data: Array<{ action: string }> }>('/v1/audit?action=job.redriven');
      assert.equal(audit.body.data.length, 1);
    } finally {
      await fixed.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
