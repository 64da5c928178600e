import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { presentTimeline, serverOffset, stateIntervals } from './view.presenter.ts';
import type { ViewEventRow } from './view-reads.repo.ts';

const STARTED = Date.UTC(2025, 0, 1, 12);
const iso = (ms: number) => new Date(STARTED + ms).toISOString();
const renditions = JSON.stringify([
  { rendition: '360p', bitrate_kbps: 800, playing_ms: 1, rebuffer_count: 0, rebuffer_ms: 0, upscaled_ms: 0 },
  {
    rendition: '1080p',
    bitrate_kbps: 5000,
    playing_ms: 1,
    rebuffer_count: 0,
    rebuffer_ms: 0,
    upscaled_ms: 0,
  },
]);
/** Events of a player whose clock reads 1,000,000 at the first report. */
const events = (list: [number, string, string | null, Record<string, unknown>][]): ViewEventRow[] =>
  list.map(([at, event, state, data], sn) => ({
    ts: 1_000_000 + at,
    sn,
    event,
    state,
    data: JSON.stringify(data),
  }));

describe('a view’s timeline and state intervals', () => {
  test('report times move to the server clock by started_at − the earliest ts', () => {
    const e = events([
      [0, 'ps', 's', {}],
      [1500, 'ps', 'p', { br: 800 }],
    ]);
    assert.equal(serverOffset({ started_at: STARTED }, e), STARTED - 1_000_000);
    assert.deepEqual(
      presentTimeline({ started_at: STARTED }, e).map((t) => [t.time, t.event, t.state, t.data]),
      [
        [iso(0), 'ps', 's', {}],
        [iso(1500), 'ps', 'p', { br: 800 }],
      ],
    );
    assert.deepEqual(presentTimeline({ started_at: STARTED }, []), []);
  });

  test('intervals split at each state and each bitrate change, the nearest rendition named', () => {
    const view = { started_at: STARTED, last_report_at: STARTED + 10_000, renditions };
    const e = events([
      [0, 't', null, {}], // before any play state: no interval
      [100, 'ps', 's', {}],
      [900, 'ps', 'p', { br: 780 }],
      [3000, 'bc', null, { br: 4800 }],
      [5000, 't', null, { br: 4800 }], // the same bitrate again: no split
      [6000, 'ps', 'r', {}],
      [7000, 'ps', 'p', {}],
    ]);
    assert.deepEqual(stateIntervals(view, e), [
      { state: 's', from: iso(100), to: iso(900), rendition: null },
      { state: 'p', from: iso(900), to: iso(3000), rendition: '360p' },
      { state: 'p', from: iso(3000), to: iso(6000), rendition: '1080p' },
      { state: 'r', from: iso(6000), to: iso(7000), rendition: '1080p' },
      { state: 'p', from: iso(7000), to: iso(10_000), rendition: '1080p' },
    ]);
  });

  test('a bitrate no rendition is known for goes by its value; no play state, no interval', () => {
    const view = { started_at: STARTED, last_report_at: STARTED + 2000, renditions: '[]' };
    assert.deepEqual(stateIntervals(view, events([[0, 'ps', 'p', { br: 1234.4 }]])), [
      { state: 'p', from: iso(0), to: iso(2000), rendition: '1234 kbps' },
    ]);
    assert.deepEqual(stateIntervals(view, events([[0, 't', null, {}]])), []);
  });
});
