import type { Scenario } from '../scenario.ts';
import { hostileCorpus } from './hostile-corpus.ts';
import { poisonJobs } from './poison-jobs.ts';
import { workerKills } from './worker-kills.ts';

/** Every scenario, in the README's order (docs/reliability.md numbers them the same way). */
export const scenarios: readonly Scenario[] = [workerKills, poisonJobs, hostileCorpus];
