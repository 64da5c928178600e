import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { makeClip } from '../fixtures/media.ts';
import { Client, CookieClient, type Delivery, type ServeProcess } from './backup-fixtures.ts';
import { type LiveStreamBody, publishRtmp } from './live.ts';
import type { AssetBody } from './server.ts';
import { totp } from './totp.ts';
import { waitFor, waitForValue } from './wait.ts';

/**
 * A site with a bit of everything an operator would hate to lose, made through the HTTP API of a
 * running server: accounts of every role (one with two-factor), API keys, videos with caption
 * tracks and a download, photos, presets and a batch, a signed video and its signing keys, a
 * webhook that has delivered, and a live stream that broadcast and was recorded.
 */
export interface Populated {
  adminKey: string;
  users: Record<'admin' | 'editor' | 'viewer', { email: string; password: string; cookie: string }>;
  twoFactor: { email: string; password: string; secret: string; usedSteps: number[] };
  apiKeys: { id: string; key: string; name: string }[];
  videos: { public: string; signed: string; recording: string };
  photos: { photo: string; logo: string };
  /** An asset in the trash: hidden, restorable, its objects kept. */
  trashed: string;
  presets: string[];
  signed: { playbackId: string; token: string; hlsUrl: string };
  webhook: { id: string; secret: string };
  streams: { broadcast: string; quiet: string; streamKey: string };
  /** Deliveries the receiver had when the site was populated. */
  deliveries: number;
}

export const ADMIN_KEY = 'backup-drill-admin-key-0123456789abcdef';

/** Settings of a server under test: quick webhook retries to a loopback receiver, small live ladder. */
export const SERVE_SETTINGS: Record<string, string> = {
  FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
  FRAMEHOUSE_WEBHOOKS_ALLOW_PRIVATE: 'true',
  FRAMEHOUSE_WEBHOOK_RETRY_SCHEDULE: '0.5,1,1,1',
  FRAMEHOUSE_LIVE_MAX_RUNGS: '1',
  FRAMEHOUSE_WORKER_CONCURRENCY: '2',
  FRAMEHOUSE_SIGN_IN_ATTEMPTS_PER_MINUTE: '1000',
  FRAMEHOUSE_AUTH_FAILURES_PER_MINUTE: '1000',
};

const ENGLISH_VTT =
  'WEBVTT\n\n00:00:00.500 --> 00:00:01.800\nWelcome to the harbour.\n\n00:00:02.000 --> 00:00:02.900\n[horn]\n';
const KOREAN_SRT = '1\r\n00:00:00,500 --> 00:00:02,000\r\n부산 항구에 오신 것을 환영합니다\r\n';

const json = (body: unknown, method = 'POST'): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function uploadFile(
  api: Client,
  file: string,
  fields: Record<string, string> = {},
  key?: string,
): Promise<string> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', await openAsBlob(file), file.split('/').pop());
  const res = await api.call<{ data: AssetBody }>('/v1/assets', {
    method: 'POST',
    body: form,
    ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}),
  });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.data.id;
}

export const finished = (a: AssetBody) =>
  a.status === 'errored' || (a.status === 'ready' && a.progress === 1);

export async function waitForAsset(api: Client, id: string, timeoutMs = 180_000): Promise<AssetBody> {
  const asset = await waitForValue(
    async () => (await api.get<{ data: AssetBody }>(`/v1/assets/${id}`)).data,
    finished,
    {
      timeoutMs,
      intervalMs: 250,
      what: `asset ${id} to be ready`,
    },
  );
  assert.equal(asset.status, 'ready', `asset ${id}: ${JSON.stringify(asset.errors)}`);
  return asset;
}

/** Signs an account up and gives it `role`; its session cookie, as a browser holds it. */
async function account(api: Client, email: string, password: string, role: 'admin' | 'editor' | 'viewer') {
  const browser = new CookieClient(api.base);
  const signUp = await browser.call('/v1/auth/sign-up/email', { email, password, name: email.split('@')[0] });
  assert.equal(signUp.status, 200, JSON.stringify(signUp.body));
  const users = await api.get<{ data: { id: string; email: string; role: string }[] }>('/v1/users');
  const user = users.data.find((u) => u.email === email);
  assert.ok(user);
  if (user.role !== role) await api.json('PATCH', `/v1/users/${user.id}`, { role }, 200);
  return browser.cookie;
}

/** Every job done (periodic maintenance that is merely scheduled aside) and every asset finished. */
export async function waitForQuiet(api: Client, timeoutMs = 240_000): Promise<void> {
  await waitForValue(
    async () => {
      const queues = await api.get<{ data: { type: string; depth: number; running: number }[] }>(
        '/v1/admin/queues',
      );
      const busy = queues.data.filter((q) => q.depth + q.running > 0).map((q) => q.type);
      const assets = await api.get<{ data: AssetBody[] }>('/v1/assets?limit=100');
      const unfinished = assets.data.filter((a) => !finished(a)).map((a) => a.id);
      return { busy, unfinished };
    },
    (s) => s.busy.length === 0 && s.unfinished.length === 0,
    { timeoutMs, intervalMs: 500, what: 'every job and asset to finish' },
  );
}

