import type { Db } from '../db/database.ts';
import { defineJob, type JobDefinition, jobSpec } from '../queue/jobs.ts';
import type { Mailer } from './mailer.ts';

export interface AssetMailPayload {
  assetId: string;
  userId: string;
  outcome: 'ready' | 'failed';
}

export const assetMailSpec = jobSpec<AssetMailPayload>('email.asset-status', { maxAttempts: 6 });

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** The mail itself: plain text and HTML saying the same, the link in both. */
export function renderAssetMail(p: {
  title: string;
  outcome: 'ready' | 'failed';
  link: string;
  reason?: string;
}) {
  const subject = p.outcome === 'ready' ? `Ready to watch: ${p.title}` : `Could not process: ${p.title}`;
  const lead =
    p.outcome === 'ready'
      ? `"${p.title}" is processed and ready to watch and share.`
      : `"${p.title}" could not be processed${p.reason ? `: ${p.reason}` : '.'}`;
  const text = `${lead}\n\n${p.link}\n\nYou get these messages for the videos you upload. Turn them off in your settings.\n`;
  const html = `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">
<p>${escapeHtml(lead)}</p>
<p><a href="${escapeHtml(p.link)}">${p.outcome === 'ready' ? 'Watch it' : 'See the details'}</a></p>
<p style="color:#666;font-size:small">You get these messages for the videos you upload. Turn them off in your settings.</p>
</body></html>`;
  return { subject, text, html };
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
      const asset = await deps.db
        .selectFrom('assets')
        .select(['id', 'title', 'errors'])
        .where('id', '=', payload.assetId)
        .executeTakeFirst();
      if (!asset) return;
      const reason = (JSON.parse(asset.errors) as Array<{ message: string }>)[0]?.message;
      const mail = renderAssetMail({
        title: asset.title ?? 'Your upload',
        outcome: payload.outcome,
        link: `${deps.publicUrl}/assets/${asset.id}`,
        ...(reason ? { reason } : {}),
      });
      await deps.mailer.send({ to: user.email, ...mail });
    },
  });
}
