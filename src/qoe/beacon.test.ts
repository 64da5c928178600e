import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../shared/errors.ts';
import { parseBeacon } from './beacon.ts';

const NOW = Date.now();

test('a beacon becomes a report (event beacon, sn -1); unknown keys are ignored', () => {
  const r = parseBeacon(
    JSON.stringify({
      sid: 'sess-1',
      cid: 'pb1',
      ts: NOW,
      video_width: 1280,
      video_height: 720,
      player_width: 1920,
      player_height: 1080,
      dropped_frames: 12,
      total_frames: 5400,
      exit: true,
      user_agent: 'ignored',
    }),
    NOW,
  );
  assert.deepEqual(r, {
    sid: 'sess-1',
    cid: 'pb1',
    report: {
      ts: NOW,
      sn: -1,
      event: 'beacon',
      state: null,
      data: {
        video_width: 1280,
        video_height: 720,
        player_width: 1920,
        player_height: 1080,
        dropped_frames: 12,
        total_frames: 5400,
        exit: true,
      },
    },
  });
  assert.deepEqual(parseBeacon(JSON.stringify({ sid: 's', cid: 'c', ts: NOW }), NOW).report.data, {});
});

test('invalid beacons are 400 FH_ERR_QOE_REPORT_INVALID with a reason', () => {
  const refused = (body: string) => {
    try {
      parseBeacon(body, NOW);
    } catch (err) {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'FH_ERR_QOE_REPORT_INVALID');
      return (err.details as { reason: string }).reason;
    }
    assert.fail(`accepted: ${body}`);
  };
  assert.equal(refused('{nope'), 'not JSON');
  assert.match(refused(JSON.stringify({ cid: 'c', ts: NOW })), /sid/);
  assert.match(refused(JSON.stringify({ sid: 'a b', cid: 'c', ts: NOW })), /sid/);
  assert.match(refused(JSON.stringify({ sid: 's', cid: 'c', ts: String(NOW) })), /ts/);
  assert.match(refused(JSON.stringify({ sid: 's', cid: 'c', ts: NOW - 2 * 86_400_000 })), /24 h/);
  assert.match(
    refused(JSON.stringify({ sid: 's', cid: 'c', ts: NOW, dropped_frames: -1 })),
    /dropped_frames/,
  );
  assert.match(refused(JSON.stringify({ sid: 's', cid: 'c', ts: NOW, video_width: 1.5 })), /video_width/);
  assert.match(refused(JSON.stringify({ sid: 's', cid: 'c', ts: NOW, exit: 'yes' })), /exit/);
  assert.match(refused(JSON.stringify([1])), /body/);
});