export async function populate(
  server: ServeProcess,
  work: string,
  receiver: { url: string; received: Delivery[] },
): Promise<Populated> {
  const api = new Client(server.url, ADMIN_KEY);

  // Accounts: one per role, signed in (their sessions are state too), and one with two-factor.
  const users = {} as Populated['users'];
  for (const role of ['admin', 'editor', 'viewer'] as const) {
    const email = `${role}@drill.example`;
    const password = `${role} password for the drill`;
    users[role] = { email, password, cookie: await account(api, email, password, role) };
  }
  const twoFactorEmail = 'dana@drill.example';
  const twoFactorPassword = 'dana password for the drill';
  const dana = new CookieClient(server.url);
  assert.equal(
    (
      await dana.call('/v1/auth/sign-up/email', {
        email: twoFactorEmail,
        password: twoFactorPassword,
        name: 'Dana',
      })
    ).status,
    200,
  );
  const enabled = await dana.call<{ totpURI: string }>('/v1/auth/two-factor/enable', {
    password: twoFactorPassword,
  });
  assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
  const secret = new URL(enabled.body.totpURI).searchParams.get('secret') ?? '';
  const step = Math.floor(Date.now() / 30_000);
  assert.equal((await dana.call('/v1/auth/two-factor/verify-totp', { code: totp(secret) })).status, 200);

  // API keys: an uploader (used below, so it has a last use) and a token signer.
  const apiKeys: Populated['apiKeys'] = [];
  for (const [name, scopes] of [
    ['ci uploader', ['assets:read', 'assets:write']],
    ['player backend', ['playback:sign']],
  ] as const) {
    const made = await api.json<{ data: { id: string; key: string } }>(
      'POST',
      '/v1/api-keys',
      { name, scopes },
      201,
    );
    apiKeys.push({ id: made.data.id, key: made.data.key, name });
  }
  const [uploader, signer] = apiKeys;
  assert.ok(uploader && signer);

  // Videos: one with two caption tracks and an MP4 download, one that plays only with a token.
  const harbour = await makeClip(work, { name: 'harbour', width: 320, height: 240, seconds: 3 });
  const tour = await makeClip(work, { name: 'tour', width: 320, height: 180, seconds: 2 });
  const publicId = await uploadFile(api, harbour, { title: 'Harbour at dawn', mp4_support: 'standard' });
  const signedId = await uploadFile(api, tour, { title: 'Members-only tour' }, uploader.key);

  // Photos: a JPEG and a PNG logo (a preset's watermark).
  const photoFile = join(work, 'market.jpg');
  await writeFile(
    photoFile,
    await sharp({ create: { width: 640, height: 480, channels: 3, background: '#3a6' } })
      .jpeg()
      .toBuffer(),
  );
  const logoFile = join(work, 'logo.png');
  await writeFile(
    logoFile,
    await sharp({
      create: { width: 60, height: 20, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 1 } },
    })
      .png()
      .toBuffer(),
  );
  const photo = await uploadFile(api, photoFile, { title: 'Market' });
  const logo = await uploadFile(api, logoFile, { title: 'Logo' });

  await waitForAsset(api, publicId);
  await waitForAsset(api, signedId);
  await waitForAsset(api, photo);
  await waitForAsset(api, logo);

  // One photo in the trash (FRAMEHOUSE_TRASH_DAYS, 30 by default): a restore brings it back there.
  const discardedFile = join(work, 'discarded.jpg');
  await writeFile(
    discardedFile,
    await sharp({ create: { width: 200, height: 100, channels: 3, background: '#a33' } })
      .jpeg()
      .toBuffer(),
  );
  const trashed = await uploadFile(api, discardedFile, { title: 'Blurry' });
  await waitForAsset(api, trashed);
  assert.equal((await api.call(`/v1/assets/${trashed}`, { method: 'DELETE' })).status, 204);

  for (const [file, fields] of [
    [ENGLISH_VTT, { language: 'en', name: 'English', default: 'true' }],
    [KOREAN_SRT, { language: 'ko', kind: 'subtitles' }],
  ] as const) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([file]), 'track');
    const added = await api.call(`/v1/assets/${publicId}/tracks`, { method: 'POST', body: form });
    assert.equal(added.status, 201, JSON.stringify(added.body));
  }

  // Presets and a batch that renders them.
  await api.json(
    'PUT',
    '/v1/presets/card',
    { width: 200, height: 150, fit: 'fill', format: 'webp', quality: 70 },
    200,
  );
  await api.json(
    'PUT',
    '/v1/presets/marked',
    {
      width: 300,
      format: 'png',
      watermark: { asset_id: logo, opacity: 0.5, position: 'soea', margin: 4, scale: 0.3 },
    },
    200,
  );
  const batch = await api.json<{ data: { id: string } }>(
    'POST',
    '/v1/batches',
    { asset_ids: [photo, logo], presets: ['card', 'marked'] },
    202,
  );
  await waitForValue(
    async () => (await api.get<{ data: { status: string } }>(`/v1/batches/${batch.data.id}`)).data.status,
    (s) => s === 'completed',
    { timeoutMs: 60_000, what: 'the image batch to complete' },
  );

  // Signed playback: a second signing key, and a token minted now that must play after a restore.
  await api.json('PATCH', `/v1/assets/${signedId}`, { playback_policy: 'signed' }, 200);
  await api.json('POST', '/v1/playback-keys', {}, 201);
  const minted = await api.call<{ data: { token: string; hls_url: string } }>('/v1/playback-tokens', {
    ...json({
      playback_id: (await api.get<{ data: AssetBody }>(`/v1/assets/${signedId}`)).data.playback_ids[0]?.id,
      expires_in: 6 * 3600,
    }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${signer.key}` },
  });
  assert.equal(minted.status, 201, JSON.stringify(minted.body));
  const signedAsset = (await api.get<{ data: AssetBody }>(`/v1/assets/${signedId}`)).data;
  const signedPid = signedAsset.playback_ids[0]?.id ?? '';
  assert.equal((await api.call(minted.body.data.hls_url)).status, 200, 'the token plays before the backup');

  // A webhook that has delivered once (its log is state too).
  const hook = await api.json<{ data: { id: string; secret: string } }>(
    'POST',
    '/v1/webhooks',
    { url: receiver.url, events: ['asset.updated'] },
    201,
  );
  const already = receiver.received.length;
  await api.json('PATCH', `/v1/assets/${publicId}`, { title: 'Harbour at dawn (final)' }, 200);
  const delivery = await waitFor(() => receiver.received[already], {
    timeoutMs: 30_000,
    what: 'the first webhook delivery',
  });
  new Webhook(hook.data.secret).verify(delivery.body, delivery.headers as Record<string, string>);

  // Live: one stream broadcasts (recorded, with a chat message and a product), one never did.
  const quiet = await api.json<{ data: LiveStreamBody }>(
    'POST',
    '/v1/live-streams',
    { title: 'Not yet on air', playback_policy: 'signed', record: false },
    201,
  );
  const stream = await api.json<{ data: LiveStreamBody }>(
    'POST',
    '/v1/live-streams',
    { title: 'Backup drill live', record: true, reconnect_window: 2 },
    201,
  );
  const streamKey = stream.data.stream_key ?? '';
  await api.json(
    'POST',
    `/v1/live-streams/${stream.data.id}/products`,
    {
      title: 'Drill T-shirt',
      price: { amount: '19.90', currency: 'EUR' },
      image_asset_id: photo,
      url: 'https://shop.example/tee',
    },
    201,
  );
  const publisher = publishRtmp(`rtmp://127.0.0.1:${server.rtmpPort}/live/${streamKey}`, {
    seconds: 8,
    size: '320x240',
    fps: 25,
  });
  try {
    const streamState = () => api.get<{ data: LiveStreamBody }>(`/v1/live-streams/${stream.data.id}`);
    await waitForValue(
      async () => (await streamState()).data.status,
      (s) => s === 'active',
      {
        timeoutMs: 30_000,
        what: () => `the stream to go on air; ffmpeg said: ${publisher.log()}`,
      },
    );
    await api.json('POST', `/v1/live-streams/${stream.data.id}/chat`, { text: 'Drill on air' }, 201);
    await publisher.exited;
    const idle = await waitForValue(
      async () => (await streamState()).data,
      (s) => s.status === 'idle' && s.recordings.length === 1,
      { timeoutMs: 60_000, intervalMs: 300, what: 'the broadcast to end and be recorded' },
    );
    const recording = idle.recordings[0] ?? '';
    await waitForAsset(api, recording, 240_000);
    await waitForQuiet(api);
    return {
      adminKey: ADMIN_KEY,
      users,
      twoFactor: { email: twoFactorEmail, password: twoFactorPassword, secret, usedSteps: [step] },
      apiKeys,
      videos: { public: publicId, signed: signedId, recording },
      photos: { photo, logo },
      trashed,
      presets: ['card', 'marked'],
      signed: { playbackId: signedPid, token: minted.body.data.token, hlsUrl: minted.body.data.hls_url },
      webhook: { id: hook.data.id, secret: hook.data.secret },
      streams: { broadcast: stream.data.id, quiet: quiet.data.id, streamKey },
      deliveries: receiver.received.length,
    };
  } finally {
    await publisher.stop();
  }
}
