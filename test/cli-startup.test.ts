import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { ROOT } from './helpers/processes.ts';

/** Packages and modules that cost most of a second to load, and what needs them. */
const HEAVY = {
  server: /\/src\/server\.ts$|node_modules\/fastify\//,
  'the AWS SDK': /node_modules\/@aws-sdk\//,
  accounts: /node_modules\/better-auth\//,
  sharp: /node_modules\/sharp\//,
  kysely: /node_modules\/kysely\//,
  zod: /node_modules\/zod\//,
  pg: /node_modules\/pg\//,
  tus: /node_modules\/(@tus|tus-js-client)\//,
};
type Heavy = keyof typeof HEAVY;

/** Runs the CLI as a user would and says which of the heavy modules it loaded. */
async function run(args: string[], env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'fh-cli-loads-'));
  const file = join(dir, 'loads.txt');
  const child = spawn(
    process.execPath,
    ['--import', join(ROOT, 'test/helpers/record-loads.ts'), join(ROOT, 'bin/framehouse.js'), ...args],
    {
      env: { ...process.env, DATABASE_URL: '', STORAGE_URL: '', FRAMEHOUSE_TEST_LOADS_FILE: file, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const urls = (await readFile(file, 'utf8')).split('\n');
  await rm(dir, { recursive: true, force: true });
  const loaded = (Object.keys(HEAVY) as Heavy[]).filter((h) => urls.some((u) => HEAVY[h].test(u)));
  return { code, output, loaded };
}

describe('the command line loads what a command needs, when it runs', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'fh-cli-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  test('--help lists every command and loads none of the heavy modules', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0, r.output);
    for (const command of ['serve', 'api', 'worker', 'migrate', 'doctor', 'users', 'upload', 'images']) {
      assert.match(r.output, new RegExp(`^  ${command}\\b`, 'm'), `${command} in the help`);
    }
    assert.deepEqual(r.loaded, []);
    const images = await run(['images', 'process', '--help']);
    assert.match(images.output, /--preset <names\.\.\.>.*thumbnail/s, 'the presets are named');
    assert.deepEqual(images.loaded, []);
  });

  test('doctor loads the configuration and the database, nothing of the server', async () => {
    const r = await run(['doctor', '--data-dir', join(work, 'doctor')]);
    assert.equal(r.code, 1, r.output); // open mode is critical
    assert.match(r.output, /✔ ok +ffmpeg: \d+\.\d+/);
    assert.deepEqual(r.loaded, ['kysely', 'zod'], 'SQLite: not even pg');
  });

  test('images process loads sharp, not the server, and still does its work', async () => {
    const photos = join(work, 'photos');
    const out = join(work, 'out');
    await mkdir(photos);
    for (const name of ['a', 'b']) {
      await sharp({ create: { width: 640, height: 480, channels: 3, background: '#468' } })
        .jpeg()
        .toFile(join(photos, `${name}.jpg`));
    }
    const r = await run(['images', 'process', photos, '--preset', 'thumbnail', '--out', out]);
    assert.equal(r.code, 0, r.output);
    assert.deepEqual((await readdir(out)).sort(), ['a.thumbnail.webp', 'b.thumbnail.webp']);
    assert.deepEqual(r.loaded, ['sharp']);
  });

  test('a bad configuration is still reported as one, with the module that knows it loaded late', async () => {
    const r = await run(['doctor', '--data-dir', join(work, 'bad')], { FRAMEHOUSE_X264_PRESET: 'nope' });
    assert.equal(r.code, 1);
    assert.match(r.output, /FRAMEHOUSE_X264_PRESET/);
    assert.doesNotMatch(r.output, /^framehouse: /m, 'a ConfigError, printed as such');
  });
});
