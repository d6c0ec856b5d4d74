// Alert scope and concurrency (issue 9): two accounts syncing at once never lose or duplicate an
// alert, one account's sync never resolves another's, and the account-level rules (sync failing,
// job failed) follow what CSSM and the products answer.
// Real: the emulator over loopback HTTP with its fault injection, SQLite in a temp file, every
// service. Faked: time (a TestClock kept equal to the emulator's frozen clock).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../core/services/alert-events.ts';
import {
  provisionCloud,
  provisionSatellite,
  seedClusters,
  setup,
  type Fixture,
} from './sync-fixture.ts';

let fx: Fixture;
const events: AlertEvent[] = [];
const HCS = 'nimbus-hcs.example.com';
const EU = 'nimbus-eu.example.com';

beforeAll(async () => {
  fx = await setup({
    config: {
      sync: { accountConcurrency: 4 },
      alerts: { syncStaleHours: 72 },
      http: { maxRetries: 0 },
    },
  });
  fx.services.alerts.events.subscribe((e) => void events.push(e), { includeMuted: true });
  await provisionCloud(fx, 0);
  await provisionCloud(fx, 1);
  await provisionSatellite(fx, 'la-initech');
  await provisionSatellite(fx, 'la-umbrella');
  await fx.services.sync.syncAll({ requestedBy: 'test' });
  await seedClusters(fx);
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

/** dedupe key → alert id of every open alert. */
async function openKeys(): Promise<Map<string, number>> {
  return new Map((await fx.services.alerts.list()).map((a) => [a.dedupeKey, a.id]));
}

describe('two accounts syncing at once', () => {
  it('every round leaves exactly what a quiet evaluation finds, each key once', async () => {
    for (const days of [0, 12, 20, 40]) {
      if (days) await fx.advanceDays(days);
      // Four accounts at once, and the same two again while they run (joined syncs).
      const runs = await Promise.all([
        fx.services.sync.syncAll({ requestedBy: 'test' }),
        fx.services.sync.syncAccount(HCS, { requestedBy: 'test' }),
        fx.services.sync.syncAccount(EU, { requestedBy: 'test' }),
      ]);
      expect(runs.flat().every((o) => o.status === 'Completed')).toBe(true);
      const after = await openKeys();
      // A later evaluation with nothing running finds nothing to open or resolve: nothing was
      // lost and nothing left over by the concurrent ones.
      const quiet = await fx.services.alerts.evaluateAll();
      expect(quiet.reduce((n, e) => n + e.opened + e.resolved, 0)).toBe(0);
      expect(await openKeys()).toEqual(after);
      // One row per key, ever.
      const rows = await fx.h.db.selectFrom('alerts').select('dedupe_key').execute();
      expect(new Set(rows.map((r) => r.dedupe_key)).size).toBe(rows.length);
    }
    // Each key opened once (nothing resolved and reopened in this run).
    const opened = events.filter((e) => e.kind === 'opened').map((e) => e.alert.dedupeKey);
    expect(new Set(opened).size).toBe(opened.length);
    expect(events.filter((e) => e.kind === 'opened' && e.reopened)).toEqual([]);
  });

  it("one account's sync never resolves another's alerts", async () => {
    const before = await fx.services.alerts.list();
    const eu = before.filter((a) => a.scope !== 'sa:1' && a.scope !== 'global');
    expect(eu.length).toBeGreaterThan(0);
    // nimbus-hcs's clusters all healthy now? No matter: its sync evaluates only its scope.
    await fx.advanceDays(1);
    await fx.services.sync.syncAccount(HCS, { requestedBy: 'test' });
    for (const a of eu) {
      const now = await fx.services.alerts.get(a.id);
      expect(now).toMatchObject({
        state: 'open',
        lastSeen: a.lastSeen,
        evaluations: a.evaluations,
      });
    }
  });
});

describe('account rules', () => {
  it('sync failing: three in a row is a warning, past the stale limit critical, then it resolves', async () => {
    await fx.faults({ unreachable: { cloud: true } });
    for (let i = 0; i < 3; i++) {
      const o = await fx.services.sync.syncAccount(HCS, { requestedBy: 'test' });
      expect(o.status).toBe('Failed');
    }
    let [a] = await fx.services.alerts.list({ rule: 'sync-failing' });
    expect(a).toMatchObject({
      severity: 'warning',
      title: `3 syncs of ${HCS} failed in a row`,
      entity: { kind: 'SA', name: HCS },
      facts: { consecutiveFailures: 3 },
    });
    expect(a!.action).toBeTruthy();
    // The other cloud account did not sync: nothing about it.
    expect((await fx.services.alerts.list({ rule: 'sync-failing' })).length).toBe(1);

    await fx.advanceDays(4); // > 72 h since the last success
    await fx.services.sync.syncAccount(HCS, { requestedBy: 'test' });
    [a] = await fx.services.alerts.list({ rule: 'sync-failing' });
    expect(a).toMatchObject({ severity: 'critical' });
    expect(a!.title).toMatch(
      new RegExp(
        `^No successful sync of ${HCS.replace(/\./g, '\\.')} for 4 days \\(4 failed syncs\\)$`,
      ),
    );

    await fx.faults(null);
    const ok = await fx.services.sync.syncAccount(HCS, { requestedBy: 'test' });
    expect(ok.status).toBe('Completed');
    expect(await fx.services.alerts.list({ rule: 'sync-failing' })).toEqual([]);
  });

  it('job failed: a registration that cannot reach CSSM, until one succeeds', async () => {
    // stark-cucm-01, added and registered by hand while the product cannot reach CSSM.
    const st = await fx.state();
    const sc = st.clusters.find((c) => c.name === 'stark-cucm-01')!;
    await fx.services.clusters.add({
      customer: 'Stark Industries',
      name: sc.name,
      type: sc.type,
      version: sc.version,
      publisherAddress: sc.baseUrl!,
      adminUsername: sc.credentials.username,
      adminPassword: sc.credentials.password,
      requestedBy: 'test',
    });
    // The lab's license mode of the VA (as `start` sets it from the scenario).
    const sa = (await fx.repos.smartAccounts.getByDomain(HCS))!;
    const va = (await fx.repos.virtualAccounts.getByName(sa.id, 'va-hcs-operational'))!;
    await fx.repos.virtualAccounts.setLicenseMode(va.id, 'HCS');
    await fx.faults({ cutoff: ['stark-cucm-01'] });
    await expect(
      fx.services.clusters.register({
        cluster: 'stark-cucm-01',
        va: `${HCS}/va-hcs-operational`,
        requestedBy: 'test',
      }),
    ).rejects.toThrow();
    await fx.services.sync.syncAccount(HCS, { requestedBy: 'test' });
    const [a] = await fx.services.alerts.list({ rule: 'job-failed' });
    expect(a).toMatchObject({
      severity: 'warning',
      entity: { kind: 'cluster', name: 'stark-cucm-01' },
      customer: { name: 'Stark Industries' },
      facts: { jobType: 'Register Cluster' },
    });
    expect(a!.title).toMatch(/^Registration of stark-cucm-01 failed/);

    await fx.faults(null);
    await fx.services.clusters.register({ cluster: 'stark-cucm-01', requestedBy: 'test' });
    await fx.services.sync.syncAccount(HCS, { requestedBy: 'test' });
    expect(await fx.services.alerts.list({ rule: 'job-failed' })).toEqual([]);
  });
});
