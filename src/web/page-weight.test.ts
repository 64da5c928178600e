import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
  // The analytics pages' chart library (uPlot: its legend class) loads with those pages only.
  const uplot = (file: string) => readFileSync(join(WEB_DIST, file), 'utf8').includes('u-legend');
  assert.ok(!flat.files.some((f) => uplot(f.file)), 'the player page does not download uPlot');
  assert.ok(analyticsFiles().some(uplot), 'uPlot comes with the analytics pages');
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

/** The files the analytics pages' chunk brings (its static imports), from the build manifest. */
function analyticsFiles(): string[] {
  const manifest = JSON.parse(readFileSync(join(WEB_DIST, '.vite', 'manifest.json'), 'utf8')) as Record<
    string,
    { file: string; css?: string[]; imports?: string[] }
  >;
  const files = new Set<string>();
  const add = (key: string) => {
    const chunk = manifest[key];
    if (!chunk || files.has(chunk.file)) return;
    files.add(chunk.file);
    for (const css of chunk.css ?? []) files.add(css);
    for (const dep of chunk.imports ?? []) add(dep);
  };
  const key = Object.keys(manifest).find((k) => k.endsWith('analytics/analytics-pages.ts'));
  assert.ok(key, 'the analytics pages are a chunk of their own');
  add(key);
  return [...files];
}
