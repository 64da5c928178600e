import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { SecretBox } from './secret-box.tsx';
import { ListState, OutcomeLine, Table, useAction, useData, when } from './shared.tsx';

interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const SCOPES = [
  { value: 'assets:read', label: 'assets:read — list and read assets' },
  { value: 'assets:write', label: 'assets:write — upload, edit, delete assets' },
  { value: 'playback:sign', label: 'playback:sign — mint playback tokens' },
  { value: 'admin', label: 'admin — everything, including keys, users and webhooks' },
];

export function KeysTab() {
  const keys = useData<ApiKey[]>('/v1/api-keys');
  const action = useAction();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['assets:read']);
  const [made, setMade] = useState<{ name: string; key: string } | null>(null);

  const create = (e: Event) => {
    e.preventDefault();
    void action.run(null, async () => {
      const res = await api<{ data: ApiKey & { key: string } }>('/v1/api-keys', {
        method: 'POST',
        json: { name: name.trim(), scopes },
      });
      setMade({ name: res.data.name, key: res.data.key });
      setName('');
      keys.reload();
      return `The key "${res.data.name}" was made.`;
    });
  };
  const revoke = (k: ApiKey) =>
    action.run(
      `Revoke the key "${k.name}"? Programs using it stop working at once, on every node.`,
      async () => {
        await api(`/v1/api-keys/${k.id}`, { method: 'DELETE' });
        keys.reload();
        return `The key "${k.name}" is revoked.`;
      },
    );
  const toggle = (scope: string, on: boolean) =>
    setScopes((s) => (on ? [...s, scope] : s.filter((x) => x !== scope)));

  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p>Programs use keys (Authorization: Bearer …); people sign in instead.</p>
      {made && <SecretBox label={`API key "${made.name}"`} value={made.key} onDone={() => setMade(null)} />}
      <form onSubmit={create}>
        <h3>New key</h3>
        <label>
          Name{' '}
          <input
            type="text"
            required
            maxLength={200}
            value={name}
            placeholder="e.g. CMS importer"
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <fieldset>
          <legend>Scopes (at least one)</legend>
          {SCOPES.map((s) => (
            <label key={s.value}>
              <input
                type="checkbox"
                checked={scopes.includes(s.value)}
                onChange={(e) => toggle(s.value, e.currentTarget.checked)}
              />{' '}
              {s.label}
            </label>
          ))}
        </fieldset>
        {/* A submit button, so Enter in the name field makes the key as well. */}
        <button type="submit" disabled={action.busy || !name.trim() || scopes.length === 0}>
          Make key
        </button>
      </form>
      <OutcomeLine value={action.outcome} />
      <ListState data={keys.data} error={keys.error} empty="No API keys yet.">
        {(rows) => (
          <Table
            caption="API keys, newest first"
            headers={['Name', 'Scopes', 'Created', 'Last used', 'Status', 'Actions']}
          >
            {rows.map((k) => (
              <tr key={k.id}>
                <td>
                  {k.name}
                  <br />
                  <small>{k.id}</small>
                </td>
                <td>{k.scopes.join(', ')}</td>
                <td>{when(k.created_at)}</td>
                <td>{k.last_used_at ? when(k.last_used_at) : 'Never'}</td>
                <td>{k.revoked_at ? `Revoked ${when(k.revoked_at)}` : 'Active'}</td>
                <td>
                  {!k.revoked_at && (
                    <button type="button" class="danger" disabled={action.busy} onClick={() => revoke(k)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
    </section>
  );
}
