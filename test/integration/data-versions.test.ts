// What tells the site build that an account's or a cluster's data changed without reading it
// (issue 23): each account's data version moves when a sync wrote data or records a result
// that differs; a cluster's stamp moves with a write to its row, a job or a node;
// clusterDetails reads only the clusters asked for, the same details as the whole read.
// Real: SQLite (in-memory, migrated to the latest schema) and, when SMARTLIC_TEST_PG is set,
// PostgreSQL (test/support/pg.ts); the repositories, reports.dataVersions and
// reports.clusterDetails. Faked: the clock (TestClock, moved by hand).
// Covers core/reports/data-versions.ts, core/reports/clusters.ts (clusterDetails `ids`),
// core/store/repositories/smart-accounts.repository.ts (updateSyncStatus), migration 0018.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import * as reports from '../../core/reports/index.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  type Repositories,
  type StoreHandle,
} from '../../core/store/index.ts';
import { openTestStore, storeKinds } from '../support/pg.ts';

const T0 = new Date('2026-03-01T10:00:00Z');
describe.each(storeKinds())('data versions (%s)', (kind) => {
  let h: StoreHandle;
  let repos: Repositories;
  let clock: TestClock;
  let saId: number;
  const clusterIds: number[] = [];

  beforeEach(async () => {
    clock = new TestClock(T0);
    h = await openTestStore(kind, { path: ':memory:', clock });
    await migrateToLatest(h.db);
    repos = createRepositories(h.db, SecretBox.random(), clock);
    const sa = await repos.smartAccounts.upsert({
      domain: 'acme.example',
      name: 'Acme',
      type: 'HOLDING',
      status: 'Active',
      source: 'cssm',
      transportMode: 'Direct',
    });
    saId = sa.id;
    const va = await repos.virtualAccounts.upsert(sa.id, { name: 'ops' });
    const customer = await repos.customers.upsert({ name: 'Globex' });
    clusterIds.length = 0;
    for (const n of ['a', 'b', 'c']) {
      const c = await repos.clusters.upsert({
        customerId: customer.id,
        name: `globex-${n}`,
        type: 'CUCM',
        version: '15.0',
        publisherAddress: `https://globex-${n}.example.com`,
      });
      await repos.clusters.assign(c.id, va.id);
      clusterIds.push(c.id);
    }
  });

  afterEach(async () => {
    await h.close();
  });

  it('moves an account version with each recorded sync, and a cluster stamp with its own writes', async () => {
    const v0 = await reports.dataVersions(h.db);
    expect(v0.accounts.get(saId)).toBe(0);
    expect([...v0.clusters.keys()].sort()).toEqual([...clusterIds].sort());

    clock.advance({ ms: 60_000 });
    await repos.smartAccounts.updateSyncStatus(saId, { at: clock.now(), status: 'Success' });
    await repos.smartAccounts.updateSyncStatus(saId, {
      at: clock.now(),
      status: 'Failed',
      error: 'CSSM1011',
    });
    const v1 = await reports.dataVersions(h.db);
    expect(v1.accounts.get(saId)).toBe(2);
    // The same result again, with nothing written, reads the same: the version stays; a result
    // that differs, or data written (`dataChanged`), moves it.
    await repos.smartAccounts.updateSyncStatus(saId, {
      at: clock.now(),
      status: 'Failed',
      error: 'CSSM1011',
    });
    expect((await reports.dataVersions(h.db)).accounts.get(saId)).toBe(2);
    await repos.smartAccounts.updateSyncStatus(saId, { at: clock.now(), status: 'Success' });
    await repos.smartAccounts.updateSyncStatus(saId, { at: clock.now(), status: 'Success' });
    expect((await reports.dataVersions(h.db)).accounts.get(saId)).toBe(3);
    await repos.smartAccounts.updateSyncStatus(saId, {
      at: clock.now(),
      status: 'Success',
      dataChanged: true,
    });
    expect((await reports.dataVersions(h.db)).accounts.get(saId)).toBe(4);
    // A sync's record moves no cluster's stamp: the account's version vouches for those.
    expect(v1.clusters).toEqual(v0.clusters);

    // A job for one cluster, a change to another's row, new nodes of the third: each stamp
    // moves.
    const [a, b, c] = clusterIds as [number, number, number];
    await repos.jobs.create({
      jobType: 'Register',
      entityType: 'Cluster',
      entityName: 'x',
      entityId: a,
    });
    clock.advance({ ms: 60_000 });
    await repos.clusters.upsert({
      customerId: (await repos.customers.list())[0]!.id,
      name: 'globex-b',
      type: 'CUCM',
      version: '15.1',
      publisherAddress: 'https://globex-b.example.com',
    });
    const v2 = await reports.dataVersions(h.db);
    expect(v2.clusters.get(a)).not.toBe(v1.clusters.get(a));
    expect(v2.clusters.get(b)).not.toBe(v1.clusters.get(b));
    expect(v2.clusters.get(c)).toBe(v1.clusters.get(c));
    await repos.clusters.replaceNodes(c, [
      { hostname: 'pub', address: '10.0.0.1', role: 'publisher' },
    ]);
    const v3 = await reports.dataVersions(h.db);
    expect(v3.clusters.get(c)).not.toBe(v2.clusters.get(c));
    expect(v3.clusters.get(a)).toBe(v2.clusters.get(a));
  });

  it('reads the details of the clusters asked for, the same as the whole read', async () => {
    const now = clock.now();
    const all = await reports.clusterDetails(h.db, { now });
    const [a, , c] = clusterIds as [number, number, number];
    const some = await reports.clusterDetails(h.db, { now, ids: [c, a] });
    expect(some).toEqual(all.filter((d) => d.id === a || d.id === c));
    expect(await reports.clusterDetails(h.db, { now, ids: [] })).toEqual([]);
  });
});
