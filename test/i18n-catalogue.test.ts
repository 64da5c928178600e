import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  findStrayText,
  findStrayTextIn,
  loadCatalogue,
  messageKeysUsedIn,
} from '../scripts/check-messages.ts';

// The web app's catalogue (web/messages) against its pages (web/src): what scripts/check-messages.ts
// finds, as a test, so a page string left in English or a key missing in Korean fails `npm test`.
test('every message exists in English and Korean, once, with the same placeholders', () => {
  const { catalogue, problems } = loadCatalogue();
  assert.deepEqual(problems, []);
  assert.ok(catalogue.size > 500, `the catalogue holds the app's text (${catalogue.size} messages)`);
  for (const [key, { text }] of catalogue) {
    assert.ok(
      text.ko && /\p{Script=Hangul}|^[\p{P}\p{S}\d\s{}A-Za-z_]*$/u.test(text.ko),
      `${key} reads as Korean`,
    );
  }
});

test('no text in the pages is left outside the catalogue, and every message is used', () => {
  const { catalogue } = loadCatalogue();
  assert.deepEqual(findStrayText(undefined, catalogue), []);
});

test('the checker finds what it must: JSX text, readable attributes, prose literals, Hangul', () => {
  const found = findStrayTextIn(
    'sample.tsx',
    [
      'export const A = () => (',
      '  <div title="Close the panel" class="panel open">',
      '    Upload failed',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the sample's own template literal
      '    <button aria-label={`${n} items`}>{m.ok()}</button>',
      '  </div>',
      ');',
      "const b = 'Saved.';",
      "const c = '업로드 완료';",
      "if (e.key === 'Enter') submit();",
      '// i18n-ignore: a protocol token',
      "const d = 'Bearer token value';",
      "const e = 'data-id';",
    ].join('\n'),
  );
  assert.deepEqual(
    found.map((f) => f.replace(/^sample\.tsx:/, '')),
    ['2: "Close the panel"', '3: "Upload failed"', '4: "… items"', '7: "Saved."', '8: "업로드 완료"'],
  );
});

/** What the checker finds in a sample page, as `line: "text"` (lines counted from 1). */
const strayIn = (lines: string[]) =>
  findStrayTextIn('sample.tsx', lines.join('\n')).map((f) => f.replace(/^sample\.tsx:/, ''));

test('the checker finds one shown word: a JSX child, a conditional there or in a readable attribute', () => {
  assert.deepEqual(
    strayIn([
      'export const A = () => (',
      '  <div>',
      "    {'Delete'}",
      "    {on ? 'Yes' : 'No'}",
      "    {live && 'LIVE'}",
      "    <button title={open ? 'Close' : 'Open'} class={open ? 'open' : 'shut'}>{m.ok()}</button>",
      "    <span data-state={on ? 'on' : 'off'} style={{ display: on ? 'none' : 'block' }} />",
      "    {status === 'live' ? m.live() : null}",
      "    {'error' in period ? period.error : ''}",
      '  </div>',
      ');',
    ]),
    ['3: "Delete"', '4: "Yes"', '4: "No"', '5: "LIVE"', '6: "Close"', '6: "Open"'],
  );
});

test('the checker finds a literal in a readable attribute expression, a button input value, aria-placeholder', () => {
  assert.deepEqual(
    strayIn([
      'export const A = () => (',
      '  <form>',
      "    <img alt={'A picture'} src={big ? 'a.png' : 'b.png'} />",
      '    <input type="submit" value="Send" />',
      '    <input type="reset" value={dirty ? \'Undo\' : m.clear()} />',
      '    <input type="text" value="typed" name="q" />',
      '    <div role="textbox" aria-placeholder="Search" />',
      '  </form>',
      ');',
    ]),
    ['3: "A picture"', '4: "Send"', '5: "Undo"', '7: "Search"'],
  );
});

test('the checker finds shown words given to state setters, alert/confirm/prompt and document.title', () => {
  assert.deepEqual(
    strayIn([
      "setError('Failed');",
      "setUploadStatus('Ready');",
      "setStatus('idle');",
      "setKind('video');",
      "alert('Oops');",
      "if (window.confirm('Sure?')) go();",
      "document.title = 'Framehouse';",
      "el.addEventListener('click', go);",
      "if (state === 'LIVE') go();",
      "const k = { Delete: 1, kind: 'video' };",
    ]),
    ['1: "Failed"', '2: "Ready"', '5: "Oops"', '6: "Sure?"', '7: "Framehouse"'],
  );
});

test('the checker finds a one-letter unit beside a placeholder, not CSS or addresses', () => {
  assert.deepEqual(
    strayIn([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the sample's own template literals
      'const a = `${seconds} s`;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the sample's own template literals
      'const b = `${n} ms`;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the sample's own template literals
      'const c = `translate(${x}px, ${y}px)`;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the sample's own template literals
      'const f = `${x}px ${y}px`;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the sample's own template literals
      'const d = `${origin}/live/${id}?token=${t}`;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the sample's own template literals
      'const e = <code>{`${origin}/live/${id}?token=…`}</code>;',
    ]),
    ['1: "… s"', '2: "… ms"'],
  );
});

test('the checker takes an i18n-ignore only with its reason', () => {
  assert.deepEqual(
    strayIn([
      '// i18n-ignore',
      "const a = 'Bare mark text';",
      "const b = 'Marked with a reason'; // i18n-ignore: a log line, never shown",
    ]),
    ['2: "Bare mark text"'],
  );
});

test('a key named only in a comment is not used; m.key in code is', () => {
  const used = messageKeysUsedIn(
    'sample.tsx',
    [
      "import * as m from '../i18n/generated/messages.js';",
      '// m.library_commented()',
      '/* m.library_blocked() */',
      'const a = <p>{/* m.library_jsx_comment() */}{m.library_real()}</p>;',
      'const match = /x(y)/.exec(s); const n = match?.m;',
    ].join('\n'),
  );
  assert.deepEqual([...used], ['library_real']);
});
