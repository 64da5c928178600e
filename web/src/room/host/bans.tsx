import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { formatTime } from '../../i18n/format.ts';
import * as m from '../../i18n/generated/messages.js';
import { type Ban, streamPath } from './host-types.ts';

/** Who is banned or timed out, with unban. `version` bumps when the chat panel bans someone. */
export function Bans({ streamId, version }: { streamId: string; version: number }) {
  const [bans, setBans] = useState<Ban[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    api<{ data: Ban[] }>(streamPath(streamId, '/bans'))
      .then((r) => {
        setBans(r.data);
        setError(null);
      })
      .catch((err: Error) => setError(err.message));
  useEffect(() => {
    void load();
  }, [streamId, version]);
  const active = (bans ?? []).filter((b) => b.until === null || Date.parse(b.until) > Date.now());
  return (
    <section class="panel" aria-labelledby="bans-heading">
      <h2 id="bans-heading">{m.room_bans_title()}</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {bans && active.length === 0 && <p>{m.room_bans_nobody()}</p>}
      <ul class="bans">
        {active.map((b) => (
          <li key={b.id} data-ban-id={b.id}>
            <span>
              {b.name} —{' '}
              {b.until ? m.room_bans_timed_out({ time: formatTime(b.until) }) : m.room_bans_banned()}
              {b.reason ? ` (${b.reason})` : ''}
            </span>{' '}
            <button
              type="button"
              class="secondary"
              aria-label={m.room_bans_unban_label({ name: b.name })}
              onClick={async () => {
                try {
                  await api(streamPath(streamId, `/bans/${b.id}`), { method: 'DELETE' });
                  await load();
                } catch (err) {
                  setError((err as Error).message);
                }
              }}
            >
              {m.room_bans_unban()}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
