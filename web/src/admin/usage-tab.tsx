import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { Link, useLocation, useSearch } from 'wouter-preact';
import { formatBytes, formatDateTime, formatNumber, formatTime } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { holdSubmitWhileComposing } from '../i18n/ime.ts';
import { rich } from '../i18n/rich.tsx';
import { ErrorLine, useData } from './shared.tsx';
import { DailyChart, LAYER_COLORS, type Layer } from './usage-charts.tsx';
import {
  type AssetRow,
  type DayRow,
  DELIVERY_PATHS,
  fmtGbHours,
  fmtMinutes,
  type GroupBy,
  hasUsage,
  isPreset,
  type Label,
  PATH_LABELS,
  PRESETS,
  type Preset,
  periodQuery,
  RESOLUTION_CLASSES,
  RESOLUTION_LABELS,
  STORAGE_CATEGORIES,
  STORAGE_LABELS,
  type UsageExtra,
  type UsageFigures,
  type UserRow,
  utcDate,
} from './usage-data.ts';

/** Usage is flushed every minute (FRAMEHOUSE_USAGE_FLUSH_SECONDS): reading it as often shows it within minutes. */
const EVERY_MS = 60_000;
/** The period's ends, in UTC like usage's days. */
const UTC_MOMENT: Intl.DateTimeFormatOptions = { timeZone: 'UTC', dateStyle: 'medium', timeStyle: 'short' };
/** Rows shown per table; the CSV has them all. */
const TABLE_ROWS = 100;

const layers = <K extends string>(
  keys: readonly K[],
  labels: Record<K, Label>,
  pick: (row: DayRow, key: K) => number,
): Layer[] =>
  keys.map((k, i) => ({ label: labels[k], color: LAYER_COLORS[i] ?? '#64748b', pick: (r) => pick(r, k) }));

// Fixed identities: the charts redraw when the data changes, not on every render.
const DELIVERED = layers(DELIVERY_PATHS, PATH_LABELS, (r, k) => r.delivered_bytes[k]).map((l) => ({
  ...l,
  always: true,
}));
const ENCODED = layers(RESOLUTION_CLASSES, RESOLUTION_LABELS, (r, k) => r.encoding_minutes[k]);
const STORED = layers(STORAGE_CATEGORIES, STORAGE_LABELS, (r, k) => r.stored_gb_hours[k]);
const LIVE_INPUT: Layer[] = [
  { label: m.admin_usage_live_input, color: LAYER_COLORS[0] ?? '#2563eb', pick: (r) => r.live_input_minutes },
];
const bytes = (n: number) => formatBytes(n);
const minutes = (n: number) => fmtMinutes(n);
const gbHours = (n: number) => fmtGbHours(n);
/** The daily charts, in the order the page shows them. */
const CHARTS = [
  { metric: 'delivered_bytes', title: m.admin_usage_delivered, layers: DELIVERED, format: bytes },
  { metric: 'encoding_minutes', title: m.admin_usage_encoding_minutes, layers: ENCODED, format: minutes },
  { metric: 'stored_gb_hours', title: m.admin_usage_stored, layers: STORED, format: gbHours },
  { metric: 'live_input_minutes', title: m.admin_usage_live_input, layers: LIVE_INPUT, format: minutes },
];

/**
 * `/admin/usage[?period&from&to]`: what the server did for whom (docs/usage.md) — encoding,
 * storage, delivery and live input over a period, per day in charts, per user and per asset or
 * live stream in tables, each downloadable as CSV. Read again every minute.
 */
export function UsageTab() {
  const search = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const preset: Preset = isPreset(search.get('period')) ? (search.get('period') as Preset) : 'this-month';
  const custom = { from: search.get('from') ?? '', to: search.get('to') ?? '' };
  const period = periodQuery(preset, custom);
  const query = 'query' in period ? period.query.toString() : null;
  const choose = (next: Record<string, string>) =>
    navigate(`/admin/usage?${new URLSearchParams(next)}`, { replace: true });

  return (
    <section aria-labelledby="usage-title" class="usage">
      <div class="panel-head">
        <h2 id="usage-title">{m.admin_usage_title()}</h2>
        <PeriodPicker preset={preset} custom={custom} onChoose={choose} />
      </div>
      {query === null ? (
        <p class="error" role="alert">
          {'error' in period ? period.error : ''}
        </p>
      ) : (
        <UsageReport key={query} query={query} />
      )}
    </section>
  );
}

