import { useEffect, useState } from 'preact/hooks';
import { formatDateTime, formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';

/** "Starts in 2 h 05 min" to a scheduled start, ticking every second; "Starting soon" once it has passed. */
export function Countdown({ to }: { to: string }) {
  const target = Date.parse(to);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [to]);
  const left = Math.max(0, Math.round((target - now) / 1000));
  const d = Math.floor(left / 86400);
  const h = Math.floor((left % 86400) / 3600);
  const min = Math.floor((left % 3600) / 60);
  const s = left % 60;
  const pad = (n: number) => formatNumber(n, { minimumIntegerDigits: 2 });
  const parts = { d: formatNumber(d), h: formatNumber(h), m: pad(min), s: pad(s) };
  const words =
    left === 0
      ? m.room_countdown_soon()
      : m.room_countdown_in({
          left: d
            ? m.room_countdown_dhms(parts)
            : h
              ? m.room_countdown_hms(parts)
              : m.room_countdown_ms(parts),
        });
  const when = formatDateTime(target);
  return (
    <div class="countdown" data-seconds-left={left}>
      {/* The ticking figure is hidden from screen readers; the start time is read once. */}
      <p class="countdown-left" aria-hidden="true">
        {words}
      </p>
      <p class="countdown-when">
        <span class="visually-hidden">{m.room_countdown_starts()} </span>
        <time dateTime={to}>{when}</time>
      </p>
    </div>
  );
}
