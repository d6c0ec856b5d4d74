// An account's data version (smart_accounts.data_version, what the site's incremental build
// trusts) moves only when a sync wrote something a page or read model shows (issue 23): two
// syncs with nothing changed leave it alone; a changed license, a cluster's status read, a
// failure and the recovery from it move it.
// Real: the emulator over loopback HTTP (its admin API changes what CSSM and a publisher
// answer, its fault set makes CSSM unreachable), SQLite in a temp file, every service.
// Faked: time (a TestClock kept equal to the emulator's frozen clock; moved alone where the test
// says so).
// Covers core/services/sync-persist.ts (what counts as shown), core/services/sync.service.ts
// (a failed sync's record) and core/store/repositories/smart-accounts.repository.ts
// (updateSyncStatus `dataChanged`, a status or error that differs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionCloud, seedClusters, setup, type Fixture } from './sync-fixture.ts';

let fx: Fixture;
let domain: string;
let accountId: number;

beforeAll(async () => {
  fx = await setup({ config: { http: { maxRetries: 0 } } });
  const p = await provisionCloud(fx, 0);
  domain = p.account.domain;
  accountId = p.account.id;
  await fx.services.sync.syncAll({ requestedBy: 'test' });
  await seedClusters(fx);
  await fx.services.sync.syncAll({ requestedBy: 'test', full: true });
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

async function version(): Promise<number> {
  const r = await fx.h.db
    .selectFrom('smart_accounts')
    .select('data_version')
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(r.data_version);
}

const sync = () => fx.services.sync.syncAccount(domain, { requestedBy: 'test' });

describe('data version of an account', () => {
  it('stays put over two syncs with nothing changed, while "last synced" moves', async () => {
    const v0 = await version();
    expect(v0).toBeGreaterThan(0);
    for (let i = 0; i < 2; i++) {
      fx.clock.advance({ minutes: 5 });
      const o = await sync();
      expect(o.status).toBe('Completed');
      expect(o.changed).toBe(false);
      expect(o.counts.clustersRead).toBe(0);
      const sa = await fx.repos.smartAccounts.getById(accountId);
      expect(sa?.lastSyncAt?.getTime()).toBe(fx.clock.now().getTime());
    }
    expect(await version()).toBe(v0);
  });

  it('moves when CSSM answers with a changed license', async () => {
    const st = await fx.state();
    const cluster = st.clusters.find(
      (c) => c.pool?.via === 'cloud' && c.pool.smartAccount === domain,
    );
    expect(cluster).toBeDefined();
    const v0 = await version();
    await fx.admin(`clusters/${cluster!.name}`, { demand: { UCM_Enhanced: 9 } }, 'PATCH');
    const o = await sync();
    expect(o.changed).toBe(true);
    expect(await version()).toBe(v0 + 1);
    // And settles again once the change is stored.
    const again = await sync();
    expect(again.changed).toBe(false);
    expect(await version()).toBe(v0 + 1);
  });

  it('moves when a cluster status read is due and written, CSSM unchanged', async () => {
    const v0 = await version();
    // Past the 6-hour status age, within the day of the deep read: clusters are read,
    // tokens and devices are not.
    fx.clock.advance({ hours: 7 });
    const o = await sync();
    expect(o.status).toBe('Completed');
    expect(o.changed).toBe(false);
    expect(o.skipped).toContain('tokens');
    expect(o.counts.clustersRead).toBeGreaterThan(0);
    expect(await version()).toBe(v0 + 1);
    fx.clock.advance({ minutes: 5 });
    expect((await sync()).counts.clustersRead).toBe(0);
    expect(await version()).toBe(v0 + 1);
  });

  it('moves when a sync fails, not again for the same failure, and again on recovery', async () => {
    const v0 = await version();
    await fx.faults({ unreachable: { cloud: true } });
    try {
      const o = await sync();
      expect(o.status).toBe('Failed');
      expect(await version()).toBe(v0 + 1);
      const sa = await fx.repos.smartAccounts.getById(accountId);
      expect(sa?.lastSyncStatus).toBe('Failed');
      // The same failure again reads the same on every page.
      const o2 = await sync();
      expect(o2.status).toBe('Failed');
      expect((await fx.repos.smartAccounts.getById(accountId))?.lastSyncError).toBe(
        sa?.lastSyncError,
      );
      expect(await version()).toBe(v0 + 1);
    } finally {
      await fx.faults(null);
    }
    // A sync after a failure re-reads everything (deep read) and records Success.
    const ok = await sync();
    expect(ok.status).toBe('Completed');
    expect(await version()).toBe(v0 + 2);
  });
});
