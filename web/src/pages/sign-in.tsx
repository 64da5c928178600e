import { useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { api } from '../api.ts';
import * as m from '../i18n/generated/messages.js';
import { holdSubmitWhileComposing } from '../i18n/ime.ts';
import { useSession } from '../session.ts';

type Step = 'sign-in' | 'sign-up' | 'two-factor' | 'reset';

/** Sign in (with a second step for two-factor accounts), sign up, and asking for a reset link. */
export function SignInPage() {
  const { session, reload } = useSession();
  const [, navigate] = useLocation();
  const [step, setStep] = useState<Step>(session.kind === 'open' ? 'sign-up' : 'sign-in');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const value = (k: string) => String(form.get(k) ?? '');
    setBusy(true);
    setError(null);
    try {
      if (step === 'sign-in') {
        const r = await api<{ twoFactorRedirect?: boolean }>('/v1/auth/sign-in/email', {
          method: 'POST',
          json: { email: value('email'), password: value('password') },
        });
        if (r?.twoFactorRedirect) {
          setStep('two-factor');
          return;
        }
      } else if (step === 'sign-up') {
        await api('/v1/auth/sign-up/email', {
          method: 'POST',
          json: { email: value('email'), password: value('password'), name: value('name') },
        });
      } else if (step === 'two-factor') {
        await api('/v1/auth/two-factor/verify-totp', {
          method: 'POST',
          json: { code: value('code').replace(/\s/g, ''), trustDevice: false },
        });
      } else {
        await api('/v1/auth/request-password-reset', {
          method: 'POST',
          json: { email: value('email'), redirectTo: `${location.origin}/settings` },
        });
        setNotice(m.app_signin_reset_sent());
        return;
      }
      await reload();
      navigate('/');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const titles: Record<Step, string> = {
    'sign-in': m.app_signin_title(),
    'sign-up': session.kind === 'open' ? m.app_create_first_account() : m.app_signin_create(),
    'two-factor': m.app_signin_two_factor(),
    reset: m.app_signin_reset(),
  };
  return (
    <section class="narrow">
      <h1>{titles[step]}</h1>
      {session.kind === 'open' && step === 'sign-up' && <p>{m.app_signin_first_admin()}</p>}
      <form onSubmit={submit} onKeyDown={holdSubmitWhileComposing} class="stack">
        {step === 'sign-up' && (
          <label>
            {m.app_signin_name()}
            <input name="name" required autoComplete="name" />
          </label>
        )}
        {step !== 'two-factor' && (
          <label>
            {m.app_signin_email()}
            <input name="email" type="email" required autoComplete="email" />
          </label>
        )}
        {(step === 'sign-in' || step === 'sign-up') && (
          <label>
            {m.app_password()}
            <input
              name="password"
              type="password"
              required
              minLength={step === 'sign-up' ? 10 : undefined}
              autoComplete={step === 'sign-up' ? 'new-password' : 'current-password'}
            />
          </label>
        )}
        {step === 'two-factor' && (
          <label>
            {m.app_signin_code()}
            <input
              name="code"
              inputMode="numeric"
              pattern="[0-9 ]{6,8}"
              required
              autoComplete="one-time-code"
            />
          </label>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {notice && <p role="status">{notice}</p>}
        <button type="submit" disabled={busy}>
          {busy ? m.app_signin_busy() : titles[step]}
        </button>
      </form>
      <p class="switch">
        {step === 'sign-in' && (
          <>
            <button type="button" class="link" onClick={() => setStep('sign-up')}>
              {m.app_signin_create()}
            </button>{' '}
            ·{' '}
            <button type="button" class="link" onClick={() => setStep('reset')}>
              {m.app_signin_forgot()}
            </button>
          </>
        )}
        {step !== 'sign-in' && session.kind !== 'open' && (
          <button type="button" class="link" onClick={() => setStep('sign-in')}>
            {m.app_signin_back()}
          </button>
        )}
      </p>
    </section>
  );
}
