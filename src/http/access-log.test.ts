import assert from 'node:assert/strict';
import { test } from 'node:test';
import { urlForLog } from './access-log.ts';

test('credentials in a query string never reach the log', () => {
  assert.equal(
    urlForLog('/play/abc/master.m3u8?token=eyJ.x.y&CMCD=br%3D1'),
    '/play/abc/master.m3u8?token=redacted&CMCD=br%3D1',
  );
  assert.equal(urlForLog('/img/x?a=1&signature=zz'), '/img/x?a=1&signature=redacted');
  assert.equal(urlForLog('/v1/assets/abc'), '/v1/assets/abc');
  assert.equal(urlForLog('/x?TOKEN=a#frag'), '/x?TOKEN=redacted#frag');
});
