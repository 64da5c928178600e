import { useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { api } from '../api.ts';
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
        setNotice('If an account has this address, a link to choose a new password is on its way.');
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
    'sign-in': 'Sign in',
    'sign-up': session.kind === 'open' ? 'Create the first account' : 'Create an account',
    'two-factor': 'Two-factor code',
    reset: 'Reset your password',
  };
  return (
    <section class="narrow">
      <h1>{titles[step]}</h1>
      {session.kind === 'open' && step === 'sign-up' && (
        <p>This first account is the administrator. Once it exists, the server is closed to anonymous use.</p>
      )}
      <form onSubmit={submit} class="stack">
        {step === 'sign-up' && (
          <label>
            Name
            <input name="name" required autoComplete="name" />
          </label>
        )}
        {step !== 'two-factor' && (
          <label>
            E-mail
            <input name="email" type="email" required autoComplete="email" />
          </label>
        )}
        {(step === 'sign-in' || step === 'sign-up') && (
          <label>
            Password
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
            The 6-digit code from your authenticator app
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
          {busy ? 'One moment…' : titles[step]}
        </button>
      </form>
      <p class="switch">
        {step === 'sign-in' && (
          <>
            <button type="button" class="link" onClick={() => setStep('sign-up')}>
              Create an account
            </button>{' '}
            ·{' '}
            <button type="button" class="link" onClick={() => setStep('reset')}>
              Forgot your password?
            </button>
          </>
        )}
        {step !== 'sign-in' && session.kind !== 'open' && (
          <button type="button" class="link" onClick={() => setStep('sign-in')}>
            Back to sign-in
          </button>
        )}
      </p>
    </section>
  );
}
