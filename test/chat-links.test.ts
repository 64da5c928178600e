// Which parts of a chat message become links (web/src/room/links.ts): http(s) only, never a
// script or data URL, and not the full stop after a URL. The browser test checks the rendering.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitLinks } from '../web/src/room/links.ts';

test('http and https URLs become links; the rest stays text', () => {
  assert.deepEqual(splitLinks('see https://shop.example/a?b=1 now'), [
    { text: 'see ' },
    { text: 'https://shop.example/a?b=1', href: 'https://shop.example/a?b=1' },
    { text: ' now' },
  ]);
  assert.deepEqual(splitLinks('http://x.example.'), [
    { text: 'http://x.example', href: 'http://x.example/' },
    { text: '.' },
  ]);
  assert.deepEqual(splitLinks('(https://a.example/x), and'), [
    { text: '(' },
    { text: 'https://a.example/x', href: 'https://a.example/x' },
    { text: '), and' },
  ]);
});

test('no other scheme is linked, and markup is only text', () => {
  for (const text of [
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'ftp://files.example/x',
    '<a href="https://evil.example">x</a>',
  ]) {
    const parts = splitLinks(text);
    for (const p of parts) if ('href' in p) assert.match(p.href, /^https?:\/\//, text);
    assert.equal(parts.map((p) => p.text).join(''), text, 'nothing is lost or added');
  }
  assert.deepEqual(splitLinks('plain words'), [{ text: 'plain words' }]);
  // A "URL" that URL cannot parse stays text.
  assert.deepEqual(splitLinks('http://[bad'), [{ text: 'http://[bad' }]);
});
