import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accountChatName, cleanNickname } from './chat-text.ts';

test("an account's chat name is cleaned like a nickname, never refused, with fallbacks", () => {
  assert.equal(accountChatName('  Ann  ', 'ann@example.com'), 'Ann');
  // Bidi overrides and control characters are removed (a nickname with them would be refused).
  assert.equal(accountChatName('\u202eevil\u202c\nname', 'x@example.com'), 'evilname');
  assert.throws(() => cleanNickname('\u202eevil'));
  // 32 code points at most, an emoji never cut in half.
  const long = `${'a'.repeat(31)}😀😀`;
  const cut = accountChatName(long, 'x@example.com');
  assert.equal([...cut].length, 32);
  assert.equal(cut, `${'a'.repeat(31)}😀`);
  assert.equal(accountChatName('a'.repeat(31) + '😀'.repeat(3), null).length, 33); // 31 + one pair
  // Nothing left: the e-mail's local part (cleaned), then `viewer`.
  assert.equal(accountChatName('\u202e\u202c  ', 'bob.smith@example.com'), 'bob.smith');
  assert.equal(accountChatName(null, '\u0007@example.com'), 'viewer');
  assert.equal(accountChatName('x'.repeat(200), 'a@b'), 'x'.repeat(32));
});
