// Real: the sync service, the CSSM client and HTTP over loopback, SQLite in a temp file.
// Faked: CSSM itself (test/fakes/fake-cssm.ts, programmable answers: an empty VA list, a short
// license list, a VA that disappears and comes back, odd quantities) and the smartlic clock.
// What is checked: what the operator set up survives whatever CSSM lists, and a VA CSSM no
// longer lists is shown as such by the read side (reports, the site's data) and alerted.
import { afterEach, describe, expect, it } from 'vitest';
import * as reports from '../../core/reports/index.ts';
import { loadSiteData } from '../../site/lib/data.ts';
import { licenseRecord } from '../fakes/fake-cssm.ts';
import { fakeSetup, type FakeFixture } from './fake-cssm-fixture.ts';

let fx: FakeFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const sync = (f: FakeFixture, extra: Record<string, unknown> = {}) =>
  f.services.sync.syncAccount(f.account.id, { requestedBy: 'test', ...extra });

/** First sync, then the operator's settings: modes, roles, a cluster assigned to va-ops. */
async function operatorSetUp(f: FakeFixture) {
  const first = await sync(f);
  expect(first.status).toBe('Completed');
  const ops = (await f.repos.virtualAccounts.getByName(f.account.id, 'va-ops'))!;
  const ordered = (await f.repos.virtualAccounts.getByName(f.account.id, 'va-ordered'))!;
  await f.repos.virtualAccounts.setLicenseMode(ops.id, 'HCS');
  await f.repos.virtualAccounts.setRole(ops.id, 'operational');
  await f.repos.virtualAccounts.setRole(ordered.id, 'ordered');
  const customer = await f.repos.customers.upsert({ name: 'tenant-1' });
  const cluster = await f.repos.clusters.upsert({
    customerId: customer.id,
    name: 'cucm-1',
    type: 'CUCM',
    version: '14.0',
    publisherAddress: 'http://127.0.0.1:9',
    adminUsername: 'admin',
    adminPassword: 'Cluster-Pass-9',
  });
  await f.repos.clusters.assign(cluster.id, ops.id, 'Manually Registered');
  return { ops, ordered, cluster };
}

async function settings(f: FakeFixture) {
  const vas = await f.repos.virtualAccounts.listBySmartAccount(f.account.id);
  const clusters = await f.repos.clusters.list({ smartAccountId: f.account.id });
  const licenses: Record<string, number> = {};
  for (const v of vas)
    licenses[v.name] = (await f.repos.licenses.listByVirtualAccount(v.id)).length;
  return {
    vas: vas.map((v) => [v.name, v.licenseMode, v.role]),
    clusters: clusters.map((c) => [c.name, c.virtualAccountId]),
    licenses,
  };
}

