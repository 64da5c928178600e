import type { Db } from '../db/database.ts';
import { textFormat } from '../i18n/format.ts';
import { accountLocale } from '../i18n/locales.ts';
import { mailMessages } from '../i18n/mail-messages.ts';
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
  // The account's language, as stored now (read here rather than trusted from the session's
  // copy of the user, which better-auth may have cached before a change).
  const row = await db
    .selectFrom('users')
    .select('locale')
    .where('id', '=', session.userId)
    .executeTakeFirst();
  const locale = accountLocale(row?.locale);
  const t = mailMessages(locale).signIn;
  await mailer.send(
    composeMail({
      to: user.email,
      subject: t.subject,
      paragraphs: [
        t.happened({
          email: user.email,
          when: textFormat(locale).dateTime(new Date()),
          address,
          agent: session.userAgent ? session.userAgent.slice(0, 120) : null,
        }),
        t.advice,
      ],
      link: { url: accountUrl, label: t.link },
      footer: t.footer,
      lang: locale,
    }),
  );
}
