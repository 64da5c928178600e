import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Permission, ROUTE_POLICY, SCOPES, type Scope } from '../src/auth/policy.ts';
import {
  openTestDatabase,
  postgresSkip,
  TEST_DIALECTS,
  type TestDatabase,
} from '../src/db/test-databases.ts';
import { makeClip } from './fixtures/media.ts';
import { signUpWithRole } from './helpers/accounts.ts';
import { isFinished, startTestServer, type TestServer } from './helpers/server.ts';

const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

/** A concrete URL for a route pattern (ids that need not exist: access is decided first). */
function sampleUrl(pattern: string): string {
  if (pattern === '*') return '/v1/assets';
  return pattern
    .replace(':playbackId', 'bbbbbbbbbbbbbbbb')
    .replace(':rendition', '360p')
    .replace(':file', 'index.m3u8')
    .replace(/:(id|kid)/, 'aaaaaaaaaaaaaaaa')
    .replace('*', 'cccccccccccccccc');
}

/** What a caller holding `scopes` (null: no credential; 'bad': a wrong key) may expect. */
function expectation(permission: Permission, scopes: Scope[] | null | 'bad'): 'allowed' | 401 | 403 {
  if (permission === 'public') return 'allowed';
  if (scopes === 'bad') return 401;
  if (permission === 'playback') return 'allowed';
  // The sample URL is not signed: refused by the route whatever else the caller holds.
  if (permission === 'signed-url') return 403;
  if (scopes === null) return 401;
  return scopes.includes('admin') || scopes.includes(permission) ? 'allowed' : 403;
}

