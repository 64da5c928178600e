import type { AssetJson } from '../assets/asset.presenter.ts';
import type { AssetsService } from '../assets/assets.service.ts';
import type { AuditWho } from '../audit/audit.ts';
import { AddressAllowlist } from '../auth/address-allowlist.ts';
import type { Config } from '../config/config.ts';
import { enqueueJob, jobSpec } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { AppError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { parseHttpUrl, UnsafeUrlError } from '../shared/safe-url.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import type { FetchLimits } from './fetch-url.ts';

export interface FetchUrlPayload {
  assetId: string;
  url: string;
}

// Three attempts for the other side's passing trouble (5xx, resets, DNS); refusals are final.
export const fetchUrlSpec = jobSpec<FetchUrlPayload>('ingest.fetch-url', { maxAttempts: 3, priority: 10 });

const MAX_URL = 4096;
const MAX_TITLE = 500;

/**
 * Assets from a URL: the request only checks the URL's form (http or https) and makes the asset
 * (`waiting`) with the job that fetches its source, in one transaction. Where the URL leads is
 * checked by the worker that fetches it, on every hop (see fetch-url.ts).
 */
export class UrlIngest {
  readonly #assets: AssetsService;
  readonly #queue: JobQueue;

  constructor(deps: { assets: AssetsService; queue: JobQueue }) {
    this.#assets = deps.assets;
    this.#queue = deps.queue;
  }

  async create(body: { url?: unknown; title?: unknown }, who: AuditWho): Promise<AssetJson> {
    if (typeof body.url !== 'string' || body.url.length > MAX_URL)
      throw new AppError(
        'FH_ERR_VALIDATION',
        `"url" must be an http or https URL of at most ${MAX_URL} characters.`,
      );
    if (body.title !== undefined && body.title !== null && typeof body.title !== 'string')
      throw new AppError('FH_ERR_VALIDATION', '"title" must be a string.');
    let url: URL;
    try {
      url = parseHttpUrl(body.url);
    } catch (e) {
      if (e instanceof UnsafeUrlError)
        throw new AppError('FH_ERR_VALIDATION', `This URL cannot be fetched: ${e.message}.`, {
          field: 'url',
        });
      throw e;
    }
    const assetId = newId();
    return this.#assets.createFromSource(
      {
        assetId,
        sourceKey: mediaKeys.source(assetId),
        filename: filenameOf(url),
        title: (typeof body.title === 'string' && body.title.trim().slice(0, MAX_TITLE)) || null,
        size: null,
        sha256: null,
      },
      who,
      undefined,
      (trx) =>
        enqueueJob(
          this.#queue,
          trx,
          fetchUrlSpec,
          { assetId, url: url.href },
          { dedupeKey: `fetch:${assetId}` },
        ),
    );
  }
}

/** `https://cdn.example/clips/Harbour%20tour.mp4?sig=…` → `Harbour tour.mp4`. */
export function filenameOf(url: URL): string | null {
  const last = url.pathname.split('/').pop() ?? '';
  try {
    return decodeURIComponent(last).slice(0, 255) || null;
  } catch {
    return last.slice(0, 255) || null;
  }
}

/** The fetch's limits from the configuration: the size cap defaults to the upload limit. */
export function ingestLimitsOf(config: Config): FetchLimits {
  return {
    maxBytes: config.ingestMaxBytes ?? config.maxUploadBytes,
    timeoutMs: config.ingestTimeoutSeconds * 1000,
    maxRedirects: 5,
    allowPrivate: config.ingestAllowPrivate || allowlistOf(config.ingestAllowedIps),
  };
}

function allowlistOf(cidrs: string[]): false | ((address: string) => boolean) {
  if (cidrs.length === 0) return false;
  const list = new AddressAllowlist(cidrs);
  return (address) => list.allows(address);
}
