import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { formatDateTime, formatNumber } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';

/** What the admin tabs share: loading (optionally polled), tables, outcomes, times, a sparkline. */

export const when = (iso: string | null | undefined) => (iso ? formatDateTime(iso) : '—');

/** An amount in a unit, short, in the reader's language: (5, 'second') → "5 sec" / "5초". */
export const amount = (n: number, unit: string, maximumFractionDigits = 0) =>
  formatNumber(n, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits });

/** "3 of 5" / "5개 중 3개". */
export const ofTotal = (part: number, total: number) =>
  m.admin_of_total({ part: formatNumber(part), total: formatNumber(total) });

export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * GET a `{ data, next_cursor? }` answer, again every `everyMs` when given. The next poll is
 * scheduled after the previous answer, so a slow server never has requests piling up; a hidden
 * browser tab skips its polls, so a forgotten admin page costs the server nothing.
 */
export function useData<T, Extra = Record<string, unknown>>(
  path: string,
  opts: { everyMs?: number; onData?: (data: T) => void } = {},
) {
  const [state, setState] = useState<{ path: string; data: T; next: string | null; body: Extra } | null>(
    null,
  );
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const onData = useRef(opts.onData);
  onData.current = opts.onData;
  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (first: boolean) => {
      if (first || !document.hidden) {
        try {
          const body = await api<{ data: T; next_cursor?: string | null } & Extra>(path);
          if (!alive) return;
          onData.current?.(body.data);
          setState({ path, data: body.data, next: body.next_cursor ?? null, body });
          setError(null);
        } catch (err) {
          if (alive) setError(errorText(err));
        }
      }
      if (alive && opts.everyMs) timer = setTimeout(() => void run(false), opts.everyMs);
    };
    void run(true);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [path, opts.everyMs, tick]);
  // Data of a previous path (another filter) is not shown under the new one.
  const fresh = state?.path === path ? state : null;
  // `body`: the whole answer, for what some lists carry beside `data` (the backup schedule).
  return {
    data: fresh?.data,
    next: fresh?.next ?? null,
    body: fresh?.body,
    error,
    reload: () => setTick((t) => t + 1),
  };
}

export type Outcome = { ok: boolean; text: string } | null;

/**
 * A change made by a button: asks first (when `question` is given), then says what happened —
 * a person who clicked "Discard" should not have to guess whether it worked.
 */
export function useAction() {
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  const run = async (question: string | null, work: () => Promise<string>) => {
    if (question && !window.confirm(question)) return;
    setBusy(true);
    try {
      setOutcome({ ok: true, text: await work() });
    } catch (err) {
      setOutcome({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, outcome };
}

export function OutcomeLine({ value }: { value: Outcome }) {
  if (!value) return null;
  return value.ok ? (
    <p role="status">{value.text}</p>
  ) : (
    <p class="error" role="alert">
      {value.text}
    </p>
  );
}

export function ErrorLine({ error }: { error: string | null }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

/** Error first, then "Loading…", "empty" words, or the table: the four states of every list. */
export function ListState<T>(props: {
  error: string | null;
  data: T[] | undefined;
  empty: string;
  children: (rows: T[]) => ComponentChildren;
}) {
  if (props.data === undefined)
    return props.error ? <ErrorLine error={props.error} /> : <p aria-busy="true">{m.app_loading()}</p>;
  return (
    <>
      <ErrorLine error={props.error} />
      {props.data.length === 0 ? <p class="empty">{props.empty}</p> : props.children(props.data)}
    </>
  );
}

export function Table(props: { caption: string; headers: string[]; children: ComponentChildren }) {
  return (
    <table class="table">
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          {props.headers.map((h) => (
            <th scope="col" key={h}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{props.children}</tbody>
    </table>
  );
}

/** A line of samples, scaled to its own maximum (never below 1, so a flat zero stays at the bottom). */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const w = 120;
  const h = 24;
  if (values.length < 2) return <span class="empty">{m.admin_sparkline_collecting()}</span>;
  const max = Math.max(1, ...values);
  const step = w / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 1 - (v / max) * (h - 2)).toFixed(1)}`);
  const summary = m.admin_sparkline_summary({
    label,
    first: formatNumber(values[0] ?? 0),
    last: formatNumber(values[values.length - 1] ?? 0),
    max: formatNumber(max),
  });
  return (
    <svg class="sparkline" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={summary}>
      <title>{summary}</title>
      <polyline points={points.join(' ')} fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}

/**
 * Newer / Older over an admin list paged with cursors: `cursors` is the stack of the pages opened
 * after the first (the last one is shown), `older` the cursor of the next page, if any.
 */
export function StackPager(props: {
  label: string;
  cursors: string[];
  older: string | null | undefined;
  setCursors: (update: (c: string[]) => string[]) => void;
}) {
  const { label, cursors, older, setCursors } = props;
  return (
    <nav aria-label={label}>
      <button type="button" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
        {m.admin_pager_newer()}
      </button>
      <button type="button" disabled={!older} onClick={() => older && setCursors((c) => [...c, older])}>
        {m.admin_pager_older()}
      </button>
    </nav>
  );
}
