import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SingleBar } from 'cli-progress';
import * as tus from 'tus-js-client';

export interface UploadCommandOptions {
  server: string;
  title?: string;
  wait: boolean;
  resume: boolean;
  chunkSize: number;
  /** Where resumable upload URLs are remembered between runs. */
  stateDir: string;
  out: NodeJS.WriteStream;
}

/** Retries for minutes: a dropped connection or a restarting server is waited out, then resumed. */
const RETRY_DELAYS = [
  0, 1000, 2000, 3000, 5000, 5000, 10_000, 10_000, 15_000, 15_000, 30_000, 30_000, 60_000,
];

export function defaultStateDir(): string {
  return join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'framehouse');
}

/**
 * `framehouse upload FILE`: a tus upload with a progress bar. The upload URL is remembered on
 * disk, so running the command again after a crash, a dropped network or a server restart
 * resumes where the server's copy ends instead of starting over.
 */
export async function uploadCommand(
  file: string,
  opts: UploadCommandOptions,
): Promise<{ assetId: string; status?: string }> {
  const info = await stat(file);
  if (!info.isFile()) throw new Error(`${file} is not a file`);
  await mkdir(opts.stateDir, { recursive: true });
  const endpoint = new URL('/v1/uploads', opts.server).href;
  const bar = new SingleBar({
    format: ' uploading |{bar}| {percentage}% · {done}/{size} · {speed}/s · ETA {eta_formatted}',
    hideCursor: true,
    stream: opts.out,
    noTTYOutput: true,
    notTTYSchedule: 2000,
  });
  const started = Date.now();
  bar.start(info.size, 0, { done: bytes(0), size: bytes(info.size), speed: bytes(0) });

  const uploadId = await new Promise<string>((resolve, reject) => {
    const upload = new tus.Upload(createReadStream(file), {
      endpoint,
      chunkSize: opts.chunkSize,
      retryDelays: RETRY_DELAYS,
      uploadSize: info.size,
      metadata: { filename: basename(file), ...(opts.title ? { title: opts.title } : {}) },
      storeFingerprintForResuming: opts.resume,
      removeFingerprintOnSuccess: true,
      urlStorage: opts.resume ? fileUrlStorage(join(opts.stateDir, 'uploads.json')) : undefined,
      onProgress: (sent, total) => {
        const seconds = Math.max(0.001, (Date.now() - started) / 1000);
        bar.update(sent, { done: bytes(sent), size: bytes(total), speed: bytes(sent / seconds) });
      },
      onError: (e) => reject(e),
      onSuccess: () => resolve(upload.url?.split('/').pop() ?? ''),
    });
    const begin = async () => {
      if (opts.resume) {
        const previous = await upload.findPreviousUploads();
        if (previous[0]) upload.resumeFromPreviousUpload(previous[0]);
      }
      upload.start();
    };
    begin().catch(reject);
  });
  bar.stop();

  const status = await getJson<{ data: { asset_id: string | null } }>(
    new URL(`/v1/uploads/${uploadId}`, opts.server),
  );
  const assetId = status.data.asset_id;
  if (!assetId) throw new Error(`The server did not create an asset for upload ${uploadId}`);
  opts.out.write(`asset ${assetId}\n`);
  if (!opts.wait) return { assetId };
  return { assetId, status: await waitForAsset(assetId, opts) };
}

interface AssetView {
  status: string;
  progress: number | null;
  errors: { code: string; message: string }[];
  playback: { hls: string } | null;
}

/** Polls the asset until it is ready or errored, with a second bar for processing progress. */
async function waitForAsset(assetId: string, opts: UploadCommandOptions): Promise<string> {
  const bar = new SingleBar({
    format: ' processing |{bar}| {percentage}% · {status}',
    hideCursor: true,
    stream: opts.out,
    noTTYOutput: true,
    notTTYSchedule: 2000,
  });
  bar.start(100, 0, { status: 'waiting' });
  const url = new URL(`/v1/assets/${assetId}`, opts.server);
  let asset: AssetView | undefined;
  for (;;) {
    try {
      asset = (await getJson<{ data: AssetView }>(url)).data;
    } catch {
      // The server may be restarting: keep asking.
    }
    if (asset) {
      bar.update(Math.round((asset.progress ?? 0) * 100), { status: asset.status });
      // `ready` comes as soon as the asset plays; wait for every rendition unless told otherwise.
      if (asset.status === 'errored' || (asset.status === 'ready' && (asset.progress ?? 0) >= 1)) break;
    }
    await sleep(1000);
  }
  bar.stop();
  if (asset.status === 'errored') {
    const e = asset.errors[0];
    throw new Error(`Processing failed: ${e ? `${e.message} (${e.code})` : 'unknown error'}`);
  }
  opts.out.write(`ready: ${new URL(asset.playback?.hls ?? '', opts.server).href}\n`);
  return asset.status;
}

/** tus-js-client's Node build ships FileUrlStorage but its type definitions omit it. */
function fileUrlStorage(path: string): tus.UrlStorage {
  const { FileUrlStorage } = tus as unknown as { FileUrlStorage: new (path: string) => tus.UrlStorage };
  return new FileUrlStorage(path);
}

async function getJson<T>(url: URL): Promise<T> {
  const res = await fetch(url, { headers: authHeaders() });
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function authHeaders(): Record<string, string> {
  const key = process.env.FRAMEHOUSE_API_KEY;
  return key ? { authorization: `Bearer ${key}` } : {};
}

function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
