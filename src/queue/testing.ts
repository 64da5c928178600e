export { openTestDatabase, type TestDatabase } from '../db/test-databases.ts';

export interface ManualClock {
  now: () => number;
  advance(ms: number): void;
}

export function manualClock(start = Date.parse('2030-01-01T00:00:00.000Z')): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}
