import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import type { TestServer } from './server.ts';
import { waitForValue } from './wait.ts';

/** What the tests read of a view (docs/qoe.md, `View`; one view adds `timeline` and `states`). */
export interface QoeView {
  id: string;
  playback_id: string;
  asset_id: string | null;
  live_stream_id: string | null;
  stream_type: string;
  device_type: string;
  os: string;
  browser: string;
  country: string;
  started_at: string;
  ended_at: string;
  closed: boolean;
  startup_ms: number | null;
  exited_before_start: boolean;
  failed: boolean;
  rebuffer_count: number;
  rebuffer_ms: number;
  watch_time_seconds: number;
  playing_time_seconds: number;
  renditions: Array<{ rendition: string | null; playing_ms: number }>;
  score: number | null;
  timeline?: Array<{ time: string; event: string; state: string | null; data: Record<string, unknown> }>;
  states?: Array<{ state: string; from: string; to: string }>;
}

export interface QoeTotals {
  views: number;
  open_views: number;
  startup_ms: { median: number | null };
  score: number | null;
}

/** The views of one asset (or live stream), newest first (the API's own answer, through the admin key). */
export async function viewsOf(server: TestServer, assetId: string, of = 'asset_id'): Promise<QoeView[]> {
  const res = await server.api<{ data: QoeView[] }>(`/v1/qoe/views?${of}=${assetId}&limit=100`);
  if (res.status !== 200)
    throw new Error(`GET /v1/qoe/views answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.data;
}

export async function viewDetail(server: TestServer, id: string): Promise<QoeView> {
  const res = await server.api<{ data: QoeView }>(`/v1/qoe/views/${id}`);
  if (res.status !== 200) throw new Error(`GET /v1/qoe/views/${id} answered ${res.status}`);
  return res.body.data;
}

/** The overview's totals over the last day (optionally for one asset). */
export async function overviewTotals(server: TestServer, assetId?: string): Promise<QoeTotals> {
  const q = new URLSearchParams({ from: new Date(Date.now() - 86_400_000).toISOString() });
  q.set('to', new Date(Date.now() + 60_000).toISOString());
  if (assetId) q.set('asset_id', assetId);
  const res = await server.api<{ data: { totals: QoeTotals } }>(`/v1/qoe/overview?${q}`);
  if (res.status !== 200)
    throw new Error(`GET /v1/qoe/overview answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.data.totals;
}

/** Waits for a view of this asset that `done` accepts. */
export const waitForView = (
  server: TestServer,
  assetId: string,
  done: (v: QoeView) => boolean,
  what: string,
  timeoutMs = 20_000,
  of = 'asset_id',
) =>
  waitForValue(
    async () => (await viewsOf(server, assetId, of)).find(done),
    (v) => v !== undefined,
    { timeoutMs, intervalMs: 250, what },
  ) as Promise<QoeView>;

/** Every request a page makes to the reporting endpoints, with its body (sendBeacon's included). */
export function recordReports(page: Page): Array<{ path: string; type: string; body: string | null }> {
  const seen: Array<{ path: string; type: string; body: string | null }> = [];
  page.on('request', (r: Request) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/v1/qoe/'))
      seen.push({ path, type: r.headers()['content-type'] ?? '', body: r.postData() });
  });
  return seen;
}

/**
 * The docs' pictures, taken only when asked (`FRAMEHOUSE_PICTURES=1`): a test run leaves the
 * checkout as it found it.
 */
export async function picture(page: Page, name: string): Promise<void> {
  if (process.env.FRAMEHOUSE_PICTURES !== '1') return;
  const dir = join(import.meta.dirname, '..', '..', 'docs', 'images');
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name), fullPage: true });
}
