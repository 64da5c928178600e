import { useState } from 'preact/hooks';
import * as m from '../i18n/generated/messages.js';
import { holdSubmitWhileComposing } from '../i18n/ime.ts';
import { ListState, StackPager, Table, useData, when } from './shared.tsx';

interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  credential: string | null;
  ip: string | null;
  action: string;
  outcome: 'success' | 'failure';
  target: { type: string; id: string | null } | null;
  details: unknown;
}

/** The actions the server records (filters match exactly, so offering them saves guessing). */
const ACTIONS = [
  'api_key.created',
  'api_key.revoked',
  'asset.created',
  'asset.deleted',
  'asset.playback_policy_changed',
  'asset.purged',
  'asset.restored',
  'asset.updated',
  'auth.failed',
  'auth.password_changed',
  'auth.password_reset',
  'auth.password_reset_requested',
  'auth.sign_in',
  'auth.sign_out',
  'auth.sign_out_everywhere',
  'auth.sign_up',
  'auth.two_factor_backup_code_used',
  'auth.two_factor_backup_codes_regenerated',
  'auth.two_factor_disabled',
  'auth.two_factor_enabling',
  'auth.two_factor_verified',
  'job.discarded',
  'job.redriven',
  'playback_key.created',
  'playback_key.retired',
  'user.created',
  'user.role_changed',
  'user.signed_out_everywhere',
  'webhook.created',
  'webhook.deleted',
  'webhook.secret_rotated',
  'webhook.updated',
];
const PAGE = 50;

/** Newest first. The server pages one way (older), so the cursors seen are kept to go back. */
export function AuditTab() {
  const [draft, setDraft] = useState({ action: '', actor: '', outcome: '' });
  const [filters, setFilters] = useState(draft);
  const [cursors, setCursors] = useState<string[]>([]);
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v.trim() !== ''));
  const page = new URLSearchParams(query);
  page.set('limit', String(PAGE));
  const cursor = cursors.at(-1);
  if (cursor) page.set('cursor', cursor);
  const log = useData<AuditEvent[]>(`/v1/audit?${page}`);
  // The trail names people and keys by id: their e-mails and names make it readable.
  const users = useData<Array<{ id: string; email: string }>>('/v1/users');
  const keys = useData<Array<{ id: string; name: string }>>('/v1/api-keys');
  const actors = [
    ...(users.data ?? []).map((u) => ({ id: `user:${u.id}`, name: u.email })),
    ...(keys.data ?? []).map((k) => ({ id: `key:${k.id}`, name: m.admin_audit_key_name({ name: k.name }) })),
  ];
  const nameOf = (actor: string) => actors.find((a) => a.id === actor)?.name;
  const older = log.next;
  const exportQuery = new URLSearchParams(query);
  exportQuery.set('format', 'jsonl');

  const apply = (e: Event) => {
    e.preventDefault();
    setCursors([]);
    setFilters({ ...draft, action: draft.action.trim(), actor: draft.actor.trim() });
  };
  const field = (name: keyof typeof draft) => ({
    value: draft[name],
    onInput: (e: { currentTarget: { value: string } }) =>
      setDraft({ ...draft, [name]: e.currentTarget.value }),
  });

  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">{m.admin_audit_title()}</h2>
      <form class="toolbar" onSubmit={apply} onKeyDown={holdSubmitWhileComposing}>
        <label>
          {m.admin_audit_action()}{' '}
          <input
            type="text"
            list="audit-actions"
            placeholder={m.admin_audit_any_action()}
            {...field('action')}
          />
        </label>
        <datalist id="audit-actions">
          {ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <label>
          {m.admin_audit_actor()}{' '}
          <input
            type="text"
            list="audit-actors"
            placeholder={m.admin_audit_actor_placeholder()}
            {...field('actor')}
          />
        </label>
        <datalist id="audit-actors">
          {actors.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </datalist>
        <label>
          {m.admin_audit_outcome()}{' '}
          <select
            value={draft.outcome}
            onChange={(e) => setDraft({ ...draft, outcome: e.currentTarget.value })}
          >
            <option value="">{m.admin_audit_any()}</option>
            <option value="success">{m.admin_audit_success()}</option>
            <option value="failure">{m.admin_audit_failure()}</option>
          </select>
        </label>
        {/* A submit button, so Enter in a field filters as well. */}
        <button type="submit">{m.admin_audit_filter()}</button>
        <a class="button" href={`/v1/audit?${exportQuery}`} download="framehouse-audit.jsonl">
          {m.admin_audit_export()}
        </a>
      </form>
      <ListState
        data={log.data}
        error={log.error}
        empty={query.toString() ? m.admin_audit_no_match() : m.admin_audit_empty()}
      >
        {(rows) => (
          <Table
            caption={m.admin_audit_caption()}
            headers={[
              m.admin_audit_col_when(),
              m.admin_audit_col_actor(),
              m.admin_audit_col_action(),
              m.admin_audit_col_outcome(),
              m.admin_audit_col_target(),
              m.admin_audit_col_from(),
              m.admin_audit_col_details(),
            ]}
          >
            {rows.map((ev) => (
              <tr key={ev.id}>
                <td>{when(ev.at)}</td>
                <td>
                  {nameOf(ev.actor) ?? ev.actor}
                  {nameOf(ev.actor) && (
                    <>
                      <br />
                      <small>{ev.actor}</small>
                    </>
                  )}
                </td>
                <td>{ev.action}</td>
                <td>{ev.outcome === 'success' ? m.admin_audit_success() : m.admin_audit_failure()}</td>
                <td>{ev.target ? `${ev.target.type} ${ev.target.id ?? ''}` : '—'}</td>
                <td>
                  {ev.ip ?? '—'}
                  {ev.credential && <small> ({ev.credential})</small>}
                </td>
                <td>{detailsText(ev.details)}</td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
      <StackPager label={m.admin_audit_pages()} cursors={cursors} older={older} setCursors={setCursors} />
    </section>
  );
}

function detailsText(details: unknown) {
  if (!details || (typeof details === 'object' && Object.keys(details).length === 0)) return '—';
  return <code>{JSON.stringify(details)}</code>;
}
