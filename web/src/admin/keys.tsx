import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import * as m from '../i18n/generated/messages.js';
import { holdSubmitWhileComposing } from '../i18n/ime.ts';
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

// The scope's name is a token (the API's), its description is for people.
const SCOPES = [
  { value: 'assets:read', label: m.admin_keys_scope_assets_read },
  { value: 'assets:write', label: m.admin_keys_scope_assets_write },
  { value: 'playback:sign', label: m.admin_keys_scope_playback_sign },
  { value: 'admin', label: m.admin_keys_scope_admin },
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
      return m.admin_keys_made({ name: res.data.name });
    });
  };
  const revoke = (k: ApiKey) =>
    action.run(m.admin_keys_revoke_confirm({ name: k.name }), async () => {
      await api(`/v1/api-keys/${k.id}`, { method: 'DELETE' });
      keys.reload();
      return m.admin_keys_revoked({ name: k.name });
    });
  const toggle = (scope: string, on: boolean) =>
    setScopes((s) => (on ? [...s, scope] : s.filter((x) => x !== scope)));

  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">{m.admin_keys_title()}</h2>
      <p>{m.admin_keys_intro()}</p>
      {made && (
        <SecretBox
          label={m.admin_keys_secret_label({ name: made.name })}
          value={made.key}
          onDone={() => setMade(null)}
        />
      )}
      <form onSubmit={create} onKeyDown={holdSubmitWhileComposing}>
        <h3>{m.admin_keys_new()}</h3>
        <label>
          {m.admin_keys_name()}{' '}
          <input
            type="text"
            required
            maxLength={200}
            value={name}
            placeholder={m.admin_keys_name_placeholder()}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <fieldset>
          <legend>{m.admin_keys_scopes_legend()}</legend>
          {SCOPES.map((s) => (
            <label key={s.value}>
              <input
                type="checkbox"
                checked={scopes.includes(s.value)}
                onChange={(e) => toggle(s.value, e.currentTarget.checked)}
              />{' '}
              <code>{s.value}</code> — {s.label()}
            </label>
          ))}
        </fieldset>
        {/* A submit button, so Enter in the name field makes the key as well. */}
        <button type="submit" disabled={action.busy || !name.trim() || scopes.length === 0}>
          {m.admin_keys_make()}
        </button>
      </form>
      <OutcomeLine value={action.outcome} />
      <ListState data={keys.data} error={keys.error} empty={m.admin_keys_empty()}>
        {(rows) => (
          <Table
            caption={m.admin_keys_caption()}
            headers={[
              m.admin_keys_col_name(),
              m.admin_keys_col_scopes(),
              m.admin_keys_col_created(),
              m.admin_keys_col_last_used(),
              m.admin_keys_col_status(),
              m.admin_keys_col_actions(),
            ]}
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
                <td>{k.last_used_at ? when(k.last_used_at) : m.admin_keys_never()}</td>
                <td>
                  {k.revoked_at
                    ? m.admin_keys_revoked_at({ when: when(k.revoked_at) })
                    : m.admin_keys_active()}
                </td>
                <td>
                  {!k.revoked_at && (
                    <button type="button" class="danger" disabled={action.busy} onClick={() => revoke(k)}>
                      {m.admin_keys_revoke()}
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
