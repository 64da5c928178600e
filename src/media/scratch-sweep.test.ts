import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { sweepScratch } from './scratch-sweep.ts';

let root: string;
let work: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'fh-scratch-'));
  work = join(root, 'work');
  await mkdir(join(work, 'asset1-a2', 'v360p'), { recursive: true });
  await writeFile(join(work, 'asset1-a2', 'v360p', 'seg_00001.m4s'), 'x'.repeat(1000));
  await mkdir(join(work, 'download-asset2-abc'), { recursive: true });
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** A stand-in for an ffmpeg orphaned by a SIGKILLed worker: detached, writing into the folder. */
function orphan() {
  const child = spawn('sh', ['-c', 'sleep 30', join(work, 'asset1-a2', 'v360p', 'seg_%05d.m4s')], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return child;
}

test('a worker starting on a data folder removes what a killed predecessor left, and ends its orphaned encoders', async () => {
  await writeFile(`${work}.owner`, '999999999\n'); // the predecessor: gone
  const encoder = orphan();
  const exited = once(encoder, 'exit');
  await new Promise((r) => setTimeout(r, 100));
  const result = await sweepScratch(work);
  assert.equal(result.swept, true);
  assert.deepEqual(result.removed.sort(), ['asset1-a2', 'download-asset2-abc']);
  assert.deepEqual(result.killed, [encoder.pid]);
  const [, signal] = await exited;
  assert.equal(signal, 'SIGKILL');
  assert.deepEqual(await readdir(work), []);
  assert.equal((await readFile(`${work}.owner`, 'utf8')).trim(), String(process.pid));
});

test('a folder owned by another live process (two roles on one data folder) is left alone', async () => {
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    await writeFile(`${work}.owner`, `${other.pid}\n`);
    const result = await sweepScratch(work);
    assert.equal(result.swept, false);
    assert.deepEqual((await readdir(work)).sort(), ['asset1-a2', 'download-asset2-abc']);
  } finally {
    other.kill('SIGKILL');
  }
});

test('a missing scratch folder is nothing to sweep', async () => {
  const result = await sweepScratch(join(root, 'nowhere'));
  assert.deepEqual(result, { swept: true, removed: [], killed: [] });
});
