import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Part } from '@aws-sdk/client-s3';
import { type MetadataValue, S3Store } from '@tus/s3-store';
import type { KvStore } from '@tus/utils';
import type { Db } from '../db/database.ts';
import type { ObjectInfo } from '../storage/object-store.ts';
import type { S3ObjectStore } from '../storage/s3-store.ts';
import { checksumFrom, ResumableSha256, type SavedSha256 } from './resumable-sha256.ts';
import type { UploadStaging } from './staging.ts';
import { uploadHashesRepo } from './upload-hashes.repo.ts';

/**
 * Unfinished uploads as S3 multipart uploads under `{prefix}/tus/` in the media bucket
 * (@tus/s3-store). A complete upload is copied server-side to its source key.
 */
export class S3UploadStaging implements UploadStaging {
  readonly datastore: LedgerS3Store;
  readonly #store: S3ObjectStore;
  readonly #db: Db;
  readonly #bucketPrefix: string;

  constructor(store: S3ObjectStore, db: Db, unfinishedTtlMs: number) {
    this.#store = store;
    this.#db = db;
    this.#bucketPrefix = `${store.bucketKey('tus')}/`;
    this.datastore = new LedgerS3Store(
      {
        s3ClientConfig: store.clientConfig,
        // Reported to clients as Upload-Expires; the sweep is ours (UploadsService), because
        // the store's own one aborts every multipart upload in the bucket, not just ours.
        expirationPeriodInMilliseconds: unfinishedTtlMs,
        useTags: false,
        // Another node may have changed an upload's metadata (a deferred length): read it each time.
        cache: noCache,
      },
      db,
      (stagedId) => this.uploadIdOf(stagedId),
    );
  }

  stagedId(uploadId: string): string {
    return `${this.#bucketPrefix}${uploadId}`;
  }

