import type { Scenario } from '../scenario.ts';
import { dependencyOutage } from './dependency-outage.ts';
import { tusApiKill } from './tus-api-kill.ts';

/** Every scenario, in the README's order (docs/reliability.md numbers them the same way). */
export const scenarios: readonly Scenario[] = [tusApiKill, dependencyOutage];
