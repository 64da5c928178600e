import assert from 'node:assert/strict';
import type { TestServer } from './server.ts';

/**
 * Signs an account up through the API and gives it `role` (with the server's admin key):
 * returns its session cookie, as a browser on this server's pages would send it.
 */
export async function signUpWithRole(
  server: TestServer,
  email: string,
  password: string,
  role: 'admin' | 'editor' | 'viewer',
): Promise<string> {
  const signUp = await fetch(new URL('/v1/auth/sign-up/email', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ email, password, name: email }),
  });
  assert.equal(signUp.status, 200);
  const cookie = signUp.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const users = await server.api<{ data: Array<{ id: string; email: string }> }>('/v1/users');
  const id = users.body.data.find((u) => u.email === email)?.id;
  const set = await server.api(`/v1/users/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ role }),
  });
  assert.equal(set.status, 200);
  return cookie;
}
