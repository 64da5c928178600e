import { join } from 'node:path';
import type { FileStore } from '@tus/file-store';
import type { Upload } from '@tus/server';
import type { AssetsService } from '../assets/assets.service.ts';
import type { Db } from '../db/database.ts';
import type { UploadRow } from '../db/schema.ts';
import { recordEvent } from '../events/outbox.ts';
import { AppError } from '../shared/errors.ts';
import { isoNow } from '../shared/time.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import type { ObjectStore } from '../storage/object-store.ts';

const MAX_META = 500;

interface Deps {
  db: Db;
  store: ObjectStore;
  assets: AssetsService;
  tusStore: FileStore;
  tusDir: string;
  log: { warn: (o: object, msg: string) => void; info: (o: object, msg: string) => void };
}

/**
 * Resumable uploads (tus). The tus server keeps partial files in its own folder; when an
 * upload completes its file moves into the object store and becomes an asset.
 */
export class UploadsService {
  readonly #d: Deps;

  constructor(deps: Deps) {
    this.#d = deps;
  }

  /** Metadata is display text only: it is stored, trimmed and length-capped, never used in a path. */
  async recordCreated(upload: Upload): Promise<void> {
    const meta = upload.metadata ?? {};
    await this.#d.db
      .insertInto('uploads')
      .values({
        id: upload.id,
        asset_id: null,
        filename: clean(meta.filename ?? meta.name),
        title: clean(meta.title),
        length: upload.size ?? null,
        created_at: isoNow(),
        completed_at: null,
      })
      .execute();
  }

  /**
   * Turns a finished upload into an asset. Idempotent: the file is linked (not moved) into the
   * store and the asset is created in one transaction with the upload row's update; a crash in
   * between is finished at start-up by `resumeUnfinished`, or on the next status request.
   */
  async finish(uploadId: string): Promise<string> {
    const row = await this.#row(uploadId);
    if (row.asset_id) return row.asset_id;
    // The asset takes the upload's (random) id: a finish cut short and run again writes the
    // same source key and creates the same asset, never a second copy.
    const assetId = uploadId;
    const sourceKey = mediaKeys.source(assetId);
    const info = await this.#d.store.putFile(sourceKey, join(this.#d.tusDir, uploadId), { link: true });
    await this.#d.assets.createFromSource(
      {
        assetId,
        sourceKey,
        filename: row.filename,
        title: row.title,
        size: info.size,
        // Hashed by the probe job, off the request path: a multi-gigabyte file would hold the
        // final PATCH open for as long as the hash takes.
        sha256: null,
      },
      async (trx) => {
        await trx
          .updateTable('uploads')
          .set({ asset_id: assetId, completed_at: isoNow() })
          .where('id', '=', uploadId)
          .execute();
        await recordEvent(trx, 'upload.completed', assetId, { upload_id: uploadId, size: info.size });
      },
    );
    // The tus copy stays (a hard link, so no extra space on the local store): a client whose
    // last response was lost asks HEAD again and must hear "complete", not "unknown upload".
    // `sweepFinished` removes it a day later.
    return assetId;
  }

  /** Removes the tus copies of uploads that became assets more than `olderThanMs` ago. */
  async sweepFinished(olderThanMs = 24 * 3_600_000): Promise<void> {
    const cutoff = new Date(Date.now() - olderThanMs).toISOString();
    const rows = await this.#d.db
      .selectFrom('uploads')
      .select('id')
      .where('completed_at', '<', cutoff)
      .where('asset_id', 'is not', null)
      .execute();
    for (const { id } of rows) await this.#d.tusStore.remove(id).catch(() => {});
  }

  /** A finished upload as tus's HEAD reports it, whether or not its tus copy still exists. */
  async finishedLength(uploadId: string): Promise<number | null> {
    const row = await this.#d.db
      .selectFrom('uploads')
      .select(['asset_id', 'length'])
      .where('id', '=', uploadId)
      .executeTakeFirst();
    return row?.asset_id ? (row.length ?? 0) : null;
  }

  /** At start-up: completes uploads whose last request died between "all bytes in" and "asset created". */
  async resumeUnfinished(): Promise<void> {
    const rows = await this.#d.db
      .selectFrom('uploads')
      .selectAll()
      .where('completed_at', 'is', null)
      .execute();
    for (const row of rows) {
      try {
        const upload = await this.#d.tusStore.getUpload(row.id);
        if (upload.size !== undefined && upload.offset === upload.size) {
          const assetId = await this.finish(row.id);
          this.#d.log.info({ uploadId: row.id, assetId }, 'finished an upload interrupted at completion');
        }
      } catch {
        // Not in the tus folder any more (expired or terminated): nothing to finish.
      }
    }
  }

  async get(
    uploadId: string,
  ): Promise<{ id: string; asset_id: string | null; offset: number; length: number | null }> {
    const row = await this.#row(uploadId);
    if (row.asset_id)
      return { id: row.id, asset_id: row.asset_id, offset: row.length ?? 0, length: row.length };
    const upload = await this.#d.tusStore.getUpload(uploadId).catch(() => null);
    const offset = upload?.offset ?? 0;
    // All bytes are in but the asset was not made (the finishing request failed): make it now.
    if (upload && upload.size !== undefined && offset === upload.size) {
      return { id: row.id, asset_id: await this.finish(uploadId), offset, length: upload.size };
    }
    return { id: row.id, asset_id: null, offset, length: row.length };
  }

  async forget(uploadId: string): Promise<void> {
    await this.#d.db.deleteFrom('uploads').where('id', '=', uploadId).where('asset_id', 'is', null).execute();
  }

  async #row(uploadId: string): Promise<UploadRow> {
    const row = await this.#d.db
      .selectFrom('uploads')
      .selectAll()
      .where('id', '=', uploadId)
      .executeTakeFirst();
    if (!row) throw new AppError('FH_ERR_UPLOAD_NOT_FOUND');
    return row;
  }
}

function clean(value: string | null | undefined): string | null {
  if (!value) return null;
  // Control characters out; the value is shown to people, never joined into a path.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const v = value.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return v ? v.slice(0, MAX_META) : null;
}
