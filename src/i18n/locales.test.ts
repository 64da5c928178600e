import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACCEPT_LANGUAGE_READ, accountLocale, localeFromAcceptLanguage } from './locales.ts';

test('Accept-Language → the language we speak that it prefers, English otherwise', () => {
  const cases: Array<[string | string[] | undefined, 'en' | 'ko']> = [
    [undefined, 'en'],
    ['', 'en'],
    ['ko', 'ko'],
    ['KO', 'ko'],
    ['ko-KR', 'ko'],
    ['ko-KR,ko;q=0.9', 'ko'],
    ['ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7', 'ko'],
    ['en-US,en;q=0.9,ko;q=0.8', 'en'],
    ['fr-FR,fr;q=0.9,ko;q=0.5', 'ko'],
    ['fr', 'en'],
    ['fr-FR,fr;q=0.9,de;q=0.5', 'en'],
    // Anything: English, the default.
    ['*', 'en'],
    // Korean refused outright.
    ['ko;q=0', 'en'],
    ['ko;q=0,fr', 'en'],
    // Languages whose tags merely contain the letters.
    ['kok', 'en'],
    ['tokipona', 'en'],
    // Several header lines (Node gives an array when a client repeats the header).
    [['fr', 'ko;q=0.5'], 'ko'],
    [['en', 'ko;q=0.5'], 'en'],
    [[], 'en'],
  ];
  for (const [header, expected] of cases)
    assert.equal(localeFromAcceptLanguage(header), expected, JSON.stringify(header));
});

test('a long header is read only up to its first whole tags within the limit', () => {
  // A 10 KB header that asks for Korean first: still Korean.
  const filler = Array.from({ length: 3500 }, (_, i) => `x${i % 10}`).join(',');
  const koFirst = `ko-KR,ko;q=0.9,${filler}`;
  assert.ok(koFirst.length > 10_000);
  assert.equal(localeFromAcceptLanguage(koFirst), 'ko');
  // Korean named only after 300 characters of other tags: not read, so English.
  const others = Array.from({ length: 100 }, () => 'fr').join(',');
  assert.ok(others.length >= 299 && others.length > ACCEPT_LANGUAGE_READ);
  assert.equal(localeFromAcceptLanguage(`${others},ko`), 'en');
  assert.equal(localeFromAcceptLanguage(`${others}${filler},ko`), 'en');
  // Within the limit it is heard.
  assert.equal(localeFromAcceptLanguage(`${others.slice(0, 200)},ko`), 'ko');
  // A cut never leaves part of a tag: 'kok' (Konkani) across the limit is not 'ko'.
  const pad = 'x'.repeat(ACCEPT_LANGUAGE_READ - 3);
  assert.equal(localeFromAcceptLanguage(`${pad},kok`), 'en');
});

test("an account's stored language, English when none or unknown", () => {
  assert.equal(accountLocale('ko'), 'ko');
  assert.equal(accountLocale('en'), 'en');
  assert.equal(accountLocale(null), 'en');
  assert.equal(accountLocale(undefined), 'en');
  assert.equal(accountLocale('fr'), 'en');
});
