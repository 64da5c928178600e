// The web app's catalogue (web/messages/<area>/<lang>.json) as the browser tests read it: what a
// page should show is taken from here, never retyped in a test.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MESSAGES = join(import.meta.dirname, '..', '..', 'web', 'messages');

/** A message: plain text, or inlang's plural variants (Korean has only `other`). */
export type Message = string | Array<{ match: Record<string, string> }>;

export interface Catalogue {
  /** The messages as the JSON holds them, by key. */
  raw: Record<string, Message>;
  /** A message's text, its placeholders filled from `values` (one left out stays `{name}`); of a plural, the `other` form unless told. */
  text: (key: string, values?: Record<string, string>, form?: 'one' | 'other') => string;
  /** A message as a whole-string pattern, each placeholder matching `(.+)`. */
  pattern: (key: string, form?: 'one' | 'other') => RegExp;
}

/** One language's catalogue: the areas given, or all of them. */
export function catalogue(lang: 'en' | 'ko', areas: string[] = readdirSync(MESSAGES)): Catalogue {
  const raw: Record<string, Message> = {};
  for (const area of areas) {
    const messages = JSON.parse(readFileSync(join(MESSAGES, area, `${lang}.json`), 'utf8')) as Record<
      string,
      Message
    >;
    delete messages.$schema;
    Object.assign(raw, messages);
  }
  const source = (key: string, form: 'one' | 'other' = 'other'): string => {
    const message = raw[key];
    assert.ok(message !== undefined, `${key} is in the ${lang} catalogue (${areas.join(', ')})`);
    const text = typeof message === 'string' ? message : message[0]?.match[`countPlural=${form}`];
    assert.ok(text, `${key} has ${lang} text (${form})`);
    return text;
  };
  return {
    raw,
    text: (key, values = {}, form) =>
      source(key, form).replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? `{${name}}`),
    pattern: (key, form) => {
      const escaped = source(key, form)
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\{\w+\}/g, '(.+)');
      return new RegExp(`^${escaped}$`);
    },
  };
}