function PeriodPicker(props: {
  preset: Preset;
  custom: { from: string; to: string };
  onChoose: (q: Record<string, string>) => void;
}) {
  const today = utcDate(Date.now());
  const [from, setFrom] = useState(props.custom.from || utcDate(Date.now() - 6 * 86_400_000));
  const [to, setTo] = useState(props.custom.to || today);
  const [error, setError] = useState<string | null>(null);
  const apply = (e: Event) => {
    e.preventDefault();
    const checked = periodQuery('custom', { from, to });
    if ('error' in checked) return setError(checked.error);
    setError(null);
    props.onChoose({ period: 'custom', from, to });
  };
  return (
    <div class="toolbar usage-period">
      <label class="inline">
        {m.admin_usage_period()}
        <select
          value={props.preset}
          onChange={(e) => {
            const p = e.currentTarget.value as Preset;
            props.onChoose(p === 'custom' ? { period: p, from, to } : { period: p });
          }}
        >
          {Object.entries(PRESETS).map(([k, label]) => (
            <option key={k} value={k}>
              {label()}
            </option>
          ))}
        </select>
      </label>
      {props.preset === 'custom' && (
        <form class="toolbar" onSubmit={apply} onKeyDown={holdSubmitWhileComposing} noValidate>
          <label for="usage-from">{m.admin_usage_from()}</label>
          <input
            id="usage-from"
            type="date"
            value={from}
            max={today}
            onInput={(e) => setFrom(e.currentTarget.value)}
          />
          <label for="usage-to">{m.admin_usage_to()}</label>
          <input
            id="usage-to"
            type="date"
            value={to}
            max={today}
            onInput={(e) => setTo(e.currentTarget.value)}
          />
          <button type="submit">{m.admin_usage_show()}</button>
          {error && (
            <span class="error" role="alert">
              {error}
            </span>
          )}
        </form>
      )}
    </div>
  );
}

