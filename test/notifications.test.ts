import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeClip } from './fixtures/media.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';
import { type SmtpPeer, startSmtpPeer } from './helpers/smtp-peer.ts';
import { waitFor, waitForValue } from './helpers/wait.ts';

const PUBLIC = 'https://media.example.com';
let server: TestServer;
let smtp: SmtpPeer;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fh-mail-'));
  // The relay turns the first message away ("try again later"): the queue must retry it.
  smtp = await startSmtpPeer({ refuseFirst: 1 });
  server = await startTestServer({ FRAMEHOUSE_SMTP_URL: smtp.url, FRAMEHOUSE_PUBLIC_URL: PUBLIC });
});
after(async () => {
  await server.stop();
  await smtp.close();
  await rm(dir, { recursive: true, force: true });
});

test('the uploader is told by e-mail when an asset is ready or failed (a refused send is retried), unless they opted out', async () => {
  const signUp = await fetch(new URL('/v1/auth/sign-up/email', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: PUBLIC },
    body: JSON.stringify({ email: 'guide@example.com', password: 'a good password', name: 'Guide' }),
  });
  assert.equal(signUp.status, 200);
  const cookie = signUp.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const as = { cookie, origin: PUBLIC };
  const upload = async (file: string, title: string) => {
    const form = new FormData();
    form.append('file', new Blob([await (await import('node:fs/promises')).readFile(file)]), 'clip.mp4');
    form.append('title', title);
    const res = await fetch(new URL('/v1/assets', server.url), { method: 'POST', body: form, headers: as });
    assert.equal(res.status, 202);
    const { id } = ((await res.json()) as { data: { id: string } }).data;
    // As the signed-in uploader (the server is out of open mode now).
    const get = async () =>
      (
        (await (await fetch(new URL(`/v1/assets/${id}`, server.url), { headers: as })).json()) as {
          data: AssetBody;
        }
      ).data;
    return waitForValue(get, isFinished, { timeoutMs: 60_000, what: `asset ${id} to finish` });
  };
  const waitForMail = (needle: string) =>
    waitFor(() => smtp.mails.find((m) => m.includes(needle)), { what: `a mail with ${needle}` });

  const ready = await upload(await makeClip(dir, { name: 'walk', seconds: 1 }), 'Morning walk');
  assert.equal(ready.status, 'ready');
  const mail = await waitForMail('Ready to watch: Morning walk');
  assert.equal(smtp.refused(), 1, 'the first try was refused and retried through the queue');
  assert.match(mail, /To: guide@example\.com/);
  assert.ok(mail.includes(`https://media.example.com/assets/${ready.id}`), 'the link, in text and HTML');
  assert.match(mail, /Content-Type: text\/html/);

  const broken = join(dir, 'broken.mp4');
  await writeFile(broken, 'this is not a video at all');
  const failed = await upload(broken, 'Broken one');
  assert.equal(failed.status, 'errored');
  assert.match(await waitForMail('Could not process: Broken one'), /not audio or video/);

  // Opting out: no mail for the next one.
  const off = await fetch(new URL('/v1/auth/update-user', server.url), {
    method: 'POST',
    headers: { ...as, 'content-type': 'application/json' },
    body: JSON.stringify({ notifyByEmail: false }),
  });
  assert.equal(off.status, 200, await off.text());
  const quiet = await upload(await makeClip(dir, { name: 'quiet', seconds: 1 }), 'Quiet one');
  assert.equal(quiet.status, 'ready');
  await sleep(1500);
  assert.ok(!smtp.mails.some((m) => m.includes('Quiet one')));
});
