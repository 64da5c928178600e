import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cue } from './caption-file.ts';
import {
  CAPTION_CHARACTERISTICS,
  segmentDurations,
  subtitleMediaPlaylist,
  subtitleSegment,
  withSubtitleRenditions,
} from './hls-subtitles.ts';

const MASTER = [
  '#EXTM3U',
  '#EXT-X-VERSION:7',
  '#EXT-X-INDEPENDENT-SEGMENTS',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Default",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"',
  '#EXT-X-STREAM-INF:BANDWIDTH=900000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25.000,AUDIO="audio"',
  '360p/index.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=500000,CODECS="avc1.640015,mp4a.40.2",RESOLUTION=426x240,FRAME-RATE=25.000,AUDIO="audio"',
  '240p/index.m3u8',
  '',
].join('\n');

const cue = (start: number, end: number, text: string): Cue => ({ id: '', start, end, settings: '', text });

describe('subtitle renditions in HLS', () => {
  it('adds one EXT-X-MEDIA per track before the variants, and the group to every variant', () => {
    const out = withSubtitleRenditions(MASTER, [
      { id: 'trken0001', kind: 'subtitles', language: 'en', name: 'English', isDefault: true },
      { id: 'trkko0001', kind: 'captions', language: 'ko', name: '한국어 (CC)', isDefault: false },
    ]);
    const lines = out.split('\n');
    assert.equal(
      lines[4],
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,FORCED=NO,URI="subs/trken0001/index.m3u8"',
    );
    assert.equal(
      lines[5],
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="한국어 (CC)",LANGUAGE="ko",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,CHARACTERISTICS="${CAPTION_CHARACTERISTICS}",URI="subs/trkko0001/index.m3u8"`,
    );
    const variants = lines.filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    assert.equal(variants.length, 2);
    for (const v of variants) assert.match(v, /,AUDIO="audio",SUBTITLES="subs"$/);
    // Everything else as it was.
    assert.equal(
      out.replace(/,SUBTITLES="subs"/g, '').replace(/#EXT-X-MEDIA:TYPE=SUBTITLES[^\n]*\n/g, ''),
      MASTER,
    );
  });

  it('leaves a master without tracks as it is, and also marks an audio-only variant', () => {
    assert.equal(withSubtitleRenditions(MASTER, []), MASTER);
    const audioOnly =
      '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=140000,CODECS="mp4a.40.2"\naudio/index.m3u8\n';
    const out = withSubtitleRenditions(audioOnly, [
      { id: 'trk000001', kind: 'subtitles', language: 'en', name: 'English', isDefault: false },
    ]);
    assert.match(
      out,
      /#EXT-X-MEDIA:TYPE=SUBTITLES[^\n]*\n#EXT-X-STREAM-INF:BANDWIDTH=140000,CODECS="mp4a.40.2",SUBTITLES="subs"\n/,
    );
  });

  it('cuts the track into segments as long as the video target duration', () => {
    assert.deepEqual(segmentDurations(10, 4), [4, 4, 2]);
    assert.deepEqual(segmentDurations(8, 4), [4, 4]);
    assert.deepEqual(segmentDurations(0.5, 4), [0.5]);
    assert.equal(
      subtitleMediaPlaylist(10, 4),
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXTINF:4.000,',
        'seg_00000.vtt',
        '#EXTINF:4.000,',
        'seg_00001.vtt',
        '#EXTINF:2.000,',
        'seg_00002.vtt',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });

  it('puts each cue in every segment it shows in, overlapping ones too, with the video clock in X-TIMESTAMP-MAP', () => {
    const captions = {
      regions: [],
      cues: [cue(1, 6, 'Across a boundary'), cue(2, 3, 'Over the first'), cue(9, 12, 'Past the end')],
    };
    const seg = (i: number) => subtitleSegment(captions, i, 10, 4, 7200);
    assert.equal(
      seg(0),
      'WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:7200,LOCAL:00:00:00.000\n\n' +
        '00:00:01.000 --> 00:00:06.000\nAcross a boundary\n\n00:00:02.000 --> 00:00:03.000\nOver the first\n',
    );
    assert.equal(
      seg(1),
      'WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:7200,LOCAL:00:00:00.000\n\n00:00:01.000 --> 00:00:06.000\nAcross a boundary\n',
    );
    // The last segment takes what runs past the video's end.
    assert.match(seg(2), /00:00:09.000 --> 00:00:12.000\nPast the end\n$/);
    const empty = subtitleSegment({ regions: [], cues: [cue(1, 2, 'Early')] }, 1, 10, 4, 0);
    assert.equal(empty, 'WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n');
  });
});
