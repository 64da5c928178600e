import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordAudit, whoFor } from '../audit/audit.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../shared/errors.ts';
import type { AddressAllowlist } from './address-allowlist.ts';
import type { ApiKeysService } from './api-keys.service.ts';
import { type Permission, permissionFor, UndeclaredRouteError } from './policy.ts';
import { hasScope, isRole, type Principal, ROLE_SCOPES } from './principal.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Filled from the policy table for each method of the route. */
    permissions?: Record<string, Permission>;
  }
}

/** Looks up the session a request's cookie names (better-auth), or null. */
export type SessionLookup = (
  headers: Headers,
) => Promise<{ user: { id: string; email: string; role?: unknown } } | null>;

interface Deps {
  db: Db;
  keys: ApiKeysService;
  sessions: SessionLookup;
  /** Origins a cookie-authenticated change may come from (besides this server's own). */
  trustedOrigins: string[];
  /** CIDRs allowed to use admin routes; null: any address. */
  adminAllowlist: AddressAllowlist | null;
  /** Failed credentials allowed per client address and minute before 429s. */
  maxAuthFailuresPerMinute: number;
  /** Requests per minute to the API (not playback) for each key, or each address without one. */
  requestsPerMinute: number;
  /** Viewer analytics on (FRAMEHOUSE_QOE): players report to /v1/qoe/… (GET /v1/instance says so). */
  qoe: boolean;
  /** FRAMEHOUSE_TRASH_DAYS: the app says "Move to trash" and shows the trash (0: none). */
  trashDays: number;
}

const ANONYMOUS: Principal = { kind: 'anonymous' };
const OPEN: Principal = { kind: 'open' };
const BEARER = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i;

/**
 * Authentication and authorization for every route, from the policy table. Register before any
 * route: a route missing from the table stops start-up.
 */
