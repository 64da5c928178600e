import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addToken, tokenizePlaylist, tokenizeStoryboard } from './signed-urls.ts';

test('a token joins every URI of a master and a media playlist, and nothing else', () => {
  const master = [
    '#EXTM3U',
    '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="audio",URI="audio/index.m3u8"',
    '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,AUDIO="aud"',
    '360p/index.m3u8',
    '',
  ].join('\n');
  assert.equal(
    tokenizePlaylist(master, 'a.b.c'),
    [
      '#EXTM3U',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="audio",URI="audio/index.m3u8?token=a.b.c"',
      '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,AUDIO="aud"',
      '360p/index.m3u8?token=a.b.c',
      '',
    ].join('\n'),
  );
  const media =
    '#EXTM3U\r\n#EXT-X-MAP:URI="init_0.mp4"\r\n#EXTINF:4.0,\r\nseg_00000.m4s\r\n#EXT-X-ENDLIST\r\n';
  assert.equal(
    tokenizePlaylist(media, 't'),
    '#EXTM3U\r\n#EXT-X-MAP:URI="init_0.mp4?token=t"\r\n#EXTINF:4.0,\r\nseg_00000.m4s?token=t\r\n#EXT-X-ENDLIST\r\n',
  );
});

test('query strings and fragments are kept', () => {
  assert.equal(addToken('thumb.jpg?width=160', 't'), 'thumb.jpg?width=160&token=t');
  assert.equal(addToken('storyboard.jpg#xywh=0,0,160,90', 't'), 'storyboard.jpg?token=t#xywh=0,0,160,90');
  assert.equal(
    tokenizeStoryboard('WEBVTT\n\n00:00.000 --> 00:04.000\nstoryboard.jpg#xywh=0,0,160,90\n', 't'),
    'WEBVTT\n\n00:00.000 --> 00:04.000\nstoryboard.jpg?token=t#xywh=0,0,160,90\n',
  );
});
