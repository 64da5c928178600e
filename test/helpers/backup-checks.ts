import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { Client, CookieClient, type Delivery, type ServeProcess } from './backup-fixtures.ts';
import { ADMIN_KEY, type Populated } from './backup-state.ts';
import { waitForPlayback } from './browser.ts';
import { type LiveStreamBody, publishRtmp } from './live.ts';
import type { AssetBody } from './server.ts';
import { totp } from './totp.ts';
import { waitFor, waitForValue } from './wait.ts';

/**
 * What a restored site must still do, beyond answering as before: play (in Chromium), honour a
 * playback token signed before the backup, deliver a webhook signed with the old secret, let the
 * old sessions, keys, two-factor secret and stream key in. Run after the answers were compared:
 * these change the state.
 */
export async function checkRestoredSite(
  server: ServeProcess,
  p: Populated,
  receiver: { received: Delivery[] },
  browser: Browser,
): Promise<void> {
  const api = new Client(server.url, ADMIN_KEY);

  // A playback token signed before the backup: the signed asset plays with it, and not without.
  // Asked as a player asks: no credential but the token.
  const signedMaster = await fetch(new URL(p.signed.hlsUrl, server.url));
  const masterText = await signedMaster.text();
  assert.equal(signedMaster.status, 200, `the old token: ${masterText}`);
  assert.match(masterText, /#EXT-X-STREAM-INF/);
  const noToken = await fetch(new URL(`/play/${p.signed.playbackId}/master.m3u8`, server.url));
  assert.equal(noToken.status, 403, 'still signed-only');

  // Both videos play in a real browser, the signed one with the old token in its embed URL.
  const publicPid = (await api.get<{ data: AssetBody }>(`/v1/assets/${p.videos.public}`)).data.playback_ids[0]
    ?.id;
  for (const path of [
    `/embed/${publicPid}?autoplay=1`,
    `/embed/${p.signed.playbackId}?autoplay=1&token=${p.signed.token}`,
  ]) {
    const page = await browser.newPage({ baseURL: server.url, viewport: { width: 960, height: 600 } });
    try {
      await page.goto(path);
      await waitForPlayback(page, 1, 30_000);
    } finally {
      await page.close();
    }
  }

  // A webhook fires after the restore, signed with the secret shown before the backup.
  const seen = receiver.received.length;
  await api.json('PATCH', `/v1/assets/${p.videos.public}`, { title: 'Harbour after the restore' }, 200);
  const delivery = await waitFor(
    () =>
      receiver.received.slice(seen).find((d) => {
        const body = JSON.parse(d.body) as { data?: { asset_id?: string; changes?: string[] } };
        return body.data?.asset_id === p.videos.public;
      }),
    { timeoutMs: 30_000, what: 'a webhook delivery after the restore' },
  );
  const event = new Webhook(p.webhook.secret).verify(
    delivery.body,
    delivery.headers as Record<string, string>,
  ) as {
    type: string;
  };
  assert.equal(event.type, 'asset.updated');

  // Sessions, API keys and the two-factor secret of before still open the doors they opened.
  for (const role of ['admin', 'editor', 'viewer'] as const) {
    const res = await fetch(`${server.url}/v1/assets`, {
      headers: { cookie: p.users[role].cookie, origin: server.url },
    });
    assert.equal(res.status, 200, `the ${role}'s session of before`);
  }
  for (const key of p.apiKeys) {
    const res = await fetch(`${server.url}/v1/assets`, { headers: { authorization: `Bearer ${key.key}` } });
    // The signer's scope is playback:sign only: refused for lack of scope (403), not unknown (401).
    assert.equal(res.status, key.name === 'player backend' ? 403 : 200, `API key "${key.name}"`);
  }
  const phone = new CookieClient(server.url);
  const first = await phone.call<{ twoFactorRedirect?: boolean }>('/v1/auth/sign-in/email', {
    email: p.twoFactor.email,
    password: p.twoFactor.password,
  });
  assert.equal(first.body.twoFactorRedirect, true, 'two-factor is still on');
  const step = Math.floor(Date.now() / 30_000);
  // A code of a step not used before (the restored replay list would refuse those, rightly).
  const at = p.twoFactor.usedSteps.includes(step) ? Date.now() + 30_000 : Date.now();
  const verified = await phone.call('/v1/auth/two-factor/verify-totp', {
    code: totp(p.twoFactor.secret, at),
  });
  assert.equal(
    verified.status,
    200,
    `a code from the authenticator app of before: ${JSON.stringify(verified.body)}`,
  );
  assert.equal((await phone.call('/v1/assets')).status, 200);

  // The encoder goes on air again with the stream key it had (no recording this time).
  await api.json('PATCH', `/v1/live-streams/${p.streams.broadcast}`, { record: false }, 200);
  const publisher = publishRtmp(`rtmp://127.0.0.1:${server.rtmpPort}/live/${p.streams.streamKey}`, {
    seconds: 20,
    size: '320x240',
    fps: 25,
  });
  try {
    await waitForValue(
      async () =>
        (await api.get<{ data: LiveStreamBody }>(`/v1/live-streams/${p.streams.broadcast}`)).data.status,
      (s) => s === 'active',
      { timeoutMs: 30_000, what: () => `the old stream key to go on air; ffmpeg said: ${publisher.log()}` },
    );
  } finally {
    await publisher.stop();
  }
}
