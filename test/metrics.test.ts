import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeClip } from './fixtures/media.ts';
import { exited, freePort, spawnServe } from './helpers/processes.ts';
import { isFinished, startTestServer, type TestServer } from './helpers/server.ts';
import { waitForValue } from './helpers/wait.ts';

const TOKEN = 'metrics-token-0123456789';
const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.]+(e[+-]?\d+)?|NaN|\+Inf|-Inf)$/;

/** Checks the exposition format line by line (and with promtool where it is installed). */
function assertPrometheusText(text: string): void {
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    assert.match(line, SAMPLE);
  }
  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (promtool.error) {
    process.stdout.write('# promtool is not installed here: the format was checked line by line only\n');
    return;
  }
  assert.equal(promtool.status, 0, promtool.stdout + promtool.stderr);
}

describe('metrics', () => {
  let server: TestServer;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-metrics-'));
    server = await startTestServer({ FRAMEHOUSE_METRICS_TOKEN: TOKEN });
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('/metrics: for the scraper only, in Prometheus text, with queue, job, HTTP, slot and storage series', async () => {
    assert.equal((await fetch(new URL('/metrics', server.url))).status, 403);
    assert.equal(
      (
        await fetch(new URL('/metrics', server.url), {
          headers: { authorization: 'Bearer wrong-token-000000' },
        })
      ).status,
      403,
    );
    const asset = await server.upload(await makeClip(dir, { name: 'm', seconds: 1 }));
    await server.waitForAsset(asset.id, isFinished);
    const scrape = () =>
      fetch(new URL('/metrics', server.url), { headers: { authorization: `Bearer ${TOKEN}` } });
    const res = await scrape();
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain; version=0\.0\.4/);
    let text = await res.text();
    // The transcode job ends a moment after the asset is ready (the poster and storyboard come last).
    if (!/framehouse_jobs_total\{type="transcode"/.test(text))
      text = await waitForValue(
        async () => (await scrape()).text(),
        (t) => /framehouse_jobs_total\{type="transcode"/.test(t),
        { what: 'the transcode job in the metrics' },
      );
    assertPrometheusText(text);
    for (const name of [
      'framehouse_queue_depth',
      'framehouse_queue_oldest_age_seconds',
      'framehouse_jobs_total',
      'framehouse_job_duration_seconds',
      'framehouse_http_request_duration_seconds',
      'framehouse_worker_slots',
      'framehouse_webhook_deliveries_total',
      'framehouse_storage_bytes',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    assert.match(text, /^framehouse_jobs_total\{type="probe",outcome="completed"\} 1$/m);
    assert.match(text, /^framehouse_job_duration_seconds_count\{type="transcode"\} 1$/m);
    assert.match(
      text,
      /^framehouse_http_request_duration_seconds_count\{method="POST",route="\/v1\/assets",status="202"\} 1$/m,
    );
    assert.match(text, /^framehouse_worker_slots\{state="(idle|busy)"\} \d$/m);
    assert.match(text, /^framehouse_storage_bytes [1-9]\d*$/m);
  });
});

test('a worker process serves its own /metrics on FRAMEHOUSE_METRICS_PORT (loopback only by default), and /healthz and /readyz', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fh-metrics-worker-'));
  const port = await freePort();
  const worker = await spawnServe(
    { FRAMEHOUSE_DATA_DIR: dataDir, FRAMEHOUSE_METRICS_PORT: String(port), FRAMEHOUSE_HOST: '127.0.0.1' },
    'worker',
  );
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assertPrometheusText(text);
    assert.match(text, /^framehouse_worker_slots\{state="idle"\} 2$/m);
    // The same port answers an orchestrator's probes (deploy/kubernetes), without the scraper's rights.
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    const readyBody = (await ready.json()) as { status: string; checks: Record<string, string> };
    assert.equal(ready.status, 200, JSON.stringify(readyBody));
    assert.deepEqual(readyBody, {
      status: 'ready',
      checks: { database: 'ok', object_store: 'ok', ffmpeg: 'ok' },
    });
    assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
  } finally {
    worker.child.kill('SIGTERM');
    await exited(worker.child);
    await rm(dataDir, { recursive: true, force: true });
  }
});
