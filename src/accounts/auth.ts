import { betterAuth } from 'better-auth';
import { APIError, createAuthMiddleware } from 'better-auth/api';
import { genericOAuth, twoFactor } from 'better-auth/plugins';
import { recordAudit } from '../audit/audit.ts';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import { dialectOf } from '../db/dialect-helpers.ts';
import { accountLocale, localeSchema } from '../i18n/locales.ts';
import { mailMessages } from '../i18n/mail-messages.ts';
import type { Mailer } from '../notifications/mailer.ts';
import { noticeNewSignIn } from '../notifications/sign-in-notice.ts';
import { composeMail } from '../notifications/templates.ts';
import { sharedSecret } from './instance-secret.ts';

export const AUTH_BASE_PATH = '/v1/auth';

export interface AuthConfig {
  /** Signs session cookies; shared by every node (see instance-secret.ts). */
  secret: string;
  /** This server's public URL (links in e-mails, origin checks); else taken from each request. */
  publicUrl: string | undefined;
  /** Origins whose pages may sign in (the API's CORS allowlist). */
  trustedOrigins: string[];
  signUp: 'open' | 'closed';
  /** A configured OpenID Connect issuer, or none. */
  oidc: { issuer: string; clientId: string; clientSecret: string } | null;
  /** Sign-in and two-factor attempts per address and minute. */
  signInAttemptsPerMinute: number;
}

/** The paths whose outcomes the audit trail records, and the action each one is. */
const AUDITED: Record<string, string> = {
  '/sign-in/email': 'auth.sign_in',
  '/sign-up/email': 'auth.sign_up',
  '/sign-out': 'auth.sign_out',
  '/revoke-sessions': 'auth.sign_out_everywhere',
  '/two-factor/enable': 'auth.two_factor_enabling',
  '/two-factor/verify-totp': 'auth.two_factor_verified',
  '/two-factor/verify-backup-code': 'auth.two_factor_backup_code_used',
  '/two-factor/disable': 'auth.two_factor_disabled',
  '/two-factor/generate-backup-codes': 'auth.two_factor_backup_codes_regenerated',
  '/request-password-reset': 'auth.password_reset_requested',
  '/reset-password': 'auth.password_reset',
  '/change-password': 'auth.password_changed',
};

/** Where a session is made for someone who proved who they are (sign-up is not a sign-in). */
const SIGN_IN_PATHS = new Set([
  '/sign-in/email',
  '/two-factor/verify-totp',
  '/two-factor/verify-backup-code',
]);

/**
 * Accounts with better-auth (through its Kysely adapter, on our own connection and tables):
 * e-mail + password (scrypt, memory-hard), database sessions valid on every api node, TOTP
 * two-factor with backup codes and an otpauth:// provisioning URI, password reset by e-mail,
 * optional OpenID Connect. Roles (admin, editor, viewer) are a column of ours on the user.
 */
type Log = Record<'error' | 'warn' | 'info', (o: object, msg: string) => void>;

