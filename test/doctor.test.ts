import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { secretWeakness } from '../src/ops/doctor.ts';
import { runCli } from './helpers/processes.ts';

const BASE = { DATABASE_URL: '', STORAGE_URL: '' };

test('weak secrets are named as such', () => {
  assert.match(secretWeakness('short') ?? '', /5 characters/);
  assert.match(secretWeakness('changeme-changeme-changeme') ?? '', /default/);
  assert.match(secretWeakness('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa') ?? '', /different characters/);
  assert.equal(secretWeakness('k3F9xQ2mZp7LwV4tR8yB1nC6dH0sJ5gE'), null);
});

test('`framehouse doctor` fails on a critical finding and says how to fix it', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fh-doctor-'));
  try {
    await chmod(dataDir, 0o777);
    const cli = runCli(['doctor', '--data-dir', dataDir], {
      ...BASE,
      FRAMEHOUSE_ADMIN_API_KEY: 'changeme-changeme-changeme',
      FRAMEHOUSE_PUBLIC_URL: 'http://media.example.com',
    });
    assert.equal(await cli.exit, 1, cli.output());
    const out = cli.output();
    assert.match(out, /✖ critical {2}admin API key: FRAMEHOUSE_ADMIN_API_KEY is weak/);
    assert.match(out, /✖ critical {2}TLS: the public URL http:\/\/media\.example\.com is plain HTTP/);
    assert.match(out, /✖ critical {2}data folder: .* writable by every user/);
    assert.match(out, /! warning {3}sign-up: anyone who can reach the server/);
    assert.match(out, /→ set FRAMEHOUSE_SIGNUP=closed/);
    assert.match(out, /✔ ok {8}ffmpeg: \d+\.\d+/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('`framehouse doctor` passes a careful configuration', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fh-doctor-'));
  try {
    await chmod(dataDir, 0o700);
    const cli = runCli(['doctor', '--data-dir', dataDir], {
      ...BASE,
      FRAMEHOUSE_ADMIN_API_KEY: 'k3F9xQ2mZp7LwV4tR8yB1nC6dH0sJ5gE',
      FRAMEHOUSE_PUBLIC_URL: 'https://media.example.com',
      FRAMEHOUSE_TRUST_PROXY: 'true',
      FRAMEHOUSE_SIGNUP: 'closed',
      FRAMEHOUSE_ADMIN_ALLOWED_IPS: '10.0.0.0/8',
      FRAMEHOUSE_SMTP_URL: 'smtps://mail.example.com',
    });
    assert.equal(await cli.exit, 0, cli.output());
    assert.match(cli.output(), /0 critical, 0 warning\(s\)/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
