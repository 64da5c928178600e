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
  backupId: string,
): Promise<void> {
  const api = new Client(server.url, ADMIN_KEY);

  // The backup it came from: running in its own snapshot, listed as succeeded once restored.
  const backups = await api.get<{ data: { id: string; status: string }[] }>('/v1/admin/backups');
  assert.deepEqual(
    backups.data.map((b) => [b.id, b.status]),
    [[backupId, 'succeeded']],
  );

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

  // The trashed photo is still in the trash, and comes back whole.
  const back = await api.call<{ data: AssetBody }>(`/v1/assets/${p.trashed}/restore`, { method: 'POST' });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  const shown = await fetch(new URL(`/play/${back.body.data.playback_ids[0]?.id}/info.json`, server.url));
  assert.equal(shown.status, 200, 'the restored photo is shown again');

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

/**
 * The differences a restore without the passphrase announces (docs/operations.md, restore step
 * 4), as `diffAnswers` lines: two-factor off, the signing keys retired for a new one (so the old
 * token opens nothing), the stream keys hidden and new SRT passphrases. Anything else is a loss.
 */
export function unannouncedDifferences(
  differences: string[],
  p: Populated,
): { unexpected: string[]; seen: string[] } {
  const announced: Array<[string, RegExp]> = [
    ['two-factor off', /^GET \/v1\/users \.body\.data\.\d+\.two_factor_enabled: true → false$/],
    ['signing keys replaced', /^GET \/v1\/playback-keys /],
    ['old token refused', new RegExp(`^GET /play/${p.signed.playbackId}/`)],
    ['stream keys hidden', /^GET \/v1\/live-streams\S* \.body\.data(\.\d+)?\.stream_key: "\w+" → ""$/],
    ['new SRT passphrases', /^GET \/v1\/live-streams\S* \.body\.data(\.\d+)?\.srt_passphrase: /],
  ];
  const seen = new Set<string>();
  const unexpected = differences.filter((d) => {
    const match = announced.find(([, pattern]) => pattern.test(d));
    if (match) seen.add(match[0]);
    return !match;
  });
  return { unexpected, seen: [...seen].sort() };
}

/** A site restored without its secrets: what must have changed, and what must still work. */
export async function checkRestoredWithoutSecrets(
  server: ServeProcess,
  p: Populated,
  receiver: { received: Delivery[] },
): Promise<void> {
  const api = new Client(server.url, ADMIN_KEY);
  const refused = await fetch(new URL(p.signed.hlsUrl, server.url));
  assert.equal(refused.status, 403, 'a token of a retired key opens nothing');
  // A new token plays: a signing key was made at start.
  const signer = p.apiKeys.find((k) => k.name === 'player backend');
  const minted = await api.call<{ data: { hls_url: string } }>('/v1/playback-tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${signer?.key}` },
    body: JSON.stringify({ playback_id: p.signed.playbackId, expires_in: 600 }),
  });
  assert.equal(minted.status, 201, JSON.stringify(minted.body));
  assert.equal((await fetch(new URL(minted.body.data.hls_url, server.url))).status, 200);

  // The webhook still fires, signed with a new secret: the old one no longer verifies it.
  const seen = receiver.received.length;
  await api.json('PATCH', `/v1/assets/${p.videos.public}`, { title: 'Harbour, no secrets' }, 200);
  const delivery = await waitFor(
    () =>
      receiver.received
        .slice(seen)
        .find(
          (d) => (JSON.parse(d.body) as { data?: { asset_id?: string } }).data?.asset_id === p.videos.public,
        ),
    { timeoutMs: 30_000, what: 'a webhook delivery after the restore without secrets' },
  );
  assert.throws(() =>
    new Webhook(p.webhook.secret).verify(delivery.body, delivery.headers as Record<string, string>),
  );

  // Everyone signs in again; two-factor is off until enrolled again.
  for (const role of ['admin', 'editor', 'viewer'] as const) {
    const res = await fetch(`${server.url}/v1/assets`, {
      headers: { cookie: p.users[role].cookie, origin: server.url },
    });
    assert.equal(res.status, 401, `the ${role}'s old session`);
  }
  const dana = new CookieClient(server.url);
  const signIn = await dana.call<{ twoFactorRedirect?: boolean }>('/v1/auth/sign-in/email', {
    email: p.twoFactor.email,
    password: p.twoFactor.password,
  });
  assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
  assert.notEqual(signIn.body.twoFactorRedirect, true, 'no code asked');
  assert.equal((await dana.call('/v1/assets')).status, 200);
  // API keys are kept (hashes are not secrets).
  const uploader = p.apiKeys.find((k) => k.name === 'ci uploader');
  assert.equal(
    (await fetch(`${server.url}/v1/assets`, { headers: { authorization: `Bearer ${uploader?.key}` } }))
      .status,
    200,
  );

  // The encoder publishes with the old key: its hash was kept.
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
