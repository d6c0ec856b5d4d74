// Real: a PostgreSQL server (SMARTLIC_TEST_PG, e.g. postgres://postgres@127.0.0.1:55433/postgres),
// a fresh database created on it for this file and dropped after; kysely's PostgresDialect over
// pg pools; the advisory-lock election on dedicated pg.Client sessions; a session ended by the
// server (pg_terminate_backend) standing for a leader whose process or network died.
// Faked: nothing; the election's heartbeat timer is replaced by calling tick() by hand.
// Covers core/services/leadership-advisory.ts and leader-leases.repository.ts on PostgreSQL.
import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.ts';
import { createLogger } from '../../core/log.ts';
import { AdvisoryLeadership } from '../../core/services/leadership-advisory.ts';
import { LEADERSHIP, LeaseLeadership } from '../../core/services/leadership.ts';
import { createLeaderLeases } from '../../core/store/migrations/0015-leader-lease.ts';
import { LeaderLeasesRepository, type Database } from '../../core/store/index.ts';

const PG = process.env.SMARTLIC_TEST_PG;
const dbName = `smartlic_leader_${randomUUID().slice(0, 8)}`;
const quiet = createLogger({ level: 'silent' });
let url = '';
const opened: Kysely<Database>[] = [];

function kysely(): Kysely<Database> {
  const k = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
  });
  opened.push(k);
  return k;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe.skipIf(!PG)(
  `leadership on PostgreSQL${PG ? '' : ' (skipped: SMARTLIC_TEST_PG is not set)'}`,
  () => {
    beforeAll(async () => {
      await admin((c) => c.query(`create database ${dbName}`));
      const u = new URL(PG!);
      u.pathname = `/${dbName}`;
      url = u.toString();
      await createLeaderLeases(kysely() as unknown as Kysely<unknown>);
    });
    afterAll(async () => {
      for (const k of opened) await k.destroy();
      if (PG) await admin((c) => c.query(`drop database if exists ${dbName} with (force)`));
    });

    it('advisory lock: one leads; its session ends, the other wins with the next epoch; the stale fence is refused', async () => {
      const mk = (id: string) =>
        new AdvisoryLeadership({
          instanceId: id,
          connectionString: url,
          leases: new LeaderLeasesRepository(kysely(), undefined, systemClock),
          clock: systemClock,
          logger: quiet,
          heartbeatMs: 1000,
          ttlMs: 3000,
        });
      const a = mk('alpha');
      const b = mk('beta');
      try {
        await a.tick();
        await b.tick();
        expect(a.isLeader()).toBe(true);
        expect(b.isLeader()).toBe(false);
        const fenceA = a.fence()!;
        const db = kysely();
        await db.transaction().execute((trx) => fenceA.check(trx));

        // The server ends alpha's lock session (a dead process, a cut network).
        await admin((c) =>
          c.query(
            "select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'smartlic-leader alpha%'",
          ),
        );
        for (let i = 0; i < 20 && a.isLeader(); i++) {
          await new Promise((r) => setTimeout(r, 50));
          await a.tick();
        }
        expect(a.isLeader()).toBe(false);
        // pg_terminate_backend only signals: the lock is free once that backend has exited, a
        // moment later on a loaded machine, so beta tries as its heartbeat would.
        for (let i = 0; i < 40 && !b.isLeader(); i++) {
          await b.tick();
          if (!b.isLeader()) await new Promise((r) => setTimeout(r, 50));
        }
        expect(b.isLeader()).toBe(true);
        expect(b.fence()!.epoch).toBe(fenceA.epoch + 1);
        // alpha's late write, with its old epoch, is refused inside the transaction.
        const err = await db
          .transaction()
          .execute((trx) => fenceA.check(trx))
          .then(
            () => undefined,
            (e: unknown) => e as { code?: string },
          );
        expect(err?.code).toBe('FENCED');
        // alpha tries again: the lock is beta's.
        await a.tick();
        expect(a.isLeader()).toBe(false);
        expect((await b.status()).current).toMatchObject({ holder: 'beta' });
      } finally {
        await a.stop();
        await b.stop();
      }
    });

    it('lease row on PostgreSQL: acquire, expire, take over', async () => {
      const mk = (id: string) =>
        new LeaseLeadership({
          instanceId: id,
          leases: new LeaderLeasesRepository(kysely(), undefined, systemClock),
          clock: systemClock,
          logger: quiet,
          ttlMs: 600,
          heartbeatMs: 200,
        });
      const repo = new LeaderLeasesRepository(kysely(), undefined, systemClock);
      // The lease row is free to take: beta's, when the advisory test ran before, is released
      // (alone, there is none yet).
      const held = await repo.read(LEADERSHIP);
      if (held) await repo.release(LEADERSHIP, held.holder, held.epoch);
      const one = mk('one');
      const two = mk('two');
      await one.tick();
      await two.tick();
      expect(one.isLeader()).toBe(true);
      expect(two.isLeader()).toBe(false);
      const e = one.fence()!.epoch;
      await new Promise((r) => setTimeout(r, 700));
      await two.tick();
      expect(two.isLeader()).toBe(true);
      expect(two.fence()!.epoch).toBe(e + 1);
      await one.tick();
      expect(one.isLeader()).toBe(false);
      await two.stop();
    });
  },
);
