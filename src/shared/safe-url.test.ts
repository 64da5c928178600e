import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assertSafeUrl,
  isPublicAddress,
  parseHttpUrl,
  pinnedLookup,
  resolveHost,
  UnsafeUrlError,
} from './safe-url.ts';

test('only global unicast addresses are public', () => {
  for (const a of ['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111']) assert.ok(isPublicAddress(a), a);
  for (const a of [
    '127.0.0.1',
    '127.8.9.10',
    '::1',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.0.1',
    '169.254.169.254', // cloud metadata
    'fe80::1',
    'fd12:3456::1',
    '100.64.0.1',
    '0.0.0.0',
    '::',
    '224.0.0.1',
    '255.255.255.255',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '2001:db8::1',
  ])
    assert.ok(!isPublicAddress(a), a);
});

test('URLs: http(s) only, no credentials', () => {
  assert.equal(parseHttpUrl('https://cdn.example/a.mp4').hostname, 'cdn.example');
  for (const raw of ['ftp://x/y', 'file:///etc/passwd', 'javascript:alert(1)', 'nope', 'https://u:p@x/'])
    assert.throws(() => parseHttpUrl(raw), UnsafeUrlError, raw);
});

test('resolveHost: one non-public answer refuses the name; an allow rule may admit named addresses', async () => {
  const answers =
    (...as: string[]) =>
    async () =>
      as.map((address) => ({ address, family: 4 as const }));
  await assert.rejects(
    resolveHost('mixed.test', false, answers('93.184.216.34', '10.0.0.1')),
    (e: unknown) => e instanceof UnsafeUrlError && e.reason === 'address',
  );
  await assert.rejects(
    resolveHost('nothing.test', false, answers()),
    (e: unknown) => e instanceof UnsafeUrlError && e.reason === 'unresolved',
  );
  assert.deepEqual(await resolveHost('[::1]', true), [{ address: '::1', family: 6 }]);
  const nas = (a: string) => a === '10.0.0.5';
  assert.deepEqual(await resolveHost('10.0.0.5', nas), [{ address: '10.0.0.5', family: 4 }]);
  await assert.rejects(resolveHost('10.0.0.6', nas), UnsafeUrlError);
  // The webhook check (boolean) is unchanged: private names pass only when allowed outright.
  await assert.rejects(assertSafeUrl('http://127.0.0.1:9/', false), UnsafeUrlError);
  assert.equal((await assertSafeUrl('http://127.0.0.1:9/', true)).port, '9');
});

test('a pinned lookup answers the checked address, whatever is asked', async () => {
  const lookup = pinnedLookup({ address: '203.0.113.9', family: 4 });
  const one = await new Promise((r) =>
    lookup('anything.test', {}, (_e, address, family) => r([address, family])),
  );
  assert.deepEqual(one, ['203.0.113.9', 4]);
  const all = await new Promise((r) => lookup('anything.test', { all: true }, (_e, list) => r(list)));
  assert.deepEqual(all, [{ address: '203.0.113.9', family: 4 }]);
});
