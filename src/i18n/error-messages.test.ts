import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODES } from '../shared/errors.ts';
import { ERROR_MESSAGES_KO } from './error-messages.ko.ts';
import { errorMessage, recordedErrorText } from './error-messages.ts';
import { textFormat } from './format.ts';
import { mailMessages } from './mail-messages.ts';

const quota = (details: unknown) => errorMessage('FH_ERR_QUOTA_EXCEEDED', 'ko', 'English text', { details });

test('a Korean quota refusal is chosen by the quota its details name, with the numbers', () => {
  const t = mailMessages('ko').quota;
  // Storage, an upload that would not fit.
  assert.equal(
    quota({ quota: 'storage_bytes', limit: 10e9, used: 8.4e9, requested: 2e9 }),
    `이 업로드(2GB)를 받으면 저장소 할당량을 초과하게 됩니다(사용량 8.4GB, 할당량 10GB). ${t.adminCanRaise}`,
  );
  // Storage full (a deferred length, a URL import: nothing requested known).
  assert.equal(
    quota({ quota: 'storage_bytes', limit: 10e9, used: 10e9, requested: null }),
    `저장소 사용량 10GB: 할당량 10GB에 도달했습니다. ${t.whenFull.storage_bytes}`,
  );
  // Encoding minutes: this month's, and what happens until it ends (the mails' words).
  const month = textFormat('ko').month(new Date().toISOString().slice(0, 7));
  assert.equal(
    quota({ quota: 'encoding_minutes_per_month', limit: 600, used: 601.5, requested: null }),
    `${month}(UTC) 인코딩 사용량 601.5분: 월 할당량 600분에 도달했습니다. ${t.whenFull.encoding_minutes_per_month}`,
  );
  assert.match(t.whenFull.encoding_minutes_per_month, /그달이 끝나거나/);
  // Live streams on air at once.
  assert.equal(
    quota({ quota: 'live_streams', limit: 2, used: 2, requested: 1 }),
    '라이브 스트림 방송이 거부되었습니다: 이미 라이브 스트림 2개가 방송 중이며, 동시 방송 할당량은 2개입니다.',
  );
  // Details that are not a quota's: the code's message.
  for (const details of [
    undefined,
    null,
    {},
    { quota: 'bananas', limit: 1, used: 1 },
    { quota: 'live_streams' },
  ])
    assert.equal(quota(details), ERROR_MESSAGES_KO.FH_ERR_QUOTA_EXCEEDED, JSON.stringify(details));
  assert.match(ERROR_MESSAGES_KO.FH_ERR_QUOTA_EXCEEDED, /초과하게 됩니다/);
  // English is the message raised (quota-rules' refusalMessage), whatever the details.
  assert.equal(
    errorMessage('FH_ERR_QUOTA_EXCEEDED', 'en', 'English text', {
      details: { quota: 'live_streams', limit: 1, used: 1 },
    }),
    'English text',
  );
});

test('a Korean rate limit says how many seconds to wait; the header name never', () => {
  assert.equal(
    errorMessage('FH_ERR_RATE_LIMITED', 'ko', undefined, { retryAfter: 42 }),
    '요청이 너무 많습니다. 42초 후에 다시 시도하세요.',
  );
  assert.equal(
    errorMessage('FH_ERR_RATE_LIMITED', 'ko', undefined, { retryAfter: 1.2 }),
    '요청이 너무 많습니다. 2초 후에 다시 시도하세요.',
  );
  for (const retryAfter of [undefined, null, 0]) {
    const text = errorMessage('FH_ERR_RATE_LIMITED', 'ko', undefined, { retryAfter });
    assert.equal(text, ERROR_MESSAGES_KO.FH_ERR_RATE_LIMITED);
  }
  assert.doesNotMatch(ERROR_MESSAGES_KO.FH_ERR_RATE_LIMITED, /Retry-After/);
  assert.equal(
    errorMessage('FH_ERR_RATE_LIMITED', 'en', 'Too many requests: try again in 42 s.', { retryAfter: 42 }),
    'Too many requests: try again in 42 s.',
  );
});

