import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { formatNumber } from '../../i18n/format.ts';
import * as m from '../../i18n/generated/messages.js';
import { holdSubmitWhileComposing } from '../../i18n/ime.ts';
import { roomPicture } from '../room-picture.ts';
import { formatPrice, type Product } from '../types.ts';
import { AssetPicker } from './asset-picker.tsx';
import { streamPath } from './host-types.ts';

interface Draft {
  title: string;
  amount: string;
  currency: string;
  image_asset_id: string | null;
  url: string;
}

const empty: Draft = { title: '', amount: '', currency: 'USD', image_asset_id: null, url: '' };
const draftOf = (p: Product): Draft => ({
  title: p.title,
  amount: p.price?.amount ?? '',
  currency: p.price?.currency ?? 'USD',
  image_asset_id: p.image_asset_id,
  url: p.url ?? '',
});
const bodyOf = (d: Draft) => ({
  title: d.title.trim(),
  price: d.amount.trim() ? { amount: d.amount.trim(), currency: d.currency.trim().toUpperCase() } : null,
  image_asset_id: d.image_asset_id,
  url: d.url.trim() || null,
});

/**
 * The broadcast's products: add, edit, delete, put in order (up/down buttons, so the keyboard
 * can do it), and pin one for the viewers, or unpin it.
 */
export function Products({
  streamId,
  pinnedId,
  token,
}: {
  streamId: string;
  pinnedId: string | null;
  /** The owner's playback token of a signed stream (its room's pictures need it). */
  token: (() => string) | undefined;
}) {
  const [products, setProducts] = useState<Product[] | null>(null);
  const [editing, setEditing] = useState<string | 'new' | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const load = () =>
    api<{ data: Product[] }>(streamPath(streamId, '/products'))
      .then((r) => setProducts([...r.data].sort((a, b) => a.position - b.position)))
      .catch((err: Error) => setSaid(err.message));
  // The pin can change from another moderator's page: the room's `pinned` event says so.
  useEffect(() => {
    void load();
  }, [streamId, pinnedId]);
  const act = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      setSaid(done);
      await load();
    } catch (err) {
      setSaid((err as Error).message);
    }
  };
  const move = (i: number, by: -1 | 1) => {
    if (!products) return;
    const ids = products.map((p) => p.id);
    const [id] = ids.splice(i, 1);
    if (!id) return;
    ids.splice(i + by, 0, id);
    // Shown at once; the server's order follows.
    setProducts(ids.map((x) => products.find((p) => p.id === x) as Product));
    void act(
      () => api(streamPath(streamId, '/products/order'), { method: 'PUT', json: { ids } }),
      m.room_products_order_saved(),
    );
  };
  return (
    <section class="panel products" aria-labelledby="products-heading">
      <h2 id="products-heading">{m.room_products_title()}</h2>
      {products && products.length === 0 && <p>{m.room_products_empty()}</p>}
      <ol class="product-list">
        {products?.map((p, i) => {
          const pinned = p.pinned;
          return (
            <li key={p.id} data-product-id={p.id} data-pinned={String(pinned)} class={pinned ? 'pinned' : ''}>
              {editing === p.id ? (
                <ProductForm
                  initial={draftOf(p)}
                  submitLabel={m.room_products_save()}
                  onCancel={() => setEditing(null)}
                  onSubmit={(d) =>
                    act(
                      () =>
                        api(streamPath(streamId, `/products/${p.id}`), {
                          method: 'PATCH',
                          json: bodyOf(d),
                        }).then(() => setEditing(null)),
                      m.room_products_saved(),
                    )
                  }
                />
              ) : (
                <div class="product-row">
                  {p.image_url ? (
                    <img src={roomPicture(p.image_url, token?.())} alt="" width={48} height={48} />
                  ) : (
                    <span class="no-image" />
                  )}
                  <span class="product-row-text">
                    <strong>{p.title}</strong> {formatPrice(p.price) ?? ''}
                    {pinned && <span class="badge pinned-badge"> {m.room_products_pinned()}</span>}
                    <span class="muted">
                      {' '}
                      · {m.room_products_clicks({ count: p.clicks, n: formatNumber(p.clicks) })}
                    </span>
                  </span>
                  <span class="button-row">
                    <button
                      type="button"
                      class="secondary"
                      disabled={i === 0}
                      aria-label={m.room_products_move_up({ title: p.title })}
                      onClick={() => move(i, -1)}
                    >
                      ↑
                    </button>
                    <button
                      type="button"
                      class="secondary"
                      disabled={i === products.length - 1}
                      aria-label={m.room_products_move_down({ title: p.title })}
                      onClick={() => move(i, 1)}
                    >
                      ↓
                    </button>
                    {pinned ? (
                      <button
                        type="button"
                        aria-label={m.room_products_unpin_label({ title: p.title })}
                        onClick={() =>
                          act(
                            () => api(streamPath(streamId, '/pin'), { method: 'DELETE' }),
                            m.room_products_unpinned(),
                          )
                        }
                      >
                        {m.room_products_unpin()}
                      </button>
                    ) : (
                      <button
                        type="button"
                        aria-label={m.room_products_pin_label({ title: p.title })}
                        onClick={() =>
                          act(
                            () =>
                              api(streamPath(streamId, `/products/${p.id}/pin`), {
                                method: 'POST',
                                json: {},
                              }),
                            m.room_products_pinned_done({ title: p.title }),
                          )
                        }
                      >
                        {m.room_products_pin()}
                      </button>
                    )}
                    <button
                      type="button"
                      class="secondary"
                      aria-label={m.room_products_edit_label({ title: p.title })}
                      onClick={() => setEditing(p.id)}
                    >
                      {m.room_products_edit()}
                    </button>
                    <button
                      type="button"
                      class="danger"
                      aria-label={m.room_products_delete_label({ title: p.title })}
                      onClick={() =>
                        confirm(m.room_products_delete_confirm({ title: p.title })) &&
                        act(
                          () => api(streamPath(streamId, `/products/${p.id}`), { method: 'DELETE' }),
                          m.room_products_deleted(),
                        )
                      }
                    >
                      {m.room_delete()}
                    </button>
                  </span>
                </div>
              )}
            </li>
          );
        })}
      </ol>
      {editing === 'new' ? (
        <ProductForm
          initial={empty}
          submitLabel={m.room_products_add_submit()}
          onCancel={() => setEditing(null)}
          onSubmit={(d) =>
            act(
              () =>
                api(streamPath(streamId, '/products'), { method: 'POST', json: bodyOf(d) }).then(() =>
                  setEditing(null),
                ),
              m.room_products_added(),
            )
          }
        />
      ) : (
        <button type="button" onClick={() => setEditing('new')}>
          {m.room_products_add()}
        </button>
      )}
      {said && <p role="status">{said}</p>}
    </section>
  );
}

