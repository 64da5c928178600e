import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReportingEdges } from './reporting-edges.ts';

test('knows the loaded hashes; an unknown value asks for a reload, at most once a second', async () => {
  let loads = 0;
  let hashes = ['h1'];
  const edges = new ReportingEdges(
    async () => {
      loads++;
      return hashes;
    },
    (err) => assert.fail(String(err)),
  );
  await edges.reload();
  assert.equal(edges.has('h1'), true);
  hashes = ['h1', 'h2'];
  // Loaded a moment ago: an unknown value does not reload yet (a flood of spoofed headers costs nothing).
  assert.equal(edges.has('h2'), false);
  assert.equal(loads, 1);
  await new Promise((r) => setTimeout(r, 1_100));
  assert.equal(edges.has('h2'), false, 'the answer comes from the reload it started');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(edges.has('h2'), true);
  assert.equal(loads, 2);
  await edges.reload();
  assert.equal(edges.has('h2'), true);
  hashes = ['h2'];
  await edges.reload();
  assert.equal(edges.has('h1'), false, 'a revoked key is no longer an edge');
});

test('a failed load keeps the last set and reports the error', async () => {
  const errors: unknown[] = [];
  let fail = false;
  const edges = new ReportingEdges(
    async () => {
      if (fail) throw new Error('database down');
      return ['h1'];
    },
    (err) => errors.push(err),
  );
  await edges.reload();
  fail = true;
  await edges.reload();
  assert.equal(edges.has('h1'), true);
  assert.equal(errors.length, 1);
});

test('stopped: no more reloads, from the timer or from an unknown value', async () => {
  let loads = 0;
  const edges = new ReportingEdges(
    async () => {
      loads++;
      return ['h1'];
    },
    (err) => assert.fail(String(err)),
  ).start(20);
  await new Promise((r) => setTimeout(r, 70));
  assert.ok(loads >= 2, `${loads} loads while started`);
  edges.stop();
  await new Promise((r) => setTimeout(r, 20));
  const stoppedAt = loads;
  await new Promise((r) => setTimeout(r, 1_100));
  assert.equal(edges.has('unknown'), false);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(loads, stoppedAt);
});
