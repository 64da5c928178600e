import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditWho } from '../audit/audit.ts';
import { toHeaders } from '../auth/access.ts';
import { isRole, type Role } from '../auth/principal.ts';
import { AUTH_BASE_PATH, type Auth } from './auth.ts';
import type { UsersService } from './users.service.ts';

/** The header better-auth reads the client's address from: set here from Fastify's view of it. */
const CLIENT_IP_HEADER = 'x-framehouse-client-ip';

interface Deps {
  auth: Auth;
  users: UsersService;
}

const userSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    two_factor_enabled: { type: 'boolean' },
    created_at: { type: 'string' },
  },
};

/**
 * `/v1/auth/*`: better-auth's endpoints (sign-up, sign-in, sign-out, sessions, two-factor,
 * password reset, OpenID Connect), handed the request as a web Request. `/v1/users`: roles and
 * sessions, for admins.
 */
export function registerAccountRoutes(app: FastifyInstance, { auth, users }: Deps): void {
  const handOver = async (request: FastifyRequest, reply: FastifyReply) => {
    const headers = toHeaders(request);
    headers.set(CLIENT_IP_HEADER, request.ip);
    const url = new URL(request.url, `${request.protocol}://${request.host}`);
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== undefined;
    const response = await auth.handler(
      new Request(url, {
        method: request.method,
        headers,
        ...(hasBody ? { body: JSON.stringify(request.body) } : {}),
      }),
    );
    reply.code(response.status);
    for (const [name, value] of response.headers) {
      if (name !== 'set-cookie' && name !== 'content-length') reply.header(name, value);
    }
    // better-auth names its wait X-Retry-After; HTTP clients look for Retry-After.
    const wait = response.headers.get('x-retry-after');
    if (response.status === 429 && wait) reply.header('retry-after', wait);
    const cookies = response.headers.getSetCookie();
    if (cookies.length) reply.header('set-cookie', cookies);
    reply.header('cache-control', 'no-store');
    return reply.send(response.body ? Buffer.from(await response.arrayBuffer()) : undefined);
  };
  app.route({
    method: ['GET', 'POST'],
    url: `${AUTH_BASE_PATH}/*`,
    schema: { hide: true },
    handler: handOver,
  });

  app.get(
    '/v1/users',
    {
      schema: {
        summary: 'Accounts and their roles (admins)',
        tags: ['accounts'],
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: userSchema } } } },
      },
    },
    async () => ({ data: (await users.list()).map(presentUser) }),
  );

  app.patch(
    '/v1/users/:id',
    {
      schema: {
        summary: "Change an account's role (admins)",
        tags: ['accounts'],
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['role'],
          properties: { role: { type: 'string', enum: ['admin', 'editor', 'viewer'] } },
        },
        response: { 200: { type: 'object', properties: { data: userSchema } } },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { role } = request.body as { role: Role };
      return { data: presentUser(await users.setRole(auditWho(request), id, role)) };
    },
  );

  app.delete(
    '/v1/users/:id/sessions',
    {
      schema: {
        summary: 'Sign an account out on every device (admins)',
        tags: ['accounts'],
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      await users.signOutEverywhere(auditWho(request), id);
      reply.code(204).send();
    },
  );
}

function presentUser(row: {
  id: string;
  email: string;
  name: string;
  role: string | null;
  twoFactorEnabled: number | boolean | null;
  createdAt: string | Date;
}) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: isRole(row.role) ? row.role : 'viewer',
    two_factor_enabled: Boolean(row.twoFactorEnabled),
    created_at: new Date(row.createdAt).toISOString(),
  };
}
