/**
 * Hostile requests: URL ingest pointed at loopback, the metadata address and file:; path
 * traversal and control characters in file names, titles, tus metadata and headers, and object
 * keys; oversized and malformed JSON and multipart bodies.
 */
import { readFile } from 'node:fs/promises';
import {
  answerOf,
  assetAnswer,
  authHeader,
  b64,
  type CorpusEntry,
  type Harness,
  rawRequest,
  type SettledAsset,
  sendJson,
  settle,
  uploadMultipart,
  uploadTus,
} from './harness.ts';

const ingest = (id: string, what: string, expect: string, url: (h: Harness) => string): CorpusEntry => ({
  id,
  family: 'url-ingest',
  what,
  expect,
  run: async (h) =>
    assetAnswer(
      h,
      await h.cluster.api('/v1/assets', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: url(h), title: id }),
      }),
    ),
});

const baitPort = (h: Harness) => new URL(h.baitUrl).port;
const REFUSED = 'errored FH_ERR_ADDRESS_REFUSED';

/** Control characters, a path and markup: what a name must not carry into a key, a log line or a page. */
const NASTY = '../../../../tmp/evil\u0000\u0001\u001b[31m\r\nX-Injected: 1\u202e<script>.mp4';

/** A ready asset's stored names hold no path separator, NUL or line break. */
const cleanNames = (a: SettledAsset) => {
  const name = a.source?.filename ?? '';
  const bad: string[] = [];
  if (/[/\\]/.test(name)) bad.push(`filename has a path (${JSON.stringify(name)})`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  const control = /[\u0000-\u001f\u007f]/;
  if (control.test(name)) bad.push('filename has control characters');
  if (control.test(a.title ?? '')) bad.push('title has control characters');
  if ((a.title ?? '').length > 500) bad.push(`title ${a.title?.length} chars`);
  return bad.length ? `ready, but ${bad.join('; ')}` : `ready ${a.kind}`;
};

async function createdAsset(h: Harness, res: Response, check: (a: SettledAsset) => string): Promise<string> {
  const a = await answerOf(h, res);
  if (a.status !== 202) return `${a.status} ${a.code}`.trim();
  return settle(h, (JSON.parse(a.text) as { data: { id: string } }).data.id, check);
}

export const requestEntries: CorpusEntry[] = [
  // ── URL ingest ──
  ingest('url-loopback', 'URL ingest of the loopback bait', REFUSED, (h) => `${h.baitUrl}/video.mp4`),
  ingest(
    'url-metadata',
    'URL ingest of the cloud metadata address',
    REFUSED,
    (h) => `${h.metadataUrl}/latest/meta-data/`,
  ),
  ingest('url-ipv6-loopback', 'URL ingest of [::1]', REFUSED, (h) => `http://[::1]:${baitPort(h)}/video.mp4`),
  ingest(
    'url-decimal-ip',
    'URL ingest of 2130706433 (127.0.0.1 as one number)',
    REFUSED,
    (h) => `http://2130706433:${baitPort(h)}/video.mp4`,
  ),
  ingest(
    'url-localhost',
    'URL ingest of localhost by name',
    REFUSED,
    (h) => `http://localhost:${baitPort(h)}/video.mp4`,
  ),
  ingest('url-zero', 'URL ingest of 0.0.0.0', REFUSED, (h) => `http://0.0.0.0:${baitPort(h)}/video.mp4`),
  ingest(
    'url-v4-mapped',
    'URL ingest of [::ffff:127.0.0.1]',
    REFUSED,
    (h) => `http://[::ffff:127.0.0.1]:${baitPort(h)}/video.mp4`,
  ),
  ingest(
    'url-userinfo',
    'URL ingest of http://example.com@127.0.0.1 (credentials in a URL are refused outright)',
    '400 FH_ERR_VALIDATION',
    (h) => `http://example.com@127.0.0.1:${baitPort(h)}/video.mp4`,
  ),
  ingest(
    'url-metadata-hex',
    'URL ingest of 0xA9FEA9FE (169.254.169.254 in hex)',
    REFUSED,
    () => 'http://0xA9FEA9FE/latest/meta-data/',
  ),
  ingest(
    'url-file-scheme',
    'URL ingest of file:<canary>',
    '400 FH_ERR_VALIDATION',
    (h) => `file://${h.canaryPath}`,
  ),
  ingest(
    'url-gopher',
    'URL ingest of gopher://127.0.0.1',
    '400 FH_ERR_VALIDATION',
    (h) => `gopher://127.0.0.1:${baitPort(h)}/_GET`,
  ),
  ingest(
    'url-too-long',
    'URL ingest of a 5000-character URL',
    '400 FH_ERR_VALIDATION',
    () => `https://example.com/${'a'.repeat(5000)}`,
  ),

  // ── names: path traversal and control characters ──
  {
    id: 'multipart-filename-traversal',
    family: 'names',
    what: 'multipart file name with ../ traversal, NUL, ESC, CR LF and RTL override; same in the title',
    expect: 'ready image',
    run: async (h) =>
      createdAsset(
        h,
        await uploadMultipart(
          h,
          { bytes: await readFile(await h.make('good.png')), filename: NASTY },
          { title: NASTY },
        ),
        cleanNames,
      ),
  },
  {
    id: 'tus-metadata-traversal',
    family: 'names',
    what: 'tus Upload-Metadata filename and title: ../ traversal and control characters',
    expect: 'ready image',
    run: async (h) => {
      return uploadTus(
        h,
        await readFile(await h.make('good.png')),
        {
          'upload-metadata': `filename ${b64(NASTY)},title ${b64(`${NASTY}${'x'.repeat(2000)}`)},filetype ${b64('../../image/png')}`,
        },
        cleanNames,
      );
    },
  },
  {
    id: 'tus-metadata-garbage',
    family: 'names',
    what: 'tus Upload-Metadata that is not key/base64 pairs',
    expect: '400',
    run: async (h) => {
      const res = await h.cluster.api('/v1/uploads', {
        method: 'POST',
        headers: {
          'tus-resumable': '1.0.0',
          'upload-length': '10',
          'upload-metadata': 'filename !!!not base64!!!,,, ,title',
        },
      });
      return `${(await answerOf(h, res)).status}`;
    },
  },
  {
    id: 'tus-length-negative',
    family: 'names',
    what: 'tus creation with Upload-Length: -1',
    expect: '400',
    run: async (h) => {
      const res = await h.cluster.api('/v1/uploads', {
        method: 'POST',
        headers: { 'tus-resumable': '1.0.0', 'upload-length': '-1' },
      });
      return `${(await answerOf(h, res)).status}`;
    },
  },
  {
    id: 'tus-length-huge',
    family: 'names',
    what: 'tus creation with Upload-Length: 10^30 (not a safe integer: malformed)',
    expect: '400',
    run: async (h) => {
      const res = await h.cluster.api('/v1/uploads', {
        method: 'POST',
        headers: { 'tus-resumable': '1.0.0', 'upload-length': '1000000000000000000000000000000' },
      });
      const a = await answerOf(h, res);
      return a.status === 400 ? '400' : `${a.status}`;
    },
  },
  {
    id: 'tus-offset-lie',
    family: 'names',
    what: 'tus PATCH whose Upload-Offset is past what the server holds',
    expect: '409',
    run: async (h) => {
      const created = await h.cluster.api('/v1/uploads', {
        method: 'POST',
        headers: { 'tus-resumable': '1.0.0', 'upload-length': '100' },
      });
      await created.arrayBuffer();
      const url = new URL(created.headers.get('location') ?? '', h.cluster.url).href;
      const res = await h.cluster.api(url, {
        method: 'PATCH',
        headers: {
          'tus-resumable': '1.0.0',
          'upload-offset': '50',
          'content-type': 'application/offset+octet-stream',
        },
        body: Buffer.alloc(10),
      });
      const answer = `${(await answerOf(h, res)).status}`;
      await (
        await h.cluster.api(url, { method: 'DELETE', headers: { 'tus-resumable': '1.0.0' } })
      ).arrayBuffer();
      return answer;
    },
  },
  {
    id: 'tus-version',
    family: 'names',
    what: 'tus creation with Tus-Resumable: 0.2.2',
    expect: '400',
    run: async (h) => {
      const res = await h.cluster.api('/v1/uploads', {
        method: 'POST',
        headers: { 'tus-resumable': '0.2.2', 'upload-length': '10' },
      });
      return `${(await answerOf(h, res)).status}`;
    },
  },
  {
    id: 'tus-id-traversal',
    family: 'names',
    what: 'tus HEAD/PATCH on /v1/uploads/..%2F..%2Fobjects%2F… (an id that is a path)',
    expect: '404 404',
    run: async (h) => {
      const path = `/v1/uploads/..%2F..%2F..%2F..%2F${encodeURIComponent(h.canaryPath.replace(/^\//, ''))}`;
      const head = await h.cluster.api(path, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } });
      await head.arrayBuffer();
      const patch = await h.cluster.api(path, {
        method: 'PATCH',
        headers: {
          'tus-resumable': '1.0.0',
          'upload-offset': '0',
          'content-type': 'application/offset+octet-stream',
        },
        body: Buffer.from('overwritten'),
      });
      return `${head.status} ${(await answerOf(h, patch)).status}`;
    },
  },
  {
    id: 'raw-path-traversal',
    family: 'names',
    what: 'raw request paths with ../ and %2e%2e under /v1/assets, /v1/uploads and /play',
    expect: '404 404 404 404',
    run: async (h) => {
      const rel = h.canaryPath.replace(/^\//, '');
      const paths = [
        `/v1/assets/../../../../${rel}`,
        `/v1/uploads/%2e%2e/%2e%2e/%2e%2e/${rel}`,
        `/play/..%2f..%2f..%2f${encodeURIComponent(rel)}/master.m3u8`,
        `/play/x/..%5c..%5c..%5c${encodeURIComponent(rel)}`,
      ];
      const got: string[] = [];
      for (const p of paths) {
        const r = await rawRequest(
          h,
          `GET ${p} HTTP/1.1\nHost: 127.0.0.1\n${authHeader(h)}Connection: close\n\n`,
        );
        got.push(String(r.status));
      }
      return got.join(' ');
    },
  },
  {
    id: 'header-control-chars',
    family: 'names',
    what: 'Upload-Metadata and a custom header carrying raw control bytes (DEL, 0x01)',
    expect: '400',
    run: async (h) => {
      const r = await rawRequest(
        h,
        `POST /v1/uploads HTTP/1.1\nHost: 127.0.0.1\n${authHeader(h)}Tus-Resumable: 1.0.0\nUpload-Length: 10\nUpload-Metadata: filename ${b64('a.mp4')}\u0001\u007f\nX-Title: \u0001\u0002\nConnection: close\n\n`,
      );
      return String(r.status);
    },
  },
  {
    id: 'patch-title-control',
    family: 'names',
    what: 'PATCH an asset title with NUL, CR LF and 10000 characters',
    expect: '400 FH_ERR_VALIDATION',
    run: async (h) => {
      const res = await uploadMultipart(h, {
        bytes: await readFile(await h.make('good.png')),
        filename: 'a.png',
      });
      const { data } = (await res.json()) as { data: { id: string } };
      return sendJson(
        h,
        `/v1/assets/${data.id}`,
        JSON.stringify({ title: `a\u0000b\r\n${'x'.repeat(10000)}` }),
        'PATCH',
      );
    },
  },

  // ── oversized and malformed bodies ──
  {
    id: 'json-2mb',
    family: 'bodies',
    what: 'a 2 MB JSON body on POST /v1/assets',
    expect: '413 FH_ERR_BODY_TOO_LARGE',
    run: (h) =>
      sendJson(
        h,
        '/v1/assets',
        JSON.stringify({ url: 'https://example.com/a.mp4', title: 'x'.repeat(2 * 1024 * 1024) }),
      ),
  },
  {
    id: 'json-deep-nesting',
    family: 'bodies',
    what: 'JSON nested 400000 arrays deep (under the size limit)',
    expect: '400 FH_ERR_VALIDATION',
    run: (h) => sendJson(h, '/v1/assets', `{"url":${'['.repeat(400_000)}${']'.repeat(400_000)}}`),
  },
  {
    id: 'json-broken',
    family: 'bodies',
    what: 'JSON cut in the middle of a string',
    expect: '400 FH_ERR_VALIDATION',
    run: (h) => sendJson(h, '/v1/assets', '{"url":"https://exa'),
  },
  {
    id: 'json-url-object',
    family: 'bodies',
    what: 'JSON whose url is an object, title an array',
    expect: '400 FH_ERR_VALIDATION',
    run: (h) =>
      sendJson(h, '/v1/assets', JSON.stringify({ url: { href: 'file:///etc/passwd' }, title: ['x'] })),
  },
  {
    id: 'json-proto',
    family: 'bodies',
    what: 'JSON with __proto__ and constructor keys on a live-stream creation',
    expect: '400 FH_ERR_VALIDATION',
    run: (h) =>
      sendJson(
        h,
        '/v1/live-streams',
        '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},"reconnect_window":"NaN"}',
      ),
  },
  {
    id: 'multipart-over-max',
    family: 'bodies',
    what: 'a multipart file 1 MB over FRAMEHOUSE_MAX_UPLOAD_BYTES',
    expect: '413 FH_ERR_UPLOAD_TOO_LARGE',
    run: async (h) =>
      assetAnswer(
        h,
        await uploadMultipart(h, {
          bytes: Buffer.alloc(MAX_UPLOAD_BYTES + 1024 * 1024, 7),
          filename: 'big.mp4',
        }),
      ),
  },
  {
    id: 'multipart-many-fields',
    family: 'bodies',
    what: 'a multipart body with 5000 fields before the file',
    expect: '400 FH_ERR_VALIDATION',
    run: async (h) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i < 5000; i++) fields[`f${i}`] = 'x';
      return assetAnswer(h, await uploadMultipart(h, { bytes: Buffer.from('x'), filename: 'a.mp4' }, fields));
    },
  },
  {
    id: 'multipart-huge-title',
    family: 'bodies',
    what: 'a multipart title field of 1 MB on a good image: cut to 500 characters',
    expect: 'ready image',
    run: async (h) =>
      createdAsset(
        h,
        await uploadMultipart(
          h,
          { bytes: await readFile(await h.make('good.png')), filename: 'a.png' },
          { title: 'y'.repeat(1024 * 1024) },
        ),
        cleanNames,
      ),
  },
  {
    id: 'multipart-no-file',
    family: 'bodies',
    what: 'a multipart body with a title and no file',
    expect: '400 FH_ERR_UPLOAD_MISSING_FILE',
    run: async (h) => {
      const form = new FormData();
      form.append('title', 'no file');
      return assetAnswer(h, await h.cluster.api('/v1/assets', { method: 'POST', body: form }));
    },
  },
  {
    id: 'multipart-broken',
    family: 'bodies',
    what: 'a multipart body whose boundary never comes',
    expect: '400 FH_ERR_VALIDATION',
    run: async (h) => {
      const body = Buffer.from(
        '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\nbytes without an end',
      );
      const r = await rawRequest(
        h,
        `POST /v1/assets HTTP/1.1\nHost: 127.0.0.1\n${authHeader(h)}Content-Type: multipart/form-data; boundary=XYZ\nContent-Length: ${body.length}\nConnection: close\n\n`,
        body,
      );
      return `${r.status} ${r.code}`.trim();
    },
  },
  {
    id: 'content-type-lie',
    family: 'bodies',
    what: 'POST /v1/assets with Content-Type: multipart/form-data and no boundary',
    expect: '400 FH_ERR_VALIDATION',
    run: async (h) => {
      const res = await h.cluster.api('/v1/assets', {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data' },
        body: 'file=x',
      });
      const a = await answerOf(h, res);
      return `${a.status} ${a.code}`.trim();
    },
  },
];

/** FRAMEHOUSE_MAX_UPLOAD_BYTES for this scenario's cluster. */
export const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;
