// Checks the web app's message catalogue (web/messages/<area>/{en,ko}.json) and its pages:
// - every key is in both languages, once, non-empty, with the same {placeholders};
// - every key the catalogue holds is used by some page (a dead key is a translation to keep up);
// - no text a person reads is left in the pages outside the catalogue: JSX text, the readable
//   attributes (title, aria-label, placeholder, alt, label), and string or template literals that
//   read as words ("Upload failed", `${n} items`) or hold Hangul.
// A literal that must stay (a language's own name in the switch, a protocol token) is marked
// with a comment `i18n-ignore: <why>` on its line or the line above.
// Run by test/i18n-catalogue.test.ts; `node scripts/check-messages.ts [web/src/admin …]` lists
// the problems under the paths given (default: all of web/src).
import { globSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..');
const MESSAGES = join(ROOT, 'web', 'messages');
const SOURCES = join(ROOT, 'web', 'src');
const LOCALES = ['en', 'ko'] as const;

/** Attributes whose value a person reads or hears (screen readers speak aria-label). */
const READABLE_ATTRIBUTES = new Set([
  'title',
  'aria-label',
  'aria-description',
  'aria-roledescription',
  'aria-valuetext',
  'placeholder',
  'alt',
  'label',
]);
/** Attributes whose value is code (class names, addresses, ids), never prose. */
const CODE_ATTRIBUTES = new Set([
  'class',
  'className',
  'style',
  'href',
  'src',
  'id',
  'for',
  'htmlFor',
  'type',
  'rel',
  'key',
  'name',
  'autocomplete',
  'accept',
  'inputMode',
  'pattern',
  'role',
  'lang',
  'value',
  'method',
  'target',
  'crossOrigin',
  'preload',
  'sandbox',
  'allow',
  'd',
  'viewBox',
  'fill',
  'stroke',
  'transform',
  'points',
]);

/** Messages that read the same in both languages (names), where an identical text is no oversight. */
const SAME_IN_BOTH = new Set(['app_brand']);

type Catalogue = Map<string, { area: string; text: Record<string, string> }>;

/** The messages of every area, with problems of the catalogue itself. */
export function loadCatalogue(): { catalogue: Catalogue; problems: string[] } {
  const problems: string[] = [];
  const catalogue: Catalogue = new Map();
  for (const area of globSync('*', { cwd: MESSAGES }).sort()) {
    const byLocale = Object.fromEntries(
      LOCALES.map((l) => {
        const raw = JSON.parse(readFileSync(join(MESSAGES, area, `${l}.json`), 'utf8')) as Record<
          string,
          unknown
        >;
        delete raw.$schema;
        return [l, raw];
      }),
    ) as Record<(typeof LOCALES)[number], Record<string, unknown>>;
    const keys = new Set(LOCALES.flatMap((l) => Object.keys(byLocale[l])));
    for (const key of keys) {
      if (catalogue.has(key)) problems.push(`${key}: in ${catalogue.get(key)?.area} and ${area}`);
      const text: Record<string, string> = {};
      for (const l of LOCALES) {
        const value = byLocale[l][key];
        if (value === undefined) problems.push(`${area}/${l}.json: ${key} is missing`);
        else if (typeof value === 'string' && value.trim() === '')
          problems.push(`${area}/${l}.json: ${key} is empty`);
        else text[l] = typeof value === 'string' ? value : JSON.stringify(value);
      }
      // Words outside the placeholders: "({period})" or "{height}p" read the same in any language.
      const words = (text.en ?? '').replace(/\{[^}]*\}/g, '');
      if (text.ko === text.en && /\p{Ll}{3,}/u.test(words) && !SAME_IN_BOTH.has(key))
        problems.push(`${area}/ko.json: ${key} is the English text, untranslated`);
      const [en, ko] = [placeholders(text.en), placeholders(text.ko)];
      if (text.en !== undefined && text.ko !== undefined && en.join() !== ko.join())
        problems.push(`${area}: ${key} has {${en.join(', ')}} in English but {${ko.join(', ')}} in Korean`);
      catalogue.set(key, { area, text });
    }
  }
  return { catalogue, problems };
}

/** The inputs a message names: `{count}` in a pattern, `input count` in a variant's declarations. */
function placeholders(text: string | undefined): string[] {
  if (text === undefined) return [];
  const names = new Set<string>();
  for (const match of text.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) names.add(match[1] as string);
  for (const match of text.matchAll(/"input ([A-Za-z_][A-Za-z0-9_]*)"/g)) names.add(match[1] as string);
  return [...names].sort();
}

