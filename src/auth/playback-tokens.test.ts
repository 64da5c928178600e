import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { openTestDatabase, postgresSkip, TEST_DIALECTS, type TestDatabase } from '../db/test-databases.ts';
import { AppError } from '../shared/errors.ts';
import { PlaybackTokens } from './playback-tokens.ts';

const code = (e: unknown) => (e instanceof AppError ? e.code : String(e));

for (const dialect of TEST_DIALECTS) {
  describe(`playback tokens on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let t: TestDatabase;
    let tokens: PlaybackTokens;
    beforeEach(async () => {
      t = await openTestDatabase(dialect);
      tokens = new PlaybackTokens(t.db);
      await tokens.ensureSigningKey();
    });
    afterEach(() => t.close());

    test('the verification keys carry an ETag; a match sends and audits nothing', async () => {
      const who = { actor: 'api_key:test', credential: null, ip: null };
      const audits = async () =>
        Number(
          (
            await t.db
              .selectFrom('audit_events')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('action', '=', 'playback_key.verification_read')
              .executeTakeFirstOrThrow()
          ).n,
        );
      const first = await tokens.verificationKeys(who);
      assert.equal(first.keys?.length, 1);
      assert.equal(await audits(), 1);
      const again = await tokens.verificationKeys(who, `"other", ${first.etag}`);
      assert.deepEqual(again, { etag: first.etag, keys: null });
      assert.equal(await audits(), 1);
      // The ETag names kids and times, not the secrets.
      assert.ok(!first.etag.includes(first.keys?.[0]?.secret ?? '-'));
      await tokens.rotate(who);
      const rotated = await tokens.verificationKeys(who, first.etag);
      assert.notEqual(rotated.etag, first.etag);
      assert.equal(rotated.keys?.length, 2);
      assert.equal(await audits(), 2);
    });

    test('an expired token is refused as expired, within a few seconds of clock tolerance', async () => {
      const stale = await tokens.sign('playbackid1', -60);
      await assert.rejects(
        tokens.verify(stale.token, 'playbackid1'),
        (e) => code(e) === 'FH_ERR_PLAYBACK_TOKEN_EXPIRED',
      );
      const justExpired = await tokens.sign('playbackid1', -2);
      await tokens.verify(justExpired.token, 'playbackid1'); // another node's clock may be a little behind
    });

    test('a token signed with another secret, another algorithm or no expiry is refused', async () => {
      const [kid] = (await tokens.list()).map((k) => k.kid);
      const foreign = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', kid })
        .setSubject('playbackid1')
        .setAudience('framehouse:playback')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('a secret that is not ours at all, 32+'));
      await assert.rejects(
        tokens.verify(foreign, 'playbackid1'),
        (e) => code(e) === 'FH_ERR_PLAYBACK_TOKEN_INVALID',
      );
      const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', kid })).toString('base64url')}.${Buffer.from(
        JSON.stringify({ sub: 'playbackid1', aud: 'framehouse:playback', exp: 4102444800 }),
      ).toString('base64url')}.`;
      await assert.rejects(
        tokens.verify(unsigned, 'playbackid1'),
        (e) => code(e) === 'FH_ERR_PLAYBACK_TOKEN_INVALID',
      );
      await assert.rejects(
        tokens.verify(undefined, 'playbackid1'),
        (e) => code(e) === 'FH_ERR_PLAYBACK_TOKEN_REQUIRED',
      );
    });

    test('a rotation made on another node is used for signing there and verified here', async () => {
      await tokens.verify((await tokens.sign('playbackid1', 60)).token, 'playbackid1'); // keys now cached here
      const otherNode = new PlaybackTokens(t.connect());
      const rotated = await otherNode.rotate({ actor: 'test', credential: null, ip: null });
      const token = (await otherNode.sign('playbackid1', 60)).token;
      assert.equal(
        JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()).kid,
        rotated.kid,
      );
      // This node has not seen the new key yet: it looks again rather than refuse.
      await tokens.verify(token, 'playbackid1');
    });
  });
}
