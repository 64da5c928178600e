import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRecordingArgs, concatList, recordingRuns } from './recording-file.ts';

test('segments are grouped into runs that share an init segment, in msn order', () => {
  const seg = (msn: number, initId: number) => ({ msn, initId, objectKey: `k${msn}` });
  const runs = recordingRuns([seg(3, 1), seg(0, 0), seg(1, 0), seg(2, 1), seg(4, 2)]);
  assert.deepEqual(
    runs.map((r) => r.map((s) => s.msn)),
    [[0, 1], [2, 3], [4]],
  );
});

test('the join is a copy through the concat demuxer, local files only', () => {
  assert.deepEqual(buildRecordingArgs('/w/runs.txt', '/w/out.mp4'), [
    '-nostdin',
    '-hide_banner',
    '-y',
    '-v',
    'error',
    '-protocol_whitelist',
    'file',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    'file:/w/runs.txt',
    '-map',
    '0:v:0?',
    '-map',
    '0:a:0?',
    '-c',
    'copy',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    '/w/out.mp4',
  ]);
  assert.equal(concatList(['/w/run-0.mp4', "/w/it's.mp4"]), "file '/w/run-0.mp4'\nfile '/w/it'\\''s.mp4'\n");
});
