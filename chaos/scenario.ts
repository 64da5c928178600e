/**
 * What a chaos scenario is and what it reports (docs/reliability.md). A scenario applies one kind of
 * fault, as many times as it says, to a cluster of real `framehouse` processes, then checks what
 * must hold afterwards. It never throws for a broken promise: it reports the check as not held, with
 * the evidence, so one failure does not hide the others.
 */
import type { Cluster, ClusterOptions, Topology } from './cluster.ts';

export type { Topology };

/** One thing that must hold, and whether it did. `detail` is the evidence (counts, ids, the first few offenders). */
export interface Check {
  what: string;
  held: boolean;
  detail?: string;
}

export interface ScenarioReport {
  /** How many times the fault was applied (kills, restarts, hostile inputs, viewer-minutes…). */
  runs: number;
  checks: Check[];
  /** Figures for the README, already formatted: `{ 'p99 segment': '41 ms', 'RSS growth': '3.2 %' }`. */
  figures: Record<string, string>;
}

export interface ScenarioContext {
  topology: Topology;
  /** `--quick`: fewer repetitions and a short soak, for development; the README's figures come from full runs. */
  quick: boolean;
  /** A scratch folder of this scenario's own, removed afterwards. */
  tmp: string;
  /** Starts the cluster for this topology (embedded: one `serve`; scale-out: 2 api + 2 workers on PostgreSQL + S3). */
  startCluster(options?: ClusterOptions): Promise<Cluster>;
  /** A line of progress on the terminal (the runner prefixes the scenario's name). */
  log(message: string): void;
  /** Progress of the scenario's main loop, drawn as a bar. */
  progress(done: number, total: number): void;
}

export interface Scenario {
  /** Short and stable: the `--only` name and the README row key. */
  id: string;
  /** The README's wording of what it runs. */
  title: string;
  topologies: readonly Topology[];
  run(ctx: ScenarioContext): Promise<ScenarioReport>;
}

/** A check from a condition and the evidence that explains it. */
export const check = (what: string, held: boolean, detail?: string): Check =>
  detail === undefined ? { what, held } : { what, held, detail };

/** p-th percentile (0–100) of a list of numbers, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
