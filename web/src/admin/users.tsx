import { api } from '../api.ts';
import * as m from '../i18n/generated/messages.js';
import { useSession } from '../session.ts';
import { ListState, OutcomeLine, Table, useAction, useData, when } from './shared.tsx';

/** The /v1/users shape (snake_case), not better-auth's session user. */
interface Account {
  id: string;
  email: string;
  name: string;
  role: Role;
  two_factor_enabled: boolean;
  created_at: string;
}
type Role = 'admin' | 'editor' | 'viewer';

const ROLES: Array<{ value: Role; label: () => string }> = [
  { value: 'admin', label: m.admin_users_role_admin },
  { value: 'editor', label: m.admin_users_role_editor },
  { value: 'viewer', label: m.admin_users_role_viewer },
];
/** A role's name inside a sentence ("Make a@b.c editor?"). */
const ROLE_WORDS: Record<Role, () => string> = {
  admin: m.admin_users_role_word_admin,
  editor: m.admin_users_role_word_editor,
  viewer: m.admin_users_role_word_viewer,
};

export function UsersTab() {
  const { session, reload: reloadSession } = useSession();
  const me = session.kind === 'user' ? session.user.id : null;
  const users = useData<Account[]>('/v1/users');
  const action = useAction();

  const changeRole = (u: Account, role: Role) =>
    action
      .run(
        // The server does not stop the last admin from stepping down: say what it means.
        u.id === me && role !== 'admin'
          ? m.admin_users_demote_self_confirm({ role: ROLE_WORDS[role]() })
          : m.admin_users_role_confirm({ email: u.email, role: ROLE_WORDS[role]() }),
        async () => {
          await api(`/v1/users/${u.id}`, { method: 'PATCH', json: { role } });
          if (u.id === me) await reloadSession();
          return m.admin_users_role_done({ email: u.email, role: ROLE_WORDS[role]() });
        },
      )
      .finally(users.reload); // also puts the select back when the change was cancelled or refused

  const signOut = (u: Account) =>
    action.run(
      u.id === me
        ? m.admin_users_sign_out_self_confirm()
        : m.admin_users_sign_out_confirm({ email: u.email }),
      async () => {
        await api(`/v1/users/${u.id}/sessions`, { method: 'DELETE' });
        if (u.id === me) await reloadSession();
        return m.admin_users_signed_out({ email: u.email });
      },
    );

  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">{m.admin_users_title()}</h2>
      <OutcomeLine value={action.outcome} />
      <ListState data={users.data} error={users.error} empty={m.admin_users_empty()}>
        {(rows) => (
          <Table
            caption={m.admin_users_caption()}
            headers={[
              m.admin_users_col_email(),
              m.admin_users_col_name(),
              m.admin_users_col_role(),
              m.admin_users_col_two_factor(),
              m.admin_users_col_created(),
              m.admin_users_col_sessions(),
            ]}
          >
            {rows.map((u) => (
              <tr key={u.id}>
                <td>
                  {u.email}
                  {u.id === me && ` ${m.admin_users_you()}`}
                </td>
                <td>{u.name}</td>
                <td>
                  <label>
                    <span class="visually-hidden">{m.admin_users_role_of({ email: u.email })}</span>
                    <select
                      value={u.role}
                      disabled={action.busy}
                      onChange={(e) => void changeRole(u, e.currentTarget.value as Role)}
                    >
                      {ROLES.map((r) => (
                        <option key={r.value} value={r.value}>
                          {r.label()}
                        </option>
                      ))}
                    </select>
                  </label>
                </td>
                <td>
                  {u.two_factor_enabled
                    ? m.admin_users_two_factor_on()
                    : u.role === 'admin'
                      ? m.admin_users_two_factor_off_admin()
                      : m.admin_users_two_factor_off()}
                </td>
                <td>{when(u.created_at)}</td>
                <td>
                  <button type="button" class="danger" disabled={action.busy} onClick={() => signOut(u)}>
                    {m.admin_users_sign_out_everywhere()}
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListState>
    </section>
  );
}