/** The three groupings of one period, polled together; keyed by the period's query. */
function UsageReport({ query }: { query: string }) {
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const days = useData<DayRow[], UsageExtra>(`/v1/usage?${query}&group_by=day`, {
    everyMs: EVERY_MS,
    onData: () => setUpdatedAt(new Date()),
  });
  const users = useData<UserRow[], UsageExtra>(`/v1/usage?${query}&group_by=user`, { everyMs: EVERY_MS });
  const assets = useData<AssetRow[], UsageExtra>(`/v1/usage?${query}&group_by=asset`, { everyMs: EVERY_MS });
  const body = days.body;
  // Owners' e-mails, for the assets table (the user grouping carries them).
  const emails = useMemo(
    () => new Map((users.data ?? []).map((u) => [u.owner, u.email] as const)),
    [users.data],
  );
  const csv = (g: GroupBy) => `/v1/usage?${query}&group_by=${g}&format=csv`;

  if (!body || !days.data)
    return days.error ? (
      <p class="error" role="alert">
        {m.admin_usage_load_failed({ error: days.error })}
      </p>
    ) : (
      <p aria-busy="true">{m.admin_usage_loading()}</p>
    );
  const empty = !hasUsage(body.totals);
  const dayRows = days.data;
  return (
    <>
      <p class="muted usage-status">
        {m.admin_usage_range({
          from: formatDateTime(body.from, UTC_MOMENT),
          to: formatDateTime(body.to, UTC_MOMENT),
        })}{' '}
        {rich(m.admin_usage_updated, {
          time: (
            <time data-updated-at={updatedAt?.toISOString()} dateTime={updatedAt?.toISOString()}>
              {updatedAt ? formatTime(updatedAt, true) : '—'}
            </time>
          ),
        })}{' '}
        <button
          type="button"
          class="link"
          onClick={() => {
            days.reload();
            users.reload();
            assets.reload();
          }}
        >
          {m.admin_usage_refresh()}
        </button>
      </p>
      {/* A failed refresh keeps the figures shown and says why. */}
      <ErrorLine error={days.error} />
      {empty ? (
        <div class="empty" data-empty="usage">
          <p>
            <strong>{m.admin_usage_empty()}</strong>
          </p>
          <p class="muted">{m.admin_usage_empty_explain()}</p>
        </div>
      ) : (
        <>
          <Totals totals={body.totals} />
          <div class="analytics-grid">
            {CHARTS.map((c) => (
              <DailyChart
                key={c.metric}
                metric={c.metric}
                title={c.title}
                rows={dayRows}
                from={body.from}
                to={body.to}
                layers={c.layers}
                format={c.format}
              />
            ))}
          </div>
        </>
      )}
      <p>
        <a href={csv('day')} download data-csv="day">
          {m.admin_usage_csv_day()}
        </a>
      </p>
      <section class="panel" aria-labelledby="usage-users-title">
        <div class="panel-head">
          <h3 id="usage-users-title">{m.admin_usage_per_user()}</h3>
          <a href={csv('user')} download data-csv="user">
            {m.admin_usage_csv()}
          </a>
        </div>
        <Rows<UserRow>
          grouping="user"
          state={users}
          empty={m.admin_usage_users_empty()}
          name={m.admin_usage_col_user()}
          label={(u) => ownerName(u.owner, u.email)}
          sortName={(u) => u.email ?? u.owner}
          rowKey={(u) => u.owner}
        />
      </section>
      <section class="panel" aria-labelledby="usage-assets-title">
        <div class="panel-head">
          <h3 id="usage-assets-title">{m.admin_usage_per_asset()}</h3>
          <a href={csv('asset')} download data-csv="asset">
            {m.admin_usage_csv()}
          </a>
        </div>
        <Rows<AssetRow>
          grouping="asset"
          state={assets}
          empty={m.admin_usage_assets_empty()}
          name={m.admin_usage_col_asset()}
          label={(a) => (
            <>
              <SubjectLink row={a} />
              <br />
              <small class="muted">
                {a.subject_kind === 'live_stream'
                  ? m.admin_usage_live_stream_of({ owner: ownerName(a.owner, emails.get(a.owner) ?? null) })
                  : m.admin_usage_asset_of({ owner: ownerName(a.owner, emails.get(a.owner) ?? null) })}
              </small>
            </>
          )}
          sortName={(a) => a.title ?? a.subject_id}
          rowKey={(a) => `${a.subject_kind}:${a.subject_id}`}
        />
      </section>
    </>
  );
}

function Totals({ totals: t }: { totals: UsageFigures }) {
  const parts = <K extends string>(
    keys: readonly K[],
    labels: Record<K, Label>,
    values: Record<K, number>,
    f: (n: number) => string,
  ) =>
    keys
      .filter((k) => values[k] > 0)
      .map((k) => m.admin_usage_part({ label: labels[k](), value: f(values[k]) }))
      .join(' · ');
  const figures: Array<[string, string, number, string, string]> = [
    [
      'encoding_minutes',
      m.admin_usage_encoding(),
      t.encoding_minutes.total,
      fmtMinutes(t.encoding_minutes.total),
      parts(RESOLUTION_CLASSES, RESOLUTION_LABELS, t.encoding_minutes, minutes),
    ],
    [
      'stored_gb_hours',
      m.admin_usage_stored(),
      t.stored_gb_hours.total,
      fmtGbHours(t.stored_gb_hours.total),
      parts(STORAGE_CATEGORIES, STORAGE_LABELS, t.stored_gb_hours, gbHours),
    ],
    [
      'delivered_bytes',
      m.admin_usage_delivered(),
      t.delivered_bytes.total,
      formatBytes(t.delivered_bytes.total),
      parts(DELIVERY_PATHS, PATH_LABELS, t.delivered_bytes, bytes),
    ],
    [
      'delivered_minutes',
      m.admin_usage_delivered_minutes(),
      t.delivered_minutes.total,
      fmtMinutes(t.delivered_minutes.total),
      parts(DELIVERY_PATHS, PATH_LABELS, t.delivered_minutes, minutes),
    ],
    [
      'live_input_minutes',
      m.admin_usage_live_input(),
      t.live_input_minutes,
      fmtMinutes(t.live_input_minutes),
      '',
    ],
  ];
  return (
    <dl class="qoe-figures usage-totals">
      {figures.map(([key, label, value, text, note]) => (
        <div key={key}>
          <dt>{label}</dt>
          <dd data-metric={key} data-value={value}>
            {text}
          </dd>
          {note && <dd class="note">{note}</dd>}
        </div>
      ))}
    </dl>
  );
}

