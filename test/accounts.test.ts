import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getMigrations } from 'better-auth/db/migration';
import {
  openTestDatabase,
  postgresSkip,
  TEST_DIALECTS,
  type TestDatabase,
} from '../src/db/test-databases.ts';
import { runCli } from './helpers/processes.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { type SmtpPeer, startSmtpPeer } from './helpers/smtp-peer.ts';
import { totp } from './helpers/totp.ts';
import { waitFor } from './helpers/wait.ts';

/** A browser-like client: keeps cookies, sends this server's Origin. */
class Browser {
  readonly cookies = new Map<string, string>();
  readonly base: string;
  constructor(base: string) {
    this.base = base;
  }
  async call<T = Record<string, unknown>>(path: string, body?: object, method = body ? 'POST' : 'GET') {
    const res = await fetch(new URL(path, this.base), {
      method,
      headers: {
        origin: this.base,
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (value === '' || /max-age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.status, body: json as T, headers: res.headers };
  }
  /** Signs in with a password; the status of the answer. */
  async signIn(email: string, password: string): Promise<number> {
    return (await this.call('/v1/auth/sign-in/email', { email, password })).status;
  }
}

for (const dialect of TEST_DIALECTS) {
  describe(`accounts on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let db: TestDatabase;
    let server: TestServer;
    let second: TestServer;
    let dir: string;
    let smtp: SmtpPeer;

    before(async () => {
      db = await openTestDatabase(dialect);
      dir = await mkdtemp(join(tmpdir(), 'fh-accounts-'));
      smtp = await startSmtpPeer();
      const env = {
        DATABASE_URL: db.url,
        STORAGE_URL: `file:${join(dir, 'objects')}`,
        // Workers send the mail that requests queue.
        FRAMEHOUSE_WORKER_CONCURRENCY: '1',
        FRAMEHOUSE_SMTP_URL: smtp.url,
        FRAMEHOUSE_SIGN_IN_ATTEMPTS_PER_MINUTE: '1000',
      };
      server = await startTestServer(env, await mkdtemp(join(dir, 'a-')));
      second = await startTestServer(env, await mkdtemp(join(dir, 'b-')));
    });
    after(async () => {
      await second.stop();
      await server.stop();
      await smtp.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    });

    test('our migrations hold everything better-auth needs (nothing for it to add)', async () => {
      const { toBeCreated, toBeAdded } = await getMigrations({
        database: { db: db.db as never, type: dialect },
        user: {
          modelName: 'users',
          additionalFields: {
            role: { type: 'string', required: false },
            notifyByEmail: { type: 'boolean', required: false },
          },
        },
        session: { modelName: 'sessions' },
        account: { modelName: 'accounts' },
        verification: { modelName: 'verifications' },
        plugins: [
          (await import('better-auth/plugins')).twoFactor({
            schema: { twoFactor: { modelName: 'two_factors' } },
          }),
        ],
      });
      assert.deepEqual(
        [
          ...toBeCreated.map((t) => t.table),
          ...toBeAdded.map((t) => `${t.table}: ${Object.keys(t.fields).join(',')}`),
        ],
        [],
      );
    });

    test('sign-up, roles, sessions on every node, origin checks, sign-out everywhere', async () => {
      const ann = new Browser(server.url);
      const signUp = await ann.call('/v1/auth/sign-up/email', {
        email: 'ann@example.com',
        password: 'correct horse battery',
        name: 'Ann',
      });
      assert.equal(signUp.status, 200, JSON.stringify(signUp.body));
      // The first account in open mode administers the server.
      const users = await ann.call<{ data: Array<{ email: string; role: string; id: string }> }>('/v1/users');
      assert.deepEqual(
        users.body.data.map((u) => [u.email, u.role]),
        [['ann@example.com', 'admin']],
      );
      assert.equal((await fetch(new URL('/v1/assets', server.url))).status, 401, 'open mode ends');

      // Her session cookie works on the other node too.
      const onSecond = new Browser(second.url);
      for (const [k, v] of ann.cookies) onSecond.cookies.set(k, v);
      assert.equal((await onSecond.call('/v1/users')).status, 200);

      // A change authenticated by cookie must come from a trusted page.
      const cookie = [...ann.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const forged = await fetch(new URL('/v1/api-keys', server.url), {
        method: 'POST',
        headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x', scopes: ['admin'] }),
      });
      assert.equal(forged.status, 403);
      assert.equal(((await forged.json()) as { error: { code: string } }).error.code, 'FH_ERR_CSRF');

      // A second account is a viewer: it reads, it does not write, until an admin says so.
      const bob = new Browser(server.url);
      assert.equal(
        (
          await bob.call('/v1/auth/sign-up/email', {
            email: 'bob@example.com',
            password: 'another good pass',
            name: 'Bob',
          })
        ).status,
        200,
      );
      assert.equal((await bob.call('/v1/assets')).status, 200);
      assert.equal((await bob.call('/v1/playback-tokens', { playback_id: 'bbbbbbbbbbbbbbbb' })).status, 403);
      const bobId = (
        await ann.call<{ data: Array<{ email: string; id: string }> }>('/v1/users')
      ).body.data.find((u) => u.email === 'bob@example.com')?.id;
      const promoted = await ann.call<{ data: { role: string } }>(
        `/v1/users/${bobId}`,
        { role: 'editor' },
        'PATCH',
      );
      assert.equal(promoted.body.data.role, 'editor');
      assert.equal(
        (await bob.call('/v1/playback-tokens', { playback_id: 'bbbbbbbbbbbbbbbb' })).status,
        404,
        'editors may mint',
      );
      assert.equal((await bob.call('/v1/users')).status, 403, 'but not administer');

      // Editors manage their own assets; admins manage every asset.
      const uploadAs = async (who: Browser) => {
        const form = new FormData();
        form.append('file', new Blob([Buffer.from('not really a video')]), 'clip.mp4');
        const res = await fetch(new URL('/v1/assets', server.url), {
          method: 'POST',
          body: form,
          headers: { origin: server.url, cookie: [...who.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
        });
        assert.equal(res.status, 202);
        return ((await res.json()) as { data: { id: string } }).data.id;
      };
      const annsAsset = await uploadAs(ann);
      const bobsAsset = await uploadAs(bob);
      const retitle = (who: Browser, id: string) =>
        who.call<{ error?: { code: string } }>(`/v1/assets/${id}`, { title: 'mine now' }, 'PATCH');
      const refused = await retitle(bob, annsAsset);
      assert.deepEqual([refused.status, refused.body.error?.code], [403, 'FH_ERR_NOT_OWNER']);
      assert.equal((await bob.call(`/v1/assets/${annsAsset}`, undefined, 'DELETE')).status, 403);
      assert.equal((await retitle(bob, bobsAsset)).status, 200);
      assert.equal((await retitle(ann, bobsAsset)).status, 200, 'admins manage everything');
      assert.equal((await bob.call(`/v1/assets/${bobsAsset}`, undefined, 'DELETE')).status, 204);

      // Sign out everywhere: every session of Bob's ends.
      const bobElsewhere = new Browser(second.url);
      await bobElsewhere.signIn('bob@example.com', 'another good pass');
      assert.equal((await bobElsewhere.call('/v1/assets')).status, 200);
      assert.equal((await bob.call('/v1/auth/revoke-sessions', {})).status, 200);
      assert.equal((await bobElsewhere.call('/v1/assets')).status, 401);
      assert.equal((await bob.call('/v1/assets')).status, 401);
    });

    test('two-factor: enable with a QR URI, sign in with a code, a replayed code is refused, backup codes work once', async () => {
      const carol = new Browser(server.url);
      await carol.call('/v1/auth/sign-up/email', {
        email: 'carol@example.com',
        password: 'carol password 1',
        name: 'Carol',
      });
      const enabled = await carol.call<{ totpURI: string; backupCodes: string[] }>(
        '/v1/auth/two-factor/enable',
        {
          password: 'carol password 1',
        },
      );
      assert.equal(enabled.status, 200);
      const uri = new URL(enabled.body.totpURI);
      assert.equal(uri.protocol, 'otpauth:');
      assert.equal(uri.searchParams.get('issuer'), 'Framehouse');
      const secret = uri.searchParams.get('secret') ?? '';
      assert.equal((await carol.call('/v1/auth/two-factor/verify-totp', { code: totp(secret) })).status, 200);

      // Signing in again now asks for a code.
      const phone = new Browser(server.url);
      const first = await phone.call<{ twoFactorRedirect?: boolean }>('/v1/auth/sign-in/email', {
        email: 'carol@example.com',
        password: 'carol password 1',
      });
      assert.equal(first.body.twoFactorRedirect, true);
      assert.equal((await phone.call('/v1/assets')).status, 401, 'no session before the code');
      const valid = new Set([-30_000, 0, 30_000].map((d) => totp(secret, Date.now() + d)));
      const wrong = await phone.call('/v1/auth/two-factor/verify-totp', {
        code: valid.has('000000') ? '111111' : '000000',
      });
      assert.equal(wrong.status, 401);
      // The code of the current step opened the enabling session: a sign-in takes the next one
      // (accepted within the ±1 step tolerance).
      const code = totp(secret, Date.now() + 30_000);
      const ok = await phone.call('/v1/auth/two-factor/verify-totp', { code });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal((await phone.call('/v1/assets')).status, 200);

      // The same code a second time (someone who saw it) opens nothing.
      const thief = new Browser(server.url);
      await thief.signIn('carol@example.com', 'carol password 1');
      const replay = await thief.call<{ code?: string }>('/v1/auth/two-factor/verify-totp', { code });
      assert.equal(replay.status, 401);
      assert.equal(replay.body.code, 'TOTP_CODE_REPLAYED');
      assert.equal((await thief.call('/v1/assets')).status, 401);

      // A backup code instead of the app: once.
      const backup = enabled.body.backupCodes[0] ?? '';
      const laptop = new Browser(server.url);
      await laptop.signIn('carol@example.com', 'carol password 1');
      assert.equal(
        (await laptop.call('/v1/auth/two-factor/verify-backup-code', { code: backup })).status,
        200,
      );
      const again = new Browser(server.url);
      await again.signIn('carol@example.com', 'carol password 1');
      assert.notEqual(
        (await again.call('/v1/auth/two-factor/verify-backup-code', { code: backup })).status,
        200,
      );
    });

    test('password reset by e-mail token; the old password and sessions stop working', async () => {
      const dave = new Browser(server.url);
      await dave.call('/v1/auth/sign-up/email', {
        email: 'dave@example.com',
        password: 'dave password 1',
        name: 'Dave',
      });
      assert.equal((await dave.call('/v1/assets')).status, 200);
      const requested = await new Browser(server.url).call('/v1/auth/request-password-reset', {
        email: 'dave@example.com',
        redirectTo: `${server.url}/reset`,
      });
      assert.equal(requested.status, 200);
      const mail = await waitFor(
        () => smtp.mails.find((m) => m.includes('dave@example.com') && m.includes('reset-password')),
        { timeoutMs: 5000, what: 'the reset mail at the SMTP peer' },
      );
      const token = /reset-password\/([A-Za-z0-9_-]+)/.exec(mail.replace(/=\r?\n/g, ''))?.[1];
      assert.ok(token, mail);
      const reset = await new Browser(server.url).call('/v1/auth/reset-password', {
        token,
        newPassword: 'dave password 2',
      });
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      assert.equal((await dave.call('/v1/assets')).status, 401, 'sessions end with a reset');
      const old = await new Browser(server.url).call('/v1/auth/sign-in/email', {
        email: 'dave@example.com',
        password: 'dave password 1',
      });
      assert.equal(old.status, 401);
      const fresh = await new Browser(server.url).call('/v1/auth/sign-in/email', {
        email: 'dave@example.com',
        password: 'dave password 2',
      });
      assert.equal(fresh.status, 200);
      // Every session ended with the reset: this sign-in comes from an address no live session
      // has, so the owner hears of it — once; the next sign-in from there is a known address.
      const notices = () =>
        smtp.mails.filter((m) => m.includes('To: dave@example.com') && m.includes('New sign-in'));
      await waitFor(() => notices().length > 0, { what: 'a new-sign-in notice' });
      assert.equal(notices().length, 1, 'a new-sign-in notice');
      assert.match(notices()[0] ?? '', /127\.0\.0\.1/);
      assert.match(notices()[0] ?? '', /Content-Type: text\/html/);
      const again = await new Browser(server.url).call('/v1/auth/sign-in/email', {
        email: 'dave@example.com',
        password: 'dave password 2',
      });
      assert.equal(again.status, 200);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(notices().length, 1, 'no notice for a known address');
      // Nobody learns whether an address has an account.
      assert.equal(
        (
          await new Browser(server.url).call('/v1/auth/request-password-reset', {
            email: 'nobody@example.com',
          })
        ).status,
        200,
      );
    });

    test('the audit trail has every sign-in, two-factor, reset and role change, and no password', async () => {
      assert.equal(
        (
          await new Browser(server.url).call('/v1/auth/sign-in/email', {
            email: 'ann@example.com',
            password: 'not her password',
          })
        ).status,
        401,
      );
      const admin = new Browser(second.url);
      assert.equal(await admin.signIn('ann@example.com', 'correct horse battery'), 200);
      const trail = await admin.call<{
        data: Array<{ action: string; outcome: string; actor: string; details: Record<string, unknown> }>;
      }>('/v1/audit?limit=500');
      const seen = (action: string, outcome = 'success') =>
        trail.body.data.some((e) => e.action === action && e.outcome === outcome);
      for (const action of [
        'auth.sign_up',
        'auth.sign_in',
        'auth.two_factor_enabling',
        'auth.two_factor_verified',
        'auth.sign_out_everywhere',
        'auth.password_reset_requested',
        'auth.password_reset',
        'user.role_changed',
      ]) {
        assert.ok(seen(action), `${action} recorded`);
      }
      assert.ok(seen('auth.sign_in', 'failure'));
      assert.ok(seen('auth.two_factor_verified', 'failure'), 'a replayed code is recorded as a failure');
      const text = JSON.stringify(trail.body);
      for (const secret of ['correct horse battery', 'dave password 2', 'carol password 1'])
        assert.ok(!text.includes(secret));
    });
  });
}

describe('password guessing', () => {
  test('hits the sign-in limit: 429 with Retry-After, recorded as failures', async () => {
    const server = await startTestServer({
      FRAMEHOUSE_SIGN_IN_ATTEMPTS_PER_MINUTE: '5',
      FRAMEHOUSE_WORKER_CONCURRENCY: '0',
    });
    try {
      await new Browser(server.url).call('/v1/auth/sign-up/email', {
        email: 'fay@example.com',
        password: 'fay password 1',
        name: 'Fay',
      });
      const statuses: number[] = [];
      let last: Awaited<ReturnType<Browser['call']>> | undefined;
      for (let i = 0; i < 7; i++) {
        last = await new Browser(server.url).call('/v1/auth/sign-in/email', {
          email: 'fay@example.com',
          password: `guess ${i} wrong`,
        });
        statuses.push(last.status);
      }
      assert.ok(
        statuses.slice(0, 3).every((s) => s === 401),
        statuses.join(),
      );
      assert.equal(statuses.at(-1), 429, statuses.join());
      assert.ok(Number(last?.headers.get('retry-after')) > 0);
      const failures = await server.db
        .selectFrom('audit_events')
        .select('outcome')
        .where('action', '=', 'auth.sign_in')
        .where('outcome', '=', 'failure')
        .execute();
      assert.ok(failures.length >= 3);
    } finally {
      await server.stop();
    }
  });
});

describe('framehouse users create', () => {
  test('makes the first admin without a browser; the password only on stdin', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fh-users-cli-'));
    try {
      const env = { DATABASE_URL: '', STORAGE_URL: '' };
      const cli = runCli(
        [
          'users',
          'create',
          '--email',
          'Root@Example.com',
          '--role',
          'admin',
          '--password-stdin',
          '--data-dir',
          dataDir,
        ],
        env,
        'a long root password\n',
      );
      assert.equal(await cli.exit, 0, cli.output());
      assert.match(cli.output(), /created admin root@example\.com/);
      const again = runCli(
        [
          'users',
          'create',
          '--email',
          'root@example.com',
          '--role',
          'admin',
          '--password-stdin',
          '--data-dir',
          dataDir,
        ],
        env,
        'x\n',
      );
      assert.equal(await again.exit, 1);
      const badRole = runCli(
        [
          'users',
          'create',
          '--email',
          'x@example.com',
          '--role',
          'owner',
          '--password-stdin',
          '--data-dir',
          dataDir,
        ],
        env,
        'a long password 1\n',
      );
      assert.equal(await badRole.exit, 1);
      assert.match(badRole.output(), /--role must be admin, editor or viewer/);

      const server = await startTestServer({ FRAMEHOUSE_WORKER_CONCURRENCY: '0' }, dataDir);
      try {
        assert.equal(
          (await fetch(new URL('/v1/assets', server.url))).status,
          401,
          'no open mode once an account exists',
        );
        const root = new Browser(server.url);
        assert.equal(await root.signIn('root@example.com', 'a long root password'), 200);
        const users = await root.call<{ data: Array<{ role: string }> }>('/v1/users');
        assert.deepEqual(
          users.body.data.map((u) => u.role),
          ['admin'],
        );
      } finally {
        await server.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('closed sign-up', () => {
  test('admins can close sign-up: nobody can make an account from outside', async () => {
    const server = await startTestServer({ FRAMEHOUSE_SIGNUP: 'closed', FRAMEHOUSE_WORKER_CONCURRENCY: '0' });
    try {
      const res = await new Browser(server.url).call('/v1/auth/sign-up/email', {
        email: 'eve@example.com',
        password: 'eve password 1',
        name: 'Eve',
      });
      assert.ok(res.status >= 400 && res.status < 500, String(res.status));
      assert.equal((await server.db.selectFrom('users').select('id').execute()).length, 0);
    } finally {
      await server.stop();
    }
  });
});
