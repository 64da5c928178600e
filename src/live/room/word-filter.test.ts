import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanMessage, cleanNickname } from './chat-text.ts';
import { WordFilter, wordFilterFor } from './word-filter.ts';

test('filtered words are masked with one * per character, case-insensitively', () => {
  const f = new WordFilter(['bad', 'Ärger']);
  assert.equal(f.mask('BAD day, bad idea'), '*** day, *** idea');
  assert.equal(f.mask('kein ÄRGER, kein ärger'), 'kein *****, kein *****');
});

test('Latin words match whole words only (no Scunthorpe problem)', () => {
  const f = new WordFilter(['ass']);
  assert.equal(f.mask('class assignment'), 'class assignment');
  assert.equal(f.mask('an ass.'), 'an ***.');
});

test('Korean words match with particles attached, and anywhere for CJK', () => {
  const f = new WordFilter(['바보', '馬鹿']);
  assert.equal(f.mask('너 바보야'), '너 **야');
  assert.equal(f.mask('바보가 왔다'), '**가 왔다');
  assert.equal(f.mask('この馬鹿者'), 'この**者');
});

test('regex characters in a word are taken literally; the operator list and the room list combine', () => {
  const f = wordFilterFor(['a.b'], ['c+']);
  assert.equal(f.mask('a.b axb c+ cc'), '*** axb ** cc');
  assert.equal(new WordFilter([]).mask('anything'), 'anything');
});

test('messages: trimmed NFC text; empty, too long and control characters refused', () => {
  assert.equal(cleanMessage('  hi  ', 10), 'hi');
  assert.equal(cleanMessage('e\u0301', 10), 'é');
  assert.equal(cleanMessage('👍👍', 2), '👍👍'); // code points, not UTF-16 units
  for (const bad of ['', '   ', 'a\nb', 'a\u0000b', 'a\u202eb', 'x'.repeat(11)])
    assert.throws(() => cleanMessage(bad, 10), { code: 'FH_ERR_CHAT_MESSAGE_INVALID' });
  assert.throws(() => cleanMessage(42, 10), { code: 'FH_ERR_CHAT_MESSAGE_INVALID' });
  // Markup is text: stored as sent (pages render it as text).
  assert.equal(cleanMessage('<b>hi</b>', 50), '<b>hi</b>');
});

test('nicknames: 1 to 32 characters, no control characters', () => {
  assert.equal(cleanNickname(' 민수 '), '민수');
  for (const bad of [undefined, '', '  ', 'x'.repeat(33), 'a\tb'])
    assert.throws(() => cleanNickname(bad), { code: 'FH_ERR_CHAT_NICKNAME_INVALID' });
});
