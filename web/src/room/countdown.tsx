import { useEffect, useState } from 'preact/hooks';

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
  const m = Math.floor((left % 3600) / 60);
  const s = left % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  const words =
    left === 0
      ? 'Starting soon'
      : `Starts in ${d ? `${d} d ` : ''}${d || h ? `${h} h ` : ''}${pad(m)} min ${pad(s)} s`;
  const when = new Date(target).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
  return (
    <div class="countdown" data-seconds-left={left}>
      {/* The ticking figure is hidden from screen readers; the start time is read once. */}
      <p class="countdown-left" aria-hidden="true">
        {words}
      </p>
      <p class="countdown-when">
        <span class="visually-hidden">The broadcast starts </span>
        <time dateTime={to}>{when}</time>
      </p>
    </div>
  );
}
