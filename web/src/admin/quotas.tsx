import { useMemo, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { api } from '../api.ts';
import { formatNumber, formatPercent } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { holdSubmitWhileComposing } from '../i18n/ime.ts';
import './usage.css';
import { ListState, OutcomeLine, useAction, useData, when } from './shared.tsx';
import {
  type EffectiveUse,
  fmtPercent,
  fmtQuota,
  type LimitInputs,
  limitInputs,
  parseLimits,
  QUOTA_LABELS,
  QUOTA_UNITS,
  QUOTAS,
  type QuotaName,
  type QuotaRow,
  quotaUses,
  ROLES,
  type Role,
} from './usage-data.ts';

interface Account {
  id: string;
  email: string;
  role: Role;
}

const ROLE_NAMES: Record<Role, () => string> = {
  admin: m.admin_quotas_role_admins,
  editor: m.admin_quotas_role_editors,
  viewer: m.admin_quotas_role_viewers,
};
const EVERY_MS = 60_000;

/**
 * `/admin/quotas`: limits per role and per user (docs/usage.md), each with what its subject uses
 * now, and the form that sets or clears them. A tab of its own, not part of the usage tab: the
 * usage tab reads a chosen period while quotas are about now (storage now, this month's minutes,
 * streams live now), and its minute-by-minute refresh must not redraw a half-filled form.
 */
export function QuotasTab() {
  const quotas = useData<QuotaRow[]>('/v1/admin/quotas', { everyMs: EVERY_MS });
  const users = useData<Account[]>('/v1/users');
  const action = useAction();
  const [editing, setEditing] = useState<{ subject: string; at: number } | null>(null);
  const emails = useMemo(
    () => new Map((users.data ?? []).map((u) => [`user:${u.id}`, u.email])),
    [users.data],
  );
  const roles = useMemo(() => new Map((users.data ?? []).map((u) => [`user:${u.id}`, u.role])), [users.data]);
  const name = (subject: string) =>
    subjectName(subject, emails) ?? quotas.data?.find((r) => r.subject === subject)?.email ?? subject;
  /** The row of a user's role: where their empty limits come from. */
  const roleRowOf = (subject: string) => {
    const role = roles.get(subject);
    return role ? quotas.data?.find((r) => r.subject === `role:${role}`) : undefined;
  };

  const clear = (subject: string) =>
    action.run(
      subject.startsWith('role:')
        ? m.admin_quotas_clear_role_confirm({ name: name(subject) })
        : m.admin_quotas_clear_user_confirm({ name: name(subject) }),
      async () => {
        await api(`/v1/admin/quotas/${encodeURIComponent(subject)}`, { method: 'DELETE' });
        quotas.reload();
        return m.admin_quotas_cleared({ name: name(subject) });
      },
    );

  return (
    <section aria-labelledby="quotas-title">
      <h2 id="quotas-title">{m.admin_quotas_title()}</h2>
      <p class="muted">
        {m.admin_quotas_intro({ high: formatPercent(0.8, 0), full: formatPercent(1, 0) })}{' '}
        {m.admin_quotas_see_before()}
        <Link href="/admin/usage">{m.admin_quotas_see_link()}</Link>
        {m.admin_quotas_see_after()}
      </p>
      <OutcomeLine value={action.outcome} />
      <ListState data={quotas.data} error={quotas.error} empty={m.admin_quotas_empty()}>
        {(rows) => (
          <div class="table-wrap">
            <table class="table quotas">
              <caption>{m.admin_quotas_caption()}</caption>
              <thead>
                <tr>
                  <th scope="col">{m.admin_quotas_col_for()}</th>
                  {QUOTAS.map((q) => (
                    <th scope="col" key={q}>
                      {QUOTA_LABELS[q]()}
                    </th>
                  ))}
                  <th scope="col">{m.admin_quotas_col_changed()}</th>
                  <th scope="col">
                    <span class="visually-hidden">{m.admin_quotas_col_actions()}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sortRows(rows).map((row) => (
                  <tr key={row.subject} data-subject={row.subject}>
                    <th scope="row">
                      {name(row.subject)}
                      {row.users !== null && (
                        <>
                          <br />
                          <small class="muted">
                            {m.admin_quotas_accounts({ count: row.users, n: formatNumber(row.users) })}
                          </small>
                        </>
                      )}
                    </th>
                    {quotaUses(row, roleRowOf(row.subject)).map((use) => (
                      <td key={use.quota} data-quota={use.quota} data-limit={use.limit ?? ''}>
                        <UseBar {...use} />
                      </td>
                    ))}
                    <td>{when(row.updated_at)}</td>
                    <td class="actions">
                      <button
                        type="button"
                        class="secondary"
                        onClick={() => setEditing({ subject: row.subject, at: Date.now() })}
                      >
                        {m.admin_quotas_edit()}
                        <span class="visually-hidden">
                          {' '}
                          {m.admin_quotas_limits_of({ name: name(row.subject) })}
                        </span>
                      </button>{' '}
                      <button
                        type="button"
                        class="danger"
                        disabled={action.busy}
                        onClick={() => void clear(row.subject)}
                      >
                        {m.admin_quotas_clear()}
                        <span class="visually-hidden">
                          {' '}
                          {m.admin_quotas_limits_of({ name: name(row.subject) })}
                        </span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListState>
      <QuotaForm
        key={editing ? `${editing.subject}@${editing.at}` : 'new'}
        initial={editing?.subject ?? null}
        rows={quotas.data ?? []}
        users={users.data ?? []}
        usersError={users.error}
        name={name}
        onSaved={quotas.reload}
      />
    </section>
  );
}

/** Used of the limit, as words and a bar (amber from 80 %, red at 100 %). */
function UseBar({ quota, limit, used, percent, fromRole }: EffectiveUse) {
  if (limit === null)
    return (
      <span class="muted">
        {used !== null
          ? m.admin_quotas_no_limit_used({ used: fmtQuota(quota, used) })
          : m.admin_quotas_no_limit()}
      </span>
    );
  const share = percent ?? (used !== null && limit > 0 ? (used / limit) * 100 : used ? 100 : 0);
  const level = share >= 100 ? 'full' : share >= 80 ? 'high' : 'ok';
  return (
    <div class="quota-use" data-percent={Math.round(share)}>
      <span>
        {used !== null
          ? m.admin_quotas_used_of({ used: fmtQuota(quota, used), limit: fmtQuota(quota, limit) })
          : fmtQuota(quota, limit)}
        {fromRole && ` ${m.admin_quotas_from_role()}`}
        {used !== null && ` · ${fmtPercent(share)}`}
      </span>
      {used !== null && (
        // The words above say the share; the bar is for the eye.
        <span class={`quota-bar quota-${level}`} aria-hidden="true">
          <span class="bar" style={{ width: `${Math.min(100, share)}%` }} />
        </span>
      )}
    </div>
  );
}

const ROLE_ORDER = ROLES.map((r) => `role:${r}`);
const sortRows = (rows: QuotaRow[]) =>
  [...rows].sort((a, b) => {
    const ra = ROLE_ORDER.indexOf(a.subject);
    const rb = ROLE_ORDER.indexOf(b.subject);
    if (ra >= 0 || rb >= 0) return (ra < 0 ? 99 : ra) - (rb < 0 ? 99 : rb);
    return a.subject.localeCompare(b.subject);
  });

function subjectName(subject: string, emails: Map<string, string>): string | undefined {
  if (subject.startsWith('role:')) return ROLE_NAMES[subject.slice(5) as Role]?.();
  return emails.get(subject);
}

const HINTS: Record<QuotaName, () => string> = {
  storage_bytes: m.admin_quotas_hint_storage,
  encoding_minutes_per_month: m.admin_quotas_hint_encoding,
  live_streams: m.admin_quotas_hint_streams,
};

/** Set a role's or a user's limits (PUT replaces all three; an empty field is no limit of its own). */
function QuotaForm(props: {
  initial: string | null;
  rows: QuotaRow[];
  users: Account[];
  usersError: string | null;
  name: (subject: string) => string;
  onSaved: () => void;
}) {
  const start = props.initial;
  const [kind, setKind] = useState<'role' | 'user'>(start?.startsWith('user:') ? 'user' : 'role');
  const [role, setRole] = useState<Role>(start?.startsWith('role:') ? (start.slice(5) as Role) : 'editor');
  const [email, setEmail] = useState(start?.startsWith('user:') ? props.name(start) : '');
  const rowOf = (subject: string | null) => props.rows.find((r) => r.subject === subject);
  const [inputs, setInputs] = useState<LimitInputs>(limitInputs(rowOf(start)));
  // The subject whose row the fields were filled from (null: typed by the admin).
  const [filledFrom, setFilledFrom] = useState<string | null>(rowOf(start) ? start : null);
  const [errors, setErrors] = useState<Partial<Record<QuotaName | 'form', string>>>({});
  const action = useAction();

  const user = props.users.find((u) => u.email.toLowerCase() === email.trim().toLowerCase());
  const subject = kind === 'role' ? `role:${role}` : user ? `user:${user.id}` : null;
  const existing = rowOf(subject);
  // What a user's empty field falls back to: their role's limit.
  const inherited = kind === 'user' && user ? rowOf(`role:${user.role}`) : undefined;
  /**
   * Another subject chosen: its row's limits fill the fields (to change them). Without a row, the
   * fields are emptied if they held another row's limits, and kept if the admin typed them (who
   * types the limits first and the e-mail after loses nothing).
   */
  const pick = (next: string | null) => {
    const row = rowOf(next);
    if (row) {
      setInputs(limitInputs(row));
      setFilledFrom(row.subject);
    } else if (filledFrom !== null) {
      setInputs(limitInputs(null));
      setFilledFrom(null);
    }
    setErrors({});
  };

  const save = (e: Event) => {
    e.preventDefault();
    if (!subject) {
      setErrors({
        form: email.trim()
          ? m.admin_quotas_no_such_email({ email: email.trim() })
          : m.admin_quotas_pick_user(),
      });
      return;
    }
    const parsed = parseLimits(inputs);
    if (parsed.errors) {
      setErrors(parsed.errors);
      return;
    }
    setErrors({});
    void action.run(null, async () => {
      await api(`/v1/admin/quotas/${encodeURIComponent(subject)}`, { method: 'PUT', json: parsed.limits });
      setFilledFrom(subject); // the fields are that row's now: choosing another subject empties them
      props.onSaved();
      return m.admin_quotas_saved({ name: props.name(subject) });
    });
  };

  return (
    <form
      class="panel quota-form"
      onSubmit={save}
      onKeyDown={holdSubmitWhileComposing}
      noValidate
      aria-labelledby="quota-form-title"
    >
      <h3 id="quota-form-title">
        {existing
          ? m.admin_quotas_change_title({ name: props.name(existing.subject) })
          : m.admin_quotas_set_title()}
      </h3>
      <fieldset>
        <legend>{m.admin_quotas_for()}</legend>
        <label class="inline">
          <input
            type="radio"
            name="quota-kind"
            checked={kind === 'role'}
            onChange={() => {
              setKind('role');
              pick(`role:${role}`);
            }}
          />
          {m.admin_quotas_a_role()}
        </label>
        <label class="inline">
          <input
            type="radio"
            name="quota-kind"
            checked={kind === 'user'}
            onChange={() => {
              setKind('user');
              pick(user ? `user:${user.id}` : null);
            }}
          />
          {m.admin_quotas_a_user()}
        </label>
        {kind === 'role' ? (
          <label class="inline">
            {m.admin_quotas_role()}
            <select
              value={role}
              onChange={(e) => {
                const r = e.currentTarget.value as Role;
                setRole(r);
                pick(`role:${r}`);
              }}
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {ROLE_NAMES[r]()}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label class="inline">
            {m.admin_quotas_user_email()}
            <input
              type="email"
              list="quota-user-emails"
              value={email}
              autoComplete="off"
              placeholder="someone@example.com" // i18n-ignore: an address, the same in every language
              aria-invalid={errors.form ? true : undefined}
              onInput={(e) => {
                const text = e.currentTarget.value;
                setEmail(text);
                const found = props.users.find((u) => u.email.toLowerCase() === text.trim().toLowerCase());
                if (found) pick(`user:${found.id}`);
              }}
            />
            <datalist id="quota-user-emails">
              {props.users.map((u) => (
                <option key={u.id} value={u.email} />
              ))}
            </datalist>
          </label>
        )}
        {kind === 'user' && props.usersError && (
          <p class="error" role="alert">
            {m.admin_quotas_users_error({ error: props.usersError })}
          </p>
        )}
      </fieldset>
      <div class="quota-fields">
        {QUOTAS.map((q) => {
          const fallback = kind === 'user' ? inherited?.[q] : null;
          return (
            // The hint is outside the label: the field's name stays "Storage (GB)", the hint describes it.
            <div class="quota-field" key={q}>
              <label for={`quota-${q}`}>
                {m.admin_quotas_field_label({ label: QUOTA_LABELS[q](), unit: QUOTA_UNITS[q]() })}
              </label>
              <input
                id={`quota-${q}`}
                type="text"
                inputMode={q === 'live_streams' ? 'numeric' : 'decimal'}
                name={q}
                value={inputs[q]}
                aria-invalid={errors[q] ? true : undefined}
                aria-describedby={`${q}-hint`}
                onInput={(e) => {
                  const value = e.currentTarget.value;
                  setInputs((s) => ({ ...s, [q]: value }));
                  setFilledFrom(null);
                }}
              />
              <small id={`${q}-hint`} class={errors[q] ? 'error' : 'muted'}>
                {errors[q] ??
                  `${HINTS[q]()} ${
                    kind === 'role'
                      ? m.admin_quotas_empty_role()
                      : fallback != null
                        ? m.admin_quotas_empty_user_role_limit({ limit: fmtQuota(q, fallback) })
                        : m.admin_quotas_empty_user_role_any()
                  }`}
              </small>
            </div>
          );
        })}
      </div>
      {errors.form && (
        <p class="error" role="alert">
          {errors.form}
        </p>
      )}
      <button type="submit" disabled={action.busy}>
        {m.admin_quotas_save()}
      </button>
      <OutcomeLine value={action.outcome} />
    </form>
  );
}
