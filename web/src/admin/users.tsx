import { api } from '../api.ts';
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

const ROLES: Array<{ value: Role; label: string }> = [
  { value: 'admin', label: 'Admin (everything)' },
  { value: 'editor', label: 'Editor (uploads, edits own)' },
  { value: 'viewer', label: 'Viewer (watches)' },
];

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
          ? `Make yourself ${role}? You lose the admin pages at once; only another admin can undo it.`
          : `Make ${u.email} ${role}?`,
        async () => {
          await api(`/v1/users/${u.id}`, { method: 'PATCH', json: { role } });
          if (u.id === me) await reloadSession();
          return `${u.email} is now ${role}.`;
        },
      )
      .finally(users.reload); // also puts the select back when the change was cancelled or refused

  const signOut = (u: Account) =>
    action.run(
      u.id === me
        ? 'Sign yourself out on every device, this one included?'
        : `Sign ${u.email} out on every device? Their password and role do not change.`,
      async () => {
        await api(`/v1/users/${u.id}/sessions`, { method: 'DELETE' });
        if (u.id === me) await reloadSession();
        return `${u.email} is signed out everywhere.`;
      },
    );

  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <OutcomeLine value={action.outcome} />
      <ListState
        data={users.data}
        error={users.error}
        empty="No accounts yet: the first one made becomes the admin."
      >
        {(rows) => (
          <Table
            caption="Accounts, oldest first"
            headers={['E-mail', 'Name', 'Role', 'Two-factor', 'Created', 'Sessions']}
          >
            {rows.map((u) => (
              <tr key={u.id}>
                <td>
                  {u.email}
                  {u.id === me && ' (you)'}
                </td>
                <td>{u.name}</td>
                <td>
                  <label>
                    <span class="visually-hidden">Role of {u.email}</span>
                    <select
                      value={u.role}
                      disabled={action.busy}
                      onChange={(e) => void changeRole(u, e.currentTarget.value as Role)}
                    >
                      {ROLES.map((r) => (
                        <option key={r.value} value={r.value}>
                          {r.label}
                        </option>
                      ))}
                    </select>
                  </label>
                </td>
                <td>
                  {u.two_factor_enabled
                    ? 'On'
                    : u.role === 'admin'
                      ? 'Off (an admin should turn it on)'
                      : 'Off'}
                </td>
                <td>{when(u.created_at)}</td>
                <td>
                  <button type="button" class="danger" disabled={action.busy} onClick={() => signOut(u)}>
                    Sign out everywhere
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
