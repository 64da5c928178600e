import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { formatDateTime, formatNumber } from '../../i18n/format.ts';
import * as m from '../../i18n/generated/messages.js';
import { holdSubmitWhileComposing } from '../../i18n/ime.ts';
import { roomPicture } from '../room-picture.ts';
import { AssetPicker } from './asset-picker.tsx';
import { type HostRoomData, streamPath } from './host-types.ts';

const SLOW_MODES = [0, 3, 5, 10, 30, 60, 120, 300];

type Patch = Partial<{
  guests_allowed: boolean;
  links_allowed: boolean;
  slow_mode_seconds: number;
  paused: boolean;
  word_filter: string[];
  scheduled_at: string | null;
  poster_asset_id: string | null;
}>;

function usePatch(streamId: string, onSaved: (r: HostRoomData) => void) {
  const [said, setSaid] = useState<string | null>(null);
  const patch = async (json: Patch, done: string) => {
    try {
      const r = await api<{ data: HostRoomData }>(streamPath(streamId, '/room'), { method: 'PATCH', json });
      onSaved(r.data);
      setSaid(done);
    } catch (err) {
      setSaid((err as Error).message);
    }
  };
  return { said, patch };
}

/** The chat's rules: slow mode, pause, who may write, links, and the room's own word filter. */
export function RoomSettingsPanel({ room, onSaved }: { room: HostRoomData; onSaved(r: HostRoomData): void }) {
  const { said, patch } = usePatch(room.live_stream_id, onSaved);
  const s = room.settings;
  const [words, setWords] = useState(room.word_filter.join('\n'));
  useEffect(() => setWords(room.word_filter.join('\n')), [room.word_filter.join('\n')]);
  return (
    <section class="panel room-settings" aria-labelledby="room-settings-heading">
      <h2 id="room-settings-heading">{m.room_settings_title()}</h2>
      <div class="stack">
        <label>
          {m.room_settings_slow()}
          <select
            value={s.slow_mode_seconds}
            onChange={(e) => {
              const v = Number(e.currentTarget.value);
              void patch(
                { slow_mode_seconds: v },
                v ? m.room_settings_slow_set({ seconds: formatNumber(v) }) : m.room_settings_slow_off_done(),
              );
            }}
          >
            {SLOW_MODES.map((v) => (
              <option key={v} value={v}>
                {v === 0
                  ? m.room_settings_slow_off()
                  : m.room_settings_slow_option({ seconds: formatNumber(v) })}
              </option>
            ))}
          </select>
        </label>
        <label class="inline">
          <input
            type="checkbox"
            checked={s.paused}
            onChange={(e) =>
              patch(
                { paused: e.currentTarget.checked },
                e.currentTarget.checked ? m.room_settings_paused_done() : m.room_settings_resumed_done(),
              )
            }
          />
          {m.room_settings_pause()}
        </label>
        <label class="inline">
          <input
            type="checkbox"
            checked={s.guests_allowed}
            onChange={(e) =>
              patch(
                { guests_allowed: e.currentTarget.checked },
                e.currentTarget.checked ? m.room_settings_guests_on() : m.room_settings_guests_off(),
              )
            }
          />
          {m.room_settings_guests()}
        </label>
        <label class="inline">
          <input
            type="checkbox"
            checked={s.links_allowed}
            onChange={(e) =>
              patch(
                { links_allowed: e.currentTarget.checked },
                e.currentTarget.checked ? m.room_settings_links_on() : m.room_settings_links_off(),
              )
            }
          />
          {m.room_settings_links()}
        </label>
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            const list = [
              ...new Set(
                words
                  .split(/[\n,]/)
                  .map((w) => w.trim())
                  .filter(Boolean),
              ),
            ];
            void patch(
              { word_filter: list },
              m.room_settings_words_saved({ count: list.length, n: formatNumber(list.length) }),
            );
          }}
        >
          <label>
            {m.room_settings_words()}
            <textarea rows={4} value={words} onInput={(e) => setWords(e.currentTarget.value)} />
          </label>
          <button type="submit" class="secondary">
            {m.room_settings_words_save()}
          </button>
        </form>
      </div>
      {said && <p role="status">{said}</p>}
    </section>
  );
}

/** A local date-time input's value (`YYYY-MM-DDTHH:mm`, the viewer's zone) for an ISO time. */
const toLocalInput = (iso: string | null) => {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

/** When the broadcast starts (the viewers' countdown) and the picture they see until then. */
export function SchedulePanel({
  room,
  onSaved,
  token,
}: {
  room: HostRoomData;
  onSaved(r: HostRoomData): void;
  /** The owner's playback token of a signed stream (its room's pictures need it). */
  token: (() => string) | undefined;
}) {
  const { said, patch } = usePatch(room.live_stream_id, onSaved);
  const [when, setWhen] = useState(toLocalInput(room.scheduled_at));
  return (
    <section class="panel" aria-labelledby="schedule-heading">
      <h2 id="schedule-heading">{m.room_schedule_title()}</h2>
      <form
        class="stack"
        onKeyDown={holdSubmitWhileComposing}
        onSubmit={(e) => {
          e.preventDefault();
          const at = when ? new Date(when) : null;
          if (at && Number.isNaN(at.getTime())) return;
          void patch(
            { scheduled_at: at ? at.toISOString() : null },
            at ? m.room_schedule_set({ when: formatDateTime(at) }) : m.room_schedule_cleared(),
          );
        }}
      >
        <label>
          {m.room_schedule_starts_at()}
          <input type="datetime-local" value={when} onInput={(e) => setWhen(e.currentTarget.value)} />
        </label>
        <button type="submit" class="secondary">
          {m.room_schedule_save()}
        </button>
      </form>
      <div class="stack poster-pick">
        <AssetPicker
          id="room-poster"
          label={m.room_schedule_poster()}
          value={null}
          onChange={(id) =>
            void patch(
              { poster_asset_id: id },
              id ? m.room_schedule_poster_set() : m.room_schedule_poster_removed(),
            )
          }
        />
        {room.poster_url && (
          <>
            <img
              class="poster-preview"
              src={roomPicture(room.poster_url, token?.())}
              alt={m.room_schedule_poster_alt()}
            />
            <button
              type="button"
              class="secondary"
              onClick={() => patch({ poster_asset_id: null }, m.room_schedule_poster_removed())}
            >
              {m.room_schedule_poster_remove()}
            </button>
          </>
        )}
      </div>
      {said && <p role="status">{said}</p>}
    </section>
  );
}
