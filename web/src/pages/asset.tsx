import { useEffect, useMemo, useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { AssetQoePanel } from '../analytics/asset-qoe-panel.tsx';
import { type Asset, api } from '../api.ts';
import { CopyField } from '../copy-field.tsx';
import { formatBytes, formatDateTime, formatDuration, formatPercent, numberFormat } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { holdSubmitWhileComposing } from '../i18n/ime.ts';
import { useLocale } from '../i18n/locale.ts';
import { useTrashDays } from '../instance.ts';
import { ASSET_EVENTS, useLiveEvents } from '../live.ts';
import { Player } from '../player/player.tsx';
import { TokenSource } from '../player/token-source.ts';
import { WithChatReplay } from '../room/chat-replay.tsx';
import { canEdit, useSession } from '../session.ts';
import { STATUS_LABEL, StatusBadge } from '../status-badge.tsx';

type Minted = { data: { token: string; expires_at: string } };
const mint = (playbackId: string, expiresIn: number, renewableFor?: number) =>
  api<Minted>('/v1/playback-tokens', {
    method: 'POST',
    json: {
      playback_id: playbackId,
      expires_in: expiresIn,
      ...(renewableFor ? { renewable_for: renewableFor } : {}),
    },
  });

/** One asset: the player (as soon as it can play), processing per rung, editing and sharing. */
export function AssetPage({ id }: { id: string }) {
  const { session } = useSession();
  const [, navigate] = useLocation();
  const [asset, setAsset] = useState<Asset | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    api<{ data: Asset }>(`/v1/assets/${id}`)
      .then((r) => setAsset(r.data))
      .catch((err: Error) => setError(err.message));
  useEffect(() => {
    void load();
  }, [id]);
  // Status and per-rung progress follow the pipeline live; progress between events is polled.
  useLiveEvents(ASSET_EVENTS, () => void load(), id);
  useEffect(() => {
    if (!asset || asset.status === 'ready' || asset.status === 'errored') return;
    const t = setInterval(load, 2000);
    return () => clearInterval(t);
  }, [asset?.status]);

  const playback = asset?.playback_ids[0];
  const signed = playback?.policy === 'signed';
  const [tokens, setTokens] = useState<TokenSource | undefined>(undefined);
  useEffect(() => {
    if (!signed || !playback) return;
    let source: TokenSource | undefined;
    // The owner's own viewing: a short token, renewed through the API while the page is open.
    void mint(playback.id, 600)
      .then(({ data }) => {
        source = new TokenSource(
          data.token,
          data.expires_at,
          async () => (await mint(playback.id, 600)).data,
        );
        setTokens(source);
      })
      .catch((err: Error) => setError(m.library_asset_private_error({ reason: err.message })));
    return () => source?.stop();
  }, [playback?.id, signed]);

  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!asset) return <p aria-busy="true">{m.app_loading()}</p>;
  const playable = asset.status === 'ready' && asset.playback && (!signed || tokens);
  const title = asset.title || asset.source.filename || m.app_untitled();
  return (
    <article class="asset">
      <h1>
        {title} <StatusBadge asset={asset} />
      </h1>
      {asset.kind === 'image' && asset.status === 'ready' ? (
        <figure class="photo">
          <img src={`/v1/assets/${asset.id}/variants/1080p`} alt={title} />
        </figure>
      ) : playable && asset.playback ? (
        <WithChatReplay assetId={asset.id}>
          <Player
            key={`${asset.playback.hls}${signed}`}
            hls={asset.playback.hls}
            poster={asset.playback.thumbnail}
            storyboard={asset.playback.storyboard}
            is360={asset.is_360}
            tokens={signed ? tokens : undefined}
            title={title}
          />
        </WithChatReplay>
      ) : (
        <Progress asset={asset} />
      )}
      <p class="facts">
        {[
          formatDuration(asset.duration),
          asset.width ? `${asset.width}×${asset.height}` : '',
          asset.is_360 ? '360°' : '',
          asset.source.size ? formatBytes(asset.source.size) : '',
          formatDateTime(asset.created_at),
        ]
          .filter(Boolean)
          .join(' · ')}
      </p>
      {asset.status === 'ready' && asset.renditions.some((r) => r.status !== 'ready') && (
        <Progress asset={asset} />
      )}
      {asset.status === 'ready' && asset.kind !== 'image' && <AssetQoePanel assetId={asset.id} />}
      {canEdit(session) && <Edit asset={asset} onSaved={setAsset} onDeleted={() => navigate('/')} />}
      {asset.status === 'ready' && playback && (
        <Share asset={asset} playbackId={playback.id} signed={signed} />
      )}
    </article>
  );
}

