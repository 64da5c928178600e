import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
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
      'Order saved.',
    );
  };
  return (
    <section class="panel products" aria-labelledby="products-heading">
      <h2 id="products-heading">Products</h2>
      {products && products.length === 0 && <p>No products yet. Add one to pin it during the broadcast.</p>}
      <ol class="product-list">
        {products?.map((p, i) => {
          const pinned = p.pinned;
          return (
            <li key={p.id} data-product-id={p.id} data-pinned={String(pinned)} class={pinned ? 'pinned' : ''}>
              {editing === p.id ? (
                <ProductForm
                  initial={draftOf(p)}
                  submitLabel="Save"
                  onCancel={() => setEditing(null)}
                  onSubmit={(d) =>
                    act(
                      () =>
                        api(streamPath(streamId, `/products/${p.id}`), {
                          method: 'PATCH',
                          json: bodyOf(d),
                        }).then(() => setEditing(null)),
                      'Product saved.',
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
                    {pinned && <span class="badge pinned-badge"> Pinned</span>}
                    <span class="muted"> · {p.clicks === 1 ? '1 click' : `${p.clicks} clicks`}</span>
                  </span>
                  <span class="button-row">
                    <button
                      type="button"
                      class="secondary"
                      disabled={i === 0}
                      aria-label={`Move ${p.title} up`}
                      onClick={() => move(i, -1)}
                    >
                      ↑
                    </button>
                    <button
                      type="button"
                      class="secondary"
                      disabled={i === products.length - 1}
                      aria-label={`Move ${p.title} down`}
                      onClick={() => move(i, 1)}
                    >
                      ↓
                    </button>
                    {pinned ? (
                      <button
                        type="button"
                        aria-label={`Unpin ${p.title}`}
                        onClick={() =>
                          act(() => api(streamPath(streamId, '/pin'), { method: 'DELETE' }), 'Unpinned.')
                        }
                      >
                        Unpin
                      </button>
                    ) : (
                      <button
                        type="button"
                        aria-label={`Pin ${p.title}`}
                        onClick={() =>
                          act(
                            () =>
                              api(streamPath(streamId, `/products/${p.id}/pin`), {
                                method: 'POST',
                                json: {},
                              }),
                            `${p.title} is pinned.`,
                          )
                        }
                      >
                        Pin
                      </button>
                    )}
                    <button
                      type="button"
                      class="secondary"
                      aria-label={`Edit ${p.title}`}
                      onClick={() => setEditing(p.id)}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      class="danger"
                      aria-label={`Delete ${p.title}`}
                      onClick={() =>
                        confirm(`Delete the product "${p.title}"?`) &&
                        act(
                          () => api(streamPath(streamId, `/products/${p.id}`), { method: 'DELETE' }),
                          'Deleted.',
                        )
                      }
                    >
                      Delete
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
          submitLabel="Add the product"
          onCancel={() => setEditing(null)}
          onSubmit={(d) =>
            act(
              () =>
                api(streamPath(streamId, '/products'), { method: 'POST', json: bodyOf(d) }).then(() =>
                  setEditing(null),
                ),
              'Product added.',
            )
          }
        />
      ) : (
        <button type="button" onClick={() => setEditing('new')}>
          Add a product
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
      onSubmit={(e) => {
        e.preventDefault();
        void props.onSubmit(d);
      }}
    >
      <label>
        Title
        <input required maxLength={200} value={d.title} onInput={set('title')} />
      </label>
      <div class="price-fields">
        <label>
          Price
          <input
            inputMode="decimal"
            pattern="\d+(\.\d{1,2})?"
            placeholder="29.99"
            value={d.amount}
            onInput={set('amount')}
          />
        </label>
        <label>
          Currency
          <input maxLength={3} pattern="[A-Za-z]{3}" value={d.currency} onInput={set('currency')} />
        </label>
      </div>
      <AssetPicker
        id={`product-image-${uid}`}
        label="Image"
        value={d.image_asset_id}
        onChange={(id) => setD({ ...d, image_asset_id: id })}
      />
      <label>
        Link (https://…)
        <input type="url" pattern="https?://.+" value={d.url} onInput={set('url')} />
      </label>
      <div class="button-row">
        <button type="submit">{props.submitLabel}</button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
