// Builds the browser app (web/ → web/dist) when a file of it is newer than the last build:
// `npm start` and `npm test` serve and drive the built app.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const newest = (path: string): number =>
  statSync(path).isDirectory()
    ? Math.max(0, ...readdirSync(path).map((e) => newest(join(path, e))))
    : statSync(path).mtimeMs;

const built = join('web', 'dist', 'index.html');
// The message catalogue first: the app imports its compiled functions.
execFileSync(process.execPath, [join('scripts', 'compile-messages.ts'), '--if-stale'], { stdio: 'inherit' });

const sources = [
  'web/src',
  'web/messages',
  'web/project.inlang/settings.json',
  'web/index.html',
  'web/vite.config.ts',
  'package-lock.json',
];
if (!existsSync(built) || statSync(built).mtimeMs < Math.max(...sources.map(newest))) {
  process.stderr.write('building the web app…\n');
  execFileSync(
    process.execPath,
    [
      join('node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'web/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    {
      stdio: 'inherit',
    },
  );
}
