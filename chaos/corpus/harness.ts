/**
 * What a hostile-corpus entry is and the clients it sends itself with: a multipart upload, a tus
 * upload, JSON and raw requests. Every answer's body passes through `seen` so the scenario can
 * look for the canary's secret in all of them.
 *
 * An entry's answer is a short string, compared to the one it must get:
 * - `STATUS FH_ERR_…` for a request refused outright (`422 FH_ERR_VALIDATION`);
 * - `errored FH_ERR_…` for an asset accepted, then refused by the pipeline with that code;
 * - `ready` (or `ready image` …) for hostile wrapping around a valid file: the wrapping must do no
 *   harm, the file itself is fine;
 * - for live ingest, a word for what the node did (`closed`, `refused`, …).
 */
import net from 'node:net';
import type { Cluster } from '../cluster.ts';

export type Family =
  | 'empty'
  | 'truncated'
  | 'mislabelled'
  | 'polyglot'
  | 'playlist'
  | 'url-ingest'
  | 'bomb'
  | 'absurd'
  | 'names'
  | 'bodies'
  | 'live';

export interface CorpusEntry {
  id: string;
  family: Family;
  /** One line: what the input is. */
  what: string;
  /** The answer it must get (see above). */
  expect: string;
  /** Needs the live role (RTMP/SRT): embedded only, the scale-out cluster starts no live node. */
  live?: boolean;
  run(h: Harness): Promise<string>;
}

export interface Harness {
  cluster: Cluster;
  /** Scratch folder for the inputs built at run time (outside every data folder). */
  dir: string;
  /** A file outside the data folders holding `secret`: playlists point at it. */
  canaryPath: string;
  secret: string;
  /** http://127.0.0.1:PORT of the bait server: nothing may ever reach it. */
  baitUrl: string;
  /** http://169.254.169.254 when the metadata address could be put on loopback with a bait behind it. */
  metadataUrl: string;
  /** Every answer body the harness read, for the secret search. */
  seen(body: string): void;
  /** Builds (once) and returns the path of a generated input. */
  make(name: string): Promise<string>;
  /** Live only. */
  live?: LiveHarness;
  /** How long to wait for an asset to settle. */
  settleMs: number;
}

export interface LiveHarness {
  rtmpPort: number;
  /** RTMP base URL, `rtmp://127.0.0.1:PORT/live`. */
  rtmp: string;
  /** The stream the good publisher is on: it must stay active through every live entry. */
  goodStreamId: string;
  createStream(body?: Record<string, unknown>): Promise<LiveStream>;
  getStream(id: string): Promise<LiveStream>;
}

export interface LiveStream {
  id: string;
  status: string;
  stream_key?: string;
  srt_passphrase?: string;
  ingest: { rtmp: string; srt: string | null };
  last_error: { code: string; message: string } | null;
}

/** `STATUS CODE` of a JSON error answer (the code empty when the body is not our error shape). */
export async function answerOf(
  h: Harness,
  res: Response,
): Promise<{ status: number; text: string; code: string }> {
  const text = await res.text();
  h.seen(text);
  let code = '';
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '';
  } catch {}
  return { status: res.status, text, code };
}

/** A refused request's answer, or, for an accepted asset, how it settled. */
export async function assetAnswer(h: Harness, res: Response): Promise<string> {
  const a = await answerOf(h, res);
  if (a.status !== 202 && a.status !== 201) return `${a.status} ${a.code}`.trim();
  const id = (JSON.parse(a.text) as { data: { id: string } }).data.id;
  return settle(h, id);
}

export interface SettledAsset {
  id: string;
  status: string;
  kind: string | null;
  title: string | null;
  width: number | null;
  height: number | null;
  duration: number | null;
  source?: { filename: string | null };
  errors: { code: string; message: string }[];
}

/** Polls an asset until it is ready or errored; `stuck <status>` when it is neither in time. */
export async function settle(
  h: Harness,
  id: string,
  onSettled?: (a: SettledAsset) => string,
): Promise<string> {
  const deadline = Date.now() + h.settleMs;
  let last = 'unknown';
  while (Date.now() < deadline) {
    const res = await h.cluster.api(`/v1/assets/${id}`);
    const a = await answerOf(h, res);
    if (res.status !== 200) return `asset ${a.status} ${a.code}`;
    const asset = (JSON.parse(a.text) as { data: SettledAsset }).data;
    last = asset.status;
    if (asset.status === 'errored') return `errored ${asset.errors[0]?.code ?? '(no code)'}`;
    if (asset.status === 'ready') return onSettled ? onSettled(asset) : 'ready';
    await new Promise((r) => setTimeout(r, 250));
  }
  return `stuck ${last}`;
}