export function createAuth(db: Db, config: AuthConfig, mailer: Mailer, log: Log) {
  return betterAuth({
    appName: 'Framehouse',
    ...(config.publicUrl ? { baseURL: config.publicUrl } : {}),
    basePath: AUTH_BASE_PATH,
    secret: config.secret,
    trustedOrigins: config.trustedOrigins,
    telemetry: { enabled: false },
    database: { db, type: dialectOf(db as never) },
    user: {
      modelName: 'users',
      additionalFields: {
        // Set by admins through /v1/users, never by the person signing up.
        role: { type: 'string', required: false, defaultValue: 'viewer', input: false },
        // Mail when an upload is ready or failed; the user turns it off with /v1/auth/update-user.
        notifyByEmail: { type: 'boolean', required: false, defaultValue: true, input: true },
        // The language the account reads (the web app, its e-mails): 'en', 'ko', or null for
        // "follow the browser". Set with /v1/auth/update-user by the header's language switch.
        locale: {
          type: 'string',
          required: false,
          input: true,
          validator: { input: localeSchema.nullable() },
        },
      },
    },
    session: { modelName: 'sessions', expiresIn: 7 * 24 * 3600, updateAge: 24 * 3600 },
    databaseHooks: {
      user: {
        create: {
          // The first account made in open mode (no account, no API key yet) administers the
          // server; every later one starts as a viewer until an admin says otherwise.
          before: async (user) => ({ data: { ...user, role: (await isOpenMode(db)) ? 'admin' : 'viewer' } }),
        },
      },
    },
    account: { modelName: 'accounts' },
    verification: { modelName: 'verifications' },
    emailAndPassword: {
      enabled: true,
      disableSignUp: config.signUp === 'closed',
      minPasswordLength: 10,
      maxPasswordLength: 256,
      revokeSessionsOnPasswordReset: true,
      resetPasswordTokenExpiresIn: 3600,
      sendResetPassword: async ({ user, url }) => {
        // In the account's language. better-auth hands over the user row with its additional
        // fields (`locale` among them); read from the table if a version of it does not.
        const stored =
          'locale' in user
            ? (user as { locale?: string | null }).locale
            : (await db.selectFrom('users').select('locale').where('id', '=', user.id).executeTakeFirst())
                ?.locale;
        const locale = accountLocale(stored);
        const t = mailMessages(locale).passwordReset;
        await mailer.send(
          composeMail({
            to: user.email,
            subject: t.subject,
            paragraphs: [t.asked(user.email), t.within],
            link: { url, label: t.link },
            footer: t.footer,
            lang: locale,
          }),
        );
      },
    },
    rateLimit: {
      enabled: true,
      customStorage: fixedWindowCounter(),
      window: 60,
      max: 600,
      customRules: {
        '/sign-in/email': { window: 60, max: config.signInAttemptsPerMinute },
        '/sign-up/email': { window: 60, max: config.signInAttemptsPerMinute },
        '/request-password-reset': { window: 60, max: config.signInAttemptsPerMinute },
        '/two-factor/*': { window: 60, max: config.signInAttemptsPerMinute },
      },
    },
    advanced: {
      // Client addresses as Fastify resolved them (X-Forwarded-For only behind a trusted proxy).
      ipAddress: { ipAddressHeaders: ['x-framehouse-client-ip'] },
    },
    // better-auth's messages go to our log, as JSON with the rest.
    logger: {
      level: 'warn',
      log: (level, message, ...args) => {
        const method = level === 'error' ? 'error' : level === 'warn' ? 'warn' : 'info';
        log[method]({ component: 'auth', ...(args.length ? { args: args.map(String) } : {}) }, message);
      },
    },
    hooks: {
      after: createAuthMiddleware(async (ctx) => {
        const replayed = ctx.path === '/two-factor/verify-totp' ? await replayedCode(db, ctx) : null;
        const action = AUDITED[ctx.path];
        if (!action) return;
        const returned = replayed ?? ctx.context.returned;
        const failed = returned instanceof APIError || (returned instanceof Response && !returned.ok);
        const user = ctx.context.newSession?.user ?? ctx.context.session?.user;
        const email = typeof ctx.body?.email === 'string' ? ctx.body.email.slice(0, 200) : undefined;
        await recordAudit(
          db,
          {
            actor: user ? `user:${user.id}` : 'anonymous',
            credential: ctx.path.includes('two-factor') ? 'session+totp' : 'password',
            ip: ctx.request?.headers.get('x-framehouse-client-ip') ?? null,
          },
          {
            action,
            outcome: failed ? 'failure' : 'success',
            target: user ? { type: 'user', id: user.id } : undefined,
            details: {
              ...(email ? { email } : {}),
              ...(failed && returned instanceof APIError
                ? { reason: returned.body?.code ?? returned.status }
                : {}),
            },
          },
        );
        if (replayed) throw replayed;
        const created = ctx.context.newSession;
        if (!failed && created && SIGN_IN_PATHS.has(ctx.path)) {
          await noticeNewSignIn(
            db,
            mailer,
            created.session,
            created.user,
            `${config.publicUrl ?? ctx.context.baseURL.replace(/\/v1\/auth$/, '')}/settings`,
          ).catch((err: unknown) => log.warn({ err }, 'sign-in notice not sent'));
        }
      }),
    },
    plugins: [
      twoFactor({
        issuer: 'Framehouse',
        schema: { twoFactor: { modelName: 'two_factors' } },
      }),
      ...(config.oidc
        ? [
            genericOAuth({
              config: [
                {
                  providerId: 'oidc',
                  discoveryUrl: `${config.oidc.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
                  clientId: config.oidc.clientId,
                  clientSecret: config.oidc.clientSecret,
                  scopes: ['openid', 'email', 'profile'],
                  pkce: true,
                },
              ],
            }),
          ]
        : []),
    ],
  });
}

export type Auth = ReturnType<typeof createAuth>;

/** better-auth set up from the server's configuration (the session secret shared through the database). */
export async function authFromConfig(db: Db, config: Config, mailer: Mailer, log: Log): Promise<Auth> {
  const { oidcIssuer: issuer, oidcClientId: clientId, oidcClientSecret: clientSecret } = config;
  return createAuth(
    db,
    {
      secret: await sharedSecret(db, 'auth_secret', config.secret),
      publicUrl: config.publicUrl,
      trustedOrigins: config.corsOrigins,
      signUp: config.signUp,
      oidc: issuer && clientId && clientSecret ? { issuer, clientId, clientSecret } : null,
      signInAttemptsPerMinute: config.signInAttemptsPerMinute,
    },
    mailer,
    log,
  );
}

/** How long a used TOTP code is remembered: its 30 s step plus the accepted clock drift. */
const TOTP_MEMORY_MS = 120_000;

/**
 * better-auth accepts a TOTP code as often as it is valid (about a minute). A code that opened a
 * session is recorded; the same code again for the same account is a replay: the session it
 * just made is deleted and the request fails (the error is returned for the hook to throw).
 */
async function replayedCode(
  db: Db,
  ctx: Parameters<Parameters<typeof createAuthMiddleware>[0]>[0],
): Promise<APIError | null> {
  const created = ctx.context.newSession;
  const code = typeof ctx.body?.code === 'string' ? ctx.body.code : null;
  if (!created || !code) return null;
  const now = Date.now();
  await db
    .deleteFrom('totp_codes_used')
    .where('used_at', '<', now - TOTP_MEMORY_MS)
    .execute();
  const inserted = await db
    .insertInto('totp_codes_used')
    .values({ user_id: created.user.id, code, used_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'code']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return null;
  await ctx.context.internalAdapter.deleteSession(created.session.token);
  return APIError.from('UNAUTHORIZED', {
    code: 'TOTP_CODE_REPLAYED',
    message: 'This code was used already: wait for the next one.',
  });
}

/**
 * Sign-in attempts counted in memory, per api node and per server instance (better-auth's own
 * memory store is one for the whole process). Fixed windows; expired entries are dropped as
 * the map grows.
 */
function fixedWindowCounter() {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    async consume(key: string, rule: { window: number; max: number }) {
      const now = Date.now();
      if (windows.size > 10_000) for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
      let entry = windows.get(key);
      if (!entry || entry.resetAt <= now) entry = { count: 0, resetAt: now + rule.window * 1000 };
      if (entry.count >= rule.max)
        return { allowed: false, retryAfter: Math.ceil((entry.resetAt - now) / 1000) };
      entry.count++;
      windows.set(key, entry);
      return { allowed: true, retryAfter: null };
    },
  };
}

async function isOpenMode(db: Db): Promise<boolean> {
  const user = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  const key = await db
    .selectFrom('api_keys')
    .select('id')
    .where('revoked_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return !user && !key;
}
