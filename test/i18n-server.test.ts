import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ERROR_MESSAGES_KO } from '../src/i18n/error-messages.ko.ts';
import { ERROR_CODES, type ErrorCode } from '../src/shared/errors.ts';
import { newId } from '../src/shared/ids.ts';
import { makeClip } from './fixtures/media.ts';
import { signUpWithRole } from './helpers/accounts.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { type SmtpPeer, startSmtpPeer } from './helpers/smtp-peer.ts';
import { waitFor } from './helpers/wait.ts';

const ADMIN_KEY = 'fh_i18n_admin_key_0123456789abcdef';
const PASSWORD = 'correct horse battery staple';
const KOREAN = 'ko-KR,ko;q=0.9';

/** A received mail as a person reads it: decoded subject, text and HTML parts. */
interface ReadMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Encoded words (RFC 2047, B and Q), adjacent ones joined before UTF-8 decoding. */
function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)(\s+(?==\?[^?]+\?[BbQq]\?[^?]*\?=)|)/g, '$1')
    .replace(/(?:=\?[^?]+\?[BbQq]\?[^?]*\?=)+/g, (run) => {
      const bytes: Buffer[] = [];
      for (const [, enc, data] of run.matchAll(/=\?[^?]+\?([BbQq])\?([^?]*)\?=/g)) {
        bytes.push(
          enc?.toUpperCase() === 'B'
            ? Buffer.from(data ?? '', 'base64')
            : qp((data ?? '').replace(/_/g, ' ')),
        );
      }
      return Buffer.concat(bytes).toString('utf8');
    });
}

/** Quoted-printable to bytes (soft line breaks dropped). */
function qp(s: string): Buffer {
  const text = s.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(Number.parseInt(hex, 16));
      i += 2;
    } else out.push(...Buffer.from(text[i] ?? '', 'utf8'));
  }
  return Buffer.from(out);
}

function splitHead(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, at).replace(/\r?\n[ \t]+/g, ' ');
  const body = raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(headers: Map<string, string>, body: string): string {
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return qp(body).toString('utf8');
  return body;
}

function readMail(raw: string): ReadMail {
  const { headers, body } = splitHead(raw);
  const mail: ReadMail = {
    to: headers.get('to') ?? '',
    subject: decodeWords(headers.get('subject') ?? ''),
    text: '',
    html: '',
  };
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  const parts = boundary
    ? body
        .split(`--${boundary}`)
        .slice(1)
        .filter((p) => !p.startsWith('--'))
        .map((p) => splitHead(p.replace(/^\r?\n/, '')))
    : [{ headers, body }];
  for (const part of parts) {
    const partType = part.headers.get('content-type') ?? 'text/plain';
    const text = decodeBody(part.headers, part.body);
    if (partType.startsWith('text/html')) mail.html = text;
    else if (partType.startsWith('text/plain')) mail.text = text;
  }
  return mail;
}

const KO_MESSAGES = Object.entries(ERROR_MESSAGES_KO) as Array<[ErrorCode, string]>;

test('every error code has a Korean message, written in Korean, not the English one', () => {
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];
  assert.deepEqual(KO_MESSAGES.map(([c]) => c).sort(), [...codes].sort());
  for (const code of codes) {
    const ko = ERROR_MESSAGES_KO[code];
    assert.ok(ko.trim().length > 0, `${code}: empty`);
    assert.notEqual(ko, ERROR_CODES[code].message, `${code}: the English message`);
    assert.match(ko, /[\uac00-\ud7a3]/, `${code}: no Hangul`);
  }
});

