import type { Upload } from '@tus/server';
import type { AssetsService } from '../assets/assets.service.ts';
import type { AuditWho } from '../audit/audit.ts';
import type { Db } from '../db/database.ts';
import type { UploadRow } from '../db/schema.ts';
import { parseMp4Support } from '../downloads/download-target.ts';
import { recordEvent } from '../events/outbox.ts';
import { displayFilename, displayText } from '../shared/display-text.ts';
import { AppError } from '../shared/errors.ts';
import { isoNow } from '../shared/time.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import type { UploadStaging } from './staging.ts';

const MAX_META = 500;

interface Deps {
  db: Db;
  assets: AssetsService;
  staging: UploadStaging;
  log: { warn: (o: object, msg: string) => void; info: (o: object, msg: string) => void };
  /** Unfinished uploads are removed this long after they began (FRAMEHOUSE_LIFECYCLE_UNFINISHED_UPLOAD_DAYS). */
  unfinishedAfterMs: number;
  /** Told of each unfinished upload the sweep removed, with the bytes it had staged (metrics). */
  onExpired?: (bytes: number) => void;
}

/**
 * Resumable uploads (tus). Bytes collect in the staging area shared by every api node; when an
 * upload completes it moves into the object store and becomes an asset.
 */
export class UploadsService {
  readonly #d: Deps;

  constructor(deps: Deps) {
    this.#d = deps;
  }

  /** Metadata is display text only: it is stored, trimmed and length-capped, never used in a path. */
  async recordCreated(upload: Upload, who: AuditWho): Promise<void> {
    const meta = upload.metadata ?? {};
    await this.#d.db
      .insertInto('uploads')
      .values({
        id: this.#d.staging.uploadIdOf(upload.id),
        asset_id: null,
        filename: displayFilename(meta.filename ?? meta.name, MAX_META),
        title: displayText(meta.title, MAX_META),
        length: upload.size ?? null,
        created_at: isoNow(),
        completed_at: null,
        staging_cleared_at: null,
        created_by: who.actor,
        created_ip: who.ip,
        // Checked here, at creation: a bad value is refused before any byte is sent.
        mp4_support: parseMp4Support(meta.mp4_support),
      })
      .execute();
  }

  /**
   * Turns a finished upload into an asset, with its checksum. Idempotent: the staged bytes are
   * copied (linked on disk, copied server-side on S3) into the store and the asset is created
   * in one transaction with the upload row's update; a crash in between is finished at
   * start-up by `resumeUnfinished`, or on the next status request.
   */
  async finish(uploadId: string): Promise<string> {
    const row = await this.#row(uploadId);
    if (row.asset_id) return row.asset_id;
    // The asset takes the upload's (random) id: a finish cut short and run again writes the
    // same source key and creates the same asset, never a second copy.
    const assetId = uploadId;
    const sourceKey = mediaKeys.source(assetId);
    const info = await this.#d.staging.moveToStore(uploadId, sourceKey);
    // Hashed as the bytes came in: only what a crash kept from the saved hash is read here.
    const sha256 = await this.#d.staging.checksum(uploadId, sourceKey, info.size);
    await this.#d.assets.createFromSource(
      {
        assetId,
        sourceKey,
        filename: row.filename,
        title: row.title,
        size: info.size,
        sha256,
        mp4Support: row.mp4_support ?? 'none',
      },
      // The asset is made by whichever request brought the last bytes; it is credited to the
      // one that began the upload.
      { actor: row.created_by ?? 'anonymous', credential: 'tus upload', ip: row.created_ip },
      async (trx) => {
        await trx
          .updateTable('uploads')
          .set({ asset_id: assetId, completed_at: isoNow() })
          .where('id', '=', uploadId)
          .execute();
        await recordEvent(trx, 'upload.completed', assetId, { upload_id: uploadId, size: info.size });
      },
    );
    await this.#d.staging.settled(uploadId);
    // What stays staged (a hard link on disk; only the metadata on S3) is removed a day later
    // by `sweep`: a client whose last response was lost asks again and must hear "complete".
    return assetId;
  }

  /**
   * Hourly, on every api node (each removal is idempotent): clears the staging of uploads that
   * became assets more than `finishedAfterMs` ago, and drops uploads left unfinished past their
   * expiry with whatever they had staged.
   */
  async sweep(
    finishedAfterMs = 24 * 3_600_000,
    unfinishedAfterMs = this.#d.unfinishedAfterMs,
  ): Promise<void> {
    const now = Date.now();
    const finished = await this.#d.db
      .selectFrom('uploads')
      .select('id')
      .where('completed_at', '<', new Date(now - finishedAfterMs).toISOString())
      .where('asset_id', 'is not', null)
      .where('staging_cleared_at', 'is', null)
      .limit(1000)
      .execute();
    for (const { id } of finished) {
      await this.#d.staging.remove(id);
      await this.#d.db
        .updateTable('uploads')
        .set({ staging_cleared_at: isoNow() })
        .where('id', '=', id)
        .execute();
    }
    const abandoned = await this.#d.db
      .selectFrom('uploads')
      .select('id')
      .where('completed_at', 'is', null)
      .where('created_at', '<', new Date(now - unfinishedAfterMs).toISOString())
      .limit(1000)
      .execute();
    for (const { id } of abandoned) {
      const staged = this.#d.onExpired ? await this.#d.staging.progress(id).catch(() => null) : null;
      await this.#d.staging.remove(id);
      await this.forget(id);
      this.#d.onExpired?.(staged?.offset ?? 0);
    }
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
      const staged = await this.#d.staging.progress(row.id);
      // Nothing staged any more (expired or terminated) or still incomplete: nothing to finish.
      if (staged?.size === undefined || staged.offset !== staged.size) continue;
      try {
        const assetId = await this.finish(row.id);
        this.#d.log.info({ uploadId: row.id, assetId }, 'finished an upload interrupted at completion');
      } catch (err) {
        this.#d.log.warn({ err, uploadId: row.id }, 'could not finish an upload interrupted at completion');
      }
    }
  }

  async get(
    uploadId: string,
  ): Promise<{ id: string; asset_id: string | null; offset: number; length: number | null }> {
    const row = await this.#row(uploadId);
    if (row.asset_id)
      return { id: row.id, asset_id: row.asset_id, offset: row.length ?? 0, length: row.length };
    const staged = await this.#d.staging.progress(uploadId);
    const offset = staged?.offset ?? 0;
    // All bytes are in but the asset was not made (the finishing request failed): make it now.
    if (staged?.size !== undefined && offset === staged.size) {
      return { id: row.id, asset_id: await this.finish(uploadId), offset, length: staged.size };
    }
    return { id: row.id, asset_id: null, offset, length: row.length };
  }

  /** Drops an upload that never became an asset (terminated by its client, or expired). */
  async forget(uploadId: string): Promise<void> {
    await this.#d.db.deleteFrom('uploads').where('id', '=', uploadId).where('asset_id', 'is', null).execute();
    await this.#d.db.deleteFrom('upload_parts').where('upload_id', '=', uploadId).execute();
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
