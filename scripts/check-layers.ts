// The layers of src/, and the check that keeps them (run by `npm test`; alone: node scripts/check-layers.ts).
//
// Layers, from the top. A module imports from its own layer or one below, never from one above.
//
//   cli             src/cli/: one file per command; starts the composition root or calls
//                   services directly.
//   composition     src/server.ts and src/composition/: the only place that knows every piece.
//                   It picks the adapters from configuration, builds the services, registers
//                   every feature's routes and job handlers, and starts what a role runs. It
//                   wires; it holds no SQL.
//   feature         every other folder of src/ (accounts, assets, audit, auth, delivery,
//                   images, notifications, ops, pipeline, uploads, web, webhooks, http, …), and
//                   events/events.routes.ts, the outbox's HTTP face. A feature owns its routes
//                   (x.routes.ts: HTTP only), its services and its repositories (x.repo.ts: SQL).
//   infrastructure  queue, events (the outbox: writer, readers, dispatcher), storage, db, media:
//                   ports and their adapters. They know no feature: what a feature must add
//                   (an event when a job dies, a poster after an encode) is passed in as a
//                   hook or a dependency by the composition root.
//   base            shared, config: used by everyone, using no one.
//
// Besides the direction:
//   - Each infrastructure port stands alone: it imports its own folder, db (every port may keep
//     its state in the database) and base, and no other port. (queue → events was such an
//     import: the queue now takes an onDeadLetter hook.)
//   - A feature's routes and repositories are its own: only the composition root imports a
//     *.routes.ts (to register it), and only the feature's own folder imports its *.repo.ts.
//     Other features go through its services and public modules (assets/asset-records.ts,
//     audit/audit.ts, …).
//   - Routes hold no SQL: a *.routes.ts imports no kysely and no repository (its own feature's
//     neither: routes call services, services call repositories) and builds no query
//     (selectFrom, insertInto, updateTable, deleteFrom, transaction, sql`…`). The composition
//     root builds none either.
//   - Code under src/ imports nothing from test/ or bench/ (tests beside the code may).
//
// Tests (*.test.ts) are outside the rules: they may set a scene up through any module. Type-only
// imports count like the others: a type names what a module depends on.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export type Layer = 'cli' | 'composition' | 'feature' | 'infrastructure' | 'base';

const RANK: Record<Layer, number> = { cli: 5, composition: 4, feature: 3, infrastructure: 2, base: 1 };
const INFRASTRUCTURE = new Set(['queue', 'events', 'storage', 'db', 'media']);
const BASE = new Set(['shared', 'config']);
/** The one port every other port may build on. */
const SHARED_PORT = 'db';
const QUERY_METHODS = new Set([
  'selectFrom',
  'insertInto',
  'updateTable',
  'deleteFrom',
  'replaceInto',
  'mergeInto',
  'transaction',
]);

/** Where a module of src/ sits: its layer, and its unit (the folder that owns it). */
export interface Place {
  layer: Layer;
  unit: string;
}

export interface Violation {
  /** Paths relative to the checked root, with forward slashes. */
  file: string;
  /** The import (resolved path or package name); absent for SQL found in the file itself. */
  imports?: string;
  rule: 'direction' | 'ports' | 'private' | 'routes-sql' | 'composition-sql' | 'test-code';
  message: string;
}

/** `path` is relative to the root, e.g. `src/queue/queue.ts`. */
export function placeOf(path: string): Place {
  const parts = path.split('/');
  if (parts[0] !== 'src') throw new Error(`${path} is not under src/`);
  if (parts.length === 2) return { layer: 'composition', unit: 'composition' };
  const folder = parts[1] ?? '';
  const file = parts.at(-1) ?? '';
  if (folder === 'cli') return { layer: 'cli', unit: folder };
  if (folder === 'composition') return { layer: 'composition', unit: folder };
  if (BASE.has(folder)) return { layer: 'base', unit: folder };
  // The outbox is infrastructure; the API that shows it is a feature.
  if (folder === 'events' && file.endsWith('.routes.ts')) return { layer: 'feature', unit: folder };
  if (INFRASTRUCTURE.has(folder)) return { layer: 'infrastructure', unit: folder };
  return { layer: 'feature', unit: folder };
}

