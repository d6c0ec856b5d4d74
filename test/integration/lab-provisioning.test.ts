// Bulk provisioning and VA setup (issue 23): `start`'s path (bin/cli/lab-import.ts provisionLab)
// provisions every account of a generated estate a few at a time, sets the lab's VA roles and
// license modes in one job and imports the clusters in one; a second run writes no VA job.
// Then the rules of the bulk VA settings, which are those of `va mode`: a mode changes only
// while no cluster is assigned, every refused setting is reported, and nothing is written then.
// Real: the emulator (`--scale 30`, in this process) over loopback HTTP with signed OAuth, the
// provisioning, jobs, leases and import services from createServices, SQLite in a temp file and
// PostgreSQL at SMARTLIC_TEST_PG (skipped without it: test/support/pg.ts says so). Faked: the
// clock (TestClock). Covers ProvisionService.provisionMany (core/services/provision.service.ts),
// VirtualAccountsService.applySettings (core/services/virtual-accounts.service.ts),
// VirtualAccountsRepository.applySettings/assignedClusterCounts and bin/cli/lab-import.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { SmartlicError } from '../../core/errors.ts';
import { silentLogger } from '../../core/log.ts';
import { provisionLab } from '../../bin/cli/lab-import.ts';
import { setup, type Fixture } from './sync-fixture.ts';
import { storeKinds } from '../support/pg.ts';

async function jobsByType(fx: Fixture): Promise<Map<string, number>> {
  const rows = await fx.h.db.selectFrom('jobs').select(['job_type', 'status']).execute();
  const out = new Map<string, number>();
  for (const r of rows) {
    expect(r.status, r.job_type).toBe('Completed');
    out.set(r.job_type, (out.get(r.job_type) ?? 0) + 1);
  }
  return out;
}

type Inventory = {
  smartAccounts: {
    domain: string;
    virtualAccounts: { name: string; role: string | null; licenseMode: string | null }[];
  }[];
  clusters: unknown[];
};

