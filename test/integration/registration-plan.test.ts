// Real: SQLite in a temp file with the real migrations and repositories, the real service
// container (createServices), the real emulator over loopback HTTP (demo scenario, frozen clock)
// as CSSM and as the CUCM/CUC/CER publishers. Faked: nothing but time (a TestClock at the
// emulator's now). Covers core/services/clusters/registration-plan.ts against
// registration.ts: for every refusal the registration can give, the dry run (planRegistration)
// foresees it with the same code, changes nothing, and the real run then gives that refusal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../emulator/index.ts';
import type { Repositories } from '../../core/store/index.ts';
import type { Services } from '../../core/services/index.ts';
import { OP_VA, SA, WHO, failure, clustersLab, type ClustersLab } from './clusters-lab.ts';

let lab: ClustersLab;
let emu: RunningEmulator;
let repos: Repositories;
let s: Services;
const emuCluster = (name: string) => lab.emuCluster(name);
const add = (...a: Parameters<ClustersLab['add']>) => lab.add(...a);

beforeAll(async () => {
  lab = await clustersLab('smartlic-plan-');
  ({ emu, repos, s } = lab);
}, 60_000);

afterAll(async () => {
  await lab?.close();
});

interface Case {
  what: string;
  code: string;
  cluster: string;
  va?: string;
  prepare?: () => Promise<void>;
}

/** The dry run names the refusal and changes nothing; the real run then gives it. */
async function foresees(c: Case): Promise<void> {
  await c.prepare?.();
  const before = await s.clusters.resolve({ cluster: c.cluster });
  const plan = await s.clusters.planRegistration(
    { cluster: c.cluster },
    { ...(c.va ? { va: c.va } : {}), force: false, exportControlled: false },
  );
  expect(plan.blockedBy?.code, `${c.what}: ${plan.steps.join(' | ')}`).toBe(c.code);
  expect(plan.steps.join('\n')).toMatch(/refused|SLM1014/);
  const after = await s.clusters.resolve({ cluster: c.cluster });
  expect(after.cluster.virtualAccountId).toBe(before.cluster.virtualAccountId);
  expect(after.cluster.status).toBe(before.cluster.status);
  const f = await failure(
    s.clusters.register({ cluster: c.cluster, ...(c.va ? { va: c.va } : {}), requestedBy: WHO }),
  );
  expect(f.code, c.what).toBe(c.code);
}

