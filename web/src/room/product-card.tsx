import * as m from '../i18n/generated/messages.js';
import { roomPicture } from './room-picture.ts';
import { formatPrice, type Product } from './types.ts';

/**
 * The product the host pinned. Its link opens in a new tab; the click is counted first with a
 * request that outlives the page's focus (keepalive), so the count does not hold up the link.
 */
export function ProductCard(props: {
  product: Product;
  playbackId: string;
  playbackToken: (() => string | null) | undefined;
  pinnedAt?: number | null;
}) {
  const p = props.product;
  const price = formatPrice(p.price);
  const action = price ? m.room_product_buy() : m.room_product_view();
  const click = () => {
    const token = props.playbackToken?.();
    void fetch(
      `/v1/rooms/${encodeURIComponent(props.playbackId)}/products/${encodeURIComponent(p.id)}/clicks`,
      {
        method: 'POST',
        keepalive: true,
        credentials: 'same-origin',
        // i18n-ignore: an HTTP header, not text
        ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
      },
    ).catch(() => {});
  };
  return (
    <aside
      class="product-card"
      aria-label={m.room_product_label()}
      data-product-id={p.id}
      data-pinned-at={props.pinnedAt ?? ''}
    >
      {p.image_url && (
        <img
          src={roomPicture(p.image_url, props.playbackToken?.())}
          alt=""
          width={72}
          height={72}
          loading="lazy"
        />
      )}
      <div class="product-body">
        <p class="product-title">{p.title}</p>
        {price && <p class="product-price">{price}</p>}
      </div>
      {p.url && (
        <a
          class="button product-link"
          href={p.url}
          target="_blank"
          rel="noopener"
          onClick={click}
          aria-label={m.room_product_link_label({ action, title: p.title })}
        >
          {action}
        </a>
      )}
    </aside>
  );
}
