import { type AuditWho, recordAudit } from '../../audit/audit.ts';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import { type Ban, presentBan } from './room.presenter.ts';
import { roomRepo as repo } from './room.repo.ts';
import { appendRoomEvent } from './room-log.ts';

export const MAX_TIMEOUT_SECONDS = 30 * 24 * 3600;

/**
 * Bans (for good) and time-outs (`duration_seconds`). A ban covers the viewer's account when
 * signed in, the guest id, and the viewer's address (as its keyed hash; a signed-in viewer's last
 * join's): a banned viewer who comes back as a guest under a new nickname from the same address
 * is refused. The message path checks bans in
 * its conditional update, so a ban holds on every api node from its commit on; `viewer_banned`
 * tells that viewer's page to stop offering to send.
 */
export class ModerationService {
  readonly #db: Db;

  constructor(deps: { db: Db }) {
    this.#db = deps.db;
  }

  async list(streamId: string): Promise<Ban[]> {
    return (await repo.bans(this.#db, streamId, Date.now())).map(presentBan);
  }

  async ban(
    streamId: string,
    input: { viewer_id: string; duration_seconds?: number; reason?: string },
    who: AuditWho,
  ): Promise<Ban> {
    return this.#db.transaction().execute(async (trx) => {
      const viewer = await repo.viewer(trx, streamId, input.viewer_id);
      if (!viewer) throw new AppError('FH_ERR_CHAT_VIEWER_NOT_FOUND');
      const now = Date.now();
      const until = input.duration_seconds ? now + input.duration_seconds * 1000 : null;
      const row = {
        id: newId(),
        live_stream_id: streamId,
        viewer_id: viewer.id,
        name: viewer.name,
        user_id: viewer.user_id,
        // A signed-in viewer's too (the address of their last join): a guest from it is refused.
        address_hash: viewer.address_hash,
        until,
        reason: input.reason?.trim() || null,
        created_by: who.actor,
        created_at: new Date(now).toISOString(),
      };
      await repo.insertBan(trx, row);
      const ban = presentBan(row);
      await appendRoomEvent(trx, streamId, 'viewer_banned', { viewer_id: viewer.id, until: ban.until });
      await recordAudit(trx, who, {
        action: until === null ? 'live_room.viewer_banned' : 'live_room.viewer_timed_out',
        target: { type: 'live_stream', id: streamId },
        details: {
          ban_id: row.id,
          viewer_id: viewer.id,
          ...(until === null ? {} : { duration_seconds: input.duration_seconds }),
        },
      });
      return ban;
    });
  }

  async lift(streamId: string, banId: string, who: AuditWho): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const ban = await repo.deleteBan(trx, streamId, banId);
      if (!ban) throw new AppError('FH_ERR_CHAT_BAN_NOT_FOUND');
      await recordAudit(trx, who, {
        action: 'live_room.ban_lifted',
        target: { type: 'live_stream', id: streamId },
        details: { ban_id: banId, viewer_id: ban.viewer_id },
      });
    });
  }
}