  uploadIdOf(stagedId: string): string {
    return stagedId.slice(this.#bucketPrefix.length);
  }

  async progress(uploadId: string): Promise<{ offset: number; size: number | undefined } | null> {
    const upload = await this.datastore.getUpload(this.stagedId(uploadId)).catch(() => null);
    return upload ? { offset: upload.offset, size: upload.size } : null;
  }

  async moveToStore(uploadId: string, key: string): Promise<ObjectInfo> {
    // Copied already by an attempt whose asset was committed after the staged bytes were removed?
    if (!(await this.#store.stat(`tus/${uploadId}`))) {
      const copied = await this.#store.stat(key);
      if (copied) return copied;
      // An empty upload is finished at creation with no part written: S3 cannot complete a
      // multipart upload of no parts, so there is no staged object to copy (this was a 500).
      // Its source is the empty object; the probe refuses it with FH_ERR_EMPTY_FILE.
      if ((await this.progress(uploadId))?.size === 0) return this.#store.put(key, Buffer.alloc(0));
    }
    return this.#store.copy(`tus/${uploadId}`, key);
  }

  async checksum(uploadId: string, key: string, size: number): Promise<string> {
    return checksumFrom(await uploadHashesRepo.afterLastPart(this.#db, uploadId), this.#store, key, size);
  }

  async settled(uploadId: string): Promise<void> {
    // The bytes live at the source key now: no need to pay for them twice until the sweep. The
    // `.info` object and the part ledger stay, so tus still reports the upload complete.
    await this.#store.delete(`tus/${uploadId}`);
  }

  async remove(uploadId: string): Promise<void> {
    // Aborting frees the parts S3 holds for an unfinished multipart upload (a finished one has none).
    await this.datastore.remove(this.stagedId(uploadId)).catch(() => {});
    for (const suffix of ['', '.info', '.part']) await this.#store.delete(`tus/${uploadId}${suffix}`);
    await this.#db.deleteFrom('upload_parts').where('upload_id', '=', uploadId).execute();
  }
}

/**
 * @tus/s3-store asks S3 for an upload's parts (ListParts) on every PATCH and HEAD. Here each part
 * is recorded in the database as it is stored and read back from there: every node sees the
 * same list, one request per PATCH is saved, and S3 peers without ListParts work too.
 * Overrides protected methods of the pinned @tus/s3-store version; its tests run here on
 * every change of that version.
 *
 * Each part's row also carries the upload's SHA-256 state after that part. Parts in progress
 * cannot be read back from S3, so the state is saved with the part itself: whatever a crash
 * interrupts, the ledger's last part and its state describe the same bytes. (The bytes of an
 * unfinished last part are hashed when the next request stores them as a whole part.)
 */
export class LedgerS3Store extends S3Store {
  readonly #db: Db;
  readonly #uploadIdOf: (stagedId: string) => string;
  /** Per upload, the hash after the part most recently handed to uploadPart in this process. */
  readonly #hashes = new Map<string, { part: number; hashed: Promise<HashedPart> }>();

  constructor(options: ConstructorParameters<typeof S3Store>[0], db: Db, uploadIdOf: (id: string) => string) {
    super(options);
    this.#db = db;
    this.#uploadIdOf = uploadIdOf;
  }

  protected override async uploadPart(
    metadata: MetadataValue,
    readStream: ReadStream | Readable | Buffer,
    partNumber: number,
  ): Promise<string> {
    const uploadId = this.#uploadIdOf(metadata.file.id);
    // Chained before the first await: the store calls this in part order, parts upload at once.
    const hashed = this.#hashPart(metadata.file.id, uploadId, readStream, partNumber);
    const size = Buffer.isBuffer(readStream) ? readStream.length : await partFileSize(readStream);
    const etag = await super.uploadPart(metadata, readStream, partNumber);
    const { saved } = await hashed;
    const hash = { hash_state: saved?.state ?? null, hash_bytes: saved?.bytes ?? null };
    await this.#db
      .insertInto('upload_parts')
      .values({ upload_id: uploadId, part_number: partNumber, etag, size, ...hash })
      .onConflict((oc) => oc.columns(['upload_id', 'part_number']).doUpdateSet({ etag, size, ...hash }))
      .execute();
    return etag;
  }

  override async write(src: Readable, id: string, offset: number): Promise<number> {
    try {
      return await super.write(src, id, offset);
    } finally {
      this.#hashes.delete(id);
    }
  }

  /** The hash after this part: the previous part's (in memory, or saved in its row) plus this one's bytes. */
  #hashPart(
    stagedId: string,
    uploadId: string,
    part: ReadStream | Readable | Buffer,
    partNumber: number,
  ): Promise<HashedPart> {
    const previous = this.#hashes.get(stagedId);
    const before: Promise<ResumableSha256 | null> =
      previous?.part === partNumber - 1
        ? previous.hashed.then((p) => p.hash)
        : partNumber === 1
          ? ResumableSha256.start()
          : uploadHashesRepo
              .afterPart(this.#db, uploadId, partNumber - 1)
              .then((saved) => (saved ? ResumableSha256.resume(saved) : null));
    const hashed = before.then(async (hash): Promise<HashedPart> => {
      // No state for the parts before (begun before hashes were kept): the whole object is read at the end.
      if (!hash) return { hash: null, saved: null };
      if (Buffer.isBuffer(part)) hash.update(part);
      else await hash.updateFrom(createReadStream(partFilePath(part)));
      return { hash, saved: hash.save() };
    });
    hashed.catch(() => {}); // awaited by uploadPart; a failure there fails the part
    this.#hashes.set(stagedId, { part: partNumber, hashed });
    return hashed;
  }

  protected override async retrieveParts(id: string): Promise<Part[]> {
    const rows = await this.#db
      .selectFrom('upload_parts')
      .select(['part_number', 'etag', 'size'])
      .where('upload_id', '=', this.#uploadIdOf(id))
      .orderBy('part_number')
      .execute();
    return rows.map((r) => ({ PartNumber: r.part_number, ETag: r.etag, Size: r.size }));
  }
}

interface HashedPart {
  /** Carried on to the next part of the same request. */
  hash: ResumableSha256 | null;
  /** Taken right after this part, before the next one is hashed. */
  saved: SavedSha256 | null;
}

/** The store hands each part over as a file it wrote (or a Buffer for an empty last part). */
function partFilePath(readStream: ReadStream | Readable): string | Buffer {
  const path = (readStream as Partial<ReadStream>).path;
  if (path === undefined) throw new Error('@tus/s3-store passed a part that is not a file');
  return path;
}

async function partFileSize(readStream: ReadStream | Readable): Promise<number> {
  return (await stat(partFilePath(readStream))).size;
}

const noCache: KvStore<MetadataValue> = {
  get: async () => undefined,
  set: async () => {},
  delete: async () => {},
};