const isRoutes = (path: string) => path.endsWith('.routes.ts');
const isRepo = (path: string) => path.endsWith('.repo.ts');

/** Checks every non-test module under `root`/src; returns what breaks the rules (empty: all kept). */
export function checkLayers(root: string): Violation[] {
  const violations: Violation[] = [];
  for (const file of modulesUnder(join(root, 'src'))) {
    const from = toPosix(relative(root, file));
    const place = placeOf(from);
    const text = readFileSync(file, 'utf8');
    for (const specifier of importsOf(text)) {
      if (!specifier.startsWith('.')) {
        if (isRoutes(from) && (specifier === 'kysely' || specifier.startsWith('kysely/')))
          violations.push({
            file: from,
            imports: specifier,
            rule: 'routes-sql',
            message: 'a routes file imports kysely: its SQL belongs in a repository or service',
          });
        continue;
      }
      const to = toPosix(relative(root, resolve(dirname(file), specifier)));
      const problem = judge(from, place, to);
      if (problem) violations.push({ file: from, imports: to, ...problem });
    }
    if (isRoutes(from) || place.layer === 'composition') {
      for (const query of queriesIn(from, text))
        violations.push({
          file: from,
          rule: isRoutes(from) ? 'routes-sql' : 'composition-sql',
          message: `${query}: ${isRoutes(from) ? 'routes hold no SQL' : 'the composition root wires, it holds no SQL'} (move it to a repository or service)`,
        });
    }
  }
  return violations;
}

function judge(from: string, place: Place, to: string): Pick<Violation, 'rule' | 'message'> | null {
  if (!to.startsWith('src/'))
    return { rule: 'test-code', message: `code under src/ imports ${to}, outside src/` };
  const target = placeOf(to);
  if (RANK[target.layer] > RANK[place.layer])
    return {
      rule: 'direction',
      message: `${place.layer} (${place.unit}) imports ${target.layer} (${target.unit}): layers point down only`,
    };
  if (
    place.layer === 'infrastructure' &&
    target.layer === 'infrastructure' &&
    target.unit !== place.unit &&
    target.unit !== SHARED_PORT
  )
    return {
      rule: 'ports',
      message: `infrastructure port ${place.unit} imports port ${target.unit}: ports stand alone (pass a hook in from the composition root)`,
    };
  if (isRoutes(to) && target.unit !== place.unit && place.layer !== 'composition')
    return {
      rule: 'private',
      message: `imports ${target.unit}'s routes: only the composition root registers routes`,
    };
  if (isRepo(to) && target.unit !== place.unit)
    return {
      rule: 'private',
      message: `imports ${target.unit}'s repository: go through its services or public modules`,
    };
  if (isRepo(to) && isRoutes(from))
    return { rule: 'routes-sql', message: 'a routes file imports a repository: routes call services' };
  return null;
}

/** Every module specifier a file names: imports (type-only too), re-exports, import() calls. */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** The query builder calls and sql`…` templates in a file: `name (line n)` each. */
function queriesIn(path: string, text: string): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const where = (node: ts.Node) =>
    `line ${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      QUERY_METHODS.has(node.expression.name.text)
    )
      found.push(`${node.expression.name.text}() at ${where(node)}`);
    if (ts.isTaggedTemplateExpression(node) && ts.isIdentifier(node.tag) && node.tag.text === 'sql')
      found.push(`sql\`…\` at ${where(node)}`);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function modulesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f))
    .sort();
}

const toPosix = (p: string) => p.split(sep).join(posix.sep);

if (import.meta.main) {
  const root = resolve(import.meta.dirname, '..');
  const violations = checkLayers(root);
  for (const v of violations)
    process.stdout.write(`${v.file}${v.imports ? ` → ${v.imports}` : ''}  [${v.rule}] ${v.message}\n`);
  process.stdout.write(
    violations.length
      ? `${violations.length} import(s) against the layers (the rules: scripts/check-layers.ts)\n`
      : 'layers: every import points the right way; no SQL in routes or the composition root\n',
  );
  process.exit(violations.length ? 1 : 0);
}
