import { authFromConfig } from '../accounts/auth.ts';
import { UsersService } from '../accounts/users.service.ts';
import { ApiKeysService } from '../auth/api-keys.service.ts';
import { PlaybackTokens } from '../auth/playback-tokens.ts';
import type { Config } from '../config/config.ts';
import type { Mailer } from '../notifications/mailer.ts';
import type { Infrastructure } from './infrastructure.ts';

/** Who may do what: API keys, playback tokens, accounts (better-auth, which sends mail). */
export async function accessServices(config: Config, { db, log }: Infrastructure, mailer: Mailer) {
  return {
    keys: new ApiKeysService(db),
    tokens: new PlaybackTokens(db),
    auth: await authFromConfig(db, config, mailer, log),
  };
}

export type AccessServices = Awaited<ReturnType<typeof accessServices>>;

/**
 * Before an api node answers: the configured admin key, a playback signing key, and a warning
 * when nothing requires credentials yet.
 */
export async function prepareAccess(
  config: Config,
  { db, log }: Infrastructure,
  { keys, tokens }: AccessServices,
): Promise<void> {
  if (config.adminApiKey) await keys.ensureEnvAdminKey(config.adminApiKey);
  await tokens.ensureSigningKey();
  if (!(await new UsersService(db).any()) && !(await keys.anyActive())) {
    log.warn(
      'open mode: no API key or account exists yet, so every request is treated as an administrator. ' +
        'Set FRAMEHOUSE_ADMIN_API_KEY, make a key (POST /v1/api-keys) or an account (framehouse users create) to require credentials.',
    );
  }
}
