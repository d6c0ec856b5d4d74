/**
 * What the site's data depends on, as one string that changes when a sync, an alert
 * evaluation or a job wrote something: a host rebuilds the site when it changes, whichever
 * process (scheduler, chat worker, another terminal) did the writing.
 */
import { sql } from 'kysely';
import type { ReportDb } from './common.ts';

export async function dataFingerprint(db: ReportDb): Promise<string> {
  const r = await sql<{
    syncs: string | null;
    alerts: string | null;
    resolved: string | null;
    alertCount: number;
    jobs: string | null;
    jobCount: number;
  }>`SELECT
      (SELECT max(last_sync_at) FROM smart_accounts) AS syncs,
      (SELECT max(last_seen) FROM alerts) AS alerts,
      (SELECT max(resolved_at) FROM alerts) AS resolved,
      (SELECT count(*) FROM alerts) AS "alertCount",
      (SELECT max(completed_at) FROM jobs) AS jobs,
      (SELECT count(*) FROM jobs) AS "jobCount"`.execute(db);
  const row = r.rows[0];
  return row ? JSON.stringify(row) : '';
}
