import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderQuotaMail, type UsageThresholdData } from './quota-mail.ts';

const mail = (data: Omit<UsageThresholdData, 'owner' | 'user_id'>, locale: 'en' | 'ko' = 'en') =>
  renderQuotaMail({
    to: 'ada@example.com',
    data: { owner: 'user:ada', user_id: 'ada', ...data },
    link: 'https://fh.example/settings',
    locale,
  });

test('quota mails say which quota, how much of it is used, and what happens at 100 %', () => {
  const storage = mail({
    quota: 'storage_bytes',
    level: 80,
    used: 8_400_000_000,
    limit: 10_000_000_000,
    period: 'current',
  });
  assert.equal(storage.subject, 'Storage: 80 % of your quota used');
  assert.match(
    storage.text,
    /^Your storage holds 8\.4 GB: 84 % of your quota of 10 GB\.\n\nAt 100 %, new uploads are refused/,
  );
  assert.match(storage.text, /See your usage: https:\/\/fh\.example\/settings/);
  assert.match(storage.html ?? '', /84 % of your quota of 10 GB/);

  const minutes = mail({
    quota: 'encoding_minutes_per_month',
    level: 100,
    used: 601.5,
    limit: 600,
    period: '2026-12',
  });
  assert.equal(minutes.subject, 'Encoding minutes: your quota is reached');
  assert.match(
    minutes.text,
    /You have used 601\.5 minutes of encoding in December 2026 \(UTC\): your quota of 600 minutes a month is reached\./,
  );
  assert.match(minutes.text, /refused until the month ends \(UTC\)/);

  const live = mail({ quota: 'live_streams', level: 100, used: 1, limit: 1, period: 'current' });
  assert.match(
    live.text,
    /^A publish to one of your live streams was refused: one of your live streams is already receiving one/,
  );
  assert.match(live.text, /the stream stays idle/);

  // The periodic check tells live streams 80 % at most, also with every allowed stream on air.
  const allOnAir = mail({ quota: 'live_streams', level: 80, used: 1, limit: 1, period: 'current' });
  assert.match(allOnAir.text, /^1 live stream of yours is receiving a publish: your quota is 1 at once\./);
  const four = mail({ quota: 'live_streams', level: 80, used: 4, limit: 5, period: 'current' });
  assert.match(four.text, /^4 live streams of yours are receiving a publish: your quota is 5 at once\./);
  // A share is never over 100 %, nor Infinity or NaN.
  const late = mail({ quota: 'storage_bytes', level: 80, used: 1_200, limit: 1_000, period: 'current' });
  assert.match(late.text, /: 100 % of your quota of 1 kB\./);
  const zero = mail({ quota: 'encoding_minutes_per_month', level: 80, used: 0, limit: 0, period: '2026-12' });
  assert.doesNotMatch(zero.text, /Infinity|NaN/);
});

test('in Korean: the same facts, sizes and months as Korean writes them', () => {
  const storage = mail(
    { quota: 'storage_bytes', level: 80, used: 8_400_000_000, limit: 10_000_000_000, period: 'current' },
    'ko',
  );
  assert.equal(storage.subject, '저장소: 할당량의 80%를 사용했습니다');
  assert.match(storage.text, /^저장소 사용량 8\.4GB: 할당량 10GB 중 84%를 사용했습니다\./);
  assert.match(storage.text, /사용량 보기: https:\/\/fh\.example\/settings/);
  assert.doesNotMatch(storage.text, /quota|storage/i);

  const minutes = mail(
    { quota: 'encoding_minutes_per_month', level: 100, used: 601.5, limit: 600, period: '2026-12' },
    'ko',
  );
  assert.equal(minutes.subject, '인코딩 시간: 할당량에 도달했습니다');
  assert.match(minutes.text, /^2026년 12월\(UTC\) 인코딩 사용량 601\.5분: 월 할당량 600분에 도달했습니다\./);

  const live = mail({ quota: 'live_streams', level: 80, used: 4, limit: 5, period: 'current' }, 'ko');
  assert.match(live.text, /^라이브 스트림 4개가 방송 중입니다: 동시 방송 할당량은 5개입니다\./);
});