for (const dialect of TEST_DIALECTS) {
  describe(`access control on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let db: TestDatabase;
    let server: TestServer;
    let second: TestServer;
    let dir: string;
    const keys = new Map<string, string>(); // label → key
    const sessions = new Map<string, string>(); // role → session cookie

    before(async () => {
      db = await openTestDatabase(dialect);
      dir = await mkdtemp(join(tmpdir(), 'fh-access-'));
      // Two api nodes on one database and one store.
      const env = {
        DATABASE_URL: db.url,
        STORAGE_URL: `file:${join(dir, 'objects')}`,
        FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
        FRAMEHOUSE_AUTH_FAILURES_PER_MINUTE: '1000',
        FRAMEHOUSE_CORS_ORIGINS: 'https://app.example.com',
      };
      server = await startTestServer(env, await mkdtemp(join(dir, 'a-')));
      second = await startTestServer(
        { ...env, FRAMEHOUSE_WORKER_CONCURRENCY: '0' },
        await mkdtemp(join(dir, 'b-')),
      );
      // One signed-in account per role (sign-up makes viewers once a credential exists).
      for (const role of ['admin', 'editor', 'viewer'] as const) {
        const email = `${role}@example.com`;
        const cookie = await signUpWithRole(server, email, `${role} password 123`, role);
        sessions.set(role, cookie);
      }
      for (const scope of SCOPES) {
        const made = await server.api<{ data: { key: string } }>('/v1/api-keys', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: `only ${scope}`, scopes: [scope] }),
        });
        assert.equal(made.status, 201);
        keys.set(scope, made.body.data.key);
      }
    });
    after(async () => {
      await second.stop();
      await server.stop();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    });

    test('every route × every credential: the status the policy table promises', async () => {
      const callers: Array<[string, Scope[] | null | 'bad', string | undefined]> = [
        ['no credential', null, undefined],
        ['a wrong key', 'bad', 'fh_notakey'],
        ['the env admin key', ['admin'], ADMIN_KEY],
        ...SCOPES.map((s): [string, Scope[], string | undefined] => [`a key with ${s}`, [s], keys.get(s)]),
      ];
      const roles: Array<[string, Scope[], string]> = [
        ['an admin session', ['admin'], sessions.get('admin') ?? ''],
        ['an editor session', ['assets:read', 'assets:write', 'playback:sign'], sessions.get('editor') ?? ''],
        ['a viewer session', ['assets:read'], sessions.get('viewer') ?? ''],
      ];
      let checked = 0;
      for (const [route, permission] of Object.entries(ROUTE_POLICY)) {
        const [method = 'GET', pattern = '/'] = route.split(' ');
        const asCallers = [
          ...callers.map(([label, scopes, key]) => ({
            label,
            scopes,
            key,
            cookie: undefined as string | undefined,
          })),
          ...roles.map(([label, scopes, cookie]) => ({ label, scopes, key: undefined, cookie })),
        ];
        for (const { label, scopes, key, cookie } of asCallers) {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (key) headers.authorization = `Bearer ${key}`;
          // A browser sends its page's origin: the CSRF check passes for this server's own pages.
          if (cookie) Object.assign(headers, { cookie, origin: server.url });
          const body = ['POST', 'PATCH'].includes(method) ? '{}' : undefined;
          const res = await fetch(new URL(sampleUrl(pattern), server.url), {
            method,
            headers,
            ...(body ? { body } : {}),
          });
          // An event stream never ends: its status is all this needs.
          if (res.headers.get('content-type')?.includes('text/event-stream')) await res.body?.cancel();
          else await res.arrayBuffer();
          const expected = expectation(permission, scopes);
          const what = `${route} with ${label}: ${res.status}`;
          if (expected === 'allowed') assert.ok(![401, 403].includes(res.status), what);
          else assert.equal(res.status, expected, what);
          checked++;
        }
      }
      assert.ok(checked >= Object.keys(ROUTE_POLICY).length * 10);
    });

    test('every route the app serves is in the table, and the table names no route that is gone', async () => {
      for (const route of Object.keys(ROUTE_POLICY)) {
        const [method = 'GET', url = '/'] = route.split(' ');
        if (url === '*') {
          // The CORS preflight catch-all: answered on any path.
          const res = await fetch(new URL('/v1/anything', server.url), {
            method,
            headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
          });
          assert.equal(res.status, 204, route);
          continue;
        }
        assert.ok(server.app?.hasRoute({ method: method as 'GET', url }), `${route} is not a route any more`);
      }
    });

    test('a key is shown once, stored hashed, and revoked on every node at once', async () => {
      const made = await server.api<{ data: { id: string; key: string; scopes: string[] } }>('/v1/api-keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'ci uploader', scopes: ['assets:read', 'assets:write'] }),
      });
      assert.equal(made.status, 201);
      assert.match(made.body.data.key, /^fh_[A-Za-z0-9_-]{43}$/);
      const { id, key } = made.body.data;
      const listed = await server.api<{ data: Array<Record<string, unknown>> }>('/v1/api-keys');
      const entry = listed.body.data.find((k) => k.id === id);
      assert.deepEqual(entry?.scopes, ['assets:read', 'assets:write']);
      assert.equal(entry?.key, undefined, 'the key itself is never shown again');
      const row = await db.db
        .selectFrom('api_keys')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.notEqual(row.key_hash, key);
      assert.ok(!JSON.stringify(row).includes(key));

      const asKey = { headers: { authorization: `Bearer ${key}` } };
      assert.equal((await second.api('/v1/assets', asKey)).status, 200, 'valid on the other node');
      const used = await server.api<{ data: { last_used_at: string | null } }>(`/v1/api-keys/${id}`);
      assert.ok(used.body.data.last_used_at);

      assert.equal((await server.api(`/v1/api-keys/${id}`, { method: 'DELETE' })).status, 204);
      const refused = await second.api<{ error: { code: string } }>('/v1/assets', asKey);
      assert.equal(refused.status, 401, 'refused on the other node at once');
      assert.equal(refused.body.error.code, 'FH_ERR_UNAUTHENTICATED');
      assert.equal(refused.headers.get('www-authenticate'), 'Bearer');
      assert.equal((await server.api('/v1/api-keys/zzzzzzzzzzzzzzzz', { method: 'DELETE' })).status, 404);
    });

    test('private playback: one token opens every URL of its video; wrong, altered or foreign tokens get 403 with a code', async () => {
      const clip = await makeClip(dir, { name: 'tour', width: 320, height: 180, seconds: 2 });
      const created = await server.upload(clip);
      const other = await server.upload(clip);
      const asset = await server.waitForAsset(created.id, isFinished);
      assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
      const playbackId = asset.playback_ids[0]?.id ?? '';
      const otherPlaybackId = other.playback_ids[0]?.id ?? '';

      const patched = await server.api<{ data: { playback_ids: Array<{ policy: string }> } }>(
        `/v1/assets/${asset.id}`,
        {
          method: 'PATCH',
          headers: { 'content-type': 'application/json' },
          body: '{"playback_policy":"signed"}',
        },
      );
      assert.equal(patched.body.data.playback_ids[0]?.policy, 'signed');

      const play = async (path: string) => {
        const res = await fetch(new URL(path, server.url));
        const text = await res.text();
        return {
          status: res.status,
          text,
          code: res.ok ? null : (JSON.parse(text) as { error: { code: string } }).error.code,
          headers: res.headers,
        };
      };
      const noToken = await play(asset.playback.hls);
      assert.deepEqual([noToken.status, noToken.code], [403, 'FH_ERR_PLAYBACK_TOKEN_REQUIRED']);
      assert.equal((await play(asset.playback.thumbnail)).status, 403);

      const mint = async (body: object, key = keys.get('playback:sign')) =>
        server.api<{ data: { token: string; hls_url: string; expires_at: string } }>('/v1/playback-tokens', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(body),
        });
      const minted = await mint({ playback_id: playbackId, expires_in: 600 });
      assert.equal(minted.status, 201);
      const { token, hls_url: hlsUrl } = minted.body.data;
      assert.equal((await mint({ playback_id: playbackId }, keys.get('assets:read'))).status, 403);
      assert.equal((await mint({ playback_id: 'zzzzzzzzzzzzzzzz' })).status, 404);

      const master = await play(hlsUrl);
      assert.equal(master.status, 200);
      assert.equal(master.headers.get('cache-control'), 'private, max-age=1');
      const rendition = master.text.split('\n').find((l) => l.endsWith(`index.m3u8?token=${token}`));
      assert.ok(rendition, master.text);
      const base = hlsUrl.slice(0, hlsUrl.indexOf('master.m3u8'));
      const media = await play(`${base}${rendition}`);
      assert.equal(media.status, 200);
      const segment = media.text.split('\n').find((l) => l.startsWith('seg_'));
      const init = /URI="([^"]+)"/.exec(media.text)?.[1];
      assert.ok(segment?.endsWith(`?token=${token}`) && init?.endsWith(`?token=${token}`), media.text);
      const dir360 = rendition.split('/')[0];
      assert.equal((await play(`${base}${dir360}/${segment}`)).status, 200);
      assert.equal((await play(`${base}${dir360}/${init}`)).status, 200);
      assert.equal((await play(`${asset.playback.thumbnail}?token=${token}&width=160`)).status, 200);
      const vtt = await play(`${asset.playback.storyboard}?token=${token}`);
      assert.equal(vtt.status, 200);
      assert.match(vtt.text, new RegExp(`storyboard\\.jpg\\?token=${token.replace(/\./g, '\\.')}#xywh=`));
      // Without the token a segment is refused too.
      assert.equal((await play(`${base}${dir360}/${segment?.split('?')[0]}`)).status, 403);

      const [head, payload, signature] = token.split('.');
      const forged = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), exp: 4102444800 })).toString('base64url')}.${signature}`;
      const altered = await play(`/play/${playbackId}/master.m3u8?token=${forged}`);
      assert.deepEqual([altered.status, altered.code], [403, 'FH_ERR_PLAYBACK_TOKEN_INVALID']);
      const garbage = await play(`/play/${playbackId}/master.m3u8?token=not.a.jwt`);
      assert.deepEqual([garbage.status, garbage.code], [403, 'FH_ERR_PLAYBACK_TOKEN_INVALID']);
      await server.api(`/v1/assets/${other.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: '{"playback_policy":"signed"}',
      });
      const foreign = await play(`/play/${otherPlaybackId}/thumbnail.jpg?token=${token}`);
      assert.deepEqual([foreign.status, foreign.code], [403, 'FH_ERR_PLAYBACK_TOKEN_MISMATCH']);

      // Rotation: a new key signs, the old one still verifies until it is retired.
      const before = await server.api<{ data: Array<{ kid: string; signing: boolean }> }>(
        '/v1/playback-keys',
      );
      const oldKid = before.body.data.find((k) => k.signing)?.kid ?? '';
      const rotated = await server.api<{ data: { kid: string } }>('/v1/playback-keys', { method: 'POST' });
      assert.equal(rotated.status, 201);
      const fresh = (await mint({ playback_id: playbackId })).body.data.token;
      assert.equal(
        JSON.parse(Buffer.from(fresh.split('.')[0] ?? '', 'base64url').toString()).kid,
        rotated.body.data.kid,
      );
      assert.equal((await play(hlsUrl)).status, 200, 'tokens of the older key still play');
      // Retire every key but the new one (the old one included).
      const active = await server.api<{ data: Array<{ kid: string }> }>('/v1/playback-keys');
      assert.ok(active.body.data.some((k) => k.kid === oldKid));
      for (const { kid } of active.body.data.filter((k) => k.kid !== rotated.body.data.kid)) {
        assert.equal((await server.api(`/v1/playback-keys/${kid}`, { method: 'DELETE' })).status, 204);
      }
      const retired = await play(hlsUrl);
      assert.deepEqual([retired.status, retired.code], [403, 'FH_ERR_PLAYBACK_TOKEN_INVALID']);
      assert.equal((await play(`/play/${playbackId}/master.m3u8?token=${fresh}`)).status, 200);
      const last = await server.api<{ error: { code: string } }>(
        `/v1/playback-keys/${rotated.body.data.kid}`,
        {
          method: 'DELETE',
        },
      );
      assert.equal(last.body.error.code, 'FH_ERR_LAST_SIGNING_KEY');

      // Public again: no token needed.
      await server.api(`/v1/assets/${asset.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: '{"playback_policy":"public"}',
      });
      assert.equal((await play(asset.playback.hls)).status, 200);
    });

    test('the audit trail records each action, with who and from where, and nothing secret', async () => {
      const bad = await fetch(new URL('/v1/assets', server.url), {
        headers: { authorization: 'Bearer fh_wrong' },
      });
      assert.equal(bad.status, 401);
      const created = await server.upload(await makeClip(dir, { name: 'gone', seconds: 1 }));
      assert.equal((await server.api(`/v1/assets/${created.id}`, { method: 'DELETE' })).status, 204);

      const all = await server.api<{
        data: Array<{
          action: string;
          actor: string;
          credential: string | null;
          ip: string | null;
          outcome: string;
          target: { id: string } | null;
        }>;
        next_cursor: string | null;
      }>('/v1/audit?limit=500');
      const actions = new Set(all.body.data.map((e) => e.action));
      for (const action of [
        'api_key.created',
        'api_key.revoked',
        'asset.created',
        'asset.updated',
        'asset.playback_policy_changed',
        'asset.deleted',
        'auth.failed',
        'playback_key.created',
        'playback_key.retired',
      ]) {
        assert.ok(actions.has(action), `${action} recorded (have ${[...actions].join(', ')})`);
      }
      const deletion = all.body.data.find((e) => e.action === 'asset.deleted' && e.target?.id === created.id);
      assert.equal(deletion?.credential, 'env_admin_key');
      assert.match(deletion?.actor ?? '', /^key:[a-z0-9]+$/);
      assert.equal(deletion?.ip, '127.0.0.1');
      assert.equal(all.body.data.find((e) => e.action === 'auth.failed')?.outcome, 'failure');

      // Filters and cursor pages.
      const page1 = await server.api<{ data: Array<{ action: string }>; next_cursor: string }>(
        '/v1/audit?action=api_key.created&limit=2',
      );
      assert.equal(page1.body.data.length, 2);
      assert.ok(page1.body.data.every((e) => e.action === 'api_key.created'));
      const page2 = await server.api<{ data: Array<{ id: string }> }>(
        `/v1/audit?action=api_key.created&limit=2&cursor=${page1.body.next_cursor}`,
      );
      assert.ok(page2.body.data.length >= 1);

      // JSON Lines export: every line parses; no key, token or secret appears.
      const exported = await server.api<string>('/v1/audit?format=jsonl');
      assert.match(exported.headers.get('content-type') ?? '', /application\/x-ndjson/);
      const lines = exported.body.trim().split('\n');
      assert.equal(lines.length, all.body.data.length, 'reading the trail adds nothing to it');
      for (const line of lines) JSON.parse(line);
      for (const secret of [ADMIN_KEY, ...keys.values()]) assert.ok(!exported.body.includes(secret));
    });
  });
}

describe('protection', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      FRAMEHOUSE_AUTH_FAILURES_PER_MINUTE: '5',
      FRAMEHOUSE_TOKEN_RATE_LIMIT_PER_MINUTE: '3',
      FRAMEHOUSE_CORS_ORIGINS: 'https://app.example.com',
      FRAMEHOUSE_WORKER_CONCURRENCY: '0',
    });
  });
  after(() => server.stop());

  test('guessing keys hits the limit: 429 with Retry-After, even for a right key from that address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await fetch(new URL('/v1/assets', server.url), {
        headers: { authorization: `Bearer fh_guess${i}` },
      });
      statuses.push(res.status);
      if (res.status === 429) assert.ok(Number(res.headers.get('retry-after')) > 0);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429]);
    const right = await server.api<{ error: { code: string } }>('/v1/assets');
    assert.deepEqual([right.status, right.body.error.code], [429, 'FH_ERR_RATE_LIMITED']);
  });

  test('security headers, and CORS: the API for allowed origins only, playback for every origin', async () => {
    const res = await fetch(new URL('/healthz', server.url), { headers: { origin: 'https://evil.example' } });
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(res.headers.get('strict-transport-security'));
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    const allowed = await fetch(new URL('/healthz', server.url), {
      headers: { origin: 'https://app.example.com' },
    });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com');
    const play = await fetch(new URL('/play/bbbbbbbbbbbbbbbb/master.m3u8', server.url), {
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(play.headers.get('access-control-allow-origin'), '*');
    assert.equal(play.headers.get('cross-origin-resource-policy'), 'cross-origin');
  });
});

describe('admin addresses', () => {
  test('admin routes only from the allowed addresses; the rest still works', async () => {
    const server = await startTestServer({
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      FRAMEHOUSE_ADMIN_ALLOWED_IPS: '10.0.0.0/8, fd00::/8',
      FRAMEHOUSE_WORKER_CONCURRENCY: '0',
    });
    try {
      const refused = await server.api<{ error: { code: string } }>('/v1/api-keys');
      assert.deepEqual([refused.status, refused.body.error.code], [403, 'FH_ERR_ADMIN_ADDRESS']);
      assert.equal((await server.api('/v1/assets')).status, 200);
    } finally {
      await server.stop();
    }
  });
});

describe('open mode', () => {
  test('with no credential anywhere the server is open; the first key closes it', async () => {
    const server = await startTestServer({ FRAMEHOUSE_WORKER_CONCURRENCY: '0' });
    try {
      assert.equal((await server.api('/v1/assets')).status, 200);
      const made = await server.api<{ data: { key: string } }>('/v1/api-keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'first admin', scopes: ['admin'] }),
      });
      assert.equal(made.status, 201);
      assert.equal((await server.api('/v1/assets')).status, 401);
      const withKey = await server.api('/v1/assets', {
        headers: { authorization: `Bearer ${made.body.data.key}` },
      });
      assert.equal(withKey.status, 200);
    } finally {
      await server.stop();
    }
  });
});
