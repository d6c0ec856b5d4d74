// `smartlic db copy`: a SQLite database moved into PostgreSQL (core/store/copy.ts).
// Real: the emulator over loopback HTTP, the real provision and sync writing a SQLite temp file
// (accounts with encrypted client secrets, clusters with encrypted admin passwords, usage,
// alerts, jobs), PostgreSQL at SMARTLIC_TEST_PG (a database of this test's own), kysely, pg.
// Faked: the smartlic clock (TestClock, as in sync-fixture.ts). Skipped without SMARTLIC_TEST_PG
// (the file says so).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copySqliteToPostgres,
  createRepositories,
  openPostgres,
  verifySecretKey,
  type PostgresHandle,
} from '../../core/store/index.ts';
import { extraTestDatabaseUrl, storeKinds } from '../support/pg.ts';
import { provisionCloud, seedClusters, setup, type Fixture } from './sync-fixture.ts';

const hasPg = storeKinds().includes('postgres');

describe.skipIf(!hasPg)('db copy: SQLite into PostgreSQL', () => {
  let fx: Fixture;
  let pg: PostgresHandle;

  beforeAll(async () => {
    fx = await setup();
    const p = await provisionCloud(fx);
    await seedClusters(fx);
    const o = await fx.services.sync.syncAccount(p.account.id, { requestedBy: 'test' });
    expect(o.status).toBe('Completed');
    pg = await openPostgres({ url: await extraTestDatabaseUrl('copy'), clock: fx.clock });
  }, 60_000);

  afterAll(async () => {
    await pg?.close();
    await fx?.close();
  });

  const source = () => {
    if (fx.h.kind !== 'sqlite') throw new Error('the fixture is SQLite');
    return { db: fx.h.db, sqlite: fx.h.sqlite, path: fx.dbPath };
  };

  it('copies every table, counts equal, and the same key decrypts a secret there', async () => {
    // What every command does on first use: the key check is stored (encrypted) in settings.
    expect(await verifySecretKey(fx.h.db, fx.secrets, fx.clock)).toBe('recorded');
    const r = await copySqliteToPostgres(source(), { db: pg.db, path: pg.path });
    const by = new Map(r.tables.map((t) => [t.table, t.rows]));
    // Counted by hand from the SQLite side, independently of the copy's own check.
    for (const t of ['smart_accounts', 'virtual_accounts', 'licenses', 'clusters', 'jobs']) {
      const n = (source().sqlite.prepare(`select count(*) as n from ${t}`).get() as { n: number })
        .n;
      expect(n, t).toBeGreaterThan(0);
      expect(by.get(t), t).toBe(n);
    }
    expect(await verifySecretKey(pg.db, fx.secrets, fx.clock)).toBe('ok');
    const repos = createRepositories(pg.db, fx.secrets, fx.clock);
    const account = (await fx.repos.smartAccounts.list())[0]!;
    expect(await repos.smartAccounts.getCredentials(account.id)).toEqual(
      await fx.repos.smartAccounts.getCredentials(account.id),
    );
    // Ids continue after the copied ones.
    const job = await repos.jobs.create({
      jobType: 'Sync',
      entityType: 'Smart Account',
      entityName: 'x',
    });
    const maxJob = Math.max(...(await fx.repos.jobs.list({ limit: 1000 })).map((j) => j.id));
    expect(job.id).toBeGreaterThan(maxJob);
  });

  it('refuses a target that holds data, and --replace copies again', async () => {
    // A target of its own, filled by a first copy here (not by the test before).
    const target = await openPostgres({
      url: await extraTestDatabaseUrl('copy_full'),
      clock: fx.clock,
    });
    try {
      await copySqliteToPostgres(source(), { db: target.db, path: target.path });
      await expect(
        copySqliteToPostgres(source(), { db: target.db, path: target.path }),
      ).rejects.toMatchObject({ code: 'DB_NOT_EMPTY' });
      const r = await copySqliteToPostgres(
        source(),
        { db: target.db, path: target.path },
        { replace: true },
      );
      const jobs = r.tables.find((t) => t.table === 'jobs')!.rows;
      expect(jobs).toBe((await fx.repos.jobs.list({ limit: 1000 })).length);
    } finally {
      await target.close();
    }
  });
});
