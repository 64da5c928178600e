// Compiles the web app's message catalogue (web/messages/<area>/{en,ko}.json, an inlang project)
// into typed, tree-shakeable functions in web/src/i18n/generated/ with Paraglide: one module a
// message, so a page's bundle carries only the messages it uses. The output is generated, not
// kept in git: `npm test`, `npm start`, `npm run build` and `npm run typecheck` run this first.
// Usage: node scripts/compile-messages.ts [--if-stale]
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const OUT = join('web', 'src', 'i18n', 'generated');
// This script (its options shape the runtime) and package-lock.json (Paraglide's version) too.
const INPUTS = [
  join('web', 'messages'),
  join('web', 'project.inlang', 'settings.json'),
  join('scripts', 'compile-messages.ts'),
  'package-lock.json',
];

const newest = (path: string): number =>
  statSync(path).isDirectory()
    ? Math.max(0, ...readdirSync(path).map((e) => newest(join(path, e))))
    : statSync(path).mtimeMs;

const marker = join(OUT, 'runtime.js');
const stale = !existsSync(marker) || statSync(marker).mtimeMs < Math.max(...INPUTS.map(newest));
if (stale || !process.argv.includes('--if-stale')) {
  // The plugin that reads the JSON files is named by a relative path in settings.json, so
  // compiling needs nothing from the network (inlang's default is a CDN address).
  const silence = console.info;
  console.info = () => {}; // Paraglide's "Compiling…" chatter; warnings and errors still show
  // Imported by a computed name: Paraglide's typings pull the DOM library into the Node
  // project's type check (Headers, fetch bodies), where it clashes with Node's own.
  const paraglide: string = '@inlang/paraglide-js';
  const { compile } = (await import(paraglide)) as { compile: (options: object) => Promise<void> };
  try {
    await compile({
      project: join('web', 'project.inlang'),
      outdir: OUT,
      // The language set in this page (web/src/i18n/locale.ts: the account's, or this device's
      // choice, which it keeps in localStorage itself), else the browser's languages (what it
      // sends as Accept-Language), else English. Not Paraglide's 'localStorage' strategy: its
      // first getLocale() writes the browser's language there, and a person who follows the
      // browser would keep that language after the first visit.
      strategy: ['globalVariable', 'preferredLanguage', 'baseLocale'],
      outputStructure: 'message-modules',
      isServer: 'false',
      emitGitIgnore: false,
      emitPrettierIgnore: false,
      emitReadme: false,
      includeEslintDisableComment: false,
    });
  } finally {
    console.info = silence;
  }
}
