import { type AuditWho, recordAudit } from '../../audit/audit.ts';
import type { Db } from '../../db/database.ts';
import type { AssetRow } from '../../db/schema.ts';
import { AppError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import type { ClickAggregator } from './clicks.ts';
import { DEFAULT_SETTINGS, type Product, presentProduct } from './room.presenter.ts';
import { type ProductRow, roomRepo as repo } from './room.repo.ts';
import type { AssetImages } from './room-context.ts';
import { appendRoomEvent } from './room-log.ts';

export interface ProductInput {
  title?: string;
  price?: { amount: string; currency: string } | null;
  image_asset_id?: string | null;
  url?: string | null;
}

const MAX_PRODUCTS = 100;

/**
 * The room's products: a list in the host's order, one of them pinned (shown to every viewer),
 * clicks counted per product and per broadcast. Every change is audited; a change viewers see
 * (pin, unpin, the pinned product edited or deleted) is a `pinned` room event in its transaction.
 */
export class ProductsService {
  readonly #db: Db;
  readonly #images: AssetImages;
  readonly #clicks: ClickAggregator;

  constructor(deps: { db: Db; images: AssetImages; clicks: ClickAggregator }) {
    this.#db = deps.db;
    this.#images = deps.images;
    this.#clicks = deps.clicks;
  }

  async present(row: ProductRow, pinnedId: string | null): Promise<Product> {
    return presentProduct(row, {
      pinnedId,
      imageUrl: await this.#images.url(row.live_stream_id, row.image_asset_id, row.id),
    });
  }

  /** The pinned product as viewers see it, or null. */
  async pinned(streamId: string, pinnedId: string | null | undefined): Promise<Product | null> {
    if (!pinnedId) return null;
    const row = await repo.product(this.#db, streamId, pinnedId);
    return row ? this.present(row, pinnedId) : null;
  }

  async list(streamId: string): Promise<Product[]> {
    const [rows, state] = await Promise.all([
      repo.products(this.#db, streamId),
      repo.state(this.#db, streamId),
    ]);
    const pinnedId = state?.room?.pinned_product_id ?? null;
    return Promise.all(rows.map((r) => this.present(r, pinnedId)));
  }

  async create(streamId: string, input: ProductInput, who: AuditWho): Promise<Product> {
    if (input.image_asset_id) await this.#images.check(input.image_asset_id);
    const id = newId();
    await this.#db.transaction().execute(async (trx) => {
      if ((await repo.products(trx, streamId)).length >= MAX_PRODUCTS)
        throw new AppError('FH_ERR_VALIDATION', `A room holds at most ${MAX_PRODUCTS} products.`);
      const now = new Date().toISOString();
      await repo.insertProduct(trx, {
        id,
        live_stream_id: streamId,
        title: cleanTitle(input.title),
        price_amount: input.price?.amount ?? null,
        price_currency: input.price?.currency ?? null,
        image_asset_id: input.image_asset_id ?? null,
        url: cleanUrl(input.url),
        position: await repo.nextPosition(trx, streamId),
        created_at: now,
        updated_at: now,
      });
      await recordAudit(trx, who, {
        action: 'live_room.product_created',
        target: { type: 'live_stream', id: streamId },
        details: { product_id: id },
      });
    });
    return this.#get(streamId, id);
  }

  async update(streamId: string, productId: string, input: ProductInput, who: AuditWho): Promise<Product> {
    if (input.image_asset_id) await this.#images.check(input.image_asset_id);
    // Resolved before the transaction: on SQLite a query outside it would wait for it forever.
    const before = await repo.product(this.#db, streamId, productId);
    const imageUrl = await this.#images.url(
      streamId,
      input.image_asset_id !== undefined ? input.image_asset_id : (before?.image_asset_id ?? null),
      productId,
    );
    await this.#db.transaction().execute(async (trx) => {
      const row = await repo.product(trx, streamId, productId);
      if (!row) throw new AppError('FH_ERR_PRODUCT_NOT_FOUND');
      await repo.updateProduct(trx, productId, {
        ...(input.title !== undefined ? { title: cleanTitle(input.title) } : {}),
        ...(input.price !== undefined
          ? { price_amount: input.price?.amount ?? null, price_currency: input.price?.currency ?? null }
          : {}),
        ...(input.image_asset_id !== undefined ? { image_asset_id: input.image_asset_id } : {}),
        ...(input.url !== undefined ? { url: cleanUrl(input.url) } : {}),
      });
      await recordAudit(trx, who, {
        action: 'live_room.product_updated',
        target: { type: 'live_stream', id: streamId },
        details: { product_id: productId, fields: Object.keys(input) },
      });
      const state = await repo.state(trx, streamId);
      if (state?.room?.pinned_product_id === productId) {
        const updated = await repo.product(trx, streamId, productId);
        if (updated)
          await appendRoomEvent(
            trx,
            streamId,
            'pinned',
            presentProduct(updated, { pinnedId: productId, imageUrl }),
          );
      }
    });
    return this.#get(streamId, productId);
  }

  async delete(streamId: string, productId: string, who: AuditWho): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const row = await repo.product(trx, streamId, productId);
      if (!row) throw new AppError('FH_ERR_PRODUCT_NOT_FOUND');
      await repo.deleteProduct(trx, productId);
      const state = await repo.state(trx, streamId);
      if (state?.room?.pinned_product_id === productId) {
        await repo.updateRoom(trx, streamId, { pinned_product_id: null });
        await appendRoomEvent(trx, streamId, 'pinned', null);
      }
      await recordAudit(trx, who, {
        action: 'live_room.product_deleted',
        target: { type: 'live_stream', id: streamId },
        details: { product_id: productId, title: row.title },
      });
    });
  }

  async reorder(streamId: string, ids: string[], who: AuditWho): Promise<Product[]> {
    await this.#db.transaction().execute(async (trx) => {
      const rows = await repo.products(trx, streamId);
      const known = new Set(rows.map((r) => r.id));
      if (ids.length !== known.size || new Set(ids).size !== ids.length || !ids.every((id) => known.has(id)))
        throw new AppError('FH_ERR_PRODUCT_ORDER_INVALID');
      for (const [position, id] of ids.entries()) await repo.updateProduct(trx, id, { position });
      await recordAudit(trx, who, {
        action: 'live_room.products_reordered',
        target: { type: 'live_stream', id: streamId },
      });
    });
    return this.list(streamId);
  }

  /** Pins a product (`productId`), or unpins (null): every viewer gets `pinned`. */
  async pin(streamId: string, productId: string | null, who: AuditWho): Promise<Product | null> {
    const before = productId ? await repo.product(this.#db, streamId, productId) : undefined;
    const imageUrl = productId
      ? await this.#images.url(streamId, before?.image_asset_id ?? null, productId)
      : null;
    return this.#db.transaction().execute(async (trx) => {
      const row = productId ? await repo.product(trx, streamId, productId) : undefined;
      if (productId && !row) throw new AppError('FH_ERR_PRODUCT_NOT_FOUND');
      await repo.ensureRoom(trx, streamId, JSON.stringify(DEFAULT_SETTINGS));
      await repo.updateRoom(trx, streamId, { pinned_product_id: productId });
      const product = row ? presentProduct(row, { pinnedId: productId, imageUrl }) : null;
      await appendRoomEvent(trx, streamId, 'pinned', product);
      await recordAudit(trx, who, {
        action: productId ? 'live_room.product_pinned' : 'live_room.product_unpinned',
        target: { type: 'live_stream', id: streamId },
        ...(productId ? { details: { product_id: productId } } : {}),
      });
      return product;
    });
  }

  /** A product's image asset, to draw (404 when the product or its image is missing). */
  async imageAsset(streamId: string, productId: string): Promise<AssetRow> {
    const row = await repo.product(this.#db, streamId, productId);
    if (!row) throw new AppError('FH_ERR_PRODUCT_NOT_FOUND');
    return this.#images.drawable(row.image_asset_id);
  }

  /**
   * A viewer's click, counted for the product and the broadcast on air ('' off air). Added up in
   * the process and written every second (ClickAggregator); an unknown product is refused here.
   */
  async click(streamId: string, productId: string): Promise<void> {
    if (!(await repo.product(this.#db, streamId, productId))) throw new AppError('FH_ERR_PRODUCT_NOT_FOUND');
    this.#clicks.add(streamId, productId);
  }

  async #get(streamId: string, productId: string): Promise<Product> {
    const [row, state] = await Promise.all([
      repo.product(this.#db, streamId, productId),
      repo.state(this.#db, streamId),
    ]);
    if (!row) throw new AppError('FH_ERR_PRODUCT_NOT_FOUND');
    return this.present(row, state?.room?.pinned_product_id ?? null);
  }
}

function cleanTitle(raw: string | undefined): string {
  const title = (raw ?? '').normalize('NFC').trim();
  if (!title || [...title].length > 200 || /[\p{Cc}]/u.test(title))
    throw new AppError(
      'FH_ERR_VALIDATION',
      'A product title is 1 to 200 characters, without control characters.',
    );
  return title;
}

/** http(s) only: a `javascript:` or `data:` link must never reach a viewer's page. */
function cleanUrl(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('FH_ERR_VALIDATION', 'The product URL is not a valid URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new AppError('FH_ERR_VALIDATION', 'The product URL must be http(s).');
  return url.href;
}
