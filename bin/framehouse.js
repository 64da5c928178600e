#!/usr/bin/env node
// Entry point of the `framehouse` command. Runs the compiled build when it is up to date,
// otherwise the TypeScript sources directly (Node 24 strips types natively).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `framehouse needs Node.js 24 or newer (this is ${process.version}).\n` +
      'From a checkout, run it through npm so the pinned Node is used: `npx framehouse …` or `npm start`.\n',
  );
  process.exit(1);
}

// The long-running roles start with a young generation of at most 8 MiB a semi-space. Node's
// default lets it grow to 64 MiB each during start-up (module loading keeps most of what it
// allocates), and V8 never gives that back: an idle `serve` sat at ~175 MB instead of ~148 MB,
// and grew further under load. The flag only works at start, so the process replaces itself
// (same pid, same stdio) with one that has it, unless one was chosen already.
const SERVER_ROLES = new Set(['serve', 'api', 'worker', 'live', 'edge']);
const YOUNG_GENERATION = '--max-semi-space-size=8';
if (
  SERVER_ROLES.has(process.argv[2] ?? '') &&
  typeof process.execve === 'function' &&
  process.platform !== 'win32' &&
  !`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`.includes('semi-space-size')
) {
  process.execve(
    process.execPath,
    [process.execPath, ...process.execArgv, YOUNG_GENERATION, ...process.argv.slice(1)],
    process.env,
  );
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'main.js');
const source = join(root, 'src', 'cli', 'main.ts');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

// Node keeps what it compiled (and the TypeScript it stripped) in a cache on disk, checked
// against each file's contents: a command run again skips loading the type stripper (~0.3 s)
// and compiling what it loaded before. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
enableCompileCache();

const useBuild =
  existsSync(built) && (!existsSync(source) || statSync(built).mtimeMs >= newestMtime(join(root, 'src')));
await import(pathToFileURL(useBuild ? built : source).href);
