import type { Scope } from './policy.ts';

export type Role = 'admin' | 'editor' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'editor', 'viewer'];

/** What each role may do, in scopes: the same vocabulary API keys use. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  admin: ['admin'],
  editor: ['assets:read', 'assets:write', 'playback:sign'],
  viewer: ['assets:read'],
};

/**
 * Who is making a request. `open` is the first-run mode: no credential exists yet (no API key,
 * no account), so the server answers everyone as an administrator until the first key or
 * account is made. The start-up log and `framehouse doctor` flag it.
 */
export type Principal =
  | { kind: 'api_key'; id: string; name: string; scopes: readonly Scope[]; fromEnv: boolean }
  | { kind: 'user'; id: string; email: string; role: Role; scopes: readonly Scope[] }
  | { kind: 'open' }
  | { kind: 'anonymous' };

export function hasScope(principal: Principal, scope: Scope): boolean {
  if (principal.kind === 'open') return true;
  if (principal.kind !== 'api_key' && principal.kind !== 'user') return false;
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}

/** How the audit trail names a principal: who, and with which credential. */
export function describePrincipal(principal: Principal): { actor: string; credential: string | null } {
  switch (principal.kind) {
    case 'api_key':
      return { actor: `key:${principal.id}`, credential: principal.fromEnv ? 'env_admin_key' : 'api_key' };
    case 'user':
      return { actor: `user:${principal.id}`, credential: 'session' };
    case 'open':
      return { actor: 'open-mode', credential: null };
    default:
      return { actor: 'anonymous', credential: null };
  }
}

export function isRole(value: unknown): value is Role {
  return (ROLES as readonly unknown[]).includes(value);
}

/** An account's role as sign-in reads it: no role, or one not known, is a viewer. */
export function roleOf(value: unknown): Role {
  return isRole(value) ? value : 'viewer';
}
