import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CMCD_KEYS, encodeCmcd } from '@svta/cml-cmcd';
import { AppError } from '../shared/errors.ts';
import { MAX_CMCD_LINES, parseCmcdReports } from './cmcd-reports.ts';

const NOW = Date.now();
const options = {
  version: 2,
  reportingMode: 'event',
  filter: (k: string) => CMCD_KEYS.includes(k as never),
} as const;
/** A line as hls.js's reporter encodes it. */
const line = (data: Record<string, unknown>) =>
  encodeCmcd(
    { v: 2, sf: 'h', sid: 'sess-1', cid: 'pb1', ts: NOW, sn: 0, e: 'ps', sta: 's', ...data } as never,
    options as never,
  );

async function refusal(body: string): Promise<{ line: number; reason: string }> {
  try {
    await parseCmcdReports(body, NOW);
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'FH_ERR_QOE_REPORT_INVALID');
    assert.equal(err.status, 400);
    return err.details as { line: number; reason: string };
  }
  assert.fail(`accepted: ${body}`);
}

test('hls.js lines: every key the server uses, typed; unknown keys ignored', async () => {
  const body = [
    line({ e: 'bc', sn: 3, br: [2928], ot: 'v', mtp: [5200], bl: [4000], st: 'v' }),
    line({ e: 'e', sn: 7, sta: 'f', ec: ['bufferStalledError'], pr: 1.5, 'com.example-x': 'y' }),
    line({ e: 't', sn: 8, sta: 'p', msd: 1234 }),
  ].join('\n');
  assert.match(body, /br=\(2928\)/);
  const reports = await parseCmcdReports(`${body}\n`, NOW);
  assert.deepEqual(reports, [
    {
      sid: 'sess-1',
      cid: 'pb1',
      report: { ts: NOW, sn: 3, event: 'bc', state: 's', data: { br: 2928, bl: 4000, mtp: 5200, st: 'v' } },
    },
    {
      sid: 'sess-1',
      cid: 'pb1',
      report: { ts: NOW, sn: 7, event: 'e', state: 'f', data: { pr: 1.5, ec: 'bufferStalledError' } },
    },
    { sid: 'sess-1', cid: 'pb1', report: { ts: NOW, sn: 8, event: 't', state: 'p', data: { msd: 1234 } } },
  ]);
});

test('a br list with object types: the video item is the bitrate', async () => {
  const [r] = await parseCmcdReports(`e=bc,ts=${NOW},sid="s",cid="c",br=(128;ot=a 3000;ot=v)`, NOW);
  assert.equal(r?.report.data.br, 3000);
});

test('sn is optional (0), sta and st of a newer player are ignored, CRLF and blank lines pass', async () => {
  const reports = await parseCmcdReports(`\r\ne=t,ts=${NOW},sid="s",cid="c",sta=z,st=x\r\n\r\n`, NOW);
  assert.deepEqual(reports, [
    { sid: 's', cid: 'c', report: { ts: NOW, sn: 0, event: 't', state: null, data: {} } },
  ]);
});

test('refusals name the line and the reason', async () => {
  const good = line({});
  assert.deepEqual(await refusal(`${good}\ngarbage!!`), { line: 2, reason: 'not a CMCD dictionary' });
  assert.equal(
    (await refusal(`ts=${NOW},sid="s",cid="c"`)).reason,
    '`e` (event type) is missing or not a token',
  );
  assert.match((await refusal(`e=t,sid="s",cid="c"`)).reason, /`ts` is missing/);
  assert.match(
    (await refusal(`e=t,ts="${NOW}",sid="s",cid="c"`)).reason,
    /`ts` is missing or not an integer/,
  );
  assert.match((await refusal(`e=t,ts=12345.5,sid="s",cid="c"`)).reason, /`ts` is missing or not an integer/);
  assert.match((await refusal(`e=t,ts=${NOW - 25 * 3600_000},sid="s",cid="c"`)).reason, /24 h/);
  assert.match((await refusal(`e=t,ts=${NOW},cid="c"`)).reason, /`sid`/);
  assert.match((await refusal(`e=t,ts=${NOW},sid="has space",cid="c"`)).reason, /`sid`/);
  assert.match((await refusal(`e=t,ts=${NOW},sid="${'x'.repeat(65)}",cid="c"`)).reason, /`sid`/);
  assert.match((await refusal(`e=t,ts=${NOW},sid="s"`)).reason, /`cid`/);
  assert.match((await refusal(`e=t,ts=${NOW},sid="s",cid=?1`)).reason, /`cid`/);
  assert.match((await refusal(`e=t,ts=${NOW},sid="s",cid="c",sn=-1`)).reason, /`sn`/);
  assert.match((await refusal(`e=t,ts=${NOW},sid="s",cid="c",br="fast"`)).reason, /`br` is not a number/);
  assert.match((await refusal(`e=t,ts=${NOW},sid="s",cid="c",ec=(1)`)).reason, /`ec`/);
  assert.match((await refusal(`e=t,ts=${NOW},sid="s",cid="c",sta=?1`)).reason, /`sta`/);
  assert.deepEqual(await refusal('\n\n'), { line: 0, reason: 'no report' });
});

test(`at most ${MAX_CMCD_LINES} reports a body`, async () => {
  const lines = Array.from({ length: MAX_CMCD_LINES }, (_, i) => line({ e: 't', sn: i }));
  assert.equal((await parseCmcdReports(lines.join('\n'), NOW)).length, MAX_CMCD_LINES);
  const over = await refusal([...lines, line({ e: 't', sn: 999 })].join('\n'));
  assert.equal(over.line, MAX_CMCD_LINES + 1);
});

test('numbers no player measures are refused, so no sum becomes infinite', async () => {
  assert.match((await refusal(line({ e: 'bc', br: [1e12] }))).reason, /`br` is out of range/);
});
