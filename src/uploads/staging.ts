import { join } from 'node:path';
import type { DataStore } from '@tus/utils';
import type { Db } from '../db/database.ts';
import { LocalObjectStore } from '../storage/local-store.ts';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.ts';
import { mainStoreOf } from '../storage/tiered-store.ts';
import { HashingFileStore } from './hashing-file-store.ts';
import { checksumFrom } from './resumable-sha256.ts';
import { uploadHashesRepo } from './upload-hashes.repo.ts';

/**
 * Where resumable uploads collect their bytes until they are complete. It lives next to the
 * object store — a folder beside the local store, a `tus/` prefix in the same bucket on S3 —
 * so every api node that shares the store shares unfinished uploads too.
 */
export interface UploadStaging {
  /** What @tus/server writes into. */
  readonly datastore: DataStore;
  /** The datastore's id for an upload (an S3 key carries the bucket prefix). */
  stagedId(uploadId: string): string;
  /** The id in URLs and the database, from the datastore's id. */
  uploadIdOf(stagedId: string): string;
  /** Bytes received so far, or null when nothing is staged under that id. */
  progress(uploadId: string): Promise<{ offset: number; size: number | undefined } | null>;
  /**
   * Puts a complete upload into the object store at `key` (no copy through this process).
   * Idempotent: run again after a crash, it finds the copy made the first time.
   */
  moveToStore(uploadId: string, key: string): Promise<ObjectInfo>;
  /**
   * SHA-256 of a complete upload, once moved to `key`: the hash kept as its bytes arrived,
   * completed from the stored object where a crash left it behind (or read whole, for an
   * upload begun before hashes were kept).
   */
  checksum(uploadId: string, key: string, size: number): Promise<string>;
  /** Called once the asset is committed: the staged bytes are no longer needed to make it. */
  settled(uploadId: string): Promise<void>;
  /** Removes whatever is staged for the upload; nothing staged is not an error. */
  remove(uploadId: string): Promise<void>;
}

/**
 * `unfinishedTtlMs` (FRAMEHOUSE_LIFECYCLE_UNFINISHED_UPLOAD_DAYS) is what clients are told as
 * Upload-Expires; the sweep (UploadsService) removes uploads that old. Uploads are staged beside
 * the main store, never in a cold store behind it.
 */
export async function createUploadStaging(
  tiered: ObjectStore,
  db: Db,
  dataDir: string,
  unfinishedTtlMs: number,
): Promise<UploadStaging> {
  const store = mainStoreOf(tiered);
  if (store instanceof LocalObjectStore)
    return new LocalUploadStaging(store, db, join(dataDir, 'tus'), unfinishedTtlMs);
  // The S3 side (and with it the AWS SDK) is loaded only when the store is a bucket.
  const [{ S3ObjectStore }, { S3UploadStaging }] = await Promise.all([
    import('../storage/s3-store.ts'),
    import('./s3-staging.ts'),
  ]);
  if (store instanceof S3ObjectStore) return new S3UploadStaging(store, db, unfinishedTtlMs);
  throw new Error('No resumable-upload staging for this object store');
}

/** A folder of partial files (@tus/file-store); complete files are hard-linked into the store. */
export class LocalUploadStaging implements UploadStaging {
  readonly datastore: HashingFileStore;
  readonly #store: ObjectStore;
  readonly #db: Db;
  readonly #dir: string;

  constructor(store: ObjectStore, db: Db, dir: string, unfinishedTtlMs: number) {
    this.#store = store;
    this.#db = db;
    this.#dir = dir;
    this.datastore = new HashingFileStore(
      { directory: dir, expirationPeriodInMilliseconds: unfinishedTtlMs },
      db,
    );
  }

  stagedId(uploadId: string): string {
    return uploadId;
  }

  uploadIdOf(stagedId: string): string {
    return stagedId;
  }

  async progress(uploadId: string): Promise<{ offset: number; size: number | undefined } | null> {
    const upload = await this.datastore.getUpload(uploadId).catch(() => null);
    return upload ? { offset: upload.offset, size: upload.size } : null;
  }

  moveToStore(uploadId: string, key: string): Promise<ObjectInfo> {
    return this.#store.putFile(key, join(this.#dir, uploadId), { link: true });
  }

  async checksum(uploadId: string, key: string, size: number): Promise<string> {
    return checksumFrom(await uploadHashesRepo.forUpload(this.#db, uploadId), this.#store, key, size);
  }

  /** The staged file is a hard link to the stored one: keeping it costs no space until the sweep. */
  async settled(): Promise<void> {}

  async remove(uploadId: string): Promise<void> {
    await this.datastore.remove(uploadId).catch(() => {});
  }
}
