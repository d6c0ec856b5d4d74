// Alerts against the emulator across clock advances (issue 9): the demo scenario, with one term
// line of va-acme ending on 2027-01-15, synced at its start (2026-11-28T12:00Z) and again 30,
// 60 and 91 days later. The expected alerts below are written by hand from the scenario (see
// the comment on each step); nothing is computed from the code under test.
// Real: the emulator over loopback HTTP (CSSM cloud, On-Prem, UC apps, its simulated clock),
// SQLite in a temp file and PostgreSQL when SMARTLIC_TEST_PG is set (test/support/pg.ts), every service (sync, auto-registration hook, alerts). Faked: time — a
// TestClock kept equal to the emulator's frozen clock; one cluster's publisher address is set to
// a closed port to make it unreadable.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../core/services/alert-events.ts';
import {
  provisionCloud,
  provisionSatellite,
  seedClusters,
  setup,
  type Fixture,
} from './sync-fixture.ts';
import { storeKinds } from '../support/pg.ts';

describe.each(storeKinds())('alerts against the emulator on %s', (kind) => {
  let fx: Fixture;
  let events: AlertEvent[] = [];
  let delivered: AlertEvent[] = [];
  let globexCucAddress = '';
  let scenarioDir = '';

  /** [rule, entity, severity, title] of every open alert, most severe first. */
  async function openAlerts() {
    return (await fx.services.alerts.list()).map(
      (a) => [a.rule, a.entity.name, a.severity, a.title] as const,
    );
  }

  /** Sorted for comparison: the store's order (severity, deadline) is checked elsewhere. */
  const sorted = <T extends readonly string[]>(xs: readonly T[]) =>
    [...xs].sort((a, b) => a.join('|').localeCompare(b.join('|')));

  /** `<kind> <rule> <entity> <severity>` of the events since the last call. */
  function takeEvents(): string[] {
    const out = events
      .filter((e) => e.kind !== 'changed' || e.changes.includes('severity'))
      .map((e) => `${e.kind} ${e.alert.rule} ${e.alert.entity.name} ${e.alert.severity}`)
      .sort();
    events = [];
    return out;
  }

  async function syncAll() {
    const out = await fx.services.sync.syncAll({ requestedBy: 'test' });
    for (const o of out)
      expect(o.status, `${o.domain}: ${o.error?.message ?? ''}`).toBe('Completed');
    return out;
  }

  const SAT_I = 'la-initech on 127.0.0.1';
  const SAT_U = 'la-umbrella on 127.0.0.1';
  const CUC_EM = 'Unity Connection Enhanced Messaging License (12.x)';

  beforeAll(async () => {
    // The demo, with va-acme's 25 CUC Enhanced Messaging (Sub190243) ending on 2027-01-15.
    const demo = JSON.parse(readFileSync('data/scenarios/demo.json', 'utf8')) as {
      smartAccounts: {
        virtualAccounts: { name: string; licenses: { type: string; endDate: string | null }[] }[];
      }[];
    };
    const acme = demo.smartAccounts
      .flatMap((s) => s.virtualAccounts)
      .find((v) => v.name === 'va-acme')!;
    acme.licenses.find((l) => l.type === 'CUC_EnhancedMessaging')!.endDate = '2027-01-15';
    scenarioDir = mkdtempSync(join(tmpdir(), 'smartlic-alerts-scenario-'));
    const file = join(scenarioDir, 'demo-term-ending.json');
    writeFileSync(file, JSON.stringify(demo));
    fx = await setup({ store: kind, emulator: { scenario: file } });
    fx.services.alerts.events.subscribe((e) => void delivered.push(e));
    fx.services.alerts.events.subscribe((e) => void events.push(e), { includeMuted: true });
    await provisionCloud(fx, 0);
    await provisionCloud(fx, 1);
    await provisionSatellite(fx, 'la-initech');
    await provisionSatellite(fx, 'la-umbrella');
    await syncAll();
    await seedClusters(fx);
    // stark-cucm-01 as an operator adds it: in the inventory, assigned to no VA, its customer
    // on no Smart Account.
    const st = await fx.state();
    const sc = st.clusters.find((c) => c.name === 'stark-cucm-01')!;
    const stark = await fx.repos.customers.upsert({ name: 'Stark Industries' });
    await fx.repos.clusters.upsert({
      customerId: stark.id,
      name: sc.name,
      type: sc.type,
      version: sc.version,
      publisherAddress: sc.baseUrl!,
      adminUsername: sc.credentials.username,
      adminPassword: sc.credentials.password,
    });
    globexCucAddress = st.clusters.find((c) => c.name === 'globex-cuc-01')!.baseUrl!;
    events = [];
    delivered = [];
  }, 60_000);

  afterAll(async () => {
    await fx?.close();
    if (scenarioDir) rmSync(scenarioDir, { recursive: true, force: true });
  });

  // A day's test may replay the days before it (four syncs of the lab): more than the default
  // 30 s on a loaded machine.
  describe('alerts across clock advances', { timeout: 120_000 }, () => {
    /**
     * The four days are one story: each day's alerts follow from what the days before did to
     * the lab (a mute, a cut-off, an unreadable publisher, the clock). So each test passes by
     * itself (`npm run test:alone`) as well as in the file's order, it first replays the days
     * before it that have not run in this process: their moves, not their checks.
     */
    const advance = [0, 30, 30, 31];
    const moves: (() => Promise<void>)[] = [
      async () => {
        // Muted: still stored and updated, not delivered.
        const renewal = (await fx.services.alerts.list({ rule: 'renewal-failed' }))[0]!;
        await fx.services.alerts.mute(renewal.id, {
          forMs: 120 * 86_400_000,
          reason: 'hooli is being moved',
          by: 'test',
        });
        // Then: acme-cucm-01 cut off from CSSM, globex-cuc-01 unreadable by smartlic.
        await fx.faults({ cutoff: ['acme-cucm-01'] });
        const gcuc = (await fx.repos.clusters.list()).find((c) => c.name === 'globex-cuc-01')!;
        await fx.h.db
          .updateTable('clusters')
          .set({ publisher_address: 'http://127.0.0.1:9/uc/globex-cuc-01/pub' })
          .where('id', '=', gcuc.id)
          .execute();
        delivered = [];
      },
      async () => {},
      async () => {
        // Then: acme-cucm-01 reaches CSSM again, globex-cuc-01 is readable again.
        await fx.faults(null);
        const gcuc = (await fx.repos.clusters.list()).find((c) => c.name === 'globex-cuc-01')!;
        await fx.h.db
          .updateTable('clusters')
          .set({ publisher_address: globexCucAddress })
          .where('id', '=', gcuc.id)
          .execute();
      },
      async () => {},
    ];
    /** Days whose sync and moves have run in this process. */
    let daysDone = 0;
    /** Replays the days before day `k` not run yet, then moves the clock to day `k` and syncs. */
    async function day(k: number): Promise<void> {
      while (daysDone < k) {
        if (advance[daysDone]) await fx.advanceDays(advance[daysDone]!);
        await syncAll();
        takeEvents();
        await moves[daysDone]!();
        daysDone++;
      }
      if (advance[k]) await fx.advanceDays(advance[k]);
      await syncAll();
    }
    /** Day `k`'s moves after its checks: the next day starts from them. */
    async function then(k: number): Promise<void> {
      await moves[k]!();
      daysDone = k + 1;
    }

    it('day 0: what the demo has wrong', async () => {
      await day(0);
      // va-globex is 70 short of HCS UCM Standard; globex-cucm-01 just went out of compliance
      // (the shortage alert names it), so its 90-day CUCM overage starts now. hooli-cucm-01 is cut off: its authorization
      // (last success 2026-09-09) expires 2026-12-08, in 10 days, and it reports the failure.
      // stark-cucm-01 (15.x) is assigned nowhere. sat-eu-1 (disconnected) last synced
      // 2026-11-01: its 30-day deadline is in 3 days, for each of its local accounts. va-acme's
      // CUC Enhanced Messaging stops counting at 2027-01-16T00:00Z: 48.5 days → 49, within 60.
      expect(sorted(await openAlerts())).toEqual(
        sorted([
          [
            'insufficient-licenses',
            'va-globex',
            'warning',
            'va-globex is short of 70 HCS UCM Standard; CUCM overage ends in 90 days; globex-cucm-01 out of compliance',
          ],
          [
            'authorization-expiry',
            'hooli-cucm-01',
            'warning',
            'Authorization of hooli-cucm-01 expires in 10 days',
          ],
          [
            'renewal-failed',
            'hooli-cucm-01',
            'warning',
            'hooli-cucm-01 failed its last authorization with CSSM: Fail to send out Call Home HTTP message.',
          ],
          [
            'unassigned-evaluation',
            'stark-cucm-01',
            'warning',
            'stark-cucm-01 (CUCM 15.0.1.10000-19) is assigned to no VA: unregistered, it runs on its evaluation period',
          ],
          [
            'satellite-sync',
            SAT_I,
            'info',
            `Satellite ${SAT_I} must sync with CSSM in 3 days (last synced 2026-11-01)`,
          ],
          [
            'satellite-sync',
            SAT_U,
            'info',
            `Satellite ${SAT_U} must sync with CSSM in 3 days (last synced 2026-11-01)`,
          ],
          [
            'term-license',
            'va-acme',
            'warning',
            `25 ${CUC_EM} in va-acme (Sub190243) expire in 49 days`,
          ],
        ]),
      );
      // The first sync (before the clusters were in the inventory) opened the four that need
      // no cluster; this one opens the three that do.
      expect(takeEvents()).toEqual([
        'opened authorization-expiry hooli-cucm-01 warning',
        'opened renewal-failed hooli-cucm-01 warning',
        'opened unassigned-evaluation stark-cucm-01 warning',
      ]);
      const global = await fx.services.alerts.list({ rule: 'unassigned-evaluation' });
      expect(global[0]).toMatchObject({ scope: 'global', customer: { name: 'Stark Industries' } });

      await then(0);
    });

    it('day 30: expired, overdue, critical term; a cut-off and an unreadable cluster', async () => {
      await day(1);
      // 2026-12-28: hooli-cucm-01's authorization expired on 2026-12-08. sat-eu-1: 57 days
      // without a sync, overdue. Term: 18.5 → 19 days left, within 30: critical. Overage: 60
      // days left, still warning. acme-cucm-01's renewal on 2026-12-19 failed (cut off); its
      // authorization runs to 2027-02-17 (51 days, not yet). globex-cuc-01 unread since day 0:
      // 30 days ≥ 2.
      expect(sorted(await openAlerts())).toEqual(
        sorted([
          [
            'insufficient-licenses',
            'va-globex',
            'warning',
            'va-globex is short of 70 HCS UCM Standard; CUCM overage ends in 60 days; globex-cucm-01 out of compliance',
          ],
          [
            'authorization-expiry',
            'hooli-cucm-01',
            'critical',
            'Authorization of hooli-cucm-01 expired on 2026-12-08',
          ],
          [
            'renewal-failed',
            'hooli-cucm-01',
            'warning',
            'hooli-cucm-01 failed its last authorization with CSSM: Fail to send out Call Home HTTP message.',
          ],
          [
            'renewal-failed',
            'acme-cucm-01',
            'warning',
            'acme-cucm-01 failed its last authorization with CSSM: Fail to send out Call Home HTTP message.',
          ],
          [
            'cluster-unreachable',
            'globex-cuc-01',
            'warning',
            'smartlic cannot read globex-cuc-01: 1 sync in a row, last read 2026-11-28',
          ],
          [
            'unassigned-evaluation',
            'stark-cucm-01',
            'warning',
            'stark-cucm-01 (CUCM 15.0.1.10000-19) is assigned to no VA: unregistered, it runs on its evaluation period',
          ],
          [
            'satellite-sync',
            SAT_I,
            'warning',
            `Satellite ${SAT_I} sync overdue (last synced 2026-11-01, 57 days ago)`,
          ],
          [
            'satellite-sync',
            SAT_U,
            'warning',
            `Satellite ${SAT_U} sync overdue (last synced 2026-11-01, 57 days ago)`,
          ],
          [
            'term-license',
            'va-acme',
            'critical',
            `25 ${CUC_EM} in va-acme (Sub190243) expire in 19 days`,
          ],
        ]),
      );
      expect(takeEvents()).toEqual(
        [
          'changed authorization-expiry hooli-cucm-01 critical',
          `changed satellite-sync ${SAT_I} warning`,
          `changed satellite-sync ${SAT_U} warning`,
          'changed term-license va-acme critical',
          'opened cluster-unreachable globex-cuc-01 warning',
          'opened renewal-failed acme-cucm-01 warning',
        ].sort(),
      );
      // The muted one changed (its attempt date moved) but was not delivered.
      const muted = (await fx.services.alerts.list({ rule: 'renewal-failed' })).find(
        (a) => a.entity.name === 'hooli-cucm-01',
      )!;
      expect(muted).toMatchObject({
        evaluations: 2,
        mute: { by: 'alert', reason: 'hooli is being moved' },
      });
      expect(delivered.map((e) => e.alert.id)).not.toContain(muted.id);
      expect(delivered.length).toBeGreaterThan(0);
      await then(1);
    });

    it('day 60: overage and satellite critical, the term ended and left a shortage', async () => {
      await day(2);
      // 2027-01-27: overage 30 days left → critical. sat-eu-1: 87 days, CSSM removes it at 90
      // → critical. The term line ended 2027-01-15: acme-cuc-01's 20 Enhanced Messaging
      // requests have nothing to draw on (top of its chain, no HCS licenses in va-acme): short
      // 20, Unity Connection has no overage → warning. acme-cucm-01 (still cut off): its
      // authorization expires 2027-02-17, 21 days → info. globex-cuc-01, unread: what smartlic
      // last saw says its authorization (last success 2026-11-11) expires 2027-02-09: 13 days.
      expect(sorted(await openAlerts())).toEqual(
        sorted([
          [
            'insufficient-licenses',
            'va-globex',
            'critical',
            'va-globex is short of 70 HCS UCM Standard; CUCM overage ends in 30 days; globex-cucm-01 out of compliance',
          ],
          [
            'insufficient-licenses',
            'va-acme',
            'warning',
            `va-acme is short of 20 ${CUC_EM}; acme-cuc-01 out of compliance`,
          ],
          [
            'authorization-expiry',
            'hooli-cucm-01',
            'critical',
            'Authorization of hooli-cucm-01 expired on 2026-12-08',
          ],
          [
            'authorization-expiry',
            'acme-cucm-01',
            'info',
            'Authorization of acme-cucm-01 expires in 21 days',
          ],
          [
            'authorization-expiry',
            'globex-cuc-01',
            'warning',
            'Authorization of globex-cuc-01 expires in 13 days',
          ],
          [
            'renewal-failed',
            'hooli-cucm-01',
            'warning',
            'hooli-cucm-01 failed its last authorization with CSSM: Fail to send out Call Home HTTP message.',
          ],
          [
            'renewal-failed',
            'acme-cucm-01',
            'warning',
            'acme-cucm-01 failed its last authorization with CSSM: Fail to send out Call Home HTTP message.',
          ],
          [
            'cluster-unreachable',
            'globex-cuc-01',
            'warning',
            'smartlic cannot read globex-cuc-01: 2 syncs in a row, last read 2026-11-28',
          ],
          [
            'unassigned-evaluation',
            'stark-cucm-01',
            'warning',
            'stark-cucm-01 (CUCM 15.0.1.10000-19) is assigned to no VA: unregistered, it runs on its evaluation period',
          ],
          [
            'satellite-sync',
            SAT_I,
            'critical',
            `Satellite ${SAT_I} sync overdue (last synced 2026-11-01); CSSM removes it in 3 days`,
          ],
          [
            'satellite-sync',
            SAT_U,
            'critical',
            `Satellite ${SAT_U} sync overdue (last synced 2026-11-01); CSSM removes it in 3 days`,
          ],
          [
            'term-license',
            'va-acme',
            'critical',
            `25 ${CUC_EM} in va-acme (Sub190243) expired on 2027-01-15`,
          ],
        ]),
      );
      expect(takeEvents()).toEqual(
        [
          'changed insufficient-licenses va-globex critical',
          `changed satellite-sync ${SAT_I} critical`,
          `changed satellite-sync ${SAT_U} critical`,
          'opened authorization-expiry acme-cucm-01 info',
          'opened authorization-expiry globex-cuc-01 warning',
          'opened insufficient-licenses va-acme warning',
        ].sort(),
      );
      await then(2);
    });

    it('day 91: what was fixed resolves, what was left grows worse', async () => {
      await day(3);
      // 2027-02-27: acme-cucm-01 renewed on its next daily retry (2027-01-28): its failure and
      // expiry alerts resolve. globex-cuc-01 read again, authorized: both its alerts resolve.
      // Overage over. sat-eu-1: 118 days, removed by CSSM. hooli-cucm-01 still cut off.
      expect(sorted(await openAlerts())).toEqual(
        sorted([
          [
            'insufficient-licenses',
            'va-globex',
            'critical',
            'va-globex is short of 70 HCS UCM Standard; the CUCM overage period is over: no new users or devices; globex-cucm-01 out of compliance',
          ],
          [
            'insufficient-licenses',
            'va-acme',
            'warning',
            `va-acme is short of 20 ${CUC_EM}; acme-cuc-01 out of compliance`,
          ],
          [
            'authorization-expiry',
            'hooli-cucm-01',
            'critical',
            'Authorization of hooli-cucm-01 expired on 2026-12-08',
          ],
          [
            'renewal-failed',
            'hooli-cucm-01',
            'warning',
            'hooli-cucm-01 failed its last authorization with CSSM: Fail to send out Call Home HTTP message.',
          ],
          [
            'unassigned-evaluation',
            'stark-cucm-01',
            'warning',
            'stark-cucm-01 (CUCM 15.0.1.10000-19) is assigned to no VA: unregistered, it runs on its evaluation period',
          ],
          [
            'satellite-sync',
            SAT_I,
            'critical',
            `Satellite ${SAT_I} last synced 2026-11-01 more than 90 days ago: CSSM unregisters and removes it`,
          ],
          [
            'satellite-sync',
            SAT_U,
            'critical',
            `Satellite ${SAT_U} last synced 2026-11-01 more than 90 days ago: CSSM unregisters and removes it`,
          ],
          [
            'term-license',
            'va-acme',
            'critical',
            `25 ${CUC_EM} in va-acme (Sub190243) expired on 2027-01-15`,
          ],
        ]),
      );
      expect(takeEvents()).toEqual(
        [
          'resolved authorization-expiry acme-cucm-01 info',
          'resolved authorization-expiry globex-cuc-01 warning',
          'resolved cluster-unreachable globex-cuc-01 warning',
          'resolved renewal-failed acme-cucm-01 warning',
        ].sort(),
      );
      // History kept: the resolved ones are listed with --all, with their lifecycle.
      const all = await fx.services.alerts.list({ state: 'all' });
      const gone = all.find((a) => a.rule === 'cluster-unreachable')!;
      expect(gone).toMatchObject({ state: 'resolved', evaluations: 2, resolvedAt: fx.clock.now() });
      expect((await fx.repos.alerts.history(gone.id)).map((h) => h.kind)).toEqual([
        'opened',
        'changed',
        'resolved',
      ]);
      await then(3);
    });
  });
});
