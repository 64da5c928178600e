import type { Db } from '../db/database.ts';
import { defineJob, type JobDefinition, jobSpec } from '../queue/jobs.ts';
import type { Mail, Mailer } from './mailer.ts';
import { composeMail } from './templates.ts';

export interface AssetMailPayload {
  assetId: string;
  userId: string;
  outcome: 'ready' | 'failed';
}

export const assetMailSpec = jobSpec<AssetMailPayload>('email.asset-status', { maxAttempts: 6 });

/** The mail itself: what happened, the link, and how to stop these mails. */
export function renderAssetMail(p: {
  to: string;
  title: string;
  outcome: 'ready' | 'failed';
  link: string;
  reason?: string;
}): Mail {
  const ready = p.outcome === 'ready';
  return composeMail({
    to: p.to,
    subject: ready ? `Ready to watch: ${p.title}` : `Could not process: ${p.title}`,
    paragraphs: [
      ready
        ? `"${p.title}" is processed and ready to watch and share.`
        : `"${p.title}" could not be processed${p.reason ? `: ${p.reason}` : '.'}`,
    ],
    link: { url: p.link, label: ready ? 'Watch it' : 'See the details' },
    footer: 'You get these messages for the videos you upload. Turn them off in your settings.',
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
      const reason = (JSON.parse(asset.errors) as Array<{ message: string }>)[0]?.message;
      const mail = renderAssetMail({
        to: user.email,
        title: asset.title ?? 'Your upload',
        outcome: payload.outcome,
        link: `${deps.publicUrl}/assets/${asset.id}`,
        ...(reason ? { reason } : {}),
      });
      await deps.mailer.send(mail);
    },
  });
}