describe.each(storeKinds())('bulk provisioning and VA setup (%s)', (store) => {
  let fx: Fixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('start provisions every account, sets the VAs in one job and imports in one; again: no VA job', async () => {
    fx = await setup({ emulator: { scale: 30 }, store });
    const deps = { services: fx.services, repos: fx.repos, logger: silentLogger };
    const lines: string[] = [];
    await provisionLab(deps, fx.emu, (s) => lines.push(s), { concurrency: 3 });

    const clients = fx.emu.ready.clients.length;
    expect(clients).toBeGreaterThan(3);
    expect((await fx.repos.smartAccounts.list()).length).toBe(clients);
    const jobs = await jobsByType(fx);
    expect(jobs.get('Provision Smart Account')).toBe(clients);
    expect(jobs.get('Set Virtual Account Settings')).toBe(1);
    expect(jobs.get('Set License Mode')).toBeUndefined();
    expect(jobs.get('Import Clusters')).toBe(1);
    const audit = await fx.h.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('entity_type', '=', 'Virtual Account')
      .execute();
    expect(audit).toHaveLength(1);

    // Every cloud VA has the lab's mode and role.
    const inv = (await fx.admin('inventory')) as Inventory;
    let withMode = 0;
    for (const sa of inv.smartAccounts) {
      const account = await fx.repos.smartAccounts.getByDomain(sa.domain);
      for (const v of sa.virtualAccounts) {
        const stored = await fx.repos.virtualAccounts.getByName(account!.id, v.name);
        if (v.licenseMode) {
          withMode++;
          expect(stored?.licenseMode, `${sa.domain}/${v.name}`).toBe(v.licenseMode);
        }
        if (v.role === 'ordered' || v.role === 'operational') expect(stored?.role).toBe(v.role);
      }
    }
    expect(withMode).toBeGreaterThan(0);
    expect(inv.clusters.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.startsWith('imported '))).toBe(true);

    // A second start over the same database: the settings are stored, nothing to change.
    await provisionLab(deps, fx.emu, () => undefined);
    const again = await jobsByType(fx);
    expect(again.get('Set Virtual Account Settings')).toBe(1);
    expect(again.get('Provision Smart Account')).toBe(2 * clients);
  });

  it('a refused account stops provisioning and the error names it', async () => {
    fx = await setup({ emulator: { scale: 30 }, store });
    const ready = fx.emu.ready;
    const bad = ready.clients.find((c) => c.for === 'cloud')!;
    const good = ready.clients.find((c) => c.for === 'onprem')!;
    expect(bad && good).toBeTruthy();
    const req = (c: typeof good) => ({
      source: c.for === 'cloud' ? ('cssm' as const) : ('satellite' as const),
      domain: c.account,
      ...(c.for === 'cloud' ? {} : { localAccount: c.account }),
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      tokenUrl: c.for === 'cloud' ? ready.cloud.tokenUrl : ready.onprem.tokenUrl,
      apiBase: c.for === 'cloud' ? ready.cloud.apiBase : ready.onprem.apiBase,
      requestedBy: 'test',
      sync: false,
    });
    const e = await fx.services.provision
      .provisionMany([req(good), { ...req(bad), clientSecret: 'not-the-secret-x' }], {
        concurrency: 1,
      })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SmartlicError);
    expect((e as SmartlicError).code).toBe('CSSM1011');
    expect((e as SmartlicError).message).toContain(`provisioning ${bad.account}`);
    expect((e as SmartlicError).message).not.toContain('not-the-secret-x');
    expect((await fx.repos.smartAccounts.list()).map((a) => a.domain)).toEqual([good.account]);
  });

  it('the rules of va mode, for every VA at once: all refusals reported, nothing written', async () => {
    fx = await setup({ emulator: { scale: 30 }, store });
    const deps = { services: fx.services, repos: fx.repos, logger: silentLogger };
    await provisionLab(deps, fx.emu, () => undefined);
    const va = fx.services.virtualAccounts;
    // A VA with clusters, one without, from the imported lab.
    const all = await fx.repos.virtualAccounts.listAll();
    const counts = await fx.repos.virtualAccounts.assignedClusterCounts(all.map((v) => v.id));
    const busy = all.find((v) => (counts.get(v.id) ?? 0) > 0 && v.licenseMode)!;
    const idle = all.filter((v) => !counts.has(v.id));
    expect(busy).toBeDefined();
    expect(idle.length).toBeGreaterThan(1);
    const domainOf = async (id: number) => (await fx!.repos.smartAccounts.getById(id))!.domain;
    const busyDomain = await domainOf(busy.smartAccountId);
    const other = busy.licenseMode === 'HCS' ? 'Enterprise' : 'HCS';
    const idleA = idle[0]!;
    const idleDomain = await domainOf(idleA.smartAccountId);
    const jobsBefore = await jobsByType(fx);

    const r = await va.applySettings({
      requestedBy: 'test',
      source: 'test',
      settings: [
        { domain: idleDomain, va: idleA.name, mode: 'hcs-le' },
        { domain: busyDomain, va: busy.name, mode: other },
        { domain: busyDomain, va: busy.name, mode: busy.licenseMode! },
        { domain: 'nowhere.example', va: 'va-x', mode: 'HCS' },
        { domain: idleDomain, va: 'no-such-va', mode: 'HCS' },
        { domain: idleDomain, va: idle[1]?.name ?? idleA.name, mode: 'Gold' },
        { domain: busyDomain, va: busy.name, role: 'ordered' },
      ],
    });
    expect(r.job).toBeUndefined();
    expect(r.problems.map((p) => [p.index, p.code])).toEqual([
      [1, 'VA_CLUSTERS_ASSIGNED'],
      [2, 'INPUT'],
      [3, 'NOT_FOUND'],
      [4, 'NOT_FOUND'],
      [5, 'INPUT'],
      [6, 'INPUT'],
    ]);
    expect(r.problems[0]!.action).toContain('unassign');
    expect((await fx.repos.virtualAccounts.getById(idleA.id))?.licenseMode).toBe(idleA.licenseMode);
    expect(await jobsByType(fx)).toEqual(jobsBefore);

    // The same mode on a VA with clusters changes nothing and is allowed, as `va mode` does.
    const ok = await va.applySettings({
      requestedBy: 'test',
      source: 'test',
      settings: [
        { domain: busyDomain, va: busy.name, mode: busy.licenseMode! },
        { domain: idleDomain, va: idleA.name, mode: 'HCS-LE' },
      ],
    });
    expect(ok.problems).toEqual([]);
    expect([ok.changed, ok.unchanged]).toEqual([idleA.licenseMode === 'HCS-LE' ? 0 : 1, 1]);
    expect((await fx.repos.virtualAccounts.getById(idleA.id))?.licenseMode).toBe('HCS-LE');

    // A dry run answers and writes nothing.
    const dry = await va.applySettings({
      requestedBy: 'test',
      source: 'test',
      dryRun: true,
      settings: [{ domain: idleDomain, va: idleA.name, mode: 'Enterprise' }],
    });
    expect([dry.changed, dry.job]).toEqual([1, undefined]);
    expect((await fx.repos.virtualAccounts.getById(idleA.id))?.licenseMode).toBe('HCS-LE');
  });

  it('a VA with clusters cannot become the ordered VA; an idle one can, in one job', async () => {
    fx = await setup({ emulator: { scale: 30 }, store });
    const deps = { services: fx.services, repos: fx.repos, logger: silentLogger };
    await provisionLab(deps, fx.emu, () => undefined);
    const all = await fx.repos.virtualAccounts.listAll();
    const counts = await fx.repos.virtualAccounts.assignedClusterCounts(all.map((v) => v.id));
    const busy = all.find((v) => (counts.get(v.id) ?? 0) > 0 && v.role !== 'ordered')!;
    const idle = all.find((v) => !counts.has(v.id) && v.role !== 'ordered')!;
    expect(busy && idle).toBeTruthy();
    const domainOf = async (id: number) => (await fx!.repos.smartAccounts.getById(id))!.domain;
    const va = fx.services.virtualAccounts;
    const refused = await va.applySettings({
      requestedBy: 'test',
      source: 'test',
      settings: [
        { domain: await domainOf(idle.smartAccountId), va: idle.name, role: 'ordered' },
        { domain: await domainOf(busy.smartAccountId), va: busy.name, role: 'ordered' },
      ],
    });
    expect(refused.problems.map((p) => [p.index, p.code])).toEqual([[1, 'VA_CLUSTERS_ASSIGNED']]);
    expect(refused.problems[0]!.message).toContain('cannot become the ordered VA');
    expect((await fx.repos.virtualAccounts.getById(idle.id))?.role).toBe(idle.role);

    const r = await va.applySettings({
      requestedBy: 'test',
      source: 'test',
      settings: [{ domain: await domainOf(idle.smartAccountId), va: idle.name, role: 'ordered' }],
    });
    expect(r.problems).toEqual([]);
    expect(r.job?.status).toBe('Completed');
    expect(r.job?.jobType).toBe('Set Virtual Account Settings');
    expect((await fx.repos.virtualAccounts.getById(idle.id))?.role).toBe('ordered');
  });
});