describe('operator data survives CSSM answers', () => {
  it('an empty VA list is refused as suspect; everything stays', async () => {
    fx = await fakeSetup();
    await operatorSetUp(fx);
    const before = await settings(fx);
    fx.cssm.world.vas = [];
    fx.cssm.world.licenses = [];
    const o = await sync(fx);
    expect(o.status).toBe('Failed');
    expect(o.error?.code).toBe('SUSPECT_LISTING');
    expect(o.error?.message).toMatch(/lacks 3 of the 3 virtual accounts/);
    expect(o.error?.action).toMatch(/--accept-drop/);
    expect(await settings(fx)).toEqual(before);
    const job = (await fx.repos.jobs.getById(o.jobId!))!;
    expect(job.errorCode).toBe('SUSPECT_LISTING');
  });

  it('a short license list is refused; --accept-drop applies it', async () => {
    fx = await fakeSetup();
    await operatorSetUp(fx);
    const before = await settings(fx);
    fx.cssm.world.licenses = fx.cssm.world.licenses.slice(0, 2);
    const o = await sync(fx);
    expect(o.error?.code).toBe('SUSPECT_LISTING');
    expect(o.error?.message).toMatch(/license types/);
    expect(await settings(fx)).toEqual(before);
    const ok = await sync(fx, { acceptDrop: true });
    expect(ok.status).toBe('Completed');
    expect((await settings(fx)).licenses).toEqual({ 'va-ops': 2, 'va-ordered': 0, 'va-lab': 0 });
  });

  it('an empty device list is refused as suspect', async () => {
    fx = await fakeSetup();
    await operatorSetUp(fx);
    fx.cssm.world.devices = [];
    fx.cssm.world.licenses[0]!.inUse = 41; // a change, so tokens and devices are re-read
    fx.cssm.world.licenses[0]!.available = 59;
    const o = await sync(fx, { full: true });
    expect(o.error?.code).toBe('SUSPECT_LISTING');
    expect(o.error?.message).toMatch(/2 of the 2 devices/);
    const ops = (await fx.repos.virtualAccounts.getByName(fx.account.id, 'va-ops'))!;
    expect(await fx.repos.devices.listByVirtualAccount(ops.id)).toHaveLength(2);
  });

  it('a VA CSSM stops listing is kept, marked missing, and comes back with its settings', async () => {
    fx = await fakeSetup({ config: { sync: { removeMissingAfterSyncs: 3 } } });
    await operatorSetUp(fx);
    const before = await settings(fx);
    const all = fx.cssm.world.vas;
    fx.cssm.world.vas = all.filter((v) => v.name !== 'va-ops');
    const t1 = fx.clock.now();
    const o = await sync(fx);
    expect(o.status).toBe('Completed');
    expect(o.missing).toEqual([{ name: 'va-ops', since: t1, syncs: 1 }]);
    const job = (await fx.repos.jobs.getById(o.jobId!))!;
    expect(job.statusInformation).toMatch(/missing in CSSM \(kept\): va-ops since/);
    fx.clock.advance({ days: 1 });
    const o2 = await sync(fx);
    expect(o2.missing).toEqual([{ name: 'va-ops', since: t1, syncs: 2 }]);
    // Everything the operator set is still there, and so are the VA's licenses.
    expect(await settings(fx)).toEqual(before);
    const ops = (await fx.repos.virtualAccounts.getByName(fx.account.id, 'va-ops'))!;
    expect(ops.missingSince).toEqual(t1);
    // The read side shows it: the VA summary (va list, vas, the site), the usage header and
    // the status overview.
    const summary = await reports.virtualAccountSummary(fx.h.db);
    expect(summary.map((v) => [v.name, v.missingSince, v.missingSyncs])).toEqual([
      ['va-lab', null, 0],
      ['va-ops', t1, 2],
      ['va-ordered', null, 0],
    ]);
    const ref = await reports.resolveVirtualAccount(fx.h.db, 'fake.example.com/va-ops');
    expect([ref.missingSince, ref.missingSyncs]).toEqual([t1, 2]);
    const overview = await reports.statusOverview(fx.h.db, { now: fx.clock.now() });
    expect(overview.virtualAccounts).toMatchObject({ total: 3, missing: 1 });
    // The site's VA summary and VA page show it too.
    const { data } = await loadSiteData(fx.h.db, fx.clock);
    const rows = data.virtualAccounts.tables[0]!.rows;
    const since = `${t1.toISOString().slice(0, 16).replace('T', ' ')} UTC (2 syncs)`;
    expect(rows.map((r) => r.missing)).toEqual([null, since, null]);
    const page = data.vaPages.find((p) => p.title.endsWith('/va-ops'))!;
    expect(page.facts.find((f) => f.label === 'Missing in CSSM since')?.value).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d UTC \(2 syncs without it/,
    );
    // The va-missing alert opened after the sync (remove after 3: critical at 1 left).
    const [alert] = await fx.services.alerts.list({ rule: 'va-missing' });
    expect([alert?.severity, alert?.entity.name, alert?.facts.syncsLeft]).toEqual([
      'critical',
      'va-ops',
      1,
    ]);
    // Back in the listing: the mark goes, the settings stay.
    fx.cssm.world.vas = all;
    const o3 = await sync(fx);
    expect(o3.missing).toEqual([]);
    expect(await fx.services.alerts.list({ rule: 'va-missing' })).toEqual([]);
    const back = (await fx.repos.virtualAccounts.getByName(fx.account.id, 'va-ops'))!;
    expect([back.missingSince, back.missingSyncs, back.licenseMode, back.role]).toEqual([
      null,
      0,
      'HCS',
      'operational',
    ]);
    expect(await settings(fx)).toEqual(before);
  });

  it('after N consecutive agreeing syncs the VA goes, its usage history stays', async () => {
    fx = await fakeSetup({ config: { sync: { removeMissingAfterSyncs: 2 } } });
    const { ops } = await operatorSetUp(fx);
    fx.cssm.world.vas = fx.cssm.world.vas.filter((v) => v.name !== 'va-ops');
    expect((await sync(fx)).missing.map((m) => m.name)).toEqual(['va-ops']);
    const o = await sync(fx);
    expect(o.removed).toEqual(['va-ops']);
    expect(await fx.repos.virtualAccounts.getByName(fx.account.id, 'va-ops')).toBeUndefined();
    const history = await fx.h.db
      .selectFrom('usage_snapshots')
      .select('id')
      .where('virtual_account_id', '=', ops.id)
      .execute();
    expect(history.length).toBeGreaterThan(0);
    const clusters = await fx.repos.clusters.list({});
    expect(clusters[0]!.virtualAccountId).toBeNull();
    // Removed: no longer in the VA summary nor counted in the account's VA#.
    expect((await reports.virtualAccountSummary(fx.h.db)).map((v) => v.name)).toEqual([
      'va-lab',
      'va-ordered',
    ]);
    const [sa] = await reports.smartAccountSummary(fx.h.db, { now: fx.clock.now() });
    expect(sa!.virtualAccounts).toBe(2);
  });

  it('records naming a VA the list lacks are reported, not silently dropped', async () => {
    fx = await fakeSetup();
    fx.cssm.world.licenses.push(licenseRecord('va-ghost', 'UC Manager CUWL License (12.x)', 5, 1));
    const o = await sync(fx);
    expect(o.status).toBe('Completed');
    expect(o.unknownVaRecords).toEqual([{ kind: 'license', virtualAccount: 'va-ghost', count: 1 }]);
    const job = (await fx.repos.jobs.getById(o.jobId!))!;
    expect(job.statusInformation).toMatch(
      /records naming a VA CSSM did not list: 1 license\(s\) of va-ghost/,
    );
  });

  it.each([
    ['quantity', 2.5, /licenses\[1\]\.quantity`: expected a whole number, got 2\.5/],
    ['inUse', -3, /licenses\[1\]\.inUse`: expected zero or more, got -3/],
    ['quantity', '7.25', /licenses\[1\]\.quantity`: expected a whole number/],
  ])('a %s of %s is a shape error naming the field', async (field, value, re) => {
    fx = await fakeSetup();
    (fx.cssm.world.licenses[1] as unknown as Record<string, unknown>)[field] = value;
    const o = await sync(fx);
    expect(o.status).toBe('Failed');
    expect(o.error?.code).toBe('CSSM1020');
    expect(o.error?.message).toMatch(re);
    expect((await settings(fx)).licenses).toEqual({ 'va-ops': 0, 'va-ordered': 0, 'va-lab': 0 });
  });
});
