import type { Db } from '../db/database.ts';
import { recordedErrorText } from '../i18n/error-messages.ts';
import { accountLocale, DEFAULT_LOCALE, type Locale } from '../i18n/locales.ts';
import { mailMessages } from '../i18n/mail-messages.ts';
import { defineJob, type JobDefinition, jobSpec } from '../queue/jobs.ts';
import type { Mail, Mailer } from './mailer.ts';
import { composeMail } from './templates.ts';

export interface AssetMailPayload {
  assetId: string;
  userId: string;
  outcome: 'ready' | 'failed';
}

export const assetMailSpec = jobSpec<AssetMailPayload>('email.asset-status', { maxAttempts: 6 });

/** The mail itself, in the reader's language: what happened, the link, and how to stop these mails. */
export function renderAssetMail(p: {
  to: string;
  /** null: the asset has no title ("Your upload"). */
  title: string | null;
  outcome: 'ready' | 'failed';
  link: string;
  reason?: string;
  locale?: Locale;
}): Mail {
  const t = mailMessages(p.locale ?? DEFAULT_LOCALE).asset;
  const title = p.title ?? t.untitled;
  const ready = p.outcome === 'ready';
  return composeMail({
    to: p.to,
    subject: ready ? t.readySubject(title) : t.failedSubject(title),
    paragraphs: [ready ? t.ready(title) : t.failed(title, p.reason ?? null)],
    link: { url: p.link, label: ready ? t.readyLink : t.failedLink },
    footer: t.footer,
    lang: p.locale ?? DEFAULT_LOCALE,
  });
}

/**
 * Tells the uploader that an asset is ready or failed. A failed send is retried by the queue
 * (6 attempts with backoff); a user who turned notifications off, or is gone, gets nothing.
 */
export function assetMailJob(deps: {
  db: Db;
  mailer: Mailer;
  publicUrl: string;
}): JobDefinition<AssetMailPayload> {
  return defineJob<AssetMailPayload>(assetMailSpec.type, {
    ...assetMailSpec,
    timeoutMs: 5 * 60_000,
    handler: async ({ payload }) => {
      const user = await deps.db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', payload.userId)
        .executeTakeFirst();
      if (!user || user.notifyByEmail === false || user.notifyByEmail === 0) return;
      // Gone, or in the trash: its uploader deleted it and wants no news of it.
      const asset = await deps.db
        .selectFrom('assets')
        .select(['id', 'title', 'errors'])
        .where('id', '=', payload.assetId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (!asset) return;
      const locale = accountLocale(user.locale);
      // The first recorded error, as its code reads in the reader's language (English keeps
      // the specific message it was recorded with).
      const first = (JSON.parse(asset.errors) as Array<{ code?: string; message: string }>)[0];
      const reason = first ? recordedErrorText(first.code, first.message, locale) : undefined;
      const mail = renderAssetMail({
        to: user.email,
        title: asset.title,
        outcome: payload.outcome,
        link: `${deps.publicUrl}/assets/${asset.id}`,
        locale,
        ...(reason ? { reason } : {}),
      });
      await deps.mailer.send(mail);
    },
  });
}
