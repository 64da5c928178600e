import { randomInt } from 'node:crypto';

// Lower-case letters and digits only: safe in URLs, object-store keys and file names,
// and never starts with '-' (so it can't be mistaken for a command-line flag).
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A random, URL-safe identifier (20 chars ≈ 103 bits). Nothing sequential ever reaches a URL. */
export function newId(length = 20): string {
  let id = '';
  for (let i = 0; i < length; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

export const ID_PATTERN = /^[a-z0-9]{8,64}$/;
