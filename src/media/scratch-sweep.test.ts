import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
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

/**
 * A stand-in for an ffmpeg orphaned by a SIGKILLed worker: a shell named `ffmpeg` (a symlink), with
 * an argument in the folder, whose parent has exited (re-parented to init). Returns its pid.
 */
async function orphanEncoder(): Promise<number> {
  const fake = join(root, 'ffmpeg');
  await symlink('/bin/sh', fake);
  const target = join(work, 'asset1-a2', 'v360p', 'seg_%05d.m4s');
  const wrapper = spawn(
    '/bin/sh',
    ['-c', '"$0" -c "while :; do sleep 1; done" "$1" & echo $!', fake, target],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const [out] = (await once(wrapper.stdout, 'data')) as [Buffer];
  await once(wrapper, 'exit');
  return Number(out.toString().trim());
}

/** Not an orphaned encoder: a process of a live parent (us) that merely names a file in the folder. */
function bystander() {
  return spawn('sh', ['-c', 'sleep 30', join(work, 'asset1-a2', 'v360p', 'seg_%05d.m4s')], {
    stdio: 'ignore',
  });
}

/** Running (a killed process whose new parent has not reaped it yet is a zombie: not running). */
const alive = (pid: number) => {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

test('a worker starting on a data folder removes what a killed predecessor left, and ends its orphaned encoders only', async () => {
  await writeFile(`${work}.owner`, '999999999\n'); // the predecessor: gone
  const encoder = await orphanEncoder();
  const other = bystander();
  try {
    await new Promise((r) => setTimeout(r, 100));
    const result = await sweepScratch(work);
    assert.equal(result.swept, true);
    assert.deepEqual(result.removed.sort(), ['asset1-a2', 'download-asset2-abc']);
    assert.deepEqual(result.killed, [encoder]);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(encoder), false, 'the orphaned encoder is gone');
    assert.equal(other.exitCode, null, "a live parent's process is left alone");
    assert.deepEqual(await readdir(work), []);
    assert.equal((await readFile(`${work}.owner`, 'utf8')).trim(), String(process.pid));
  } finally {
    other.kill('SIGKILL');
    if (alive(encoder)) process.kill(encoder, 'SIGKILL');
  }
});

test('a process restarting beside a live sibling (two roles on one data folder) leaves the folder alone', async () => {
  const sibling = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    // The sibling started second; the first (999999999) has died and is restarting as us.
    await writeFile(`${work}.owner`, `999999999\n${sibling.pid}\n`);
    const result = await sweepScratch(work);
    assert.equal(result.swept, false);
    assert.deepEqual((await readdir(work)).sort(), ['asset1-a2', 'download-asset2-abc']);
    assert.deepEqual((await readFile(`${work}.owner`, 'utf8')).trim().split('\n'), [
      String(sibling.pid),
      String(process.pid),
    ]);
  } finally {
    sibling.kill('SIGKILL');
  }
});

test('a missing scratch folder is nothing to sweep', async () => {
  const result = await sweepScratch(join(root, 'nowhere'));
  assert.deepEqual(result, { swept: true, removed: [], killed: [] });
});
