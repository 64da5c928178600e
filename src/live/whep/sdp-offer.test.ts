import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { announceAddress, chooseFromOffer } from './sdp-offer.ts';

// A recvonly audio + video offer of Debian's Chromium, as it makes it (test/live-whep.test.ts plays with it).
const CHROMIUM = readFileSync(new URL('./chromium-offer.fixture.sdp', import.meta.url), 'utf8');

const offer = (video: string[], audio: string[] = []) =>
  `${[
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'a=fingerprint:sha-256 AB:CD',
    ...(video.length
      ? [
          `m=video 9 UDP/TLS/RTP/SAVPF ${video
            .map((l) => /^a=rtpmap:(\d+)/.exec(l)?.[1])
            .filter(Boolean)
            .join(' ')}`,
          'a=ice-ufrag:abcd',
          'a=ice-pwd:efghijklmnopqrstuvwxyz',
          'a=mid:0',
          'a=recvonly',
          ...video,
        ]
      : []),
    ...(audio.length
      ? [
          'm=audio 9 UDP/TLS/RTP/SAVPF 111',
          'a=ice-ufrag:abcd',
          'a=ice-pwd:efghijklmnopqrstuvwxyz',
          'a=mid:1',
          'a=recvonly',
          ...audio,
        ]
      : []),
  ].join('\r\n')}\r\n`;

describe('chooseFromOffer', () => {
  it("answers Chromium's offer with High 4:4:4 Predictive (its only High-capable profile), packetization mode 1, and Opus", () => {
    const choice = chooseFromOffer(CHROMIUM);
    assert.ok(!('problem' in choice));
    assert.equal(choice.video?.profileLevelId, 'f4001f');
    assert.equal(choice.video?.exactProfile, true);
    assert.match(choice.video?.parameters ?? '', /packetization-mode=1/);
    assert.ok(choice.video?.feedback.includes('nack pli'));
    assert.equal(choice.audio?.payloadType, 111);
    assert.equal(choice.audio?.parameters, 'minptime=10;useinbandfec=1');
  });

  it('prefers Constrained High, then High, and falls back to Main and Baseline (flagged)', () => {
    const h264 = (pt: number, profile: string, mode = 1) => [
      `a=rtpmap:${pt} H264/90000`,
      `a=fmtp:${pt} level-asymmetry-allowed=1;packetization-mode=${mode};profile-level-id=${profile}`,
    ];
    const pick = (...codecs: string[][]) => {
      const c = chooseFromOffer(offer(codecs.flat()));
      return 'problem' in c
        ? c.problem
        : `${c.video?.payloadType}:${c.video?.profileLevelId}:${c.video?.exactProfile}`;
    };
    // Safari's pair.
    assert.equal(pick(h264(96, '42e01f'), h264(98, '640c1f')), '98:640c1f:true');
    assert.equal(pick(h264(96, '4d001f'), h264(97, '64001f'), h264(98, 'f4001f')), '97:64001f:true');
    assert.equal(pick(h264(96, '42001f'), h264(97, '4d001f')), '97:4d001f:false');
    assert.equal(pick(h264(96, '42001f'), h264(97, '42e01f')), '97:42e01f:false');
    // Packetization mode 0 cannot carry ffmpeg's fragmented slices.
    assert.match(pick(h264(96, '640c1f', 0)), /packetization mode 1/);
    assert.match(pick(['a=rtpmap:96 VP8/90000']), /H\.264/);
  });

  it('audio only, and offers that are not WebRTC offers', () => {
    const audioOnly = chooseFromOffer(offer([], ['a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10']));
    assert.ok(!('problem' in audioOnly));
    assert.equal(audioOnly.video, null);
    assert.equal(audioOnly.audio?.payloadType, 111);
    const problem = (sdp: string) => {
      const c = chooseFromOffer(sdp);
      return 'problem' in c ? c.problem : 'answered';
    };
    assert.match(problem(''), /not an SDP offer/);
    assert.match(problem('hello'), /not an SDP offer/);
    assert.match(problem('v=0\r\ns=-\r\n'), /no audio or video/);
    assert.match(problem(offer([], ['a=rtpmap:0 PCMU/8000'])), /Opus/);
    assert.match(problem(CHROMIUM.replace(/UDP\/TLS\/RTP\/SAVPF/g, 'RTP/AVP')), /not a WebRTC offer/);
    assert.match(problem(CHROMIUM.replace(/^a=fingerprint:.*$/gm, '')), /fingerprint/);
    assert.match(problem(`${CHROMIUM}${'a=x\r\n'.repeat(20_000)}`), /too large/);
  });
});

describe('announceAddress', () => {
  it('puts the public address in host candidates, ports kept; other lines untouched', () => {
    const answer = [
      'a=candidate:1 1 udp 2130706431 172.17.0.2 40012 typ host',
      'a=candidate:2 1 udp 2130706431 10.0.0.5 40013 typ host',
      'a=candidate:3 1 udp 1694498815 198.51.100.1 40012 typ srflx raddr 172.17.0.2 rport 40012',
      'c=IN IP4 172.17.0.2',
    ].join('\r\n');
    assert.equal(
      announceAddress(answer, '203.0.113.7'),
      [
        'a=candidate:1 1 udp 2130706431 203.0.113.7 40012 typ host',
        'a=candidate:2 1 udp 2130706431 203.0.113.7 40013 typ host',
        'a=candidate:3 1 udp 1694498815 198.51.100.1 40012 typ srflx raddr 172.17.0.2 rport 40012',
        'c=IN IP4 172.17.0.2',
      ].join('\r\n'),
    );
    assert.equal(announceAddress(answer, null), answer);
  });
});