test('a recorded error: a registered code in the reader’s language, else the recorded text', () => {
  assert.equal(
    recordedErrorText('FH_ERR_NOT_MEDIA', 'ffprobe found no stream', 'ko'),
    ERROR_MESSAGES_KO.FH_ERR_NOT_MEDIA,
  );
  assert.equal(
    recordedErrorText('FH_ERR_NOT_MEDIA', 'ffprobe found no stream', 'en'),
    'ffprobe found no stream',
  );
  assert.equal(recordedErrorText('FH_ERR_NOT_MEDIA', '', 'en'), ERROR_CODES.FH_ERR_NOT_MEDIA.message);
  assert.equal(recordedErrorText('FH_ERR_NOT_MEDIA', null, 'en'), ERROR_CODES.FH_ERR_NOT_MEDIA.message);
  assert.equal(recordedErrorText('EACCES', 'permission denied', 'ko'), 'permission denied');
  assert.equal(recordedErrorText(undefined, 'disk full', 'ko'), 'disk full');
  // Not a registry entry, though an own property of every object.
  assert.equal(recordedErrorText('constructor', 'odd', 'ko'), 'odd');
  assert.equal(recordedErrorText(null, null, 'ko'), undefined);
  assert.equal(recordedErrorText(undefined, '', 'en'), undefined);
});

test('Korean catalogue wording: 동영상 (never bare 영상), expired links, fMP4', () => {
  const texts = [
    ...Object.values(ERROR_MESSAGES_KO),
    JSON.stringify(mailMessages('ko'), (_k, v) => (typeof v === 'function' ? String(v) : v)),
  ];
  for (const text of texts) assert.doesNotMatch(text, /(^|[^동])영상/, text.slice(0, 80));
  assert.equal(ERROR_MESSAGES_KO.FH_ERR_PLAYBACK_NOT_FOUND, '이 재생 ID를 찾을 수 없습니다.');
  assert.equal(
    ERROR_MESSAGES_KO.FH_ERR_LIVE_MEDIA_INVALID,
    '라이브 인코더가 보낸 fMP4(fragmented MP4)를 읽을 수 없어 스트림을 멈췄습니다.',
  );
  assert.match(ERROR_MESSAGES_KO.FH_ERR_PLAYBACK_TOKEN_NOT_RENEWABLE, /링크가 만료되었습니다/);
});

test('Korean mail wording', () => {
  const t = mailMessages('ko');
  assert.equal(t.asset.failed('Notes', null), '"Notes" 처리에 실패했습니다.');
  assert.equal(t.asset.failed('Notes', '손상됨'), '"Notes" 처리에 실패했습니다: 손상됨');
  assert.equal(t.signIn.subject, '새 로그인 알림: Framehouse 계정');
  assert.equal(
    t.signIn.happened({ email: 'a@b.kr', when: '오늘', address: '203.0.113.9', agent: 'Firefox' }),
    '오늘에 203.0.113.9에서 a@b.kr 계정으로 로그인했습니다 (Firefox).',
  );
  assert.equal(
    t.signIn.happened({ email: 'a@b.kr', when: '오늘', address: null, agent: null }),
    '오늘에 알 수 없는 주소에서 a@b.kr 계정으로 로그인했습니다.',
  );
  assert.match(t.signIn.footer, /사용하고 있을지도 모를 때/);
  const backup = (id: string | null, started: string | null) =>
    t.backupFailed.happened({ fromCli: false, id, started, reason: '이유' });
  assert.equal(backup('bk1', '어제'), '예약된 백업(bk1, 시작: 어제)이 실패했습니다: 이유');
  assert.equal(backup('bk1', null), '예약된 백업(bk1)이 실패했습니다: 이유');
  assert.equal(backup(null, '어제'), '예약된 백업(시작: 어제)이 실패했습니다: 이유');
  assert.equal(backup(null, null), '예약된 백업이 실패했습니다: 이유');
  // The quota mails' "At 100 %" sentences are built from the same words the API refusal uses.
  assert.equal(
    t.quota.atTheLimit(t.quota.whenFull.live_streams),
    `100%가 되면 ${t.quota.whenFull.live_streams}`,
  );
  const en = mailMessages('en').quota;
  assert.equal(
    en.atTheLimit(en.whenFull.storage_bytes),
    'At 100 %, new uploads are refused until you free some space (delete assets, empty the trash) or an administrator raises your quota.',
  );
});
