import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

// `npm ci` (what .ci/run and the Dockerfile use) refuses a lock file in which a locked package names an
// optional dependency that has no entry of its own. `npm install` leaves such holes when the registry it
// talks to lacks a platform build (this machine's mirror has @lix-js/sdk for linux-x64 only), so the
// entries for the other platforms are kept by hand: this test says so before CI does.
test('every optional dependency of a locked package has an entry of its own in package-lock.json', () => {
  const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as {
    packages: Record<string, { optionalDependencies?: Record<string, string> }>;
  };
  const missing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      // Node's lookup: beside the package (nested node_modules), then up the tree to the top level.
      const candidates = [];
      for (let at = path; ; ) {
        candidates.push(`${at ? `${at}/` : ''}node_modules/${name}`);
        const cut = at.lastIndexOf('/node_modules/');
        if (!at) break;
        at = cut === -1 ? '' : at.slice(0, cut);
      }
      if (!candidates.some((candidate) => candidate in lock.packages)) missing.push(`${path} → ${name}`);
    }
  }
  assert.deepEqual(missing, []);
});
