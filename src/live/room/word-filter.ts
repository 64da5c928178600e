/**
 * The chat's word filter: the operator's list (FRAMEHOUSE_CHAT_WORD_FILTER) and the room's own,
 * matched case-insensitively (Unicode case folding, so "ÄRGER" matches "ärger") and masked with
 * one `*` per character in the stored text.
 *
 * Words of scripts written with spaces between words (Latin, Cyrillic, Greek…) match whole words
 * only, so "ass" does not mask "class". Korean, Chinese and Japanese match anywhere: Korean
 * attaches particles to the word ("바보야", "바보가"), and Chinese and Japanese have no spaces.
 */
export class WordFilter {
  readonly #pattern: RegExp | null;

  constructor(words: readonly string[]) {
    const cleaned = [...new Set(words.map((w) => w.normalize('NFC').trim()).filter(Boolean))];
    // Longest first: "bad word" masks as a whole before "bad" is tried.
    cleaned.sort((a, b) => [...b].length - [...a].length);
    this.#pattern = cleaned.length ? new RegExp(cleaned.map(alternative).join('|'), 'giu') : null;
  }

  /** The text with every filtered word masked (the text itself when none matches). */
  mask(text: string): string {
    if (!this.#pattern) return text;
    return text.replace(this.#pattern, (m) => '*'.repeat([...m].length));
  }
}

const SPACELESS = /[\p{Script=Hangul}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;

function alternative(word: string): string {
  const escaped = word.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  if (SPACELESS.test(word)) return escaped;
  return `(?<![\\p{L}\\p{N}\\p{M}])${escaped}(?![\\p{L}\\p{N}\\p{M}])`;
}

/** Filters are built once per word list: rooms share the operator's, and rarely change theirs. */
const cache = new Map<string, WordFilter>();
const CACHE_LIMIT = 1000;

export function wordFilterFor(operator: readonly string[], room: readonly string[]): WordFilter {
  const key = JSON.stringify([operator, room]);
  let filter = cache.get(key);
  if (!filter) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    filter = new WordFilter([...operator, ...room]);
    cache.set(key, filter);
  }
  return filter;
}
