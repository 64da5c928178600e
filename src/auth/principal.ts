import type { Scope } from './policy.ts';

/**
 * Who is making a request. `open` is the first-run mode: no credential exists yet (no API key,
 * no FRAMEHOUSE_ADMIN_API_KEY), so the server answers everyone as an administrator until the
 * first key is made. `framehouse doctor` and the start-up log flag it.
 */
export type Principal =
  | { kind: 'api_key'; id: string; name: string; scopes: readonly Scope[]; fromEnv: boolean }
  | { kind: 'open' }
  | { kind: 'anonymous' };

export function hasScope(principal: Principal, scope: Scope): boolean {
  if (principal.kind === 'open') return true;
  if (principal.kind !== 'api_key') return false;
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}

/** How the audit trail names a principal: who, and with which credential. */
export function describePrincipal(principal: Principal): { actor: string; credential: string | null } {
  switch (principal.kind) {
    case 'api_key':
      return { actor: `key:${principal.id}`, credential: principal.fromEnv ? 'env_admin_key' : 'api_key' };
    case 'open':
      return { actor: 'open-mode', credential: null };
    default:
      return { actor: 'anonymous', credential: null };
  }
}
