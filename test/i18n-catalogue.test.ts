import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findStrayText, loadCatalogue } from '../scripts/check-messages.ts';

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

test('the checker finds what it must: JSX text, readable attributes, prose literals, Hangul', async () => {
  const { findStrayTextIn } = await import('../scripts/check-messages.ts');
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
