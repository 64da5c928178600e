/**
 * `dependency-outage` (docs/reliability.md), scale-out only (embedded has no external dependency:
 * its database is a file and its store a folder in the process). Under a steady load — asset reads,
 * listings, playlist fetches, a few uploads — the harness breaks one dependency at a time through
 * its relays: PostgreSQL's connections cut and new ones refused; S3 answering 500; S3 not answering.
 * During each fault a failed request must get a coded JSON 5xx (no stack, no raw driver text, no
 * hang past REQUEST_BOUND_MS), /readyz must answer 503 naming the part with a reason a person
 * reads; after it, /readyz and the load must be fine again within 60 s; every asset acknowledged
 * with 202 must end ready.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeClip } from '../../test/fixtures/media.ts';
import type { Cluster } from '../cluster.ts';
import { type Check, check, percentile, type Scenario } from '../scenario.ts';

/**
 * The longest a request may take during a fault. The S3 client gives up on a silent store after
 * 5 s a try, 3 tries (~16 s with back-off); PostgreSQL connections fail at once when refused and
 * within 5 s when they cannot be made. 20 s covers both with room for a busy 2-core machine; a
 * request that waits longer is what a user reads as a hang.
 */
const REQUEST_BOUND_MS = 20_000;
const RECOVERY_BOUND_MS = 60_000;

type Kind = 'asset' | 'list' | 'playlist' | 'upload';
interface Sample {
  kind: Kind;
  start: number;
  ms: number;
  status: number;
  /** Why the answer is not acceptable as a failure (empty when it is a coded 5xx or a success). */
  flaw: string;
  code: string;
}

interface Phase {
  name: string;
  part: 'database' | 'object_store';
  start: number;
  end: number;
  readyz: { status: number; reason: string }[];
  recoveredAfterMs: number | null;
}

