import { fileURLToPath } from 'node:url';
import { LocalObjectStore } from './local-store.ts';
import type { ObjectStore } from './object-store.ts';
import { TieredObjectStore } from './tiered-store.ts';

/** Picks the object-store adapter from STORAGE_URL: `file:/path` (default) or `s3://bucket/prefix?…`. */
export async function createObjectStore(url: string): Promise<ObjectStore> {
  if (url.startsWith('file:')) {
    const root = url.startsWith('file://') ? fileURLToPath(url) : url.slice('file:'.length);
    const store = new LocalObjectStore(root);
    await store.init();
    return store;
  }
  if (url.startsWith('s3://')) {
    // Loaded only for S3: the AWS SDK adds ~35 MB to a process that keeps its media in a folder.
    const { parseS3Url, S3ObjectStore } = await import('./s3-store.ts');
    return new S3ObjectStore(parseS3Url(url));
  }
  throw new Error(
    `Unsupported STORAGE_URL scheme: ${url.split(':')[0]}: (use file:/path or s3://bucket/prefix)`,
  );
}

/**
 * The store of an installation: STORAGE_URL's, with the lifecycle's cold store behind it when
 * one is set, so that reads (and backups, and restores) see the objects moved there too.
 */
export async function openStoreWithColdTier(storageUrl: string, coldUrl?: string): Promise<ObjectStore> {
  const main = await createObjectStore(storageUrl);
  if (!coldUrl) return main;
  return new TieredObjectStore(main, await createObjectStore(coldUrl));
}
