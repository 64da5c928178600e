import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { PLAYER_BUDGET_GZIP_BYTES, playerPageWeight, VR_BUDGET_GZIP_BYTES } from './page-weight.ts';
import { WEB_DIST } from './web.routes.ts';

// Sizes, unlike times, are the same on every machine: the budget is checked here, the first-frame
// time is measured by bench/web.ts.
test('the player page stays within its download budget, and 360° adds three.js only when needed', () => {
  execFileSync(process.execPath, ['scripts/build-web-if-stale.ts'], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: 'inherit',
  });
  const flat = playerPageWeight(WEB_DIST);
  const vr = playerPageWeight(WEB_DIST, true);
  assert.ok(
    flat.files.some((f) => f.file.endsWith('.css')),
    'the stylesheet counts',
  );
  assert.ok(
    flat.files.some((f) => /hls/.test(f.file)),
    'hls.js counts',
  );
  assert.ok(!flat.files.some((f) => /vr-view/.test(f.file)), 'a flat video does not download three.js');
  // The live room's host panels (moderation, products) load with the stream page only.
  assert.ok(
    !flat.files.some((f) => /host-room/.test(f.file)),
    'the player page does not download the host room',
  );
  assert.ok(
    flat.gzipBytes <= PLAYER_BUDGET_GZIP_BYTES,
    `player page ${flat.gzipBytes} bytes gzipped, budget ${PLAYER_BUDGET_GZIP_BYTES}`,
  );
  const extra = vr.gzipBytes - flat.gzipBytes;
  assert.ok(
    extra > 0 && extra <= VR_BUDGET_GZIP_BYTES,
    `360° adds ${extra} bytes, budget ${VR_BUDGET_GZIP_BYTES}`,
  );
});