/** Words that mean a stack trace or a driver's own text reached the client. */
const LEAKS =
  /\bat \S+ \(|node_modules|\.ts:\d+|ECONN|EPIPE|ETIMEDOUT|getaddrinfo|Connection terminated|\$metadata|UnknownError|SQLSTATE|syntax error|<\?xml/i;

export const dependencyOutage: Scenario = {
  id: 'dependency-outage',
  title: 'PostgreSQL cut and refused, S3 answering 500 then nothing, under load',
  topologies: ['scale-out'],
  async run(ctx) {
    const faultMs = ctx.quick ? 10_000 : 30_000;
    const clip = await readFile(
      await makeClip(ctx.tmp, { name: 'load', width: 320, height: 240, seconds: 2 }),
    );
    const cluster = await ctx.startCluster({
      env: { FRAMEHOUSE_USAGE_FLUSH_SECONDS: '5' },
    });
    const checks: Check[] = [];
    const acknowledged = new Set<string>();

    const upload = async (): Promise<Response> => {
      const form = new FormData();
      form.append('title', 'outage load');
      form.append('file', new Blob([new Uint8Array(clip)], { type: 'video/mp4' }), 'load.mp4');
      const res = await cluster.api(`${cluster.urls[acknowledged.size % cluster.urls.length]}/v1/assets`, {
        method: 'POST',
        body: form,
        signal: AbortSignal.timeout(120_000),
      });
      if (res.status === 202) {
        const body = (await res.clone().json()) as { data: { id: string } };
        acknowledged.add(body.data.id);
      }
      return res;
    };

    // Two assets ready before any fault: the load reads them.
    for (let i = 0; i < 2; i++) await upload();
    const seedIds = [...acknowledged];
    const seedReady = await waitReady(cluster, seedIds, 300_000);
    if (seedReady.length < seedIds.length) {
      return {
        runs: 0,
        checks: [check('the seed assets become ready before the faults', false, `${seedReady.length} of 2`)],
        figures: {},
      };
    }
    const asset = (await (await cluster.api(`/v1/assets/${seedIds[0]}`)).json()) as {
      data: { playback: { hls: string } };
    };
    const playlist = asset.data.playback.hls;

    // The load: 3 readers cycling the reads, one uploader every few seconds, each request timed.
    const samples: Sample[] = [];
    let stop = false;
    const timed = async (kind: Kind, send: () => Promise<Response>) => {
      const start = Date.now();
      let status = 0;
      let flaw = '';
      let code = '';
      try {
        const res = await send();
        status = res.status;
        const text = await res.text();
        if (status >= 400) {
          let body: { error?: { code?: unknown; message?: unknown } } | undefined;
          try {
            body = JSON.parse(text);
          } catch {
            flaw = `not JSON: ${text.slice(0, 80)}`;
          }
          code = typeof body?.error?.code === 'string' ? body.error.code : '';
          if (!flaw && (!code || typeof body?.error?.message !== 'string'))
            flaw = `no {error:{code,message}}: ${text.slice(0, 80)}`;
          else if (!flaw && status < 500) flaw = `a ${status} for a server-side fault`;
          else if (!flaw && LEAKS.test(text)) flaw = `leaks: ${text.slice(0, 120)}`;
        }
      } catch (e) {
        flaw = `no answer: ${(e as Error).name}`;
      }
      samples.push({ kind, start, ms: Date.now() - start, status, flaw, code });
    };
    const url = (i: number) => cluster.urls[i % cluster.urls.length] as string;
    const reader = async (i: number) => {
      let k = i;
      while (!stop) {
        const base = url(k++);
        const signal = AbortSignal.timeout(60_000);
        await timed('asset', () => cluster.api(`${base}/v1/assets/${seedIds[k % 2]}`, { signal }));
        await timed('list', () => cluster.api(`${base}/v1/assets?limit=20`, { signal }));
        await timed('playlist', () => cluster.api(`${base}${playlist}`, { signal }));
        await sleep(200);
      }
    };
    const uploader = async () => {
      while (!stop) {
        await timed('upload', upload);
        await sleep(4000);
      }
    };
    const load = Promise.all([reader(0), reader(1), reader(2), uploader()]);

    const readyz = async (base: string) => {
      try {
        const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10_000) });
        const body = (await res.json()) as { checks?: Record<string, string> };
        return { status: res.status, checks: body.checks ?? {} };
      } catch (e) {
        return { status: 0, checks: { error: (e as Error).message } };
      }
    };

    const phases: Phase[] = [];
    const runFault = async (name: string, part: Phase['part'], apply: () => void, lift: () => void) => {
      // An upload just before the fault: its jobs (probe, transcode) run into it.
      await timed('upload', upload);
      await sleep(500);
      ctx.log(`${name} for ${faultMs / 1000} s`);
      const phase: Phase = { name, part, start: Date.now(), end: 0, readyz: [], recoveredAfterMs: null };
      apply();
      while (Date.now() - phase.start < faultMs) {
        const r = await readyz(url(phase.readyz.length));
        phase.readyz.push({ status: r.status, reason: r.checks[part] ?? JSON.stringify(r.checks) });
        await sleep(1000);
      }
      lift();
      phase.end = Date.now();
      phases.push(phase);
      // Recovered: every api ready and one request of each kind answered 2xx, after the fault ended.
      while (Date.now() - phase.end < RECOVERY_BOUND_MS + 30_000) {
        const allReady = (await Promise.all(cluster.urls.map(readyz))).every((r) => r.status === 200);
        const since = samples.filter((s) => s.start > phase.end);
        const kindsOk = (['asset', 'list', 'playlist'] as const).every((k) =>
          since.some((s) => s.kind === k && s.status >= 200 && s.status < 300),
        );
        if (allReady && kindsOk) {
          phase.recoveredAfterMs = Date.now() - phase.end;
          break;
        }
        await sleep(500);
      }
      ctx.log(`${name}: recovered after ${phase.recoveredAfterMs ?? 'never'} ms`);
    };

    const pgRelay = cluster.faults.postgres;
    const s3Relay = cluster.faults.objectStore;
    if (!pgRelay || !s3Relay) throw new Error('dependency-outage needs the scale-out relays');
    await runFault(
      'PostgreSQL cut + refused',
      'database',
      () => {
        pgRelay.setMode('refuse');
        pgRelay.cutAll();
      },
      () => pgRelay.setMode('pass'),
    );
    await runFault(
      'S3 answering 500',
      'object_store',
      () => s3Relay.setMode('error'),
      () => s3Relay.setMode('pass'),
    );
    await runFault(
      'S3 not answering',
      'object_store',
      () => s3Relay.setMode('hang'),
      () => s3Relay.setMode('pass'),
    );
    await sleep(5000);
    stop = true;
    await load;

    // Per fault: the failures, their codes, the slowest request, /readyz, recovery.
    const figures: Record<string, string> = {};
    for (const phase of phases) {
      const during = samples.filter((s) => s.start >= phase.start && s.start < phase.end);
      const failed = during.filter((s) => s.status === 0 || s.status >= 400);
      // A dependency down is the server's trouble and passes: a 503 naming that dependency.
      const expected =
        phase.part === 'database' ? 'FH_ERR_DATABASE_UNAVAILABLE' : 'FH_ERR_STORAGE_UNAVAILABLE';
      for (const f of failed)
        if (!f.flaw && (f.status !== 503 || f.code !== expected))
          f.flaw = `${f.status} ${f.code}, not 503 ${expected}`;
      const flawed = during.filter((s) => s.flaw);
      const codes = new Map<string, number>();
      for (const f of failed) {
        const key = `${f.status} ${f.code || '-'}`;
        codes.set(key, (codes.get(key) ?? 0) + 1);
      }
      const codeList = [...codes].map(([k, v]) => `${k} ×${v}`).join(', ') || 'none';
      const maxMs = Math.max(0, ...during.map((s) => s.ms));
      checks.push(
        check(
          `${phase.name}: every failed request got a coded JSON 503 naming ${phase.part} (no stack, no driver text)`,
          failed.length > 0 && flawed.length === 0,
          `${during.length} requests, ${failed.length} failed (${codeList})${
            flawed.length
              ? `; ${flawed.length} flawed, e.g. ${flawed
                  .slice(0, 2)
                  .map((f) => `${f.kind} ${f.status}: ${f.flaw}`)
                  .join(' | ')}`
              : ''
          }`,
        ),
      );
      checks.push(
        check(
          `${phase.name}: no request took longer than ${REQUEST_BOUND_MS / 1000} s`,
          maxMs <= REQUEST_BOUND_MS,
          `max ${(maxMs / 1000).toFixed(1)} s, p99 ${(
            percentile(
              during.map((s) => s.ms),
              99,
            ) / 1000
          ).toFixed(1)} s`,
        ),
      );
      const failing = phase.readyz.filter((r) => r.status === 503);
      const understood = failing.filter(
        (r) => /^failing: /.test(r.reason) && !/UnknownError|^failing: \s*$|undefined/.test(r.reason),
      );
      checks.push(
        check(
          `${phase.name}: /readyz answers 503 naming ${phase.part} with a reason a person reads`,
          failing.length > 0 && understood.length === failing.length,
          `${failing.length} of ${phase.readyz.length} probes 503; e.g. "${(failing.at(-1) ?? phase.readyz.at(-1))?.reason ?? ''}"`,
        ),
      );
      checks.push(
        check(
          `${phase.name}: /readyz 200 and the load succeeding within ${RECOVERY_BOUND_MS / 1000} s of the fault's end`,
          phase.recoveredAfterMs !== null && phase.recoveredAfterMs <= RECOVERY_BOUND_MS,
          `recovered after ${phase.recoveredAfterMs === null ? 'never' : `${(phase.recoveredAfterMs / 1000).toFixed(1)} s`}`,
        ),
      );
      const short =
        phase.part === 'database' ? 'PostgreSQL' : phase.name.includes('500') ? 'S3 500' : 'S3 hang';
      figures[`${short}: recovery`] =
        phase.recoveredAfterMs === null ? 'never' : `${(phase.recoveredAfterMs / 1000).toFixed(1)} s`;
      figures[`${short}: failed`] = `${failed.length}/${during.length} (${
        [...codes.keys()]
          .map((k) => k.split(' ')[1])
          .filter((v, i, a) => a.indexOf(v) === i)
          .join(', ') || 'none'
      })`;
      figures[`${short}: max request`] = `${(maxMs / 1000).toFixed(1)} s`;
    }

    // Nothing lost: every asset acknowledged with 202 (before, during, after the faults) ends ready.
    const ids = [...acknowledged];
    ctx.log(`waiting for ${ids.length} acknowledged assets`);
    const ready = await waitReady(cluster, ids, ctx.quick ? 300_000 : 600_000);
    const notReady = ids.filter((id) => !ready.includes(id));
    const states = notReady.length
      ? await cluster.query<{ id: string; status: string }>(
          `select id, status from assets where id in (${notReady.map(() => '?').join(',')})`,
          notReady,
        )
      : [];
    checks.push(
      check(
        `every asset acknowledged with 202 ends ready (jobs retried through the faults)`,
        notReady.length === 0,
        `${ready.length} of ${ids.length} ready${
          states.length
            ? `; ${states
                .slice(0, 4)
                .map((s) => `${s.id} ${s.status}`)
                .join(', ')}`
            : ''
        }`,
      ),
    );
    const dead = await cluster.query<{ type: string; n: number | string }>(
      "select type, count(*) as n from jobs where state = 'dead' group by type",
    );
    checks.push(
      check(
        'no job dead-lettered by the outages',
        dead.length === 0,
        dead.length ? dead.map((d) => `${d.type} ×${d.n}`).join(', ') : undefined,
      ),
    );
    // An asset is ready once its first rung plays; its job goes on with the others: let them end.
    for (let until = Date.now() + 300_000; Date.now() < until; await sleep(2000)) {
      const open = await cluster.query(
        "select id from jobs where last_error is not null and state in ('queued', 'running')",
      );
      if (open.length === 0) break;
    }
    const retried = await cluster.query<{ type: string; state: string; n: number | string }>(
      'select type, state, count(*) as n from jobs where last_error is not null group by type, state',
    );
    checks.push(
      check(
        'jobs that failed an attempt in the outages were retried to the end',
        retried.length > 0 && retried.every((r) => r.state === 'completed'),
        `jobs with a failed attempt, by state: ${retried.map((r) => `${r.type} ${r.state} ${r.n}`).join(', ') || 'none'}`,
      ),
    );
    const died = cluster.procs.filter((p) => !p.alive());
    checks.push(
      check(
        'every process stayed up through the outages',
        died.length === 0,
        died.length ? `died: ${died.map((p) => p.name).join(', ')}` : `${cluster.procs.length} processes up`,
      ),
    );
    figures.requests = String(samples.length);
    return { runs: phases.length, checks, figures };
  },
};

async function waitReady(cluster: Cluster, ids: string[], ms: number): Promise<string[]> {
  const ready = new Set<string>();
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && ready.size < ids.length) {
    for (const id of ids) {
      if (ready.has(id)) continue;
      const rows = await cluster.query<{ status: string }>('select status from assets where id = ?', [id]);
      if (rows[0]?.status === 'ready') ready.add(id);
      if (rows[0]?.status === 'errored') ready.add(`!${id}`);
    }
    if ([...ids].every((id) => ready.has(id) || ready.has(`!${id}`))) break;
    await sleep(2000);
  }
  return ids.filter((id) => ready.has(id));
}