function ProductForm(props: {
  initial: Draft;
  submitLabel: string;
  onSubmit(d: Draft): Promise<void> | undefined;
  onCancel(): void;
}) {
  const [d, setD] = useState<Draft>(props.initial);
  const set = (k: keyof Draft) => (e: { currentTarget: HTMLInputElement }) =>
    setD({ ...d, [k]: e.currentTarget.value });
  const uid = props.initial.title ? 'edit' : 'new';
  return (
    <form
      class="stack product-form"
      onKeyDown={holdSubmitWhileComposing}
      onSubmit={(e) => {
        e.preventDefault();
        void props.onSubmit(d);
      }}
    >
      <label>
        {m.room_products_field_title()}
        <input required maxLength={200} value={d.title} onInput={set('title')} />
      </label>
      <div class="price-fields">
        <label>
          {m.room_products_field_price()}
          <input
            inputMode="decimal"
            pattern="\d+(\.\d{1,2})?"
            placeholder="29.99"
            value={d.amount}
            onInput={set('amount')}
          />
        </label>
        <label>
          {m.room_products_field_currency()}
          <input maxLength={3} pattern="[A-Za-z]{3}" value={d.currency} onInput={set('currency')} />
        </label>
      </div>
      <AssetPicker
        id={`product-image-${uid}`}
        label={m.room_products_field_image()}
        value={d.image_asset_id}
        onChange={(id) => setD({ ...d, image_asset_id: id })}
      />
      <label>
        {m.room_products_field_link()}
        <input type="url" pattern="https?://.+" value={d.url} onInput={set('url')} />
      </label>
      <div class="button-row">
        <button type="submit">{props.submitLabel}</button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          {m.room_products_cancel()}
        </button>
      </div>
    </form>
  );
}
