// Real: SQLite in a temp file with the real migrations and repositories, the real service
// container (createServices), talking over loopback HTTP to the real emulator (demo scenario,
// frozen clock) as CSSM and as the CUCM/CUC/CER publishers, which refuse anything that is not
// a documented operation. Faked: nothing but time (a TestClock at the emulator's now).
// Covers what issue 7 / 8 ask of the workflows: Emergency Responder end to end with its state
// from CSSM's device list, the license-mode rule (no call sets a mode), the ordered-VA and
// HCS-LE rules, the export-control match, and the AXL schema following the cluster.
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
  lab = await clustersLab('smartlic-wire-');
  ({ emu, repos, s } = lab);
}, 60_000);

afterAll(async () => {
  await lab?.close();
});

describe('Emergency Responder end to end', () => {
  it('registers by form, is confirmed by CSSM, renews by itself, deregisters through CSSM', async () => {
    await add('stark-cer-01');
    const reg = await s.clusters.register({ cluster: 'stark-cer-01', va: OP_VA, requestedBy: WHO });
    expect(reg.job.status).toBe('Completed');
    expect(reg.job.statusInformation).toMatch(
      /confirmed by CSSM's device list \(stark-cer-01-pub\.stark\.example\), not by the product/,
    );
    expect(reg.cluster).toMatchObject({
      status: 'Manually Registered',
      registrationStatus: 'Registered',
      authorizationStatus: 'Authorized',
    });
    expect(reg.cluster.productUdi).toMatch(/^UDI: PID:CER,SN:/);
    const row = (await s.clusters.list({ customer: 'Stark Industries' })).find(
      (c) => c.name === 'stark-cer-01',
    )!;
    expect(row.stateFrom).toBe('cssm-device-list');
    expect(
      (await s.clusters.list({ customer: 'Stark Industries' }))
        .filter((c) => c.type !== 'CER')
        .every((c) => c.stateFrom === 'product'),
    ).toBe(true);

    const renew = await s.clusters.renewAuthorization({
      cluster: 'stark-cer-01',
      requestedBy: WHO,
    });
    expect(renew.job.status).toBe('Completed');
    expect(renew.job.statusInformation).toMatch(
      /renews its authorization on its own and has no interface to ask it to; CSSM last heard from stark-cer-01-pub\.stark\.example at 20\d\d-/,
    );

    const dereg = await s.clusters.deregister({ cluster: 'stark-cer-01', requestedBy: WHO });
    expect(dereg.job.status).toBe('Completed');
    expect(dereg.job.statusInformation).toMatch(/removed in CSSM/);
    expect(dereg.cluster).toMatchObject({
      status: 'Deregistered',
      registrationStatus: 'Unregistered',
    });
    expect((await emuCluster('stark-cer-01')).registration.status).toBe('Unregistered');
    const again = await failure(
      s.clusters.renewRegistration({ cluster: 'stark-cer-01', requestedBy: WHO }),
    );
    expect(again.code).toBe('CAA1081');

    // Registering again works: the form, then CSSM lists it again.
    const back = await s.clusters.register({ cluster: 'stark-cer-01', requestedBy: WHO });
    expect(back.cluster.registrationStatus).toBe('Registered');
  });

  it('an instance CSSM does not list is a failure, "unverified on the product"', async () => {
    await add('umbrella-cer-01', { hostname: null });
    await repos.clusters.assign(
      (await s.clusters.resolve({ cluster: 'umbrella-cer-01' })).cluster.id,
      (await repos.virtualAccounts.getByName(
        (await repos.smartAccounts.getByDomain(SA))!.id,
        'va-hcs-operational',
      ))!.id,
    );
    const f = await failure(s.clusters.register({ cluster: 'umbrella-cer-01', requestedBy: WHO }));
    expect(f.code).toBe('CAA1081');
    expect(f.message).toMatch(
      /CSSM does not list its product instance 127\.0\.0\.1.*unverified on the product/,
    );
    expect(f.action).toContain('--publisher-hostname');
  });
});

