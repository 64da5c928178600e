import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_MESSAGES_KO } from '../i18n/error-messages.ko.ts';
import { renderBackupFailedMail } from './backup-mail.ts';

const data = {
  backup_id: 'bk1',
  trigger: 'schedule',
  started_at: '2026-12-03T02:00:00.000Z',
  error: { code: 'FH_ERR_BACKUP_TARGET', message: 'The bucket answered 403.' },
  verification_problems: ['hls/a/index.m3u8: checksum differs'],
};

test('a failed backup mail, in English and in Korean (the code in words, the time in UTC)', () => {
  const en = renderBackupFailedMail({
    to: 'admin@example.com',
    data,
    link: 'https://fh.example/admin/backups',
  });
  assert.equal(en.subject, 'Backup failed: FH_ERR_BACKUP_TARGET');
  assert.match(
    en.text,
    /^The scheduled backup \(bk1\), started December 3, 2026 at 2:00:00 AM UTC, failed: The bucket answered 403\./,
  );
  assert.match(en.text, /Its verification found: hls\/a\/index\.m3u8: checksum differs/);
  assert.match(en.html ?? '', /<html lang="en">/);

  const ko = renderBackupFailedMail({
    to: 'admin@example.com',
    data,
    link: 'https://fh.example/admin/backups',
    locale: 'ko',
  });
  assert.equal(ko.subject, '백업 실패: FH_ERR_BACKUP_TARGET');
  assert.ok(
    ko.text.startsWith(
      `예약된 백업(bk1, 시작: 2026년 12월 3일 오전 2시 0분 0초 UTC)이 실패했습니다: ${ERROR_MESSAGES_KO.FH_ERR_BACKUP_TARGET}`,
    ),
    ko.text,
  );
  assert.match(ko.text, /검증에서 발견된 문제: hls\/a\/index\.m3u8: checksum differs/);
  assert.match(ko.text, /백업 보기: https:\/\/fh\.example\/admin\/backups/);
  assert.match(ko.html ?? '', /<html lang="ko">/);
});
