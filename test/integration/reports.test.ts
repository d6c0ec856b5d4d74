// Real: the emulator (demo scenario, frozen simulated clock) over loopback HTTP as CSSM cloud,
// CSSM On-Prem and the UC publishers; the real provision and sync services writing a SQLite temp
// file, and PostgreSQL when SMARTLIC_TEST_PG is set (test/support/pg.ts); core/reports reading it. Faked: the smartlic clock is a TestClock kept equal to the
// emulator's; clusters are put in the database through the repositories (as the cluster service
// would); a few rows (alerts, jobs, old usage snapshots) are written through the repositories to
// give the read models something to find. Every expected value below is worked out by hand from
// data/scenarios/demo.json (DOMAIN §6 allocation by hand), not recomputed with core's functions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as reports from '../../core/reports/index.ts';
import {
  provisionCloud,
  provisionSatellite,
  seedClusters,
  setup,
  type Fixture,
} from './sync-fixture.ts';
import { storeKinds } from '../support/pg.ts';

describe.each(storeKinds())('read models on %s', (kind) => {
  let fx: Fixture;
  const HCS = 'nimbus-hcs.example.com';
  const now = () => fx.clock.now();
  const db = () => fx.h.db;
  const va = (label: string) => reports.resolveVirtualAccount(db(), label);
  const clusterRow = async (name: string) =>
    (await reports.clusterSummary(db(), { now: now(), filter: { name } }))[0]!;
  /**
   * Two customers' clusters named twin-cucm, Twin A's registration job failed, Twin B's
   * completed. Made once per store, by whichever test needs it first, so each test that counts
   * on it passes alone as well as in the file's order.
   */
  let twinsMade: Promise<{ ca: number; cb: number; ja: number; jb: number }> | undefined;
  const twins = () =>
    (twinsMade ??= (async () => {
      const a = await fx.repos.customers.upsert({ name: 'Twin A' });
      const b = await fx.repos.customers.upsert({ name: 'Twin B' });
      const mk = (customerId: number) =>
        fx.repos.clusters.upsert({
          customerId,
          name: 'twin-cucm',
          type: 'CUCM',
          version: '14.0.1.13900-155',
          publisherAddress: 'twin.example',
        });
      const ca = await mk(a.id);
      const cb = await mk(b.id);
      const ja = await fx.repos.jobs.create({
        jobType: 'Register Cluster',
        entityType: 'Cluster',
        entityName: 'twin-cucm',
        entityId: ca.id,
      });
      await fx.repos.jobs.fail(ja.id, { errorCode: 'CAA1048', statusInformation: 'token expired' });
      const jb = await fx.repos.jobs.create({
        jobType: 'Register Cluster',
        entityType: 'Cluster',
        entityName: 'twin-cucm',
        entityId: cb.id,
      });
      await fx.repos.jobs.start(jb.id);
      await fx.repos.jobs.complete(jb.id);
      return { ca: ca.id, cb: cb.id, ja: ja.id, jb: jb.id };
    })());

  beforeAll(async () => {
    fx = await setup({ store: kind });
    const accounts = [
      await provisionCloud(fx, 0),
      await provisionCloud(fx, 1),
      await provisionSatellite(fx, 'la-initech'),
      await provisionSatellite(fx, 'la-umbrella'),
    ];
    expect(await seedClusters(fx)).toBe(19);
    // A stale failure from an earlier attempt: the good read below must replace it.
    const acme = (await fx.repos.clusters.list()).find((c) => c.name === 'acme-cucm-01')!;
    await fx.repos.clusters.updateStatus(acme.id, { status: 'Manual Registration Failed' });
    for (const a of accounts) {
      const o = await fx.services.sync.syncAccount(a.account.id, { requestedBy: 'test' });
      expect(o.status).toBe('Completed');
    }
  }, 60_000);

  afterAll(async () => {
    await fx?.close();
  });

  describe('Smart Account and Virtual Account Summary', () => {
    it('one row per account, with VA#, Last SyncUp, satellite state and open alerts', async () => {
      // The scope's open alerts become exactly these two (what the rules raised is resolved).
      const sa = (await fx.repos.smartAccounts.getByDomain(HCS))!;
      await fx.repos.alerts.apply(`sa:${sa.id}`, [
        {
          rule: 'insufficient-licenses',
          dedupeKey: 'shortage|globex',
          severity: 'critical',
          entity: { kind: 'VA', id: '1', name: 'va-globex' },
          scope: `sa:${sa.id}`,
          smartAccount: { id: sa.id, domain: HCS },
          title: 'va-globex is short of HCS UCM Standard',
          facts: {},
        },
        {
          rule: 'sync-failing',
          dedupeKey: 'x|hcs',
          severity: 'info',
          entity: { kind: 'SA', id: String(sa.id), name: HCS },
          scope: `sa:${sa.id}`,
          smartAccount: { id: sa.id, domain: HCS },
          title: 'informational',
          facts: {},
        },
      ]);
      const rows = await reports.smartAccountSummary(db(), { now: now() });
      expect(rows.map((r) => [r.name, r.domain, r.typeLabel, r.virtualAccounts])).toEqual([
        ['Nimbus Voice Europe', 'nimbus-eu.example.com', 'CUSTOMER', 4],
        ['Nimbus Voice HCS', HCS, 'CUSTOMER', 5],
        ['la-initech', 'la-initech.local', 'CUSTOMER (Satellite)', 1],
        ['la-umbrella', 'la-umbrella.local', 'CUSTOMER (Satellite)', 1],
      ]);
      const hcs = rows[1]!;
      expect(hcs.lastSyncUp?.toISOString()).toBe('2026-11-28T12:00:00.000Z');
      expect(hcs.lastSyncStatus).toBe('Success');
      expect(hcs.alerts).toEqual({
        open: 2,
        critical: 1,
        warning: 0,
        info: 1,
        muted: 0,
        top: ['va-globex is short of HCS UCM Standard', 'informational'],
      });
      expect(rows[0]!.alerts.open).toBe(0);
      // A muted alert still holds but is counted apart, not as open (by alert, then by rule).
      const info = (await fx.repos.alerts.getByDedupeKey('x|hcs'))!;
      await fx.repos.alerts.muteAlert(info.id, { until: new Date(now().getTime() + 86_400_000) });
      const mutedOne = (await reports.smartAccountSummary(db(), { now: now() }))[1]!.alerts;
      expect([mutedOne.open, mutedOne.info, mutedOne.muted]).toEqual([1, 0, 1]);
      await fx.repos.alerts.unmuteAlert(info.id);
      expect((await reports.smartAccountSummary(db(), { now: now() }))[1]!.alerts.open).toBe(2);
      // sat-eu-1 last synced 2026-11-01: 27 days, not yet overdue (30).
      expect(rows[2]!.satelliteLastSync?.toISOString()).toBe('2026-11-01T12:00:00.000Z');
      expect(rows[2]!.satelliteSyncOverdue).toBe(false);
    });

    it('VA summary: clusters, customers and compliance per VA', async () => {
      const rows = await reports.virtualAccountSummary(db());
      const by = new Map(rows.map((r) => [r.label, r]));
      expect(rows).toHaveLength(11);
      const g = by.get(`${HCS}/va-globex`)!;
      // globex-cucm-01 asks 120 Enhanced Plus + 100 CUWL → HUCM_Standard 220 of 150 owned.
      expect([g.clusters, g.customers, g.compliance, g.shortTypes, g.shortage]).toEqual([
        4,
        1,
        'Out of Compliance',
        ['HUCM_Standard'],
        70,
      ]);
      const op = by.get(`${HCS}/va-hcs-operational`)!;
      // hooli ×3, stark-cuc-01, stark-cer-01 (stark-cucm-01 never registered).
      expect([op.clusters, op.customers, op.compliance]).toEqual([5, 2, 'In Compliance']);
      expect(by.get(`${HCS}/va-acme`)!.clusters).toBe(3);
      expect(by.get('la-umbrella.local/va-umbrella')!.smartAccountName).toBe('la-umbrella');
      expect(by.get(`${HCS}/va-hcs-ordered`)!.clusters).toBe(0);
    });
  });

  describe('usage per VA and per customer', () => {
    it('va-acme: owned, in use, available and substitutions stated both ways', async () => {
      const u = await reports.virtualAccountUsage(db(), {
        virtualAccountId: (await va(`${HCS}/va-acme`)).id,
        now: now(),
      });
      const l = new Map(u.licenses.map((x) => [x.licenseType, x]));
      // Enhanced: 300 perpetual + 100 term owned; asked 320 + 90 = 410 → 10 borrowed.
      expect(l.get('UCM_Enhanced')).toMatchObject({
        owned: 400,
        inUse: 400,
        available: 0,
        shortage: 0,
      });
      // Enhanced Plus: 20 owned, 40 asked → 20 borrowed from CUWL; CUWL: 60 own + 10 + 20 lent.
      expect(l.get('UCM_EnhancedPlus')).toMatchObject({ owned: 20, inUse: 20, available: 0 });
      expect(l.get('UCM_CUWL')).toMatchObject({ owned: 100, inUse: 90, available: 10 });
      expect(u.substitutions.map((s) => s.text)).toEqual([
        '10 CUWL lent to Enhanced',
        '20 CUWL lent to Enhanced Plus',
      ]);
      expect(u.substitutions[1]).toMatchObject({
        lender: 'UCM_CUWL',
        borrower: 'UCM_EnhancedPlus',
        quantity: 20,
      });
      expect(u.compliance).toBe('In Compliance');
      const enhanced = u.terms.filter((t) => t.licenseType === 'UCM_Enhanced');
      expect(enhanced.map((t) => [t.kind, t.quantity, t.subscriptionId])).toEqual([
        ['TERM', 100, 'Sub190243'],
        ['PERPETUAL', 300, null],
      ]);
      expect(enhanced[0]!.endDate?.toISOString().slice(0, 10)).toBe('2029-02-27');
      expect(enhanced[1]!.daysLeft).toBeNull();
    });

    it('va-globex: the shortage, and the one definition of it', async () => {
      const u = await reports.virtualAccountUsage(db(), {
        virtualAccountId: (await va(`${HCS}/va-globex`)).id,
        now: now(),
      });
      const std = u.licenses.find((x) => x.licenseType === 'HUCM_Standard')!;
      expect([std.owned, std.inUse, std.available, std.shortage, std.compliant]).toEqual([
        150,
        220,
        -70,
        70,
        false,
      ]);
      // globex-cucm-02's 40 Essential (HCS mode) are served by Foundation: 260 + 180 + 40 = 480.
      expect(u.licenses.find((x) => x.licenseType === 'HUCM_Foundation')!.inUse).toBe(480);
      expect(u.substitutions.map((s) => s.text)).toEqual([
        '40 HCS UCM Foundation lent to HCS UCM Essential',
      ]);
    });

    it('terms ending within N days', async () => {
      // The first term to end is va-hcs-operational's HCS UCM Standard on 2028-08-07: 618 days
      // after 2026-11-28; then both copies of va-initech's Standard (cloud VA and the satellite's
      // local account) on 2028-08-15, 626 days.
      expect(await reports.expiringTerms(db(), { now: now(), withinDays: 617 })).toEqual([]);
      const within = await reports.expiringTerms(db(), { now: now(), withinDays: 626 });
      expect(within.map((t) => [t.virtualAccount, t.licenseType, t.daysLeft])).toEqual([
        [`${HCS}/va-hcs-operational`, 'HUCM_Standard', 618],
        ['la-initech.local/va-initech', 'HUCM_Standard', 626],
        ['nimbus-eu.example.com/va-initech', 'HUCM_Standard', 626],
      ]);
      const u = await reports.virtualAccountUsage(db(), {
        virtualAccountId: (await va(`${HCS}/va-hcs-operational`)).id,
        now: now(),
        termsWithinDays: 620,
      });
      expect(u.termsEndingSoon.map((t) => [t.licenseType, t.subscriptionId])).toEqual([
        ['HUCM_Standard', 'Sub377684'],
      ]);
    });

    it('per customer: what the clusters report and the VA they draw on', async () => {
      const acme = (await fx.repos.customers.getByName('Acme Corp'))!;
      const rows = await reports.customerUsage(db(), { customerId: acme.id });
      const enh = rows.find((r) => r.licenseType === 'UCM_Enhanced')!;
      expect(enh).toMatchObject({
        customer: 'Acme Corp',
        virtualAccount: `${HCS}/va-acme`,
        count: 410,
        clusters: 2,
        hcsType: 'HUCM_Foundation',
        appCode: 'HUCM',
      });
      expect(rows.map((r) => r.licenseType)).toEqual([
        'UCM_Basic',
        'UCM_Enhanced',
        'UCM_EnhancedPlus',
        'UCM_CUWL',
        'UCM_TelePresenceRoom',
        'CUC_BasicMessaging',
        'CUC_EnhancedMessaging',
      ]);
    });
  });

  describe('Cluster Summary and detail', () => {
    it('effective states and days left, with filters', async () => {
      const all = await reports.clusterSummary(db(), { now: now() });
      expect(all).toHaveLength(19);
      // Cut off: last authorization 2026-09-09 + 90 days = 2026-12-08, 10 days from now.
      const hooli = all.find((r) => r.name === 'hooli-cucm-01')!;
      expect([hooli.registration, hooli.authorization, hooli.daysLeft, hooli.daysLeftOf]).toEqual([
        'Registered',
        'Authorized',
        10,
        'authorization',
      ]);
      expect(all.find((r) => r.name === 'globex-cucm-01')!.authorization).toBe('Out of compliance');
      const failed = await reports.clusterSummary(db(), { now: now(), filter: { failed: true } });
      expect(failed.map((r) => r.name)).toEqual(['globex-cucm-01']);
      const cuc = await reports.clusterSummary(db(), {
        now: now(),
        filter: { type: 'CUC', version: '12.5' },
      });
      expect(cuc.map((r) => r.name)).toEqual(['umbrella-cuc-01']);
      const hooliAll = await reports.clusterSummary(db(), {
        now: now(),
        filter: { customer: 'Hooli' },
      });
      expect(hooliAll.map((r) => r.name)).toEqual([
        'hooli-cer-01',
        'hooli-cuc-01',
        'hooli-cucm-01',
      ]);
    });

    it('a good read replaces a stale "Manual Registration Failed"', async () => {
      expect((await clusterRow('acme-cucm-01')).status).toBe('Manually Registered');
    });

    it('Job Status is the cluster’s own latest job, by id, even when two customers share a name', async () => {
      const { cb, ja, jb } = await twins();
      const rows = await reports.clusterSummary(db(), {
        now: now(),
        filter: { name: 'twin-cucm' },
      });
      expect(rows.map((r) => [r.customer, r.jobStatus, r.job?.id])).toEqual([
        ['Twin A', 'Failed', ja],
        ['Twin B', 'Completed', jb],
      ]);
      await expect(reports.resolveCluster(db(), 'twin-cucm')).rejects.toThrow(/2 customers/);
      expect(await reports.resolveCluster(db(), 'twin-cucm', 'Twin B')).toBe(cb);
    });

    it('detail: dates, usage, the product’s own words', async () => {
      const id = await reports.resolveCluster(db(), 'hooli-cucm-01');
      const d = (await reports.clusterDetail(db(), { now: now(), clusterId: id }))!;
      expect(d.reported.authorization).toBe('Authorized');
      expect(d.lifecycle.authorizationExpires?.toISOString().slice(0, 10)).toBe('2026-12-08');
      expect(d.lastReadError).toBeNull();
      expect(d.usage.map((u) => [u.licenseType, u.count])).toEqual([
        ['HUCM_Foundation', 150],
        ['HUCM_Standard', 30],
      ]);
      expect(d.dates.lastStatusReadAt?.toISOString()).toBe('2026-11-28T12:00:00.000Z');
    });
  });

  describe('compliance, attention, reports', () => {
    it('compliance overview per SA, VA and customer', async () => {
      // The first test wrote the HCS scope's alerts by hand; the rules' own alerts come back.
      await fx.services.alerts.evaluateAll();
      const c = await reports.complianceOverview(db(), { now: now() });
      const sa = new Map(c.smartAccounts.map((r) => [r.name, r.compliance]));
      expect(sa.get(HCS)).toBe('Out of Compliance');
      expect(sa.get('nimbus-eu.example.com')).toBe('In Compliance');
      const cust = new Map(c.customers.map((r) => [r.name, r]));
      expect(cust.get('Globex')).toMatchObject({
        compliance: 'Out of Compliance',
        shortTypes: ['HUCM_Standard'],
        clustersInTrouble: 1,
      });
      expect(cust.get('Acme Corp')!.compliance).toBe('In Compliance');
      expect(c.expiringClusters.map((r) => r.name)).toEqual(['hooli-cucm-01']);
    });

    it('needs attention is the open alerts: the same ids, severities and titles as `alerts`', async () => {
      // What it reads, made here: the twins' failed job, and the alerts evaluated on it.
      await twins();
      await fx.services.alerts.evaluateAll();
      const s = await reports.statusOverview(db(), { now: now() });
      const open = await fx.repos.alerts.list({ state: 'open', includeMuted: false }, now());
      expect(open.length).toBeGreaterThan(0);
      expect(s.attention.map((a) => [a.id, a.severity, a.message])).toEqual(
        open.map((a) => [a.id, a.severity, a.title]),
      );
      expect(s.openAlerts).toBe(open.length);
      // "Failed" is the Cluster Summary's --failed filter: globex-cucm-01 (Out of compliance).
      const failed = await reports.clusterSummary(db(), { now: now(), filter: { failed: true } });
      // twin-cucm of Twin A: its registration job failed (twins()).
      expect(failed.map((c) => c.name)).toEqual(['globex-cucm-01', 'twin-cucm']);
      expect(s.clusters.failed).toBe(2);
      // Every failed cluster is named by an open alert: globex-cucm-01 by va-globex's shortage.
      const named = reports.clustersInTrouble(s.attention);
      for (const c of failed) expect(named.has(c.id), c.name).toBe(true);
      expect(s.clusters.inTrouble).toBe(named.size);
      const globex = s.attention.find((a) => a.rule === 'insufficient-licenses')!;
      expect(globex.message).toMatch(/; globex-cucm-01 out of compliance$/);
    });

    it('HLM at VA and customer level', async () => {
      const v = await reports.hlmReport(db(), { level: 'va' });
      const csv = reports.hlmCsv(v);
      expect(csv.split('\r\n')[0]).toBe('LM Name,License Type,Installed,Required,Available,Status');
      expect(csv).toContain(`va-globex @ ${HCS},HUCM_Standard,150,220,-70,Non-Compliant\r\n`);
      expect(csv).toContain(`va-acme @ ${HCS},UCM_CUWL,100,90,10,Compliant\r\n`);
      const c = await reports.hlmReport(db(), { level: 'customer' });
      expect(c.level).toBe('customer');
      const rows = c.level === 'customer' ? c.rows : [];
      expect(
        rows.find((r) => r.customer === 'Globex' && r.licenseType === 'HUCM_Standard'),
      ).toMatchObject({
        count: 220,
        status: 'Non-Compliant',
        subscriptionIds: ['Sub102200'],
        lmName: `va-globex @ ${HCS}`,
      });
      // Acme's VA is Enterprise: its usage is labelled by the same rule as in the Service
      // Inventory report (DOMAIN §6 mapping: Basic 80 + Enhanced 410 → HCS UCM Foundation), its
      // status from its own Enterprise lines, which serve it.
      expect(rows.some((r) => r.customer === 'Acme Corp' && r.licenseType.startsWith('UCM_'))).toBe(
        false,
      );
      expect(
        rows.find((r) => r.customer === 'Acme Corp' && r.licenseType === 'HUCM_Foundation'),
      ).toMatchObject({ count: 490, status: 'Compliant' });
      // One rule: per customer and label, the HLM counts are the SI report's site counts.
      const si = await reports.serviceInventory(db());
      const site = new Map<string, number>();
      for (const m of si.matchAll(
        /^\|SUMMARY\|SITELICENSEINFO\|~\|~\|([^|]*)\|~\|([^|]*)\|(\d+)\|$/gm,
      ))
        site.set(`${m[1]}|${m[2]}`, Number(m[3]));
      const hlm = new Map<string, number>();
      for (const r of rows)
        hlm.set(
          `${r.customer}|${r.licenseType}`,
          (hlm.get(`${r.customer}|${r.licenseType}`) ?? 0) + r.count,
        );
      expect(Object.fromEntries(hlm)).toEqual(Object.fromEntries(site));
      expect((await reports.hlmXlsx(c)).subarray(0, 2).toString()).toBe('PK');
      // The workbook carries the caller's clock, not the wall's: the same data and time give
      // the same bytes (the site's rebuilds stay byte-identical).
      const at = new Date('2020-01-02T03:04:05Z');
      const book = await reports.hlmXlsx(c, at);
      const { default: ExcelJS } = await import('exceljs');
      const read = new ExcelJS.Workbook();
      await read.xlsx.load(book as unknown as ArrayBuffer);
      expect(read.created.toISOString()).toBe(at.toISOString());
      expect(read.modified.toISOString()).toBe(at.toISOString());
    });

    it('Service Inventory rows for the demo', async () => {
      const si = await reports.serviceInventory(db());
      const lines = si.trimEnd().split('\n');
      expect(lines[0]).toBe('|LICENSESUMMARYSTART|');
      expect(lines.at(-1)).toBe('|LICENSESUMMARYEND|');
      expect(lines).toContain(
        `|SUMMARY|PLMINFO| va-globex@${HCS} ,CSSM ,Sub102200,2028-08-20,TERM|HUCM|15|HUCM_Standard|150|220|-70|Out of Compliance|`,
      );
      // Foundation: initech-cucm-01's 210 Enhanced + 20 of initech-cucm-02's 70 Basic (50 Basic owned).
      expect(lines).toContain(
        '|SUMMARY|PLMINFO| va-initech@la-initech ,Satellite ,Sub320293,2029-07-30,TERM|HUCM|14|HUCM_Foundation|300|230|70|In Compliance|',
      );
      expect(lines).toContain('|SUMMARY|SITELICENSEINFO|~|~|Globex|~|HUCM_Standard|220|');
      // hooli-cucm-01 and hooli-cuc-01 report their usage; hooli-cer-01 cannot (Emergency
      // Responder has no status interface: its state comes from CSSM's device list, which
      // carries no per-license usage), so it has no CUSTLICENSEINFO line.
      expect(
        lines.filter((l) => l.startsWith('|SUMMARY|CUSTLICENSEINFO|') && l.includes('|Hooli|')),
      ).toHaveLength(3);
    });
  });

  describe('trends, forecast, what-if', () => {
    it('forecast: crosses, no growth, already short, not enough data', async () => {
      const op = await va(`${HCS}/va-hcs-operational`);
      const day = 86_400_000;
      // 30 days of history before the sync's own snapshot: Foundation grew by 2 a day up to the
      // 150 in use now; Emergency Responder flat at today's 370 (hooli 150 + stark 220).
      for (let k = 30; k >= 1; k--) {
        await fx.repos.usageSnapshots.append(
          op.id,
          [
            {
              licenseType: 'HUCM_Foundation',
              quantity: 800,
              inUse: 150 - 2 * k,
              available: 650 + 2 * k,
            },
            { licenseType: 'HCER_User', quantity: 600, inUse: 370, available: 230 },
          ],
          new Date(now().getTime() - k * day),
        );
      }
      const f = await reports.forecast(db(), {
        virtualAccountId: op.id,
        now: now(),
        windowDays: 60,
      });
      const r = new Map(f.rows.map((x) => [x.licenseType, x]));
      const fnd = r.get('HUCM_Foundation')!;
      expect(fnd.outcome).toBe('crosses');
      expect(fnd.slopePerDay).toBeCloseTo(2, 3);
      // (800 − 150) / 2 = 325 days.
      expect(fnd.daysUntil).toBe(325);
      expect(r.get('HCER_User')!.outcome).toBe('no growth');
      expect(r.get('HUCM_TelePresenceRoom')!.outcome).toBe('not enough data');
      const g = await reports.forecast(db(), {
        virtualAccountId: (await va(`${HCS}/va-globex`)).id,
        now: now(),
      });
      expect(g.rows.find((x) => x.licenseType === 'HUCM_Standard')!.outcome).toBe('already short');
      const trend = await reports.usageTrend(db(), {
        virtualAccountId: op.id,
        licenseType: 'HUCM_Foundation',
      });
      expect(trend[0]!.points).toHaveLength(31);
    });

    it('what-if: moving globex-cucm-01 to the operational VA, nothing changed', async () => {
      const gid = await reports.resolveCluster(db(), 'globex-cucm-01');
      const op = await va(`${HCS}/va-hcs-operational`);
      const before = await db()
        .selectFrom('clusters')
        .select('virtual_account_id')
        .where('id', '=', gid)
        .executeTakeFirstOrThrow();
      const r = await reports.whatIfMove(db(), { clusterIds: [gid], toVirtualAccountId: op.id });
      const by = new Map(r.changes.map((c) => [c.va.label, c]));
      const g = by.get(`${HCS}/va-globex`)!;
      expect(g.before.shortages).toEqual([{ type: 'HUCM_Standard', quantity: 70 }]);
      expect(g.after.shortages).toEqual([]);
      expect(g.resolvedShortages).toEqual([{ type: 'HUCM_Standard', quantity: 70 }]);
      // Operational: hooli's 30 + globex's 220 Standard = 250 of 200 owned.
      const o = by.get(`${HCS}/va-hcs-operational`)!;
      expect(o.newShortages).toEqual([{ type: 'HUCM_Standard', quantity: 50 }]);
      expect(r.changes.at(-1)!.va.id).toBe(op.id);
      const after = await db()
        .selectFrom('clusters')
        .select('virtual_account_id')
        .where('id', '=', gid)
        .executeTakeFirstOrThrow();
      expect(after).toEqual(before);
      const e = await reports.whatIfEntitlements(db(), {
        virtualAccountId: (await va(`${HCS}/va-globex`)).id,
        changes: [{ licenseType: 'HUCM_Standard', delta: 70 }],
      });
      expect(e.changes[0]!.after.shortages).toEqual([]);
    });
  });

  describe('history and timers over time', () => {
    it('an unreachable product is Authorization Expired 90 days after its last authorization', async () => {
      const c = (await fx.repos.clusters.list()).find((x) => x.name === 'hooli-cucm-01')!;
      // The publisher stops answering: nothing listens on port 9 of 127.0.0.1.
      await fx.repos.clusters.upsert({
        customerId: c.customerId,
        name: c.name,
        type: c.type,
        publisherAddress: 'http://127.0.0.1:9',
      });
      await fx.advanceDays(11);
      const sa = (await fx.repos.smartAccounts.getByDomain(HCS))!;
      const o = await fx.services.sync.syncAccount(sa.id, { requestedBy: 'test' });
      expect(o.clusterErrors.map((e) => e.cluster)).toEqual(['hooli-cucm-01']);
      const row = await clusterRow('hooli-cucm-01');
      expect(row.authorization).toBe('Authorization Expired');
      expect(row.lifecycle.source).toBe('timers');
      expect(row.reachable).toBe(false);
      expect(row.daysLeft).toBe(0);
      const d = (await reports.clusterDetail(db(), { now: now(), clusterId: c.id }))!;
      expect(d.reported.authorization).toBe('Authorized');
      expect(d.lastReadErrorAt?.toISOString()).toBe('2026-12-09T12:00:00.000Z');
      expect(d.lastReadError).toMatch(/^[A-Z]+\d+: /);
      // The sync's alert evaluation says so, and the attention list is that alert.
      const s = await reports.statusOverview(db(), { now: now() });
      const hooli = reports.attentionFor(s.attention, { clusterId: c.id });
      expect(hooli.map((i) => [i.rule, i.severity, i.message])).toContainEqual([
        'authorization-expiry',
        'critical',
        'Authorization of hooli-cucm-01 expired on 2026-12-08',
      ]);
    });

    it('snapshots survive the VA’s removal, and retention keeps one a day', async () => {
      const g = await va(`${HCS}/va-globex`);
      const count = async () =>
        Number(
          (
            await db()
              .selectFrom('usage_snapshots')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where('virtual_account_id', '=', g.id)
              .executeTakeFirstOrThrow()
          ).n,
        );
      const n = await count();
      expect(n).toBeGreaterThan(0);
      await db().deleteFrom('virtual_accounts').where('id', '=', g.id).execute();
      expect(await count()).toBe(n);
      const kept = await db()
        .selectFrom('usage_snapshots')
        .select(['smart_account_domain', 'virtual_account_name'])
        .where('virtual_account_id', '=', g.id)
        .distinct()
        .execute();
      expect(kept).toEqual([{ smart_account_domain: HCS, virtual_account_name: 'va-globex' }]);

      // Retention: three snapshots on one old day become one (the day's last).
      const op = await va(`${HCS}/va-hcs-operational`);
      const old = new Date('2026-06-01T08:00:00.000Z');
      for (let h = 0; h < 3; h++) {
        await fx.repos.usageSnapshots.append(
          op.id,
          [{ licenseType: 'HUCM_Basic', quantity: 1, inUse: h, available: 1 - h }],
          new Date(old.getTime() + h * 3_600_000),
        );
      }
      expect(await fx.repos.usageSnapshots.thin(new Date('2026-07-01T00:00:00.000Z'))).toBe(2);
      const left = await fx.repos.usageSnapshots.series({
        virtualAccountId: op.id,
        licenseType: 'HUCM_Basic',
      });
      expect(left.map((s) => [s.takenAt.toISOString(), s.inUse])).toEqual([
        ['2026-06-01T10:00:00.000Z', 2],
      ]);
    });
  });
});
