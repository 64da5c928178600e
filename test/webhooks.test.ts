import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import {
  openTestDatabase,
  postgresSkip,
  TEST_DIALECTS,
  type TestDatabase,
} from '../src/db/test-databases.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { waitFor } from './helpers/wait.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** A webhook receiver on a loopback port answering with the statuses given, then 200. */
async function receiver(
  statuses: number[],
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      const answered = statuses.shift() ?? 200;
      received.push({ headers: req.headers, body, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const until = <T>(fn: () => Promise<T | undefined> | T | undefined, what: string, ms = 20_000) =>
  waitFor(fn, { what, timeoutMs: ms, intervalMs: 50 });

const json = (body: object, method = 'POST') => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

for (const dialect of TEST_DIALECTS) {
  describe(`webhooks and events on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let db: TestDatabase;
    let server: TestServer;
    let other: TestServer;
    let dir: string;
    let assetId: string;

    before(async () => {
      db = await openTestDatabase(dialect);
      dir = await mkdtemp(join(tmpdir(), 'fh-webhooks-'));
      const env = {
        DATABASE_URL: db.url,
        STORAGE_URL: `file:${join(dir, 'objects')}`,
        FRAMEHOUSE_WEBHOOKS_ALLOW_PRIVATE: 'true',
        FRAMEHOUSE_WEBHOOK_RETRY_SCHEDULE: '0.2,0.2,0.2,0.2,0.2,0.2',
        FRAMEHOUSE_WEBHOOK_DISABLE_AFTER: '4',
        FRAMEHOUSE_WORKER_CONCURRENCY: '1',
      };
      server = await startTestServer(env, await mkdtemp(join(dir, 'a-')));
      // Another api node (no worker) on the same database.
      other = await startTestServer(
        { ...env, FRAMEHOUSE_WORKER_CONCURRENCY: '0' },
        await mkdtemp(join(dir, 'b-')),
      );
      const form = new FormData();
      form.append('file', new Blob([Buffer.from('not a video, just bytes')]), 'notes.mp4');
      const created = await server.api<{ data: { id: string } }>('/v1/assets', {
        method: 'POST',
        body: form,
      });
      assetId = created.body.data.id;
    });
    after(async () => {
      await other.stop();
      await server.stop();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    });

    test('a receiver answering 500 twice then 200 gets one successful, verifiable delivery; the log has all three', async () => {
      const hooks = await receiver([500, 500]);
      try {
        const made = await server.api<{ data: { id: string; secret: string; enabled: boolean } }>(
          '/v1/webhooks',
          json({ url: hooks.url, events: ['asset.updated'] }),
        );
        assert.equal(made.status, 201);
        assert.match(made.body.data.secret, /^whsec_[A-Za-z0-9+/=]+$/);
        assert.equal(
          (await server.api<{ data: { secret?: string } }>(`/v1/webhooks/${made.body.data.id}`)).body.data
            .secret,
          undefined,
        );

        await server.api(`/v1/assets/${assetId}`, json({ title: 'Harbour at dawn' }, 'PATCH'));
        await until(
          () => hooks.received.some((r) => r.answered === 200) || undefined,
          'the successful delivery',
        );
        await sleep(600); // nothing more should come
        assert.deepEqual(
          hooks.received.map((r) => r.answered),
          [500, 500, 200],
        );
        const ids = new Set(hooks.received.map((r) => r.headers['webhook-id']));
        assert.equal(ids.size, 1, 'every attempt carries the same webhook-id');

        const verifier = new Webhook(made.body.data.secret);
        for (const r of hooks.received) {
          const payload = verifier.verify(r.body, r.headers as Record<string, string>) as {
            type: string;
            timestamp: string;
            data: { asset_id: string; changes: string[] };
          };
          assert.equal(payload.type, 'asset.updated');
          assert.ok(Date.parse(payload.timestamp));
          assert.equal(payload.data.asset_id, assetId);
        }
        assert.throws(() =>
          new Webhook(`whsec_${Buffer.from('another secret').toString('base64')}`).verify(
            hooks.received[0]?.body ?? '',
            hooks.received[0]?.headers as Record<string, string>,
          ),
        );

        const log = await server.api<{
          data: Array<{ attempt: number; status_code: number; latency_ms: number; outcome: string }>;
        }>(`/v1/webhooks/${made.body.data.id}/deliveries`);
        assert.deepEqual(
          log.body.data.map((d) => [d.attempt, d.status_code, d.outcome]),
          [
            [3, 200, 'delivered'],
            [2, 500, 'failed'],
            [1, 500, 'failed'],
          ],
        );
        assert.ok(log.body.data.every((d) => d.latency_ms >= 0));

        // Redelivery by hand, then a rotated secret signs the next one.
        const eventId = String(hooks.received[0]?.headers['webhook-id']);
        assert.equal(
          (
            await server.api(`/v1/webhooks/${made.body.data.id}/events/${eventId}/redeliver`, {
              method: 'POST',
            })
          ).status,
          202,
        );
        await until(() => hooks.received.length === 4 || undefined, 'the redelivery');
        assert.equal(hooks.received[3]?.headers['webhook-id'], eventId);
        const rotated = await server.api<{ data: { secret: string } }>(
          `/v1/webhooks/${made.body.data.id}`,
          json({ rotate_secret: true }, 'PATCH'),
        );
        assert.notEqual(rotated.body.data.secret, made.body.data.secret);
        await server.api(`/v1/assets/${assetId}`, json({ title: 'Harbour at dusk' }, 'PATCH'));
        await until(() => hooks.received.length === 5 || undefined, 'the delivery after rotation');
        const last = hooks.received[4];
        new Webhook(rotated.body.data.secret).verify(
          last?.body ?? '',
          last?.headers as Record<string, string>,
        );
        await server.api(`/v1/webhooks/${made.body.data.id}`, { method: 'DELETE' });
      } finally {
        await hooks.close();
      }
    });

    test('an endpoint failing again and again is disabled, with an event saying so', async () => {
      const hooks = await receiver(Array(20).fill(503));
      try {
        const made = await server.api<{ data: { id: string } }>(
          '/v1/webhooks',
          json({ url: hooks.url, events: ['*'] }),
        );
        await server.api(`/v1/assets/${assetId}`, json({ title: 'Lighthouse' }, 'PATCH'));
        const disabled = await until(async () => {
          const w = await server.api<{ data: { enabled: boolean; disabled_reason: string | null } }>(
            `/v1/webhooks/${made.body.data.id}`,
          );
          return w.body.data.enabled ? undefined : w.body.data;
        }, 'the endpoint to be disabled');
        assert.match(disabled.disabled_reason ?? '', /4 failed deliveries in a row/);
        const events = await server.api<{ data: Array<{ type: string; data: { webhook_id: string } }> }>(
          '/v1/events?type=webhook.disabled',
        );
        assert.ok(events.body.data.some((e) => e.data.webhook_id === made.body.data.id));
        const count = hooks.received.length;
        await server.api(`/v1/assets/${assetId}`, json({ title: 'Lighthouse 2' }, 'PATCH'));
        await sleep(800);
        assert.equal(hooks.received.length, count, 'a disabled endpoint hears nothing');
      } finally {
        await hooks.close();
      }
    });

    test('endpoints on private, loopback or link-local addresses are refused unless allowed', async () => {
      const strict = await startTestServer({ FRAMEHOUSE_WORKER_CONCURRENCY: '0' });
      try {
        for (const url of [
          'http://127.0.0.1:9/x',
          'http://localhost/x',
          'http://10.1.2.3/x',
          'http://169.254.169.254/latest/meta-data',
          'http://[::1]/x',
          'http://[fd00::1]/x',
          'http://100.64.0.1/x',
          'ftp://example.com/x',
          'http://user:pass@example.com/x',
        ]) {
          const res = await strict.api<{ error: { code: string } }>(
            '/v1/webhooks',
            json({ url, events: ['*'] }),
          );
          assert.deepEqual([res.status, res.body.error?.code], [400, 'FH_ERR_WEBHOOK_URL'], url);
        }
      } finally {
        await strict.stop();
      }
    });

    test('events: a cursor-paged list, and a live stream on another api node, resumable with Last-Event-ID', async () => {
      const list = await other.api<{ data: Array<{ type: string; cursor: string }>; next_cursor: string }>(
        `/v1/events?asset_id=${assetId}&type=asset.created,asset.updated`,
      );
      assert.equal(list.body.data[0]?.type, 'asset.created');
      assert.ok(list.body.data.some((e) => e.type === 'asset.updated'));

      const stream = await openStream(`${other.url}/v1/events/stream?asset_id=${assetId}&type=asset.updated`);
      await server.api(`/v1/assets/${assetId}`, json({ title: 'Old town' }, 'PATCH'));
      const first = await stream.next();
      assert.equal(first.event, 'asset.updated');
      assert.equal((JSON.parse(first.data) as { asset_id: string }).asset_id, assetId);
      stream.close();

      // Missed while disconnected: sent first on reconnection.
      await server.api(`/v1/assets/${assetId}`, json({ title: 'Old town 2' }, 'PATCH'));
      const resumed = await openStream(
        `${other.url}/v1/events/stream?asset_id=${assetId}&type=asset.updated`,
        first.id,
      );
      const missed = await resumed.next();
      assert.ok(Number(missed.id) > Number(first.id));
      assert.equal(missed.event, 'asset.updated');
      resumed.close();
    });
  });
}

/** A minimal SSE client (fetch + a line parser). */
async function openStream(url: string, lastEventId?: string) {
  const controller = new AbortController();
  const res = await fetch(url, {
    signal: controller.signal,
    headers: lastEventId ? { 'last-event-id': lastEventId } : {},
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(): Promise<{ id: string; event: string; data: string }> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => !l.startsWith(':') && l.includes(': '))
              .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
          );
          if (fields.data)
            return { id: fields.id ?? '', event: fields.event ?? 'message', data: fields.data };
          continue;
        }
        const chunk = await Promise.race([
          reader?.read(),
          sleep(15_000).then(() => {
            throw new Error('no event within 15 s');
          }),
        ]);
        if (!chunk || chunk.done) throw new Error('the stream ended');
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    close() {
      controller.abort();
    },
  };
}
