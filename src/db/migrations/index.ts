import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.ts';

/** Every migration, in order. Names sort the way they run; released ones are never edited. */
export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
};
