/**
 * `npm run chaos [-- --only a,b] [--topology embedded|scale-out] [--quick] [--readme] [--report]`
 *
 * Runs the fault scenarios (chaos/scenarios, docs/reliability.md) one after another on real
 * processes, prints what held and the figures, and keeps the results in chaos/results.json (one
 * entry per scenario and topology, replaced by newer runs). `--readme` writes the table into the
 * README between its chaos markers (`--report`: run nothing, only print — and with `--readme`
 * write — the table of the kept results). Exits 1 when any check did not hold.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { startCluster, type Topology } from './cluster.ts';
import { type ResultEntry, readResults, renderTables, writeReadme, writeResults } from './report.ts';
import type { Scenario, ScenarioReport } from './scenario.ts';
import { scenarios } from './scenarios/index.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    topology: { type: 'string' },
    quick: { type: 'boolean', default: false },
    readme: { type: 'boolean', default: false },
    report: { type: 'boolean', default: false },
  },
});

if (values.report) {
  const kept = await readResults();
  console.log(renderTables(kept, scenarios, 'text'));
  if (values.readme) await writeReadme(renderTables(kept, scenarios, 'markdown'));
  process.exit(kept.some((r) => r.checks.some((c) => !c.held)) ? 1 : 0);
}

const only = values.only?.split(',').map((s) => s.trim()) ?? [];
const unknown = only.filter((id) => !scenarios.some((s) => s.id === id));
if (unknown.length > 0) {
  console.error(
    `No such scenario: ${unknown.join(', ')}. There are: ${scenarios.map((s) => s.id).join(', ')}`,
  );
  process.exit(2);
}
const topologies: Topology[] = values.topology
  ? (values.topology.split(',') as Topology[])
  : ['embedded', 'scale-out'];
const chosen = scenarios.filter((s) => only.length === 0 || only.includes(s.id));

const commit = (() => {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown';
  }
})();

async function runOne(scenario: Scenario, topology: Topology): Promise<ResultEntry> {
  const tmp = await mkdtemp(join(tmpdir(), `fh-chaos-${scenario.id}-`));
  const started = Date.now();
  const bar = process.stdout.isTTY
    ? new SingleBar({ format: `  {bar} {value}/{total}  ${scenario.id} (${topology})`, hideCursor: true })
    : undefined;
  let barStarted = false;
  let clusters = 0;
  const stops: Array<() => Promise<void>> = [];
  let report: ScenarioReport;
  try {
    report = await scenario.run({
      topology,
      quick: values.quick ?? false,
      tmp,
      startCluster: async (options) => {
        const cluster = await startCluster(topology, join(tmp, `cluster-${++clusters}`), options);
        stops.push(() => cluster.stop());
        return cluster;
      },
      log: (message) => {
        if (barStarted) bar?.stop();
        barStarted = false;
        console.log(`  [${scenario.id}/${topology}] ${message}`);
      },
      progress: (done, total) => {
        if (!bar) return;
        if (!barStarted) bar.start(total, done);
        barStarted = true;
        bar.setTotal(total);
        bar.update(done);
      },
    });
  } catch (e) {
    // A scenario that cannot even run its faults is a result too: nothing it promises was shown.
    report = {
      runs: 0,
      checks: [{ what: 'the scenario ran to its end', held: false, detail: (e as Error).stack ?? String(e) }],
      figures: {},
    };
  } finally {
    if (barStarted) bar?.stop();
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
  return {
    scenario: scenario.id,
    title: scenario.title,
    topology,
    quick: values.quick ?? false,
    commit,
    ranAt: new Date().toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    ...report,
  };
}

const results = await readResults();
let failed = 0;
for (const scenario of chosen) {
  for (const topology of topologies.filter((t) => scenario.topologies.includes(t))) {
    console.log(`\n▶ ${scenario.title} (${topology})`);
    const entry = await runOne(scenario, topology);
    for (const c of entry.checks) {
      console.log(
        `  ${c.held ? '✓' : '✗'} ${c.what}${c.held || !c.detail ? '' : `\n      ${c.detail.split('\n').join('\n      ')}`}`,
      );
    }
    const figures = Object.entries(entry.figures).map(([k, v]) => `${k} ${v}`);
    console.log(`  ${entry.runs} runs, ${entry.seconds} s${figures.length ? `; ${figures.join(', ')}` : ''}`);
    if (entry.checks.some((c) => !c.held)) failed++;
    const at = results.findIndex((r) => r.scenario === entry.scenario && r.topology === entry.topology);
    if (at === -1) results.push(entry);
    else results[at] = entry;
    await writeResults(results);
  }
}

console.log(`\n${renderTables(results, scenarios, 'text')}`);
if (values.readme) await writeReadme(renderTables(results, scenarios, 'markdown'));
console.log(
  failed === 0 ? '\nEverything held.' : `\n${failed} scenario run(s) had a check that did not hold.`,
);
process.exit(failed === 0 ? 0 : 1);
