import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openTestDatabase, postgresSkip, type TestDatabase } from '../src/db/test-databases.ts';
import { exited, spawnServe } from './helpers/processes.ts';
import { RoomStream, roomCall } from './helpers/room.ts';
import { waitFor } from './helpers/wait.ts';

// The live room scaled out: two `framehouse api` processes on one PostgreSQL schema. A message
// sent to one reaches viewers of the other (NOTIFY wakes its reader at once), and the viewer
// count every viewer sees is the sum over both processes.

const KEY = 'live-room-scale-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };

describe('live room on 2 api processes + PostgreSQL', { skip: postgresSkip('postgres') }, () => {
  let db: TestDatabase;
  let work: string;
  const procs: Awaited<ReturnType<typeof spawnServe>>[] = [];
  const streams: RoomStream[] = [];

  before(async () => {
    db = await openTestDatabase('postgres');
    work = await mkdtemp(join(tmpdir(), 'live-room-scale-'));
    for (const name of ['a', 'b'])
      procs.push(
        await spawnServe(
          {
            DATABASE_URL: db.url,
            FRAMEHOUSE_DATA_DIR: join(work, name),
            STORAGE_URL: `file:${join(work, 'objects')}`,
            FRAMEHOUSE_ADMIN_API_KEY: KEY,
            FRAMEHOUSE_ACCESS_LOG: 'errors',
          },
          'api',
        ),
      );
  });

  after(async () => {
    for (const s of streams) s.close();
    for (const p of procs) {
      p.child.kill('SIGTERM');
      await exited(p.child);
    }
    await db?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('a message sent to one process reaches viewers of the other at once; viewers add up', async () => {
    const [a, b] = procs as [(typeof procs)[0], (typeof procs)[0]];
    const created = await roomCall(`${a.url}/v1/live-streams`, 'POST', {}, { headers: auth });
    assert.equal(created.status, 201);
    const playbackId = created.body.data.playback_ids[0].id as string;
    const room = (p: { url: string }) => `${p.url}/v1/rooms/${playbackId}`;
    const onA = [await RoomStream.open(`${room(a)}/events`), await RoomStream.open(`${room(a)}/events`)];
    const onB = [
      await RoomStream.open(`${room(b)}/events`),
      await RoomStream.open(`${room(b)}/events`),
      await RoomStream.open(`${room(b)}/events`),
    ];
    streams.push(...onA, ...onB);
    await waitFor(() => streams.every((s) => s.of('snapshot').length === 1), { what: 'snapshots' });

    const joined = await roomCall(`${room(a)}/viewers`, 'POST', { nickname: 'ann' });
    assert.equal(joined.status, 201);
    const token = joined.body.data.viewer_token as string;
    for (const [via, label] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      const sentAt = Date.now();
      const sent = await roomCall(
        `${room(via)}/messages`,
        'POST',
        { text: `via ${label}` },
        {
          headers: { 'framehouse-viewer': token },
        },
      );
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      const id = sent.body.data.id as string;
      await waitFor(() => streams.every((s) => s.of<{ id: string }>('message').some((m) => m.id === id)), {
        timeoutMs: 3000,
        intervalMs: 5,
        what: `the message sent via ${label} on every stream`,
      });
      const took =
        Math.max(
          ...streams.map((s) => s.events.find((e) => (e.data as { id?: string }).id === id)?.at ?? 0),
        ) - sentAt;
      // NOTIFY, not the 1 s safety poll: well under a second.
      assert.ok(took < 500, `via ${label}: ${took} ms`);
    }

    // 2 + 3 event streams: every viewer is told 5, and the room says so on either process.
    await waitFor(() => streams.every((s) => s.of<{ count: number }>('viewers').some((v) => v.count === 5)), {
      timeoutMs: 15_000,
      what: 'viewers: 5 on every stream',
    });
    for (const p of procs) assert.equal((await roomCall(room(p), 'GET')).body.data.viewers, 5);
  });
});
