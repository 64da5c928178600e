import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildMasterPlaylist,
  finalizePlaylist,
  measureBandwidth,
  parseMediaPlaylist,
} from './hls-playlists.ts';

const FFMPEG_PLAYLIST = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="init_0.mp4"
#EXTINF:4.000000,
seg_00000.m4s
#EXTINF:2.500000,
seg_00001.m4s
`;

test('parses an in-progress ffmpeg playlist', () => {
  const p = parseMediaPlaylist(FFMPEG_PLAYLIST);
  assert.equal(p.initUri, 'init_0.mp4');
  assert.deepEqual(p.segments, [
    { uri: 'seg_00000.m4s', duration: 4 },
    { uri: 'seg_00001.m4s', duration: 2.5 },
  ]);
  assert.equal(p.ended, false);
  assert.equal(
    finalizePlaylist(FFMPEG_PLAYLIST),
    FFMPEG_PLAYLIST.replace('EVENT\n', 'EVENT\n#EXT-X-START:TIME-OFFSET=0\n'),
    'an unfinished playlist stays EVENT, played from its start rather than its growing end',
  );
});

test('a finished playlist becomes VOD', () => {
  const done = `${FFMPEG_PLAYLIST}#EXT-X-ENDLIST\n`;
  assert.equal(parseMediaPlaylist(done).ended, true);
  assert.match(finalizePlaylist(done), /#EXT-X-PLAYLIST-TYPE:VOD/);
});

test('master playlist with an audio group', () => {
  const text = buildMasterPlaylist(
    [
      {
        name: '720p',
        width: 1280,
        height: 720,
        fps: 30,
        bandwidth: 3_000_000,
        averageBandwidth: 2_000_000,
        codecs: 'avc1.64001f',
      },
    ],
    { name: 'audio', codecs: 'mp4a.40.2', channels: 2, bandwidth: 140_000 },
  );
  assert.equal(
    text,
    [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Default",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=3140000,AVERAGE-BANDWIDTH=2140000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO="audio"',
      '720p/index.m3u8',
      '',
    ].join('\n'),
  );
});

test('a master playlist with rungs being encoded starts players at the beginning, and says when more will come', () => {
  const video = [
    { name: '240p', width: 426, height: 240, fps: 30, bandwidth: 440_000, codecs: 'avc1.64001e' },
  ];
  const head = (text: string) => text.split('\n').slice(3, -3);
  assert.deepEqual(head(buildMasterPlaylist(video, null, { encoding: true, moreRungs: true })), [
    '#EXT-X-START:TIME-OFFSET=0',
    '#EXT-X-SESSION-DATA:DATA-ID="com.framehouse.ladder",VALUE="pending"',
  ]);
  assert.deepEqual(head(buildMasterPlaylist(video, null, { encoding: true })), [
    '#EXT-X-START:TIME-OFFSET=0',
  ]);
  assert.deepEqual(head(buildMasterPlaylist(video, null, { moreRungs: true })), [
    '#EXT-X-SESSION-DATA:DATA-ID="com.framehouse.ladder",VALUE="pending"',
  ]);
  assert.deepEqual(head(buildMasterPlaylist(video, null)), [], 'a complete ladder is plain on-demand');
});

test('audio-only master playlist', () => {
  const text = buildMasterPlaylist([], {
    name: 'audio',
    codecs: 'mp4a.40.2',
    channels: 2,
    bandwidth: 140_000,
  });
  assert.match(text, /#EXT-X-STREAM-INF:BANDWIDTH=140000,CODECS="mp4a.40.2"\naudio\/index.m3u8/);
  assert.doesNotMatch(text, /EXT-X-MEDIA/);
});

test('bandwidth from segment sizes ignores a short last segment for the peak', () => {
  const m = measureBandwidth([
    { bytes: 500_000, duration: 4 },
    { bytes: 1_000_000, duration: 4 },
    { bytes: 400_000, duration: 0.2 },
  ]);
  assert.equal(m.peak, 2_000_000);
  assert.equal(Math.round(m.average), Math.round((1_900_000 * 8) / 8.2));
});
