// The rebalance planner's inputs for one smart account (what an alert evaluation after that
// account's sync reads) are the whole estate's inputs for that account's VAs: reading only the
// account's clusters changes nothing of its plan, and a full sync no longer reads every cluster
// once per account (issue 23: cost growing with the square of the estate).
// Real: the emulator (demo scenario, frozen clock) on loopback, a temp SQLite file with the real
// migrations, provisioning of every account the lab offers, its smart-licensed clusters stored,
// a real full sync. Faked: nothing.
// Covers core/reports/rebalance.ts (rebalanceInputs) and core/reports/whatif.ts (clusterDemand).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebalanceInputs } from '../../core/reports/index.ts';
import { provisionAll } from '../bench/scale-lab.ts';
import { seedClusters, setup, type Fixture } from './sync-fixture.ts';

describe('rebalance inputs of one smart account', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await setup();
    await provisionAll(fx);
    await seedClusters(fx);
    const synced = await fx.services.sync.syncAll({ requestedBy: 'test', full: true });
    expect(synced.filter((o) => o.status === 'Failed')).toEqual([]);
  }, 60_000);
  afterAll(() => fx.close());

  it('equal the whole estate’s inputs for that account’s VAs, every cloud account', async () => {
    const now = fx.clock.now();
    const whole = await rebalanceInputs(fx.h.db, { now });
    const cloud = (await fx.repos.smartAccounts.list()).filter((a) => a.source === 'cssm');
    expect(cloud.length).toBeGreaterThan(1);
    let requests = 0;
    for (const sa of cloud) {
      const mine = await rebalanceInputs(fx.h.db, { now, smartAccountId: sa.id });
      const vaIds = new Set(
        (await fx.repos.virtualAccounts.listBySmartAccount(sa.id)).map((v) => v.id),
      );
      expect(mine.vas.map((v) => v.id).sort()).toEqual([...vaIds].sort());
      expect(mine.vas).toEqual(whole.vas.filter((v) => vaIds.has(v.id)));
      requests += mine.vas.reduce((n, v) => n + v.requests.length, 0);
    }
    // Not vacuous: the lab's clusters do ask for licenses.
    expect(requests).toBeGreaterThan(0);
  });
});