describe('license mode: never a call, a clear step where a change is needed', () => {
  it('a product in HCS-LE mode for an HCS VA: the job names the COP file, the publisher, the reboot', async () => {
    const r = await fetch(`${emu.ready.admin}/clusters/stark-cucm-01`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ licenseMode: 'HCS-LE' }),
    });
    expect(r.status).toBe(200);
    await add('stark-cucm-01');
    const f = await failure(
      s.clusters.register({ cluster: 'stark-cucm-01', va: OP_VA, requestedBy: WHO }),
    );
    expect(f.code).toBe('MODE_CHANGE_NEEDED');
    expect(f.action).toMatch(
      /^install ciscocm\.HCSMode_P0029-2\.cop\.sgn .* on the publisher 127\.0\.0\.1 of stark-cucm-01, reboot the publisher, then register again$/,
    );
    // Nothing was sent that pretends to change it: the product is still HCS-LE, unregistered.
    const e = await emuCluster('stark-cucm-01');
    expect(e.licenseMode).toBe('HCS-LE');
    expect(e.registration.status).toBe('Unregistered');
    // The operator installs the COP file (the lab's admin API plays that); then it registers.
    await fetch(`${emu.ready.admin}/clusters/stark-cucm-01`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ licenseMode: 'HCS' }),
    });
    const ok = await s.clusters.register({ cluster: 'stark-cucm-01', requestedBy: WHO });
    expect(ok.cluster).toMatchObject({ registrationStatus: 'Registered', licenseMode: 'HCS' });
  });

  it('an Enterprise-mode 12.x+ product registers to an HCS VA with no mode change', async () => {
    await add('acme-cucm-02'); // 12.5, Enterprise, registered in va-acme
    const c = (await s.clusters.resolve({ cluster: 'acme-cucm-02' })).cluster;
    const op = (await repos.virtualAccounts.getByName(
      (await repos.smartAccounts.getByDomain(SA))!.id,
      'va-hcs-operational',
    ))!;
    await repos.clusters.assign(c.id, op.id);
    const r = await s.clusters.register({ cluster: 'acme-cucm-02', requestedBy: WHO });
    expect(r.job.status).toBe('Completed');
    expect(r.cluster.licenseMode).toBe('Enterprise'); // what the product reports
    expect((await emuCluster('acme-cucm-02')).licenseMode).toBe('Enterprise');
    const jobs = await repos.jobs.list({
      entityType: 'Cluster',
      entityName: 'acme-cucm-02',
      limit: 1,
    });
    expect(jobs[0]!.statusInformation).toMatch(
      /^Registered to nimbus-hcs\.example\.com\/va-hcs-operational/,
    );
  });
});

describe('VA rules on assign and register', () => {
  it('the ordered VA is refused, naming the operational one', async () => {
    const sa = (await repos.smartAccounts.getByDomain(SA))!;
    const ordered = (await repos.virtualAccounts.getByName(sa.id, 'va-hcs-ordered'))!;
    await repos.virtualAccounts.setLicenseMode(ordered.id, 'HCS');
    await repos.virtualAccounts.setRole(ordered.id, 'ordered');
    const op = (await repos.virtualAccounts.getByName(sa.id, 'va-hcs-operational'))!;
    await repos.virtualAccounts.setRole(op.id, 'operational');
    await add('globex-cuc-01');
    const f = await failure(
      s.clusters.assign({ cluster: 'globex-cuc-01', va: `${SA}/va-hcs-ordered`, requestedBy: WHO }),
    );
    expect(f.code).toBe('VA_ORDERED');
    expect(f.action).toContain(OP_VA);
    const g = await failure(
      s.clusters.register({
        cluster: 'globex-cuc-01',
        va: `${SA}/va-hcs-ordered`,
        requestedBy: WHO,
      }),
    );
    expect(g.code).toBe('VA_ORDERED');
  });

  it('an HCS-LE VA refuses a CUCM release without HCS-LE', async () => {
    const sa = (await repos.smartAccounts.getByDomain(SA))!;
    const le = (await repos.virtualAccounts.getByName(sa.id, 'DEFAULT'))!;
    await repos.virtualAccounts.setLicenseMode(le.id, 'HCS-LE');
    await add('globex-cucm-01'); // 15.0
    const f = await failure(
      s.clusters.assign({ cluster: 'globex-cucm-01', va: `${SA}/DEFAULT`, requestedBy: WHO }),
    );
    expect(f.code).toBe('SLMCT1006');
    expect(f.message).toMatch(/no HCS-LE license mode/);
  });
});

describe('tokens and AXL schema', () => {
  it('a plain registration never gets an export-controlled token', async () => {
    const sa = (await repos.smartAccounts.getByDomain(SA))!;
    const acme = (await repos.virtualAccounts.getByName(sa.id, 'va-acme'))!;
    const before = await repos.tokens.list({ virtualAccountId: acme.id, status: 'Active' });
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((t) => t.exportControlled)).toBe(true);
    await add('acme-cuc-01');
    const r = await s.clusters.register({
      cluster: 'acme-cuc-01',
      va: `${SA}/va-acme`,
      requestedBy: WHO,
    });
    expect(r.job.statusInformation).toContain('token created now');
    const after = await repos.tokens.list({ virtualAccountId: acme.id, status: 'Active' });
    expect(after.filter((t) => !t.exportControlled)).toHaveLength(1);
    expect((await emuCluster('acme-cuc-01')).registration.status).toBe('Registered');
  });

  it('the AXL schema follows the cluster; an override the release does not serve is refused', async () => {
    await add('initech-cucm-02', { axl: '14.0' }); // a 12.5 cluster
    const f = await failure(
      s.clusters.renewAuthorization({ cluster: 'initech-cucm-02', requestedBy: WHO }),
    );
    expect(f.code).toBe('SLMCT1006');
    expect(f.message).toMatch(/AXL schema 14\.0 is not served/);
    await add('initech-cucm-02', { axl: '12.5' });
    // initech is a satellite customer; only the schema matters here: 12.5 is served.
    const c = (await s.clusters.resolve({ cluster: 'initech-cucm-02' })).cluster;
    expect(c.axlSchemaVersion).toBe('12.5');
  });
});
