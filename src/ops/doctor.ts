import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/database.ts';

export type Severity = 'critical' | 'warning' | 'ok';

export interface Finding {
  severity: Severity;
  check: string;
  finding: string;
  /** What to do about it (empty for `ok`). */
  fix: string;
}

const DAY_MS = 24 * 3_600_000;
const SIGNING_KEY_MAX_AGE_DAYS = 180;
const WEAK_SECRETS = /^(change.?me|admin|password|secret|framehouse|test|default|example|letmein|12345)/i;

/**
 * `framehouse doctor`: a security self-check of a configuration and its database, in the spirit
 * of Lynis. Each check says what it found and how to fix it; critical findings fail the run.
 */
export async function runDoctor(
  config: Config,
  db: Db,
  env: NodeJS.ProcessEnv = process.env,
  ffmpegRun: Promise<FfmpegVersion | null> = ffmpegVersion(config.ffmpegPath),
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const add = (severity: Severity, check: string, finding: string, fix = '') =>
    findings.push({ severity, check, finding, fix });

  // Secrets.
  if (config.adminApiKey) {
    const weak = secretWeakness(config.adminApiKey);
    if (weak)
      add(
        'critical',
        'admin API key',
        `FRAMEHOUSE_ADMIN_API_KEY is weak: ${weak}`,
        'use 32+ random characters, e.g. `openssl rand -base64 32`',
      );
    else add('ok', 'admin API key', 'FRAMEHOUSE_ADMIN_API_KEY looks random');
  }
  if (config.secret) {
    const weak = secretWeakness(config.secret);
    if (weak)
      add(
        'critical',
        'session secret',
        `FRAMEHOUSE_SECRET is weak: ${weak}`,
        'use 32+ random characters, or unset it to use the generated one',
      );
  }
  if (env.AWS_SECRET_ACCESS_KEY && secretWeakness(env.AWS_SECRET_ACCESS_KEY)) {
    add(
      'warning',
      'object-store credentials',
      'AWS_SECRET_ACCESS_KEY looks like a default or example value',
      "rotate the bucket's credentials",
    );
  }

  // Who can get in.
  const anyKey = await db
    .selectFrom('api_keys')
    .select('id')
    .where('revoked_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  const anyUser = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (!anyKey && !anyUser && !config.adminApiKey) {
    add(
      'critical',
      'open mode',
      'no API key or account exists: every request is treated as an administrator',
      'set FRAMEHOUSE_ADMIN_API_KEY or run `framehouse users create --role admin`',
    );
  }
  if (config.signUp === 'open') {
    add(
      'warning',
      'sign-up',
      'anyone who can reach the server can make an account (as a viewer)',
      'set FRAMEHOUSE_SIGNUP=closed and invite people with `framehouse users create`',
    );
  } else add('ok', 'sign-up', 'closed');
  const admins = await db
    .selectFrom('users')
    .select(['id', 'twoFactorEnabled'])
    .where('role', '=', 'admin')
    .execute();
  const without2fa = admins.filter((a) => !a.twoFactorEnabled).length;
  if (without2fa > 0)
    add(
      'warning',
      'two-factor',
      `${without2fa} admin account(s) without two-factor authentication`,
      'enable it under settings (POST /v1/auth/two-factor/enable)',
    );
  if (config.adminAllowedIps.length === 0)
    add(
      'warning',
      'admin addresses',
      'admin routes are reachable from any address',
      'set FRAMEHOUSE_ADMIN_ALLOWED_IPS to your office or VPN ranges',
    );

  // Transport.
  if (!config.publicUrl) {
    add(
      'warning',
      'TLS',
      'FRAMEHOUSE_PUBLIC_URL is not set, so links and origin checks follow each request',
      'set FRAMEHOUSE_PUBLIC_URL=https://… and serve behind a TLS-terminating proxy',
    );
  } else if (
    config.publicUrl.startsWith('http://') &&
    !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(config.publicUrl)
  ) {
    add(
      'critical',
      'TLS',
      `the public URL ${config.publicUrl} is plain HTTP: sessions and keys travel readable`,
      'put a TLS-terminating proxy in front and use https://',
    );
  } else add('ok', 'TLS', config.publicUrl);
  if (config.publicUrl?.startsWith('https://') && config.trustProxy === false) {
    add(
      'warning',
      'proxy',
      "an https public URL but FRAMEHOUSE_TRUST_PROXY is off: client addresses in limits and the audit trail will be the proxy's",
      "set FRAMEHOUSE_TRUST_PROXY=true behind one proxy (the nearest hop is trusted), a hop count, or the proxies' addresses/CIDRs (and only then)",
    );
  }
  if (!config.smtpUrl)
    add(
      'warning',
      'e-mail',
      'no FRAMEHOUSE_SMTP_URL: password-reset mail cannot be sent',
      'set FRAMEHOUSE_SMTP_URL=smtps://user:pass@mail.example.com',
    );

  // Files.
  try {
    const mode = (await stat(config.dataDir)).mode;
    if (mode & 0o002)
      add(
        'critical',
        'data folder',
        `${config.dataDir} is writable by every user (mode ${(mode & 0o777).toString(8)})`,
        `chmod o-w ${config.dataDir}`,
      );
    else if (mode & 0o004)
      add(
        'warning',
        'data folder',
        `${config.dataDir} is readable by every user (mode ${(mode & 0o777).toString(8)})`,
        `chmod 750 ${config.dataDir}`,
      );
    else add('ok', 'data folder', `${config.dataDir} (mode ${(mode & 0o777).toString(8)})`);
  } catch {
    add('ok', 'data folder', `${config.dataDir} does not exist yet (made at first start)`);
  }

  // Tools.
  const ffmpeg = await ffmpegRun;
  if (!ffmpeg) add('critical', 'ffmpeg', `${config.ffmpegPath} does not run`, 'install ffmpeg 5.1 or newer');
  else if (ffmpeg.major < 5 || (ffmpeg.major === 5 && ffmpeg.minor < 1))
    add(
      'critical',
      'ffmpeg',
      `ffmpeg ${ffmpeg.text} is older than 5.1 (known security fixes missing)`,
      'install ffmpeg 5.1 or newer',
    );
  else add('ok', 'ffmpeg', ffmpeg.text);

  // Keys.
  const signing = await db
    .selectFrom('playback_signing_keys')
    .select(['kid', 'created_at'])
    .where('retired_at', 'is', null)
    .orderBy('created_at', 'desc')
    .execute();
  const newest = signing[0];
  if (newest) {
    const days = Math.floor((Date.now() - Date.parse(newest.created_at)) / DAY_MS);
    if (days > SIGNING_KEY_MAX_AGE_DAYS)
      add(
        'warning',
        'playback signing key',
        `the signing key is ${days} days old`,
        'rotate it: POST /v1/playback-keys, then retire the old one',
      );
    else add('ok', 'playback signing key', `${days} days old (${signing.length} active)`);
  }
  return findings;
}

/** Why a secret is weak, or null. */
export function secretWeakness(secret: string): string | null {
  if (secret.length < 24) return `${secret.length} characters (24 at least)`;
  if (WEAK_SECRETS.test(secret)) return 'it starts like a default or example value';
  if (new Set(secret).size < 10) return 'too few different characters';
  return null;
}

export interface FfmpegVersion {
  major: number;
  minor: number;
  text: string;
}

/**
 * What `ffmpeg -version` says, or null when it does not run. Asynchronous, so that a caller
 * can start it early: loading its own code meanwhile costs about as long as ffmpeg's start.
 */
export function ffmpegVersion(bin: string): Promise<FfmpegVersion | null> {
  return new Promise((resolve) => {
    execFile(bin, ['-version'], { encoding: 'utf8' }, (err, stdout) => {
      if (err) return resolve(null);
      const m = /version n?(\d+)\.(\d+)(\S*)/.exec(stdout);
      if (m)
        return resolve({ major: Number(m[1]), minor: Number(m[2]), text: `${m[1]}.${m[2]}${m[3] ?? ''}` });
      resolve(/version N-/.test(stdout) ? { major: 99, minor: 0, text: 'a git build' } : null);
    });
  });
}
