import { useState } from 'preact/hooks';
import { api, type User } from '../api.ts';
import * as m from '../i18n/generated/messages.js';
import { holdSubmitWhileComposing } from '../i18n/ime.ts';
import { browserLocale, isLocale, LANGUAGE_NAMES, locales, useLocale } from '../i18n/locale.ts';
import { useSession } from '../session.ts';
import { UsageQuotas } from './usage-quotas.tsx';

const ROLES: Record<User['role'], () => string> = {
  admin: m.app_role_admin,
  editor: m.app_role_editor,
  viewer: m.app_role_viewer,
};

/** The signed-in person's own settings: notices, language, usage and quotas, password, two-factor, sessions. */
export function SettingsPage() {
  const { session, reload } = useSession();
  const [message, setMessage] = useState<string | null>(null);
  const [totp, setTotp] = useState<{ uri: string; codes: string[] } | null>(null);
  const { choose } = useLocale();
  if (session.kind !== 'user')
    return (
      <section class="narrow">
        <h1>{m.app_settings_title()}</h1>
        <p>{m.app_settings_no_account()}</p>
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
      <h1>{m.app_settings_title()}</h1>
      <p>{m.app_settings_signed_in_as({ email: user.email, role: ROLES[user.role]?.() ?? user.role })}</p>
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
              m.app_saved(),
            )
          }
        />{' '}
        {m.app_settings_notify()}
      </label>
      <label>
        {m.app_language_label()}
        <select
          name="locale"
          value={user.locale ?? ''}
          aria-describedby="language-help"
          onChange={(e) => {
            const value = e.currentTarget.value;
            // A language, or '' for none: the browser's language decides, on each device.
            void choose(isLocale(value) ? value : null).then(
              (saved) => saved && setMessage(m.app_settings_language_saved()),
            );
          }}
        >
          <option value="">
            {m.app_settings_language_browser({ language: LANGUAGE_NAMES[browserLocale()] })}
          </option>
          {locales.map((l) => (
            <option key={l} value={l} lang={l}>
              {LANGUAGE_NAMES[l]}
            </option>
          ))}
        </select>
        <small id="language-help">{m.app_settings_language_help()}</small>
      </label>
      <UsageQuotas />
      <form
        class="stack panel"
        onKeyDown={holdSubmitWhileComposing}
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
            m.app_settings_password_changed(),
          );
        }}
      >
        <h2>{m.app_password()}</h2>
        <label>
          {m.app_settings_current_password()}
          <input name="current" type="password" required autoComplete="current-password" />
        </label>
        <label>
          {m.app_settings_new_password()}
          <input name="next" type="password" required minLength={10} autoComplete="new-password" />
        </label>
        <button type="submit">{m.app_settings_change_password()}</button>
      </form>
      <form
        class="stack panel"
        onKeyDown={holdSubmitWhileComposing}
        onSubmit={(e) => {
          e.preventDefault();
          const f = form(e);
          if (user.twoFactorEnabled) {
            void act(
              () =>
                api('/v1/auth/two-factor/disable', { method: 'POST', json: { password: f.get('password') } }),
              m.app_settings_two_factor_now_off(),
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
        <h2>{m.app_settings_two_factor()}</h2>
        <p>{user.twoFactorEnabled ? m.app_settings_two_factor_on() : m.app_settings_two_factor_off()}</p>
        <label>
          {m.app_settings_your_password()}
          <input name="password" type="password" required autoComplete="current-password" />
        </label>
        <button type="submit">
          {user.twoFactorEnabled ? m.app_settings_turn_off() : m.app_settings_turn_on()}
        </button>
      </form>
      {totp && (
        <form
          class="stack panel"
          onKeyDown={holdSubmitWhileComposing}
          onSubmit={(e) => {
            e.preventDefault();
            const code = String(form(e).get('code') ?? '');
            void act(
              () => api('/v1/auth/two-factor/verify-totp', { method: 'POST', json: { code } }),
              m.app_settings_two_factor_now_on(),
            ).then(() => setTotp(null));
          }}
        >
          <p>{m.app_settings_authenticator()}</p>
          <p class="secret">
            <a href={totp.uri}>{totp.uri}</a>
          </p>
          <p>{m.app_settings_backup_codes()}</p>
          <p class="secret">{totp.codes.join('  ')}</p>
          <label>
            {m.app_settings_app_code()}
            <input name="code" inputMode="numeric" required autoComplete="one-time-code" />
          </label>
          <button type="submit">{m.app_settings_confirm()}</button>
        </form>
      )}
      <button
        type="button"
        onClick={() =>
          void act(
            () => api('/v1/auth/revoke-other-sessions', { method: 'POST', json: {} }),
            m.app_settings_signed_out_elsewhere(),
          )
        }
      >
        {m.app_settings_sign_out_others()}
      </button>
    </section>
  );
}
