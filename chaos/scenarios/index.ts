import type { Scenario } from '../scenario.ts';
import { diskAndClock } from './disk-and-clock.ts';
import { soak } from './soak.ts';

/** Every scenario, in the README's order (docs/reliability.md numbers them the same way). */
export const scenarios: readonly Scenario[] = [soak, diskAndClock];
