/**
 * What `GET /healthz` of `smartlic serve` / `smartlic start` answers: the database reachable
 * (the file still there and a query answered), the last sync of every account, and whether each
 * chat adapter that runs can reach its platform. Healthy = database reachable and every
 * running adapter up; a failed sync is reported but does not make the process unhealthy (a
 * CSSM outage is not cured by restarting smartlic; the `sync-failures` alert covers it).
 */
import { existsSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../store/schema.ts';
import type { Repositories } from '../store/index.ts';
import { isMemoryPath, isPostgresUrl } from '../store/index.ts';
import type { LeadershipStatus } from './leadership.ts';

export type AdapterProbe = () => Promise<boolean>;

export interface HealthReport {
  ok: boolean;
  status: 200 | 503;
  at: string;
  role: string;
  db: { ok: boolean; path: string; error?: string };
  adapters: Record<string, 'up' | 'down'>;
  accounts: {
    domain: string;
    source: string;
    lastSyncAt: string | null;
    lastSyncStatus: string | null;
  }[];
  problems: string[];
  /**
   * Which instance leads and since when (several instances on one database): this instance's
   * id, whether it leads, and the leader as the database records it.
   */
  leader?: {
    election: string;
    instance: string;
    leader: boolean;
    epoch: number | null;
    since: string | null;
    current: { instance: string; epoch: number; since: string; heartbeatAt: string } | null;
  };
}

export async function instanceHealth(o: {
  db: Kysely<Database>;
  dbPath: string;
  repos: Repositories;
  clock: Clock;
  role: string;
  adapters: Record<string, AdapterProbe>;
  leader?: () => Promise<LeadershipStatus>;
}): Promise<HealthReport> {
  const problems: string[] = [];
  let dbOk = true;
  let dbError: string | undefined;
  let accounts: HealthReport['accounts'] = [];
  // A PostgreSQL store (dbPath is then its URL, password redacted) has no file to lose.
  if (!isMemoryPath(o.dbPath) && !isPostgresUrl(o.dbPath) && !existsSync(o.dbPath)) {
    dbOk = false;
    dbError = 'the database file is gone (what is written now would be lost)';
  } else {
    try {
      await sql`select 1 as one`.execute(o.db);
      accounts = (await o.repos.smartAccounts.list()).map((a) => ({
        domain: a.domain,
        source: a.source,
        lastSyncAt: a.lastSyncAt?.toISOString() ?? null,
        lastSyncStatus: a.lastSyncStatus,
      }));
    } catch (e) {
      dbOk = false;
      dbError = e instanceof Error ? e.message : String(e);
    }
  }
  if (!dbOk) problems.push(`database ${o.dbPath}: ${dbError ?? 'unreachable'}`);
  const adapters: HealthReport['adapters'] = {};
  await Promise.all(
    Object.entries(o.adapters).map(async ([name, probe]) => {
      let up = false;
      try {
        up = await probe();
      } catch {
        up = false;
      }
      adapters[name] = up ? 'up' : 'down';
      if (!up) problems.push(`${name}: the platform cannot be reached with the configured token`);
    }),
  );
  let leader: HealthReport['leader'];
  if (o.leader && dbOk) {
    try {
      const l = await o.leader();
      leader = {
        election: l.election,
        instance: l.instanceId,
        leader: l.leader,
        epoch: l.epoch,
        since: l.since?.toISOString() ?? null,
        current: l.current && {
          instance: l.current.holder,
          epoch: l.current.epoch,
          since: l.current.since.toISOString(),
          heartbeatAt: l.current.heartbeatAt.toISOString(),
        },
      };
    } catch {
      // Not a health problem of its own: the database check says whether the store answers.
      leader = undefined;
    }
  }
  const ok = problems.length === 0;
  return {
    ok,
    status: ok ? 200 : 503,
    at: o.clock.now().toISOString(),
    role: o.role,
    db: { ok: dbOk, path: o.dbPath, ...(dbError ? { error: dbError } : {}) },
    adapters,
    accounts,
    problems,
    ...(leader ? { leader } : {}),
  };
}
