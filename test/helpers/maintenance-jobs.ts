/**
 * The jobs every worker schedules for itself (src/queue/periodic-job.ts and the bucket scan):
 * viewer-analytics upkeep, the bucket scan, the trash purge, the storage lifecycle, scheduled
 * backups, the usage storage walk and quota notices. Tests that compare the jobs a scenario made
 * leave them aside: a site runs them at times of its own.
 */
export function isMaintenanceJob(type: string): boolean {
  return (
    type.startsWith('qoe.') ||
    [
      'imports.scan',
      'assets.purge-trash',
      'storage.lifecycle',
      'backup.run',
      'usage.storage-walk',
      'quota.notices',
    ].includes(type)
  );
}
