import { useEffect, useState } from 'preact/hooks';
import { type Asset, api, type Page } from '../../api.ts';
import * as m from '../../i18n/generated/messages.js';

/**
 * A select of the library's ready images and videos (a product's picture, the room's poster):
 * the newest 100, which is what a host scrolls through anyway.
 */
export function AssetPicker(props: {
  label: string;
  value: string | null;
  onChange(id: string | null): void;
  id: string;
}) {
  const [assets, setAssets] = useState<Asset[] | null>(null);
  useEffect(() => {
    void api<Page<Asset>>('/v1/assets?limit=100')
      .then((r) => setAssets(r.data.filter((a) => a.status === 'ready' && a.kind !== 'audio')))
      .catch(() => setAssets([]));
  }, []);
  return (
    <label for={props.id}>
      {props.label}
      <select
        id={props.id}
        value={props.value ?? ''}
        onChange={(e) => props.onChange(e.currentTarget.value || null)}
      >
        <option value="">{m.room_picker_none()}</option>
        {props.value && assets && !assets.some((a) => a.id === props.value) && (
          <option value={props.value}>{m.room_picker_current()}</option>
        )}
        {assets?.map((a) => (
          <option key={a.id} value={a.id}>
            {(a.kind === 'image' ? m.room_picker_image : m.room_picker_video)({
              title: a.title || a.source.filename || a.id,
            })}
          </option>
        ))}
      </select>
    </label>
  );
}
