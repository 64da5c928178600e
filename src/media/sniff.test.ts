import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sniffContainer, sniffPlaylist } from './sniff.ts';

const text = (s: string) => Buffer.from(s, 'utf8');
const bytes = (hex: string, pad = 0) => Buffer.concat([Buffer.from(hex, 'hex'), Buffer.alloc(pad, 0x11)]);

describe('sniffPlaylist', () => {
  it('recognises playlists and reference lists', () => {
    assert.equal(sniffPlaylist(text('#EXTM3U\n#EXT-X-VERSION:3\n')), 'hls');
    assert.equal(sniffPlaylist(text('\n\n#EXTINF:10,\nhttp://x/a.ts\n')), 'hls');
    assert.equal(sniffPlaylist(text('ffconcat version 1.0\n')), 'concat');
    assert.equal(sniffPlaylist(text('[playlist]\nFile1=http://x\n')), 'pls');
    assert.equal(sniffPlaylist(text('<?xml version="1.0"?><MPD>')), 'dash');
    assert.equal(sniffPlaylist(text('<smil><body/></smil>')), 'smil');
    assert.equal(sniffPlaylist(text('<?xml version="1.0"?>\n<CompositionPlaylist xmlns="x">')), 'imf');
    assert.equal(sniffPlaylist(text('C:\\music\\a.mp3\nrtmp://host/live\n')), 'url-list');
  });

  it('leaves other text and binary files to ffprobe', () => {
    assert.equal(sniffPlaylist(text('Dear diary, today I uploaded a video.\n')), null);
    assert.equal(sniffPlaylist(text('<?xml version="1.0"?><svg/>')), null);
    assert.equal(sniffPlaylist(Buffer.alloc(0)), null);
    // A binary file that happens to contain the marker is not a playlist.
    assert.equal(sniffPlaylist(Buffer.concat([bytes('000000186674797069736f6d'), text('#EXTM3U')])), null);
  });
});

describe('sniffContainer', () => {
  it('recognises container signatures', () => {
    assert.equal(sniffContainer(bytes('000000186674797069736f6d', 8)), 'isobmff');
    assert.equal(sniffContainer(bytes('1a45dfa3', 8)), 'matroska');
    assert.equal(sniffContainer(text('RIFF\0\0\0\0AVI LIST')), 'riff');
    assert.equal(sniffContainer(text('OggS\0\x02')), 'ogg');
    assert.equal(sniffContainer(text('ID3\x03\0')), 'id3');
    assert.equal(sniffContainer(bytes('fffb9064', 8)), 'mpeg-audio'); // MPEG-1 layer III, 128k, 44.1k
    assert.equal(sniffContainer(bytes('fff15080', 8)), 'mpeg-audio'); // ADTS AAC
    const ts = Buffer.alloc(188 * 3, 0xff);
    for (const at of [0, 188, 376]) ts[at] = 0x47;
    assert.equal(sniffContainer(ts), 'mpegts');
  });

  it('does not see a container in text or noise', () => {
    assert.equal(sniffContainer(text('hello world, this is text')), null);
    assert.equal(sniffContainer(bytes('fffffc00', 8)), null); // sync bits, but a forbidden bitrate index
    assert.equal(sniffContainer(bytes('474747')), null);
  });
});