const patchEmu = (name: string, body: object) =>
  fetch(`${emu.ready.admin}/clusters/${name}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('cluster register --dry-run foresees every refusal of the run', () => {
  it('SLMCT1006: an 11.x cluster licenses through PLM (the refusal the seven steps missed)', async () => {
    await add('hooli-cucm-02'); // 11.5
    await foresees({ what: '11.x', code: 'SLMCT1006', cluster: 'hooli-cucm-02', va: OP_VA });
    const plan = await s.clusters.planRegistration(
      { cluster: 'hooli-cucm-02' },
      { va: OP_VA, force: false, exportControlled: false },
    );
    expect(plan.steps[0]).toMatch(/not asked: the run stops at its type and version/);
    expect(plan.steps.join('\n')).toMatch(/Prime License Manager|PLM/);
  });

  it('SLMCT1007: --va names another VA than the one assigned', async () => {
    await add('acme-cucm-02');
    const c = (await s.clusters.resolve({ cluster: 'acme-cucm-02' })).cluster;
    const sa = (await repos.smartAccounts.getByDomain(SA))!;
    await repos.clusters.assign(
      c.id,
      (await repos.virtualAccounts.getByName(sa.id, 'va-acme'))!.id,
    );
    await foresees({ what: 'other VA', code: 'SLMCT1007', cluster: 'acme-cucm-02', va: OP_VA });
  });

  it('SLM1014: the VA has no license mode', async () => {
    await add('globex-cucm-02');
    await foresees({
      what: 'no mode',
      code: 'SLM1014',
      cluster: 'globex-cucm-02',
      va: `${SA}/va-globex`,
    });
  });

  it('VA_ORDERED: the ordered VA', async () => {
    const sa = (await repos.smartAccounts.getByDomain(SA))!;
    const ordered = (await repos.virtualAccounts.getByName(sa.id, 'va-hcs-ordered'))!;
    await repos.virtualAccounts.setLicenseMode(ordered.id, 'HCS');
    await repos.virtualAccounts.setRole(ordered.id, 'ordered');
    await add('globex-cuc-01');
    await foresees({
      what: 'ordered',
      code: 'VA_ORDERED',
      cluster: 'globex-cuc-01',
      va: `${SA}/va-hcs-ordered`,
    });
  });

  it('SLMCT1006: an HCS-LE VA and a Unified CM release without HCS-LE', async () => {
    const sa = (await repos.smartAccounts.getByDomain(SA))!;
    const le = (await repos.virtualAccounts.getByName(sa.id, 'DEFAULT'))!;
    await repos.virtualAccounts.setLicenseMode(le.id, 'HCS-LE');
    await add('globex-cucm-01'); // 15.0
    await foresees({
      what: 'HCS-LE',
      code: 'SLMCT1006',
      cluster: 'globex-cucm-01',
      va: `${SA}/DEFAULT`,
    });
  });

  it("the product's status cannot be read (wrong administrator password)", async () => {
    const e = await emuCluster('initech-cucm-01');
    await s.clusters.add({
      customer: e.customer,
      name: e.name,
      type: e.type,
      version: e.version,
      publisherAddress: e.baseUrl!,
      adminUsername: e.credentials.username,
      adminPassword: 'not-the-password',
      requestedBy: WHO,
    });
    const plan = await s.clusters.planRegistration(
      { cluster: e.name },
      { va: OP_VA, force: false, exportControlled: false },
    );
    expect(plan.blockedBy).not.toBeNull();
    expect(plan.steps[0]).toMatch(/could not be read: refused/);
    const f = await failure(s.clusters.register({ cluster: e.name, va: OP_VA, requestedBy: WHO }));
    expect(f.code).toBe(plan.blockedBy!.code);
  });

  it('MODE_CHANGE_NEEDED: the product shows HCS-LE entitlements, the VA is HCS; then no refusal', async () => {
    expect((await patchEmu('stark-cucm-01', { licenseMode: 'HCS-LE' })).status).toBe(200);
    await add('stark-cucm-01');
    await foresees({
      what: 'mode',
      code: 'MODE_CHANGE_NEEDED',
      cluster: 'stark-cucm-01',
      va: OP_VA,
    });
    // The operator installs the COP file: the dry run now foresees no refusal, and the run works.
    await patchEmu('stark-cucm-01', { licenseMode: 'HCS' });
    const plan = await s.clusters.planRegistration(
      { cluster: 'stark-cucm-01' },
      { force: false, exportControlled: false },
    );
    expect(plan.blockedBy).toBeNull();
    expect(plan.steps.join('\n')).not.toMatch(/refused/);
    const ok = await s.clusters.register({ cluster: 'stark-cucm-01', requestedBy: WHO });
    expect(ok.job.status).toBe('Completed');
  });

  it('ALREADY_REGISTERED: registered now and no --force (cluster register stops there)', async () => {
    // Registered here when not so already (the test above leaves it so; alone, it must be made).
    if (!(await s.clusters.list({})).some((c) => c.name === 'stark-cucm-01')) {
      await patchEmu('stark-cucm-01', { licenseMode: 'HCS' });
      await add('stark-cucm-01');
    }
    const c = (await s.clusters.resolve({ cluster: 'stark-cucm-01' })).cluster;
    if (c.registrationStatus !== 'Registered')
      await s.clusters.register({ cluster: 'stark-cucm-01', va: OP_VA, requestedBy: WHO });
    const plan = await s.clusters.planRegistration(
      { cluster: 'stark-cucm-01' },
      { force: false, exportControlled: false },
    );
    expect(plan.registeredNow).toBe(true);
    expect(plan.blockedBy?.code).toBe('ALREADY_REGISTERED');
    const forced = await s.clusters.planRegistration(
      { cluster: 'stark-cucm-01' },
      { force: true, exportControlled: false },
    );
    expect(forced.blockedBy).toBeNull();
  });
});
