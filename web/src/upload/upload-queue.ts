import { defaultOptions, type PreviousUpload, Upload } from 'tus-js-client';
import { api, localeHeaders } from '../api.ts';
import * as m from '../i18n/generated/messages.js';

export type UploadState = 'uploading' | 'paused' | 'finishing' | 'done' | 'failed';

export interface UploadItem {
  key: string;
  name: string;
  size: number;
  sent: number;
  state: UploadState;
  /** Bytes per second, smoothed. */
  speed: number;
  error: string | null;
  assetId: string | null;
}

const CHUNK = 8 * 1024 * 1024;

/** What the server said, in plain words, for a failed tus request. */
function explain(err: unknown): string {
  const res = (err as { originalResponse?: { getStatus(): number; getBody(): string } | null })
    .originalResponse;
  if (!res) return m.library_upload_offline();
  try {
    const body = JSON.parse(res.getBody()) as { error?: { message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {}
  const status = res.getStatus();
  if (status === 413) return m.library_upload_too_large();
  if (status === 401 || status === 403) return m.library_upload_session_ended();
  return m.library_upload_refused({ status: String(status) });
}

/**
 * Files going up with tus: each resumable (its place is kept in localStorage by tus-js-client,
 * so choosing the same file again after a reload continues where it stopped), with speed and
 * progress reported to `onChange`.
 */
export class UploadQueue {
  readonly items = new Map<string, UploadItem>();
  readonly #uploads = new Map<string, Upload>();
  readonly #onChange: () => void;

  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }

  add(file: File): void {
    const key = `${file.name}:${file.size}:${file.lastModified}`;
    if (this.#uploads.has(key) && this.items.get(key)?.state !== 'failed') return;
    const item: UploadItem = {
      key,
      name: file.name,
      size: file.size,
      sent: 0,
      state: 'uploading',
      speed: 0,
      error: null,
      assetId: null,
    };
    this.items.set(key, item);
    let last = { at: performance.now(), bytes: 0 };
    const upload = new Upload(file, {
      endpoint: '/v1/uploads',
      chunkSize: CHUNK,
      headers: localeHeaders(),
      retryDelays: [0, 1000, 3000, 5000, 10000],
      removeFingerprintOnSuccess: true,
      metadata: { filename: file.name, title: file.name.replace(/\.[^.]+$/, ''), filetype: file.type },
      onProgress: (sent) => {
        const now = performance.now();
        const dt = (now - last.at) / 1000;
        if (dt >= 0.25) {
          const instant = (sent - last.bytes) / dt;
          item.speed = item.speed ? item.speed * 0.7 + instant * 0.3 : instant;
          last = { at: now, bytes: sent };
        }
        item.sent = sent;
        this.#onChange();
      },
      onError: (err) => {
        item.state = 'failed';
        item.error = explain(err);
        this.#onChange();
      },
      onSuccess: async () => {
        item.state = 'finishing';
        item.sent = item.size;
        this.#onChange();
        const id = upload.url?.split('/').pop() ?? '';
        // The asset exists once the server has taken the upload in: ask until it says which.
        for (let i = 0; i < 60 && !item.assetId; i++) {
          const r = await api<{ data: { asset_id: string | null } }>(`/v1/uploads/${id}`).catch(() => null);
          if (r?.data.asset_id) item.assetId = r.data.asset_id;
          else await new Promise((res) => setTimeout(res, 500));
        }
        item.state = item.assetId ? 'done' : 'failed';
        if (!item.assetId) item.error = m.library_upload_unconfirmed();
        this.#onChange();
      },
    });
    this.#uploads.set(key, upload);
    void upload.findPreviousUploads().then((previous: PreviousUpload[]) => {
      const [first] = previous;
      if (first) upload.resumeFromPreviousUpload(first);
      upload.start();
    });
    this.#onChange();
  }

  pause(key: string): void {
    const item = this.items.get(key);
    if (item?.state !== 'uploading') return;
    void this.#uploads.get(key)?.abort();
    item.state = 'paused';
    item.speed = 0;
    this.#onChange();
  }

  resume(key: string): void {
    const item = this.items.get(key);
    if (!item || (item.state !== 'paused' && item.state !== 'failed')) return;
    item.state = 'uploading';
    item.error = null;
    this.#uploads.get(key)?.start();
    this.#onChange();
  }
}

/** Uploads begun in an earlier visit and not finished: choosing the same file resumes each. */
export async function unfinishedUploads(): Promise<Array<{ name: string; size: number; since: string }>> {
  const storage = defaultOptions.urlStorage;
  if (!storage) return [];
  const all = await storage.findAllUploads();
  return all.map((u) => ({
    name: String(u.metadata?.filename ?? m.library_upload_a_file()),
    size: u.size ?? 0,
    since: u.creationTime,
  }));
}
