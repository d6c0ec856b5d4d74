// Scoped chat asks read only their scope and agree with the whole-estate answer filtered
// (issue 23; core/reports/overview.ts customerStatus / statusOverview with a customer,
// core/reports/compliance.ts complianceRows, clusterSummary's SQL filters, the `status
// <customer>` handler in bot/commands/handlers/reads.ts).
// Real: the emulator's demo estate over loopback HTTP, provisioning and a full sync by the real
// services into a real SQLite temp file (open alerts, failed and healthy clusters, several
// customers and VAs), the read models, the command layer with its real handlers.
// Faked: nothing; the clock is the fixture's TestClock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandLayer, defaultRegistry, type Actor } from '../../bot/commands/index.ts';
import { silentLogger } from '../../core/log.ts';
import * as reports from '../../core/reports/index.ts';
import {
  provisionCloud,
  provisionSatellite,
  seedClusters,
  setup,
  type Fixture,
} from './sync-fixture.ts';

const viewer: Actor = { platform: 'slack', userId: 'USCOPE', channelId: 'CSCOPE' };

describe('scoped asks agree with the whole estate', () => {
  let fx: Fixture;
  let layer: CommandLayer;

  beforeAll(async () => {
    fx = await setup();
    await provisionCloud(fx, 0);
    await provisionCloud(fx, 1);
    await provisionSatellite(fx, 'la-initech');
    await seedClusters(fx);
    await fx.services.sync.syncAll({ requestedBy: 'test', full: true });
    layer = new CommandLayer(
      {
        db: fx.h.db,
        services: fx.services,
        repos: fx.repos,
        clock: fx.clock,
        logger: silentLogger,
        config: fx.config,
      },
      defaultRegistry(),
    );
  }, 120_000);

  afterAll(async () => {
    await fx?.close();
  });

  it('status <customer>: the whole-estate status and compliance row, filtered, for every customer', async () => {
    const db = fx.h.db;
    const now = fx.clock.now();
    const whole = await reports.clusterSummary(db, { now });
    const overview = await reports.complianceOverview(db, { now });
    const customers = await fx.repos.customers.list();
    expect(customers.length).toBeGreaterThan(1);
    // The estate has something to count: failures and open alerts somewhere.
    const all = await reports.statusOverview(db, { now });
    expect(all.clusters.failed + all.openAlerts).toBeGreaterThan(0);
    let withAlerts = 0;
    for (const c of customers) {
      const scoped = await reports.customerStatus(db, { now, customerId: c.id });
      // The former way: every cluster of the estate computed, then filtered.
      const filtered = await reports.statusOverview(db, {
        now,
        customerId: c.id,
        clusters: whole,
      });
      expect(scoped.status, c.name).toEqual(filtered);
      expect(scoped.compliance, c.name).toEqual(overview.customers.find((r) => r.name === c.name));
      expect(await reports.statusOverview(db, { now, customerId: c.id })).toEqual(filtered);
      if (scoped.status.openAlerts > 0) withAlerts++;
    }
    expect(withAlerts).toBeGreaterThan(0);
  });

  it('clusters --customer and --va: the whole-estate rows of that scope, in order', async () => {
    const db = fx.h.db;
    const now = fx.clock.now();
    const whole = await reports.clusterSummary(db, { now });
    for (const c of await fx.repos.customers.list()) {
      const rows = await reports.clusterSummary(db, { now, filter: { customerId: c.id } });
      expect(rows).toEqual(whole.filter((r) => r.customerId === c.id));
    }
    const vaIds = [...new Set(whole.map((r) => r.virtualAccountId))].filter(
      (id): id is number => id !== null,
    );
    expect(vaIds.length).toBeGreaterThan(1);
    for (const id of vaIds) {
      const rows = await reports.clusterSummary(db, { now, filter: { virtualAccountId: id } });
      expect(rows).toEqual(whole.filter((r) => r.virtualAccountId === id));
    }
  });

  it('the `status <customer>` reply shows the scoped figures', async () => {
    const now = fx.clock.now();
    const c = (await fx.repos.customers.list())[0]!;
    const { status, compliance } = await reports.customerStatus(fx.h.db, {
      now,
      customerId: c.id,
    });
    const o = await layer.execute(`status "${c.name}"`, viewer);
    expect(o.reply.status).toBe('ok');
    expect(o.reply.title).toBe(status.verdict);
    const text = JSON.stringify(o.reply.blocks);
    expect(text).toContain(
      `${status.clusters.total} (${status.clusters.inTrouble} in trouble, ${status.clusters.failed} failed`,
    );
    expect(text).toContain(JSON.stringify(compliance?.compliance ?? 'no clusters'));
  });
});
