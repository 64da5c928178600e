// `npm test`: the type checks (server and web app), the linter, the layer check, then every test file (unit tests
// beside the code, integration tests in test/) with Node's own runner.
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

const node = process.execPath;
const step = (title: string, args: string[]) => {
  process.stdout.write(`\n▶ ${title}\n`);
  const r = spawnSync(node, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

step('type check', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']);
// The browser app is its own TypeScript project (DOM types, bundler resolution): checked as well.
step('type check (web app)', ['node_modules/typescript/bin/tsc', '-p', 'web/tsconfig.json', '--noEmit']);
step('lint', ['scripts/lint.ts']);
// Imports point down the layers; no SQL in routes (the rules: scripts/check-layers.ts).
step('layers', ['scripts/check-layers.ts']);
const files = [...globSync('src/**/*.test.ts'), ...globSync('test/**/*.test.ts')].sort();
step(`${files.length} test files`, [
  '--test',
  '--test-reporter=spec',
  '--test-timeout=600000',
  ...process.argv.slice(2),
  ...files,
]);
