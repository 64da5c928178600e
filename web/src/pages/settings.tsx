import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { useSession } from '../session.ts';
import { UsageQuotas } from './usage-quotas.tsx';

/** The signed-in person's own settings: notices, usage and quotas, password, two-factor, sessions. */
export function SettingsPage() {
  const { session, reload } = useSession();
  const [message, setMessage] = useState<string | null>(null);
  const [totp, setTotp] = useState<{ uri: string; codes: string[] } | null>(null);
  if (session.kind !== 'user')
    return (
      <section class="narrow">
        <h1>Settings</h1>
        <p>Settings belong to an account. Create the first account to have one.</p>
      </section>
    );
  const user = session.user;
  const act = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      setMessage(done);
      await reload();
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  const form = (e: Event) => new FormData(e.currentTarget as HTMLFormElement);
  return (
    <section class="narrow stack">
      <h1>Settings</h1>
      <p>
        Signed in as <strong>{user.email}</strong> ({user.role}).
      </p>
      {message && <p role="status">{message}</p>}
      <label class="inline">
        <input
          type="checkbox"
          checked={user.notifyByEmail !== false}
          onChange={(e) =>
            void act(
              () =>
                api('/v1/auth/update-user', {
                  method: 'POST',
                  json: { notifyByEmail: e.currentTarget.checked },
                }),
              'Saved.',
            )
          }
        />{' '}
        E-mail me when my uploads are ready or fail
      </label>
      <UsageQuotas />
      <form
        class="stack panel"
        onSubmit={(e) => {
          e.preventDefault();
          const f = form(e);
          void act(
            () =>
              api('/v1/auth/change-password', {
                method: 'POST',
                json: {
                  currentPassword: f.get('current'),
                  newPassword: f.get('next'),
                  revokeOtherSessions: true,
                },
              }),
            'Password changed. Other sessions were signed out.',
          );
        }}
      >
        <h2>Password</h2>
        <label>
          Current password
          <input name="current" type="password" required autoComplete="current-password" />
        </label>
        <label>
          New password
          <input name="next" type="password" required minLength={10} autoComplete="new-password" />
        </label>
        <button type="submit">Change password</button>
      </form>
      <form
        class="stack panel"
        onSubmit={(e) => {
          e.preventDefault();
          const f = form(e);
          if (user.twoFactorEnabled) {
            void act(
              () =>
                api('/v1/auth/two-factor/disable', { method: 'POST', json: { password: f.get('password') } }),
              'Two-factor sign-in is off.',
            );
            return;
          }
          void api<{ totpURI: string; backupCodes: string[] }>('/v1/auth/two-factor/enable', {
            method: 'POST',
            json: { password: f.get('password') },
          })
            .then((r) => setTotp({ uri: r.totpURI, codes: r.backupCodes }))
            .catch((err: Error) => setMessage(err.message));
        }}
      >
        <h2>Two-factor sign-in</h2>
        <p>{user.twoFactorEnabled ? 'On: sign-in asks for a code from your app.' : 'Off.'}</p>
        <label>
          Your password
          <input name="password" type="password" required autoComplete="current-password" />
        </label>
        <button type="submit">{user.twoFactorEnabled ? 'Turn off' : 'Turn on'}</button>
      </form>
      {totp && (
        <form
          class="stack panel"
          onSubmit={(e) => {
            e.preventDefault();
            const code = String(form(e).get('code') ?? '');
            void act(
              () => api('/v1/auth/two-factor/verify-totp', { method: 'POST', json: { code } }),
              'Two-factor sign-in is on.',
            ).then(() => setTotp(null));
          }}
        >
          <p>
            Add this account to your authenticator app (open the link on your phone, or copy it into the app),
            then type the code it shows.
          </p>
          <p class="secret">
            <a href={totp.uri}>{totp.uri}</a>
          </p>
          <p>Keep these backup codes somewhere safe; each signs you in once without the app:</p>
          <p class="secret">{totp.codes.join('  ')}</p>
          <label>
            Code from the app
            <input name="code" inputMode="numeric" required autoComplete="one-time-code" />
          </label>
          <button type="submit">Confirm</button>
        </form>
      )}
      <button
        type="button"
        onClick={() =>
          void act(
            () => api('/v1/auth/revoke-other-sessions', { method: 'POST', json: {} }),
            'Signed out everywhere else.',
          )
        }
      >
        Sign out on every other device
      </button>
    </section>
  );
}
