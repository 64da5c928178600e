import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { api, type User } from './api.ts';

/**
 * Who is using the app: a signed-in user, or nobody on a server still in open mode (no account
 * or key exists yet: everything is allowed, and the first account becomes admin).
 */
export type Session = { kind: 'user'; user: User } | { kind: 'open' } | { kind: 'anonymous' };

export async function loadSession(): Promise<Session> {
  const s = await api<{ user: User } | null>('/v1/auth/get-session');
  if (s?.user) return { kind: 'user', user: s.user };
  const instance = await api<{ data: { open: boolean } }>('/v1/instance');
  return instance.data.open ? { kind: 'open' } : { kind: 'anonymous' };
}

export const SessionContext = createContext<{ session: Session; reload: () => Promise<void> }>({
  session: { kind: 'anonymous' },
  reload: async () => {},
});

export const useSession = () => useContext(SessionContext);

export const canEdit = (s: Session) => s.kind === 'open' || (s.kind === 'user' && s.user.role !== 'viewer');
export const isAdmin = (s: Session) => s.kind === 'open' || (s.kind === 'user' && s.user.role === 'admin');
