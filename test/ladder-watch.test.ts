// The player's side of an early viewer's switch (web/src/player/ladder-watch.ts): plain functions,
// tested here with Node's runner like the rest (the browser test drives the whole of it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canJoin, Growth, parseMaster, parseMedia } from '../web/src/player/ladder-watch.ts';

const MASTER = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-START:TIME-OFFSET=0
#EXT-X-SESSION-DATA:DATA-ID="com.framehouse.ladder",VALUE="pending"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Default",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8?token=t"
#EXT-X-STREAM-INF:BANDWIDTH=1540000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=854x480,FRAME-RATE=30.000,AUDIO="audio"
480p/index.m3u8?token=t
#EXT-X-STREAM-INF:BANDWIDTH=583000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=428x240,FRAME-RATE=30.000,AUDIO="audio"
240p/index.m3u8?token=t
`;

test('reads the video rungs of a master playlist, and whether more are coming', () => {
  const m = parseMaster(MASTER, 'https://media.example/play/abc/master.m3u8?token=t');
  assert.deepEqual(m, {
    rungs: [
      { url: 'https://media.example/play/abc/480p/index.m3u8?token=t', height: 480 },
      { url: 'https://media.example/play/abc/240p/index.m3u8?token=t', height: 240 },
    ],
    pending: true,
  });
  const done = MASTER.replace(/#EXT-X-SESSION-DATA.*\n/, '');
  assert.equal(parseMaster(done, 'https://media.example/play/abc/master.m3u8').pending, false);
});

test('reads how much of a media playlist is there, and whether it is complete', () => {
  const event =
    '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXTINF:4.000000,\nseg_00000.m4s\n#EXTINF:4.000000,\nseg_00001.m4s\n';
  assert.deepEqual(parseMedia(event), { seconds: 8, ended: false, target: 4 });
  assert.equal(parseMedia(`${event}#EXT-X-ENDLIST\n`).ended, true);
});

test('the pace of a growing playlist is bounded from below by when it was seen to grow', () => {
  const g = new Growth();
  g.observe(8, 100); // first sight: it may have been there for long
  assert.equal(g.pace(2), null);
  g.observe(8, 102);
  g.observe(12, 104); // grew somewhere in (102, 104]
  assert.equal(g.pace(2), null, 'one growth says nothing about the pace');
  g.observe(16, 106);
  g.observe(20, 108);
  // 8 s of media between the first and last growth seen, 4 s apart, ±2 s of polling.
  assert.equal(g.pace(2), 8 / 6);
});

test('the player joins rungs being encoded only where it would not catch up with them', () => {
  const at = { position: 20, duration: 60, target: 4 };
  assert.equal(canJoin({ ...at, published: 21, ended: true, pace: null }), true, 'complete rungs');
  assert.equal(canJoin({ ...at, published: 40, ended: false, pace: null }), false, 'pace unknown yet');
  // 2× realtime and 20 s ahead: the rest is done in 10 s, long before the player gets there.
  assert.equal(canJoin({ ...at, published: 40, ended: false, pace: 2 }), true);
  // Only 6 s ahead: the next segment (2 s of encoding) could come after the player reloads its playlist.
  assert.equal(canJoin({ ...at, published: 26, ended: false, pace: 2 }), false);
  // Slower than realtime: 24 s left at 0.8× takes 30 s, the player reaches the end in 40 s: fine…
  assert.equal(canJoin({ ...at, published: 36, ended: false, pace: 0.8 }), true);
  // …but at 0.6× it takes 40 s: the player would wait near the end.
  assert.equal(canJoin({ ...at, published: 36, ended: false, pace: 0.6 }), false);
});
