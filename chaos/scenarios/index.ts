import type { Scenario } from '../scenario.ts';
import { dependencyOutage } from './dependency-outage.ts';
import { diskAndClock } from './disk-and-clock.ts';
import { hostileCorpus } from './hostile-corpus.ts';
import { poisonJobs } from './poison-jobs.ts';
import { soak } from './soak.ts';
import { tusApiKill } from './tus-api-kill.ts';
import { workerKills } from './worker-kills.ts';

/** Every scenario, in the README's order (docs/reliability.md numbers them the same way). */
export const scenarios: readonly Scenario[] = [
  workerKills,
  tusApiKill,
  dependencyOutage,
  poisonJobs,
  hostileCorpus,
  soak,
  diskAndClock,
];
