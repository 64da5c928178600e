import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.ts';
import * as m0002 from './0002_shared_uploads.ts';
import * as m0003 from './0003_access.ts';
import * as m0004 from './0004_accounts.ts';
import * as m0005 from './0005_webhooks.ts';
import * as m0006 from './0006_worker_nodes.ts';
import * as m0007 from './0007_notifications.ts';
import * as m0008 from './0008_image_batches.ts';
import * as m0009 from './0009_asset_tracks.ts';
import * as m0010 from './0010_downloads.ts';
import * as m0011 from './0011_imported_objects.ts';
import * as m0013 from './0013_upload_hashes.ts';
import * as m0014 from './0014_live.ts';
import * as m0015 from './0015_live_room.ts';
import * as m0016 from './0016_qoe.ts';
import * as m0017 from './0017_backups_lifecycle.ts';
import * as m0018 from './0018_usage.ts';
import * as m0019 from './0019_user_locale.ts';
import * as m0020 from './0020_job_crashes.ts';

/** Every migration, in order. Names sort the way they run; released ones are never edited. */
export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_shared_uploads': m0002,
  '0003_access': m0003,
  '0004_accounts': m0004,
  '0005_webhooks': m0005,
  '0006_worker_nodes': m0006,
  '0007_notifications': m0007,
  '0008_image_batches': m0008,
  '0009_asset_tracks': m0009,
  '0010_downloads': m0010,
  '0011_imported_objects': m0011,
  '0013_upload_hashes': m0013,
  '0014_live': m0014,
  '0015_live_room': m0015,
  '0016_qoe': m0016,
  '0017_backups_lifecycle': m0017,
  '0018_usage': m0018,
  '0019_user_locale': m0019,
  '0020_job_crashes': m0020,
};
