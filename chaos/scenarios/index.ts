import type { Scenario } from '../scenario.ts';
import { hostileCorpus } from './hostile-corpus.ts';

/** Every scenario, in the README's order (docs/reliability.md numbers them the same way). */
export const scenarios: readonly Scenario[] = [hostileCorpus];
