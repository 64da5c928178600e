import { readFile, writeFile } from 'node:fs/promises';
import { markdownTable, textTable } from '../bench/table.ts';
import type { Topology } from './cluster.ts';
import type { Scenario, ScenarioReport } from './scenario.ts';

/** One scenario on one topology, as last run: what chaos/results.json keeps and the README shows. */
export interface ResultEntry extends ScenarioReport {
  scenario: string;
  title: string;
  topology: Topology;
  /** A `--quick` run (fewer repetitions): marked as such in the table. */
  quick: boolean;
  /** The commit it ran on (`+changes` when the tree had uncommitted changes). */
  commit: string;
  ranAt: string;
  seconds: number;
}

const RESULTS = new URL('./results.json', import.meta.url);
const README = new URL('../README.md', import.meta.url);
const BEGIN = '<!-- chaos:begin (written by npm run chaos -- --readme) -->';
const END = '<!-- chaos:end -->';

export async function readResults(): Promise<ResultEntry[]> {
  try {
    return JSON.parse(await readFile(RESULTS, 'utf8')) as ResultEntry[];
  } catch {
    return [];
  }
}

export async function writeResults(results: ResultEntry[]): Promise<void> {
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
}

/** The README table: a row per scenario and topology, in the scenarios' order. */
export function renderTables(
  results: ResultEntry[],
  scenarios: readonly Scenario[],
  as: 'text' | 'markdown',
): string {
  const rows: string[][] = [];
  for (const s of scenarios) {
    for (const r of results.filter((x) => x.scenario === s.id)) {
      const held = r.checks.filter((c) => c.held).length;
      const broken = r.checks.filter((c) => !c.held).map((c) => `✗ ${c.what}`);
      rows.push([
        s.title,
        r.topology,
        `${r.runs}${r.quick ? ' (quick)' : ''}`,
        broken.length === 0
          ? `${held}/${r.checks.length} ✓`
          : `${held}/${r.checks.length}: ${broken.join('; ')}`,
        Object.entries(r.figures)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
        r.commit,
      ]);
    }
  }
  const table = { head: ['scenario', 'topology', 'runs', 'held', 'figures', 'commit'], rows };
  return as === 'markdown' ? markdownTable(table) : textTable(table);
}

export async function writeReadme(table: string): Promise<void> {
  const readme = await readFile(README, 'utf8');
  const from = readme.indexOf(BEGIN);
  const to = readme.indexOf(END);
  if (from === -1 || to < from) throw new Error(`README.md has no ${BEGIN} … ${END} markers`);
  await writeFile(README, `${readme.slice(0, from + BEGIN.length)}\n${table}\n${readme.slice(to)}`);
}