function Progress({ asset }: { asset: Asset }) {
  if (asset.status === 'errored')
    return (
      <div class="error" role="alert">
        <p>{m.library_asset_failed()}</p>
        <ul>
          {asset.errors.map((e) => (
            <li key={e.code}>{e.message}</li>
          ))}
        </ul>
      </div>
    );
  return (
    <div class="processing" role="status">
      <p>
        {asset.status === 'waiting' ? m.library_asset_waiting() : STATUS_LABEL.processing()}{' '}
        {asset.progress != null && formatPercent(asset.progress, 0)}
      </p>
      <progress max={1} value={asset.progress ?? 0} aria-label={m.library_asset_overall()} />
      {asset.renditions.length > 0 && (
        <ul class="rungs">
          {asset.renditions.map((r) => (
            <li key={r.name} data-status={r.status}>
              {r.name} {r.type === 'video' && r.height ? `(${m.player_height({ height: r.height })})` : ''} —{' '}
              {r.status === 'ready'
                ? m.library_asset_rung_ready()
                : r.status === 'errored'
                  ? m.library_asset_rung_failed()
                  : m.library_asset_rung_encoding()}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Edit({
  asset,
  onSaved,
  onDeleted,
}: {
  asset: Asset;
  onSaved: (a: Asset) => void;
  onDeleted: () => void;
}) {
  const [title, setTitle] = useState(asset.title ?? '');
  const [message, setMessage] = useState<string | null>(null);
  const trashDays = useTrashDays();
  const name = asset.title ?? m.library_asset_this_video();
  const policy = asset.playback_ids[0]?.policy ?? 'public';
  const save = async (patch: Record<string, unknown>) => {
    try {
      onSaved((await api<{ data: Asset }>(`/v1/assets/${asset.id}`, { method: 'PATCH', json: patch })).data);
      setMessage(m.app_saved());
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  return (
    <details class="panel">
      <summary>{m.library_asset_edit()}</summary>
      <form
        class="stack"
        onKeyDown={holdSubmitWhileComposing}
        onSubmit={(e) => {
          e.preventDefault();
          void save({ title });
        }}
      >
        <label>
          {m.library_asset_title()}
          <input value={title} maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>{m.library_asset_who()}</legend>
          <label>
            <input
              type="radio"
              name="policy"
              checked={policy === 'public'}
              onChange={() => void save({ playback_policy: 'public' })}
            />{' '}
            {m.library_asset_public()}
          </label>
          <label>
            <input
              type="radio"
              name="policy"
              checked={policy === 'signed'}
              onChange={() => void save({ playback_policy: 'signed' })}
            />{' '}
            {m.library_asset_signed()}
          </label>
        </fieldset>
        <button type="submit">{m.library_asset_save_title()}</button>
        {message && <p role="status">{message}</p>}
      </form>
      <button
        type="button"
        class="danger"
        disabled={trashDays === null}
        onClick={async () => {
          const question = trashDays
            ? m.library_asset_move_confirm({ title: name, count: trashDays })
            : m.library_asset_delete_confirm({ title: name });
          if (!confirm(question)) return;
          try {
            await api(`/v1/assets/${asset.id}`, { method: 'DELETE' });
            onDeleted();
          } catch (err) {
            setMessage((err as Error).message);
          }
        }}
      >
        {trashDays ? m.library_asset_move_to_trash() : m.library_asset_delete()}
      </button>
    </details>
  );
}

/** A signed link's lifetimes on offer: 1 hour, 1 day, 7 days (in the reader's words, by Intl). */
const LIFETIMES: Array<[number, 'hour' | 'day']> = [
  [1, 'hour'],
  [1, 'day'],
  [7, 'day'],
];
const UNIT_SECONDS = { hour: 3600, day: 86400 };

function Share({ asset, playbackId, signed }: { asset: Asset; playbackId: string; signed: boolean }) {
  const [link, setLink] = useState<string | null>(null);
  const [lifetime, setLifetime] = useState(86400);
  const [error, setError] = useState<string | null>(null);
  const { locale } = useLocale();
  const embedUrl = `${location.origin}/embed/${playbackId}`;
  const ratio = asset.width && asset.height ? (asset.height / asset.width) * 100 : 56.25;
  const snippet = useMemo(
    () =>
      // i18n-ignore: HTML to paste into another site (its title attribute comes from the catalogue)
      `<div style="position:relative;padding-top:${ratio.toFixed(2)}%"><iframe src="${link ?? embedUrl}" style="position:absolute;inset:0;width:100%;height:100%;border:0" allow="autoplay; fullscreen; gyroscope; accelerometer" allowfullscreen title="${(asset.title ?? m.player_video()).replace(/"/g, '&quot;')}"></iframe></div>`,
    // The locale too: an untitled video's title attribute is a message.
    [link, embedUrl, ratio, asset.title, locale],
  );
  const createLink = async () => {
    try {
      // Short tokens on every request; the page renews them for as long as the link lasts.
      const { data } = await mint(playbackId, Math.min(600, lifetime), lifetime);
      setLink(`${embedUrl}?token=${data.token}`);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section class="panel">
      <h2>{m.library_asset_share()}</h2>
      {signed ? (
        <div class="stack">
          <p>{m.library_asset_private_share()}</p>
          <label>
            {m.library_asset_valid_for()}
            <select value={lifetime} onChange={(e) => setLifetime(Number(e.currentTarget.value))}>
              {LIFETIMES.map(([n, unit]) => (
                <option key={n * UNIT_SECONDS[unit]} value={n * UNIT_SECONDS[unit]}>
                  {numberFormat({ style: 'unit', unit, unitDisplay: 'long' }).format(n)}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={createLink}>
            {m.library_asset_create_link()}
          </button>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          {link && <CopyField label={m.library_asset_signed_link()} value={link} />}
        </div>
      ) : (
        <CopyField label={m.library_asset_link()} value={embedUrl} />
      )}
      {(!signed || link) && <CopyField label={m.library_asset_embed_code()} value={snippet} multiline />}
    </section>
  );
}