export async function registerAccessControl(app: FastifyInstance, deps: Deps): Promise<void> {
  app.decorateRequest('principal', null as never);

  // Per client limits, counted per api node (in memory). Runs after authentication, so a key is
  // limited as itself wherever it comes from; health, docs and playback are not counted here.
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: deps.requestsPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) =>
      request.principal?.kind === 'api_key' || request.principal?.kind === 'user'
        ? `${request.principal.kind}:${request.principal.id}`
        : `ip:${request.ip}`,
    allowList: (request) => {
      const permission = request.routeOptions.config.permissions?.[request.method];
      return (
        permission === undefined ||
        permission === 'public' ||
        permission === 'playback' ||
        permission === 'signed-url'
      );
    },
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'FH_ERR_RATE_LIMITED',
        `Too many requests: try again in ${Math.ceil(context.ttl / 1000)} s.`,
      ),
  });

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const permissions: Record<string, Permission> = {};
    for (const method of methods) {
      const permission = permissionFor(method, route.url);
      if (!permission) throw new UndeclaredRouteError(method, route.url);
      permissions[method] = permission;
    }
    route.config = { ...route.config, permissions };
  });

  // Brute force of keys (or of a leaked key's neighbours) is cut off per client address.
  const failures = app.createRateLimit({
    max: deps.maxAuthFailuresPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => `auth-failure:${request.ip}`,
    allowList: () => false, // not the API limit's exemptions: failures count on every route
  });

  // Once a credential exists this node stays closed until it restarts (the safe direction), and
  // anonymous requests stop costing a database query each.
  let closed = false;
  const isOpenMode = async () => {
    if (!closed) closed = await credentialsExist(deps);
    return !closed;
  };

  // For a sign-in page: whether anyone may use this server yet (no account or key exists); for
  // players: whether they report viewer analytics.
  app.get(
    '/v1/instance',
    {
      schema: {
        summary:
          'Whether the server is still open (no account or API key exists yet), whether players report analytics, how many days a deleted asset stays in the trash (0: none)',
        tags: ['access'],
        response: {
          200: {
            type: 'object',
            properties: {
              data: {
                type: 'object',
                properties: {
                  open: { type: 'boolean' },
                  qoe: { type: 'boolean' },
                  trash_days: { type: 'integer' },
                },
              },
            },
          },
        },
      },
    },
    async () => ({ data: { open: await isOpenMode(), qoe: deps.qoe, trash_days: deps.trashDays } }),
  );

  app.addHook('onRequest', async (request, reply) => {
    request.principal = ANONYMOUS;
    const permission = request.routeOptions.config.permissions?.[request.method];
    if (!permission || permission === 'public') return; // unknown routes 404 on their own

    const header = request.headers.authorization;
    // On playback routes a bearer that is not an API key (a playback token, a JWT) is the
    // route's to check.
    const playbackBearer =
      permission === 'playback' && header !== undefined && !/^Bearer[ \t]+fh_/i.test(header);
    if (header !== undefined && !playbackBearer) {
      // (`isAllowed` false means "counted", not "refused": the budget is what decides.)
      const limited = await failures(request, { increment: false });
      if (!limited.isAllowed && limited.remaining === 0) {
        reply.header('retry-after', String(limited.ttlInSeconds));
        throw new AppError('FH_ERR_RATE_LIMITED');
      }
      const key = BEARER.exec(header)?.[1];
      const principal = key ? await deps.keys.authenticate(key) : null;
      if (!principal) {
        await failures(request);
        await recordAudit(deps.db, whoFor(ANONYMOUS, request.ip), {
          action: 'auth.failed',
          outcome: 'failure',
          details: {
            reason: key ? 'unknown or revoked API key' : 'malformed Authorization header',
            route: request.routeOptions.url,
          },
        });
        reply.header('www-authenticate', 'Bearer');
        throw new AppError(
          'FH_ERR_UNAUTHENTICATED',
          'The API key is not valid (unknown, revoked or malformed).',
        );
      }
      request.principal = principal;
    } else if (hasSessionCookie(request)) {
      const session = await deps.sessions(toHeaders(request));
      if (session) {
        const role = isRole(session.user.role) ? session.user.role : 'viewer';
        request.principal = {
          kind: 'user',
          id: session.user.id,
          email: session.user.email,
          role,
          scopes: ROLE_SCOPES[role],
        };
        // Cookies ride along on cross-site requests: a change must come from a trusted page.
        if (!SAFE_METHODS.has(request.method) && !fromTrustedPage(request, deps.trustedOrigins)) {
          throw new AppError('FH_ERR_CSRF');
        }
      }
    }
    if (
      request.principal.kind === 'anonymous' &&
      permission !== 'playback' &&
      permission !== 'signed-url' &&
      (await isOpenMode())
    ) {
      // First run: no credential exists yet, so there is nothing to present.
      request.principal = OPEN;
    }

    if (permission === 'playback') return; // the playback routes check tokens for signed ids
    if (permission === 'signed-url') return; // the route checks the URL's signature
    if (request.principal.kind === 'anonymous') {
      reply.header('www-authenticate', 'Bearer');
      throw new AppError('FH_ERR_UNAUTHENTICATED');
    }
    if (!hasScope(request.principal, permission)) {
      throw new AppError('FH_ERR_FORBIDDEN', `This needs the "${permission}" scope.`, {
        required: permission,
      });
    }
    if (permission === 'admin' && deps.adminAllowlist && !deps.adminAllowlist.allows(request.ip)) {
      throw new AppError('FH_ERR_ADMIN_ADDRESS');
    }
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SESSION_COOKIE = /(?:^|;\s*)(?:__Secure-)?better-auth\.session_token=/;

function hasSessionCookie(request: FastifyRequest): boolean {
  return SESSION_COOKIE.test(request.headers.cookie ?? '');
}

export function toHeaders(request: FastifyRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

/** The OWASP origin check: the page that sent a cookie-authenticated change is ours or trusted. */
function fromTrustedPage(request: FastifyRequest, trusted: string[]): boolean {
  const origin = request.headers.origin;
  if (origin) return origin === `${request.protocol}://${request.host}` || trusted.includes(origin);
  return request.headers['sec-fetch-site'] === 'same-origin';
}

async function credentialsExist(deps: Deps): Promise<boolean> {
  if (await deps.keys.anyActive()) return true;
  const user = await deps.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  return user !== undefined;
}

/** For handlers: the caller, who must hold `permission` (checked already by the hook). */
export function principalOf(request: FastifyRequest): Principal {
  return request.principal;
}
