import type { Db } from '../db/database.ts';
import type { Mailer } from './mailer.ts';
import { composeMail } from './templates.ts';

/**
 * After a successful sign-in: tells the account's owner when it came from an address none of
 * their other live sessions uses — the usual "new sign-in" notice, not a mail per sign-in. A
 * security notice, so the asset-mail opt-out does not silence it.
 */
export async function noticeNewSignIn(
  db: Db,
  mailer: Mailer,
  session: {
    id: string;
    userId: string;
    ipAddress?: string | null | undefined;
    userAgent?: string | null | undefined;
  },
  user: { email: string },
  accountUrl: string,
): Promise<void> {
  if (!mailer.configured) return;
  const address = session.ipAddress ?? null;
  const others = await db
    .selectFrom('sessions')
    .select('expiresAt')
    .where('userId', '=', session.userId)
    .where('id', '!=', session.id)
    .where((eb) => (address === null ? eb('ipAddress', 'is', null) : eb('ipAddress', '=', address)))
    .execute();
  // Compared here: better-auth writes the expiry as each dialect stores dates.
  if (others.some((s) => new Date(s.expiresAt).getTime() > Date.now())) return;
  await mailer.send(
    composeMail({
      to: user.email,
      subject: 'New sign-in to your Framehouse account',
      paragraphs: [
        `Your account ${user.email} was signed in to at ${new Date().toUTCString()} from ${address ?? 'an unknown address'}${session.userAgent ? ` (${session.userAgent.slice(0, 120)})` : ''}.`,
        'If this was you, there is nothing to do. If not, change your password now and sign out everywhere from your settings.',
      ],
      link: { url: accountUrl, label: 'Open your settings' },
      footer: 'Security notices are always sent: they tell you when someone else may be using your account.',
    }),
  );
}