describe('Korean and English on the server', () => {
  let server: TestServer;
  let smtp: SmtpPeer;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-i18n-'));
    smtp = await startSmtpPeer();
    server = await startTestServer({
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      FRAMEHOUSE_SMTP_URL: smtp.url,
      // The quota notice check runs every flush interval: every second here.
      FRAMEHOUSE_USAGE_FLUSH_SECONDS: '1',
    });
  });
  after(async () => {
    await server?.stop();
    await smtp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const asked = (language: string | null) => (language ? { 'accept-language': language } : {});

  test('API errors: Korean for Accept-Language ko, English for none or fr; same code, status and details', async () => {
    type Err = { error: { code: string; message: string; details?: unknown } };
    const both = async (path: string, init: RequestInit = {}) => {
      const answers = [];
      for (const language of [KOREAN, null, 'fr', 'fr-FR,fr;q=0.9,de;q=0.5']) {
        const headers = new Headers(init.headers);
        for (const [k, v] of Object.entries(asked(language))) headers.set(k, v);
        answers.push(await server.api<Err>(path, { ...init, headers }));
      }
      const [ko, none, fr, frDe] = answers;
      assert.ok(ko && none && fr && frDe);
      for (const other of [none, fr, frDe]) {
        assert.equal(other.status, ko.status, path);
        assert.equal(other.body.error.code, ko.body.error.code, path);
        assert.deepEqual(other.body.error.details, ko.body.error.details, path);
        assert.equal(other.body.error.message, none.body.error.message, 'English for every other language');
      }
      const code = ko.body.error.code as ErrorCode;
      assert.equal(ko.body.error.message, ERROR_MESSAGES_KO[code], `${path}: the code's Korean message`);
      assert.notEqual(ko.body.error.message, none.body.error.message);
      // Chosen by Accept-Language: caches keep one copy per language, and the answer says which.
      for (const [answer, language] of [
        [ko, 'ko'],
        [none, 'en'],
        [fr, 'en'],
      ] as const) {
        assert.match(answer.headers.get('vary') ?? '', /(^|,\s*)Accept-Language(\s*,|$)/i, `${path}: Vary`);
        assert.equal(answer.headers.get('content-language'), language, `${path}: Content-Language`);
      }
      return { ko, en: none };
    };

    // A coded refusal from a route (AppError).
    const asset = await both(`/v1/assets/${newId()}`);
    assert.equal(asset.ko.status, 404);
    assert.equal(asset.en.body.error.code, 'FH_ERR_ASSET_NOT_FOUND');
    assert.equal(asset.en.body.error.message, ERROR_CODES.FH_ERR_ASSET_NOT_FOUND.message);

    // No such route: the not-found handler (English keeps its specific text).
    const route = await both('/v1/no-such-thing');
    assert.equal(route.en.body.error.code, 'FH_ERR_NOT_FOUND');
    assert.match(route.en.body.error.message, /^No route for GET \/v1\/no-such-thing$/);

    // Schema validation: FH_ERR_VALIDATION, its details (the fields) the same in both.
    const invalid = await both('/v1/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 42 }),
    });
    assert.equal(invalid.ko.status, 400);
    assert.equal(invalid.en.body.error.code, 'FH_ERR_VALIDATION');
    assert.ok(Array.isArray(invalid.en.body.error.details));

    // A content type no parser takes: 415.
    const unsupported = await both('/v1/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/x-nothing-we-read' },
      body: 'x',
    });
    assert.equal(unsupported.ko.status, 415);
    assert.equal(unsupported.en.body.error.code, 'FH_ERR_UNSUPPORTED_CONTENT_TYPE');

    // Machine endpoints stay English (a storage hook's caller is no person).
    const hook = await server.api<Err>('/v1/hooks/storage', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-language': KOREAN },
      body: '{}',
    });
    assert.ok(hook.status >= 400, String(hook.status));
    assert.doesNotMatch(hook.body.error.message, /[\uac00-\ud7a3]/);
    assert.equal(hook.headers.get('content-language'), null, 'no language negotiated on a machine path');
    assert.doesNotMatch(hook.headers.get('vary') ?? '', /accept-language/i);

    // A Vary already there (CORS's Origin on the API) is kept, Accept-Language added to it.
    const cors = await server.api<Err>(`/v1/assets/${newId()}`, {
      headers: { origin: 'https://elsewhere.example', 'accept-language': KOREAN },
    });
    assert.equal(cors.status, 404);
    const apiVary = (cors.headers.get('vary') ?? '').split(',').map((v) => v.trim().toLowerCase());
    assert.ok(apiVary.includes('accept-language'), apiVary.join());
    // Playback drops CORS's Vary: Origin (one copy for every site) but keeps Accept-Language.
    for (const language of [KOREAN, 'en']) {
      const play = await fetch(new URL(`/play/${newId()}/master.m3u8`, server.url), {
        headers: { origin: 'https://player.example', 'accept-language': language },
      });
      const body = (await play.json()) as Err;
      assert.equal(play.status, 404);
      assert.equal(body.error.code, 'FH_ERR_PLAYBACK_NOT_FOUND');
      const vary = (play.headers.get('vary') ?? '').split(',').map((v) => v.trim().toLowerCase());
      assert.deepEqual(vary, ['accept-language'], `playback Vary with ${language}`);
      assert.equal(play.headers.get('content-language'), language === KOREAN ? 'ko' : 'en');
      if (language === KOREAN) assert.equal(body.error.message, '이 재생 ID를 찾을 수 없습니다.');
    }
  });

  test('sign-up takes the account language: ko is stored, fr refused with no account made', async () => {
    const signUp = (email: string, locale: unknown) =>
      fetch(new URL('/v1/auth/sign-up/email', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.url },
        body: JSON.stringify({ email, password: PASSWORD, name: email, locale }),
      });
    const stored = (email: string) =>
      server.db.selectFrom('users').select('locale').where('email', '=', email).executeTakeFirst();
    const made = await signUp('jiho@example.com', 'ko');
    assert.equal(made.status, 200, await made.text());
    assert.equal((await stored('jiho@example.com'))?.locale, 'ko');
    const refused = await signUp('marie@example.com', 'fr');
    assert.ok(refused.status >= 400 && refused.status < 500, String(refused.status));
    assert.equal(await stored('marie@example.com'), undefined);
  });

  test('a quota refusal in Korean says the storage quota and its numbers (multipart and tus)', async () => {
    const cookie = await signUpWithRole(server, 'seoyeon@example.com', PASSWORD, 'editor');
    const users = await server.api<{ data: Array<{ id: string; email: string }> }>('/v1/users');
    const id = users.body.data.find((u) => u.email === 'seoyeon@example.com')?.id;
    const quota = await server.api(`/v1/admin/quotas/user:${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ storage_bytes: 1_000_000 }),
    });
    assert.equal(quota.status, 200);
    type Err = { error: { code: string; message: string; details: { quota: string; requested: number } } };
    const tus = async (language: string) => {
      const res = await fetch(new URL('/v1/uploads', server.url), {
        method: 'POST',
        headers: {
          cookie,
          origin: server.url,
          'tus-resumable': '1.0.0',
          'upload-length': '1200000',
          'accept-language': language,
        },
      });
      return { status: res.status, body: (await res.json()) as Err };
    };
    const [ko, en] = [await tus(KOREAN), await tus('en')];
    assert.equal(ko.status, 403);
    assert.equal(ko.body.error.code, 'FH_ERR_QUOTA_EXCEEDED');
    assert.deepEqual(ko.body.error.details, en.body.error.details);
    assert.equal(
      ko.body.error.message,
      '이 업로드(1.2MB)를 받으면 저장소 할당량을 초과하게 됩니다(사용량 0바이트, 할당량 1MB). 이 서버의 관리자가 할당량을 늘릴 수 있습니다.',
    );
    assert.equal(
      en.body.error.message,
      'This upload (1.2 MB) would take your storage to 1.2 MB; your quota is 1 MB.',
    );

    const form = new FormData();
    form.append('file', new Blob([Buffer.alloc(1_200_000, 7)]), 'big.mp4');
    const multipart = await fetch(new URL('/v1/assets', server.url), {
      method: 'POST',
      headers: { cookie, origin: server.url, 'accept-language': KOREAN },
      body: form,
    });
    const refused = (await multipart.json()) as Err;
    assert.equal(multipart.status, 403);
    assert.equal(refused.error.details.quota, 'storage_bytes');
    assert.match(
      refused.error.message,
      /^이 업로드\(1\.2MB\)를 받으면 저장소 할당량을 초과하게 됩니다\(사용량 0바이트, 할당량 1MB\)\./,
    );
  });

  test('e-mails in the account language: Korean for locale ko, English for none; an unsupported locale is refused', async () => {
    const ko = await signUpWithRole(server, 'minji@example.com', PASSWORD, 'editor');
    const en = await signUpWithRole(server, 'ada@example.com', PASSWORD, 'editor');
    const call = (cookie: string, path: string, body?: unknown, init: RequestInit = {}) =>
      fetch(new URL(path, server.url), {
        method: body === undefined ? 'GET' : 'POST',
        ...init,
        headers: {
          cookie,
          origin: server.url,
          ...(body === undefined || body instanceof FormData ? {} : { 'content-type': 'application/json' }),
          ...(init.headers as Record<string, string> | undefined),
        },
        ...(body === undefined ? {} : { body: body instanceof FormData ? body : JSON.stringify(body) }),
      });
    const storedLocale = async (email: string) =>
      (
        await server.db
          .selectFrom('users')
          .select('locale')
          .where('email', '=', email)
          .executeTakeFirstOrThrow()
      ).locale;

    // The account's language, through better-auth's update-user.
    const set = await call(ko, '/v1/auth/update-user', { locale: 'ko' });
    assert.equal(set.status, 200, await set.text());
    assert.equal(await storedLocale('minji@example.com'), 'ko');
    assert.equal(await storedLocale('ada@example.com'), null);
    for (const locale of ['fr', 'xx', 'ko-KR', 42]) {
      const refused = await call(ko, '/v1/auth/update-user', { locale });
      assert.ok(refused.status >= 400 && refused.status < 500, `${locale}: ${refused.status}`);
      assert.equal(await storedLocale('minji@example.com'), 'ko', `${locale} left the stored value`);
    }
    // null: back to following the device; then Korean again.
    const cleared = await call(ko, '/v1/auth/update-user', { locale: null });
    assert.equal(cleared.status, 200, await cleared.text());
    assert.equal(await storedLocale('minji@example.com'), null);
    const again = await call(ko, '/v1/auth/update-user', { locale: 'ko' });
    assert.equal(again.status, 200, await again.text());
    assert.equal(await storedLocale('minji@example.com'), 'ko');
    const session = (await (await call(ko, '/v1/auth/get-session')).json()) as { user: { locale: string } };
    assert.equal(session.user.locale, 'ko');

    const mailTo = (to: string, subject: RegExp) =>
      waitFor(() => smtp.raw.map(readMail).find((m) => m.to.includes(to) && subject.test(m.subject)), {
        timeoutMs: 30_000,
        what: `a mail to ${to} with a subject like ${subject}`,
      });
    const noHangul = (m: ReadMail) =>
      assert.doesNotMatch(`${m.subject}${m.text}${m.html}`, /[\uac00-\ud7a3]/);

    // Password reset: better-auth's user → the account's language.
    for (const email of ['minji@example.com', 'ada@example.com']) {
      const requested = await fetch(new URL('/v1/auth/request-password-reset', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.url },
        body: JSON.stringify({ email, redirectTo: `${server.url}/reset` }),
      });
      assert.equal(requested.status, 200);
    }
    const resetKo = await mailTo('minji@example.com', /비밀번호 재설정/);
    assert.equal(resetKo.subject, 'Framehouse 비밀번호 재설정');
    assert.match(resetKo.text, /minji@example\.com 계정의 비밀번호 재설정이 요청되었습니다\./);
    assert.match(resetKo.text, /새 비밀번호 정하기: \S+\/reset-password\//);
    assert.match(resetKo.html, />새 비밀번호 정하기<\/a>/);
    const resetEn = await mailTo('ada@example.com', /^Reset your Framehouse password$/);
    assert.match(resetEn.text, /Choose a new password: \S+\/reset-password\//);
    noHangul(resetEn);

    // Sign-in notice: signed out everywhere, the next sign-in comes from an address no live
    // session has.
    for (const [cookie, email] of [
      [ko, 'minji@example.com'],
      [en, 'ada@example.com'],
    ] as const) {
      assert.equal((await call(cookie, '/v1/auth/sign-out', {})).status, 200);
      const signIn = await fetch(new URL('/v1/auth/sign-in/email', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.url },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      assert.equal(signIn.status, 200);
    }
    const year = new Date().getUTCFullYear();
    const signInKo = await mailTo('minji@example.com', /새 로그인 알림/);
    assert.equal(signInKo.subject, '새 로그인 알림: Framehouse 계정');
    // The date as Korean writes it, in UTC and saying so.
    assert.match(
      signInKo.text,
      new RegExp(`^${year}년 \\d{1,2}월 \\d{1,2}일 (오전|오후) \\d{1,2}시 \\d{1,2}분 \\d{1,2}초 UTC에 `),
    );
    // The place, then the account, then the browser in parentheses before the full stop.
    assert.match(signInKo.text, /UTC에 \S+에서 minji@example\.com 계정으로 로그인했습니다( \([^)]+\))?\.$/m);
    assert.match(signInKo.text, /설정 열기: https?:\/\/[^\s/]+\/settings/);
    const signInEn = await mailTo('ada@example.com', /^New sign-in to your Framehouse account$/);
    assert.match(
      signInEn.text,
      new RegExp(`signed in to at [A-Z][a-z]+ \\d{1,2}, ${year} at \\d{1,2}:\\d{2}:\\d{2} [AP]M UTC from`),
    );
    noHangul(signInEn);

    // New sessions (the sign-ins above ended the first ones).
    const cookieOf = async (email: string) => {
      const res = await fetch(new URL('/v1/auth/sign-in/email', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.url },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      assert.equal(res.status, 200);
      return res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
    };
    const koNow = await cookieOf('minji@example.com');
    const enNow = await cookieOf('ada@example.com');
    const ids = await server.api<{ data: Array<{ id: string; email: string }> }>('/v1/users');
    const idOf = (email: string) => ids.body.data.find((u) => u.email === email)?.id ?? '';

    // Quota notices and a failed asset: 850 kB of not-media under a 1 MB storage quota.
    for (const [cookie, email] of [
      [koNow, 'minji@example.com'],
      [enNow, 'ada@example.com'],
    ] as const) {
      const quota = await server.api(`/v1/admin/quotas/user:${idOf(email)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ storage_bytes: 1_000_000 }),
      });
      assert.equal(quota.status, 200, JSON.stringify(quota.body));
      const form = new FormData();
      form.append('file', new Blob([Buffer.alloc(850_000, 7)]), 'notes.mp4');
      form.append('title', 'Notes');
      const made = await call(cookie, '/v1/assets', form);
      assert.equal(made.status, 202, await made.text());
    }
    const quotaKo = await mailTo('minji@example.com', /^저장소: /);
    assert.equal(quotaKo.subject, '저장소: 할당량의 80%를 사용했습니다');
    assert.match(quotaKo.text, /^저장소 사용량 0\.9MB: 할당량 1MB 중 8\d%를 사용했습니다\./);
    assert.match(quotaKo.text, /사용량 보기: https?:\/\/[^\s/]+\/settings#usage/);
    const quotaEn = await mailTo('ada@example.com', /^Storage: /);
    assert.equal(quotaEn.subject, 'Storage: 80 % of your quota used');
    assert.match(quotaEn.text, /^Your storage holds 0\.9 MB: 8\d % of your quota of 1 MB\./);
    noHangul(quotaEn);

    const failedKo = await mailTo('minji@example.com', /^처리 실패: Notes$/);
    // The recorded error's code, in Korean.
    const reason = /^"Notes" 처리에 실패했습니다: (.+)$/m.exec(failedKo.text)?.[1];
    assert.ok(
      KO_MESSAGES.some(([, message]) => message === reason),
      `the recorded error's code in Korean: ${reason}`,
    );
    assert.match(failedKo.text, /자세히 보기: https?:\/\/[^\s/]+\/assets\//);
    const failedEn = await mailTo('ada@example.com', /^Could not process: Notes$/);
    assert.match(failedEn.text, /^"Notes" could not be processed: /);
    noHangul(failedEn);

    // A real clip each: ready mails.
    for (const [cookie, name] of [
      [koNow, 'walk-ko'],
      [enNow, 'walk-en'],
    ] as const) {
      const form = new FormData();
      const { openAsBlob } = await import('node:fs');
      form.append('file', await openAsBlob(await makeClip(dir, { name, seconds: 1 })), `${name}.mp4`);
      form.append('title', 'Morning walk');
      // Room under the quota for it: the quota goes.
      const lifted = await server.api(
        `/v1/admin/quotas/user:${idOf(name === 'walk-ko' ? 'minji@example.com' : 'ada@example.com')}`,
        {
          method: 'DELETE',
        },
      );
      assert.equal(lifted.status, 204);
      const made = await call(cookie, '/v1/assets', form);
      assert.equal(made.status, 202, await made.text());
    }
    const readyKo = await mailTo('minji@example.com', /^시청 준비 완료: Morning walk$/);
    assert.match(readyKo.text, /^"Morning walk" 처리가 끝났습니다\./);
    assert.match(readyKo.text, /바로 보기: https?:\/\/[^\s/]+\/assets\//);
    assert.match(readyKo.html, /<html lang="ko">/);
    assert.match(readyKo.text, /설정에서 끌 수 있습니다\./);
    const readyEn = await mailTo('ada@example.com', /^Ready to watch: Morning walk$/);
    assert.match(readyEn.html, /<html lang="en">/);
    assert.match(readyEn.text, /Watch it: https?:\/\/[^\s/]+\/assets\//);
    noHangul(readyEn);
  });
});

describe('the rate limiter answers in the asked language', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      FRAMEHOUSE_RATE_LIMIT_PER_MINUTE: '2',
    });
  });
  after(async () => server?.stop());

  test('429 FH_ERR_RATE_LIMITED in Korean and in English', async () => {
    const answers = [];
    for (const language of [null, null, KOREAN, null]) {
      answers.push(
        await server.api<{ error: { code: string; message: string } }>('/v1/assets', {
          headers: language ? { 'accept-language': language } : {},
        }),
      );
    }
    const [, , ko, en] = answers;
    assert.equal(ko?.status, 429);
    assert.equal(en?.status, 429);
    assert.equal(ko?.body.error.code, 'FH_ERR_RATE_LIMITED');
    assert.equal(en?.body.error.code, 'FH_ERR_RATE_LIMITED');
    // The wait in seconds, as Retry-After says it (not the header's name).
    const seconds = ko?.headers.get('retry-after');
    assert.match(seconds ?? '', /^\d+$/);
    assert.equal(ko?.body.error.message, `요청이 너무 많습니다. ${seconds}초 후에 다시 시도하세요.`);
    assert.match(en?.body.error.message ?? '', /^Too many requests: try again in \d+ s\.$/);
  });
});
