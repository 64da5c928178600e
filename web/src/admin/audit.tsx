import { useState } from 'preact/hooks';
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
    ...(keys.data ?? []).map((k) => ({ id: `key:${k.id}`, name: `key "${k.name}"` })),
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
      <h2 id="audit-title">Audit trail</h2>
      <form class="toolbar" onSubmit={apply}>
        <label>
          Action <input type="text" list="audit-actions" placeholder="any" {...field('action')} />
        </label>
        <datalist id="audit-actions">
          {ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <label>
          Actor <input type="text" list="audit-actors" placeholder="user:… or key:…" {...field('actor')} />
        </label>
        <datalist id="audit-actors">
          {actors.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </datalist>
        <label>
          Outcome{' '}
          <select
            value={draft.outcome}
            onChange={(e) => setDraft({ ...draft, outcome: e.currentTarget.value })}
          >
            <option value="">Any</option>
            <option value="success">Success</option>
            <option value="failure">Failure</option>
          </select>
        </label>
        {/* A submit button, so Enter in a field filters as well. */}
        <button type="submit">Filter</button>
        <a class="button" href={`/v1/audit?${exportQuery}`} download="framehouse-audit.jsonl">
          Export all matches (JSON Lines)
        </a>
      </form>
      <ListState
        data={log.data}
        error={log.error}
        empty={query.toString() ? 'Nothing in the trail matches these filters.' : 'The audit trail is empty.'}
      >
        {(rows) => (
          <Table
            caption="Audit events, newest first"
            headers={['When', 'Actor', 'Action', 'Outcome', 'Target', 'From', 'Details']}
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
                <td>{ev.outcome === 'success' ? 'Success' : 'Failure'}</td>
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
      <StackPager label="Audit pages" cursors={cursors} older={older} setCursors={setCursors} />
    </section>
  );
}

function detailsText(details: unknown) {
  if (!details || (typeof details === 'object' && Object.keys(details).length === 0)) return '—';
  return <code>{JSON.stringify(details)}</code>;
}