/** POST /v1/assets as multipart: one `file` part, optional `title`, extra fields. */
export async function uploadMultipart(
  h: Harness,
  file: { bytes: Uint8Array; filename: string; type?: string },
  fields: Record<string, string> = {},
): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append(
    'file',
    new Blob([file.bytes], { type: file.type ?? 'application/octet-stream' }),
    file.filename,
  );
  return h.cluster.api('/v1/assets', { method: 'POST', body: form });
}

/** Base64 for tus's Upload-Metadata. */
export const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

/**
 * A whole tus upload in one PATCH: creation with `headers` (Upload-Metadata…), then the bytes.
 * Answers the refusal of either step, else the asset's settled state.
 */
export async function uploadTus(
  h: Harness,
  bytes: Uint8Array,
  headers: Record<string, string>,
  onSettled?: (a: SettledAsset) => string,
): Promise<string> {
  const created = await h.cluster.api('/v1/uploads', {
    method: 'POST',
    headers: { 'tus-resumable': '1.0.0', 'upload-length': String(bytes.length), ...headers },
  });
  if (created.status !== 201) {
    const a = await answerOf(h, created);
    return `${a.status} ${a.code}`.trim();
  }
  await created.arrayBuffer();
  const location = created.headers.get('location') ?? '';
  const url = new URL(location, h.cluster.url).href;
  if (bytes.length > 0) {
    const patched = await h.cluster.api(url, {
      method: 'PATCH',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: bytes,
    });
    if (patched.status !== 204) {
      const a = await answerOf(h, patched);
      return `${a.status} ${a.code}`.trim();
    }
  }
  const id = url.split('/').pop() ?? '';
  let assetId: string | null = null;
  for (let i = 0; i < 80 && !assetId; i++) {
    const res = await h.cluster.api(`/v1/uploads/${id}`);
    const a = await answerOf(h, res);
    if (res.status === 200)
      assetId = (JSON.parse(a.text) as { data: { asset_id: string | null } }).data.asset_id;
    if (!assetId) await new Promise((r) => setTimeout(r, 250));
  }
  if (!assetId) return 'upload has no asset';
  return settle(h, assetId, onSettled);
}

/** JSON POST/PATCH with the admin key. */
export async function sendJson(h: Harness, path: string, body: string, method = 'POST'): Promise<string> {
  const res = await h.cluster.api(path, { method, headers: { 'content-type': 'application/json' }, body });
  const a = await answerOf(h, res);
  return `${a.status} ${a.code}`.trim();
}

/**
 * One HTTP/1.1 request written byte for byte (what fetch refuses to send: raw paths, odd
 * headers). Answers the status and body; `no answer` when the server closes without one.
 */
export function rawRequest(
  h: Harness,
  head: string,
  body: Buffer = Buffer.alloc(0),
  timeoutMs = 15_000,
): Promise<{ status: number; code: string; text: string }> {
  const url = new URL(h.cluster.url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const all = Buffer.concat(chunks).toString('latin1');
      h.seen(all);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(all)?.[1] ?? 0);
      const text = all.slice(all.indexOf('\r\n\r\n') + 4);
      const code = /"code":"(FH_ERR_[A-Z_]+)"/.exec(text)?.[1] ?? '';
      resolve({ status, code, text });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (d) => {
      chunks.push(d);
      // One answer is enough: stop once its body (Content-Length) is in.
      const all = Buffer.concat(chunks).toString('latin1');
      const end = all.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(all.slice(0, end))?.[1];
      if (end >= 0 && length !== undefined && all.length >= end + 4 + Number(length)) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(head.replace(/\n/g, '\r\n').replace(/\r\r\n/g, '\r\n'));
    socket.write(body);
  });
}

export const authHeader = (h: Harness) => `Authorization: Bearer ${h.cluster.apiKey}\n`;
