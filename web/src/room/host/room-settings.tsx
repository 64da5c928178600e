import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
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
      <h2 id="room-settings-heading">Chat settings</h2>
      <div class="stack">
        <label>
          Slow mode
          <select
            value={s.slow_mode_seconds}
            onChange={(e) => {
              const v = Number(e.currentTarget.value);
              void patch(
                { slow_mode_seconds: v },
                v ? `Slow mode: one message per ${v} s.` : 'Slow mode is off.',
              );
            }}
          >
            {SLOW_MODES.map((v) => (
              <option key={v} value={v}>
                {v === 0 ? 'Off' : `One message per ${v} s`}
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
                e.currentTarget.checked ? 'The chat is paused.' : 'The chat is open again.',
              )
            }
          />
          Pause the chat (nobody but the host can write)
        </label>
        <label class="inline">
          <input
            type="checkbox"
            checked={s.guests_allowed}
            onChange={(e) =>
              patch(
                { guests_allowed: e.currentTarget.checked },
                e.currentTarget.checked ? 'Guests may chat.' : 'Only signed-in viewers may chat.',
              )
            }
          />
          Guests may chat (with a nickname, without an account)
        </label>
        <label class="inline">
          <input
            type="checkbox"
            checked={s.links_allowed}
            onChange={(e) =>
              patch(
                { links_allowed: e.currentTarget.checked },
                e.currentTarget.checked ? 'Links in messages are clickable.' : 'Links show as plain text.',
              )
            }
          />
          Links in messages are clickable
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
            void patch({ word_filter: list }, `Word filter saved (${list.length} words).`);
          }}
        >
          <label>
            Word filter (one word or phrase a line; masked with * in messages)
            <textarea rows={4} value={words} onInput={(e) => setWords(e.currentTarget.value)} />
          </label>
          <button type="submit" class="secondary">
            Save the word filter
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
      <h2 id="schedule-heading">Schedule and poster</h2>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          const at = when ? new Date(when) : null;
          if (at && Number.isNaN(at.getTime())) return;
          void patch(
            { scheduled_at: at ? at.toISOString() : null },
            at ? `Scheduled for ${at.toLocaleString()}.` : 'No start time is shown.',
          );
        }}
      >
        <label>
          Starts at (your time zone)
          <input type="datetime-local" value={when} onInput={(e) => setWhen(e.currentTarget.value)} />
        </label>
        <button type="submit" class="secondary">
          Save the start time
        </button>
      </form>
      <div class="stack poster-pick">
        <AssetPicker
          id="room-poster"
          label="Poster (shown until the broadcast starts)"
          value={null}
          onChange={(id) => void patch({ poster_asset_id: id }, id ? 'Poster set.' : 'Poster removed.')}
        />
        {room.poster_url && (
          <>
            <img
              class="poster-preview"
              src={roomPicture(room.poster_url, token?.())}
              alt="The current poster"
            />
            <button
              type="button"
              class="secondary"
              onClick={() => patch({ poster_asset_id: null }, 'Poster removed.')}
            >
              Remove the poster
            </button>
          </>
        )}
      </div>
      {said && <p role="status">{said}</p>}
    </section>
  );
}
