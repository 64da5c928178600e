import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLiveFile, prefixMaster } from './live-origin.ts';

test('live file names: playlists, init segments, segments and parts, nothing else', () => {
  assert.deepEqual(parseLiveFile('index.m3u8'), { kind: 'playlist' });
  assert.deepEqual(parseLiveFile('init_3.mp4'), { kind: 'init', id: 3 });
  assert.deepEqual(parseLiveFile('seg_120.m4s'), { kind: 'segment', msn: 120 });
  assert.deepEqual(parseLiveFile('part_120_5.m4s'), { kind: 'part', msn: 120, part: 5 });
  for (const bad of [
    '',
    'index.m3u',
    '../index.m3u8',
    'seg_-1.m4s',
    'part_1.m4s',
    'seg_1.m4s?x',
    'seg_1234567890123.m4s',
    'init_x.mp4',
  ])
    assert.equal(parseLiveFile(bad), null, bad);
});

test('the master playlist names renditions under the broadcast, tags untouched', () => {
  const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1.64001f"\n360p/index.m3u8\n';
  assert.equal(
    prefixMaster(master, 'b1234567'),
    '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1.64001f"\nlive/b1234567/360p/index.m3u8\n',
  );
});
