import type { Kysely } from 'kysely';

/**
 * A worker killed mid-job (SIGKILL, out of memory, a node going away) is not the job's fault, but
 * its lease expiring looks the same to the queue as a job that crashes its process. `crashes`
 * counts the attempts that ended that way; the first `crash_allowance` of them do not use up an
 * attempt (0, the default, keeps SQS's rule: every receive counts). Long media jobs set an
 * allowance, so a batch survives workers being killed under it; a job that keeps killing its
 * worker still reaches the dead-letter list, after its allowance and its attempts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('jobs')
    .addColumn('crashes', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('jobs')
    .addColumn('crash_allowance', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
