import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.ts';
import { JOB_TYPES } from '../src/job-types.ts';
import { startServer } from '../src/server.ts';
import { startTestServer } from './helpers/server.ts';

const QUEUE_GAUGES = [
  'framehouse_queue_depth',
  'framehouse_queue_oldest_age_seconds',
  'framehouse_queue_dead',
];

/** The value of `name{type="…"}` in a Prometheus text exposition, or undefined when there is no such sample. */
function sample(text: string, name: string, type: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{type="${type}"} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('queue gauges when nothing is queued (issue 12, item 3)', () => {
  test('a fresh server shows 0, not "no data", for every job type its worker registers', async () => {
    const server = await startTestServer();
    try {
      const registered = [...(server.workers?.types ?? [])].sort();
      // The list the api role uses is the one the workers register: a new job type must join it.
      assert.deepEqual(registered, [...JOB_TYPES].sort());
      const text = await (await fetch(new URL('/metrics', server.url))).text();
      for (const name of QUEUE_GAUGES)
        for (const type of registered) assert.equal(sample(text, name, type), 0, `${name}{type="${type}"}`);
    } finally {
      await server.stop();
    }
  });

  test('an api node (no worker of its own) shows them too, and counts the job that waits', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fh-gauges-'));
    const config = loadConfig(
      { FRAMEHOUSE_LOG_LEVEL: 'silent' },
      { port: 0, host: '127.0.0.1', dataDir: dir },
    );
    const server = await startServer(config, { role: 'api' });
    try {
      assert.equal(server.workers, null);
      const form = new FormData();
      form.append('file', new Blob([Buffer.from('no worker will probe this')]), 'clip.mp4');
      const upload = await fetch(new URL('/v1/assets', server.url ?? ''), { method: 'POST', body: form });
      assert.equal(upload.status, 202);
      const text = await (await fetch(new URL('/metrics', server.url ?? ''))).text();
      assert.equal(sample(text, 'framehouse_queue_depth', 'probe'), 1);
      assert.ok((sample(text, 'framehouse_queue_oldest_age_seconds', 'probe') ?? -1) >= 0);
      for (const type of JOB_TYPES.filter((t) => t !== 'probe'))
        for (const name of QUEUE_GAUGES) assert.equal(sample(text, name, type), 0, `${name}{type="${type}"}`);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