const LETTERS = /\p{L}/u;
const HANGUL = /\p{Script=Hangul}/u;
// Two words of two or more letters with a space between ("Upload failed", " items", "of {n}"),
// or one capitalised word ending a sentence or a label ("Saved.", "Title:"), or Hangul.
const PROSE = /(\p{L}{2,}\s+\p{L}{2,})|(^\s*\p{Lu}\p{Ll}+[.!?:…]\s*$)|(^\s+\p{L}{2,}|\p{L}{2,}\s+$)/u;

/** Pages' text outside the catalogue, and keys no page uses, under `paths` (default: all). */
export function findStrayText(paths: string[] = [SOURCES], catalogue?: Catalogue): string[] {
  const problems: string[] = [];
  const used = new Set<string>();
  const files = globSync('**/*.{ts,tsx}', { cwd: SOURCES })
    .filter((f) => !f.startsWith('i18n/generated/') && !f.endsWith('.d.ts'))
    .map((f) => join(SOURCES, f));
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/\bm\.([a-z][a-z0-9_]*)\b/g)) used.add(match[1] as string);
    if (paths.some((p) => file.startsWith(join(ROOT, relative(ROOT, p)))))
      problems.push(...findStrayTextIn(relative(ROOT, file), source));
  }
  if (catalogue && paths.length === 1 && paths[0] === SOURCES)
    for (const key of catalogue.keys()) if (!used.has(key)) problems.push(`${key}: no page uses it`);
  return problems;
}

/** Text outside the catalogue in one source file (`name` ends in .ts or .tsx), as `name:line: "text"`. */
export function findStrayTextIn(name: string, source: string): string[] {
  const problems: string[] = [];
  const lines = source.split('\n');
  const ignored = (line: number) =>
    /i18n-ignore/.test(lines[line] ?? '') || /i18n-ignore/.test(lines[line - 1] ?? '');
  const kind = name.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true, kind);
  const report = (node: ts.Node, text: string) => {
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    if (!ignored(line)) problems.push(`${name}:${line + 1}: ${JSON.stringify(text.trim())}`);
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node) || ts.isTypeNode(node)) return;
    if (ts.isJsxText(node)) {
      if (LETTERS.test(node.text)) report(node, node.text);
    } else if (ts.isJsxAttribute(node)) {
      const attribute = node.name.getText(sf);
      if (CODE_ATTRIBUTES.has(attribute) || attribute.startsWith('data-') || attribute.startsWith('on'))
        return;
      if (node.initializer && ts.isStringLiteral(node.initializer)) {
        const text = node.initializer.text;
        if (
          (READABLE_ATTRIBUTES.has(attribute) && LETTERS.test(text)) ||
          PROSE.test(text) ||
          HANGUL.test(text)
        )
          report(node, text);
        return;
      }
    } else if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      if (!isCodePosition(node) && (PROSE.test(node.text) || HANGUL.test(node.text))) report(node, node.text);
    } else if (ts.isTemplateExpression(node)) {
      const pieces = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)];
      if (!isCodePosition(node) && pieces.some((p) => PROSE.test(p) || HANGUL.test(p)))
        report(node, pieces.join('…'));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return problems;
}

/** Strings that are code, not text: keys, module names, selectors, events, CSS, addresses. */
function isCodePosition(node: ts.Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (ts.isPropertyAssignment(parent) && parent.name === node) return true;
  if (ts.isElementAccessExpression(parent)) return true;
  if (ts.isLiteralTypeNode(parent)) return true;
  if (ts.isCallExpression(parent)) {
    const callee = parent.expression.getText();
    if (
      /^(console\.\w+|.*\.(addEventListener|removeEventListener|querySelector\w*|getElementById|setAttribute|getAttribute|postMessage|get|set|has|delete|append|startsWith|endsWith|includes|split|replace|match|test)|import|require|new URL|fetch|api|RegExp)$/.test(
        callee,
      )
    )
      return true;
  }
  if (ts.isBinaryExpression(parent) && /^(===|!==|==|!=)$/.test(parent.operatorToken.getText())) return true;
  if (ts.isCaseClause(parent)) return true;
  return false;
}

if (import.meta.main) {
  const { catalogue, problems } = loadCatalogue();
  const paths = process.argv.slice(2).map((p) => join(process.cwd(), p));
  const all = [...problems, ...findStrayText(paths.length ? paths : [SOURCES], catalogue)];
  for (const p of all) console.log(p);
  console.log(`${all.length} problem(s)`);
  process.exitCode = all.length ? 1 : 0;
}
