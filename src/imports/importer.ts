import type { AssetsService } from '../assets/assets.service.ts';
import type { AuditWho } from '../audit/audit.ts';
import type { Db } from '../db/database.ts';
import type { ImportedObjectsTable } from '../db/schema.ts';
import { newId } from '../shared/ids.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import { ObjectNotFoundError, type ObjectStore } from '../storage/object-store.ts';
import { importsRepo } from './imports.repo.ts';

export interface ImportOptions {
  via: ImportedObjectsTable['via'];
  who: AuditWho;
  /** Delete the object from imports/ once it is an asset (drop-ins); batches leave theirs. */
  remove: boolean;
  /** Leave an object written less than this long ago (a file still being copied into a folder). */
  settledMs?: number;
}

export type ImportResult =
  | { status: 'created' | 'existing'; assetId: string }
  /** Nothing to import: the object is not there (any more), or it is still being written. */
  | { status: 'gone' | 'unsettled' };

class ClaimLost extends Error {}

/**
 * One object in the bucket → one asset, whoever asks and however often: drop-ins (a
 * notification, a scan) and image batches go through here. The object is copied server-side to
 * the asset's own source key (a hard link on a local folder), and the transaction that creates
 * the asset also claims the object's key + ETag in the ledger, whose primary key lets only one
 * claim win; a loser removes its copy and answers the winner's asset.
 */
export class ObjectImporter {
  readonly #db: Db;
  readonly #store: ObjectStore;
  readonly #assets: AssetsService;

  constructor(deps: { db: Db; store: ObjectStore; assets: AssetsService }) {
    this.#db = deps.db;
    this.#store = deps.store;
    this.#assets = deps.assets;
  }

  async importObject(key: string, opts: ImportOptions): Promise<ImportResult> {
    const info = await this.#store.stat(key);
    if (!info) return { status: 'gone' };
    if (opts.settledMs && Date.now() - info.lastModified.getTime() < opts.settledMs)
      return { status: 'unsettled' };

    let assetId = await importsRepo.find(this.#db, key, info.etag);
    let created = false;
    if (!assetId) {
      const id = newId();
      const sourceKey = mediaKeys.source(id);
      try {
        const copy = await this.#copyVersion(key, info.etag, sourceKey);
        if (!copy) return { status: 'gone' };
        await this.#assets.createFromSource(
          {
            assetId: id,
            sourceKey,
            filename: key.slice(key.lastIndexOf('/') + 1),
            title: null,
            size: copy.size,
            sha256: null,
          },
          opts.who,
          async (trx) => {
            const won = await importsRepo.claim(trx, {
              object_key: key,
              etag: info.etag,
              asset_id: id,
              via: opts.via,
            });
            if (!won) throw new ClaimLost();
          },
        );
        assetId = id;
        created = true;
      } catch (e) {
        // Whose claim stands decides whether the copy is an asset's source or a leftover.
        const winner = await importsRepo.find(this.#db, key, info.etag);
        if (winner === id) {
          assetId = id; // committed; only reading it back failed
          created = true;
        } else {
          await this.#store.deletePrefix(mediaKeys.sourcePrefix(id)).catch(() => {});
          if (!(e instanceof ClaimLost)) throw e;
          // The winner's asset was deleted in between: the next attempt imports it again.
          if (!winner) throw new Error(`${key}: imported by another node, whose asset is gone already`);
          assetId = winner;
        }
      }
    }
    if (opts.remove) await this.#removeIfUnchanged(key, info.etag);
    return { status: created ? 'created' : 'existing', assetId };
  }

  /**
   * Copies the version of the object that was looked at. An object rewritten during the copy
   * (its ETag changed) is not imported now: its new version is, on the next attempt.
   */
  async #copyVersion(key: string, etag: string, to: string): Promise<{ size: number } | null> {
    let copy: { size: number };
    try {
      copy = await this.#store.copy(key, to);
    } catch (e) {
      if (e instanceof ObjectNotFoundError) return null;
      throw e;
    }
    const now = await this.#store.stat(key);
    // Gone right after the copy (another node imported and removed it): the claim decides.
    if (now && now.etag !== etag)
      throw new Error(`${key} changed while it was copied; imported on the next attempt`);
    return copy;
  }

  /** The object leaves imports/, unless it was replaced by a new version meanwhile (that one is imported next). */
  async #removeIfUnchanged(key: string, etag: string): Promise<void> {
    const now = await this.#store.stat(key);
    if (now?.etag === etag) await this.#store.delete(key);
  }
}
