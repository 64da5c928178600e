import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompletionBatcher } from './completion-batcher.ts';

test('the first completion goes out alone; those arriving meanwhile share the next write', async () => {
  const writes: string[][] = [];
  const batcher = new CompletionBatcher(async (held) => {
    writes.push(held.map((h) => h.jobId));
    await sleep(20);
    // 'x' lost its lease.
    return new Set(held.map((h) => h.jobId).filter((id) => id !== 'x'));
  });
  const first = batcher.complete('a', 'w');
  await sleep(5);
  const rest = ['b', 'x', 'c'].map((id) => batcher.complete(id, 'w'));
  assert.deepEqual(await Promise.all([first, ...rest]), [true, true, false, true]);
  assert.deepEqual(writes, [['a'], ['b', 'x', 'c']]);
  // Idle again: the next one is written at once, on its own.
  assert.equal(await batcher.complete('d', 'w'), true);
  assert.deepEqual(writes.at(-1), ['d']);
});

test('a failed write rejects its own batch only', async () => {
  let calls = 0;
  const batcher = new CompletionBatcher(async (held) => {
    calls++;
    await sleep(10);
    if (calls === 1) throw new Error('connection reset');
    return new Set(held.map((h) => h.jobId));
  });
  const first = batcher.complete('a', 'w');
  await sleep(2);
  const second = batcher.complete('b', 'w');
  await assert.rejects(first, /connection reset/);
  assert.equal(await second, true);
});