const COLUMNS: Array<{
  key: string;
  label: Label;
  value: (f: UsageFigures) => number;
  text: (n: number) => string;
}> = [
  {
    key: 'encoding_minutes',
    label: m.admin_usage_encoding,
    value: (f) => f.encoding_minutes.total,
    text: minutes,
  },
  {
    key: 'stored_gb_hours',
    label: m.admin_usage_stored,
    value: (f) => f.stored_gb_hours.total,
    text: gbHours,
  },
  {
    key: 'delivered_bytes',
    label: m.admin_usage_delivered,
    value: (f) => f.delivered_bytes.total,
    text: bytes,
  },
  {
    key: 'delivered_minutes',
    label: m.admin_usage_delivered_minutes,
    value: (f) => f.delivered_minutes.total,
    text: minutes,
  },
  {
    key: 'live_input_minutes',
    label: m.admin_usage_live_input,
    value: (f) => f.live_input_minutes,
    text: minutes,
  },
];

type Sort = { key: string; descending: boolean };

/** A grouping's rows, sortable by any column (a click on its heading; again to reverse). */
function Rows<R extends UsageFigures>(props: {
  grouping: GroupBy;
  state: { data: R[] | undefined; error: string | null };
  empty: string;
  name: string;
  label: (row: R) => ComponentChildren;
  sortName: (row: R) => string;
  rowKey: (row: R) => string;
}) {
  const [sort, setSort] = useState<Sort>({ key: 'delivered_bytes', descending: true });
  const { data, error } = props.state;
  const sorted = useMemo(() => {
    if (!data) return [];
    const column = COLUMNS.find((c) => c.key === sort.key);
    const rows = [...data].sort((a, b) =>
      column ? column.value(a) - column.value(b) : props.sortName(a).localeCompare(props.sortName(b)),
    );
    return sort.descending ? rows.reverse() : rows;
  }, [data, sort]);
  if (!data) return error ? <ErrorLine error={error} /> : <p aria-busy="true">{m.app_loading()}</p>;
  if (data.length === 0)
    return (
      <>
        <ErrorLine error={error} />
        <p class="muted">{props.empty}</p>
      </>
    );
  const heading = (key: string, label: string) => {
    const active = sort.key === key;
    return (
      <th
        scope="col"
        key={key}
        aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : undefined}
      >
        <button
          type="button"
          class="link sort"
          onClick={() => setSort({ key, descending: active ? !sort.descending : key !== 'name' })}
        >
          {label}
          {active ? (sort.descending ? ' ▼' : ' ▲') : ''}
        </button>
      </th>
    );
  };
  return (
    <>
      <ErrorLine error={error} />
      <div class="table-wrap">
        <table class="table usage-rows" data-group-by={props.grouping}>
          <thead>
            <tr>
              {heading('name', props.name)}
              {COLUMNS.map((c) => heading(c.key, c.label()))}
            </tr>
          </thead>
          <tbody>
            {sorted.slice(0, TABLE_ROWS).map((r) => (
              <tr key={props.rowKey(r)} data-key={props.rowKey(r)}>
                <th scope="row">{props.label(r)}</th>
                {COLUMNS.map((c) => (
                  <td key={c.key} data-metric={c.key} data-value={c.value(r)}>
                    {c.text(c.value(r))}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {sorted.length > TABLE_ROWS && (
        <p class="muted">
          {m.admin_usage_first_rows({
            count: sorted.length,
            n: formatNumber(sorted.length),
            shown: formatNumber(TABLE_ROWS),
          })}
        </p>
      )}
    </>
  );
}

function ownerName(owner: string, email: string | null): string {
  if (email) return email;
  if (owner.startsWith('key:')) return m.admin_usage_owner_key({ id: owner.slice(4) });
  if (owner === 'open-mode') return m.admin_usage_owner_open_mode();
  return owner;
}

function SubjectLink({ row }: { row: AssetRow }) {
  const href =
    row.subject_kind === 'live_stream' ? `/streams/${row.subject_id}` : `/assets/${row.subject_id}`;
  return <Link href={href}>{row.title || <code>{row.subject_id}</code>}</Link>;
}
