// Real: SQLite in a temp file with the real migrations and repositories, the real service
// container (createServices: JobRunner, ClientFactory, SyncService with its afterSync hooks,
// TokensService, VirtualAccountsService, ClustersService, MigrationService), talking over loopback HTTP to the real emulator (demo scenario, frozen
// clock) as CSSM and as the CUCM/CUC/CER publishers. Faked: nothing but time — a TestClock
// moved in step with the emulator's clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { TestClock } from '../../core/clock.ts';
import { loadConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
  type DatabaseHandle,
  type Repositories,
  type SmartAccount,
} from '../../core/store/index.ts';
import {
  JobFailedError,
  createServices,
  type ClustersService,
  type MigrationService,
  type Services,
  type SyncService,
  type VirtualAccountsService,
} from '../../core/services/index.ts';

interface EmuCluster {
  name: string;
  customer: string;
  type: string;
  version: string;
  baseUrl: string | null;
  credentials: { username: string; password: string };
  nodes: { name: string; role: string; baseUrl: string }[];
  registration: { status: string | null };
  pool: { smartAccount: string; virtualAccount: string } | null;
}

const SA = 'nimbus-hcs.example.com';
const OP_VA = `${SA}/va-hcs-operational`;
const WHO = 'cli:tester';

let emu: RunningEmulator;
let dir: string;
let h: DatabaseHandle;
let repos: Repositories;
let clock: TestClock;
let services: Services;
let sync: SyncService;
let vas: VirtualAccountsService;
let clusters: ClustersService;
let migration: MigrationService;
let account: SmartAccount;

async function emuState(): Promise<{ clusters: EmuCluster[] }> {
  return (await (await fetch(`${emu.ready.admin}/state`)).json()) as { clusters: EmuCluster[] };
}
async function emuCluster(name: string): Promise<EmuCluster> {
  return (await emuState()).clusters.find((c) => c.name === name)!;
}
/** Moves only the emulator's (CSSM's and the products') clock. */
async function advanceEmulator(days: number): Promise<void> {
  const r = await fetch(`${emu.ready.admin}/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advance: `P${days}D` }),
  });
  expect(r.status).toBe(200);
}
async function addFromEmulator(name: string, over: { publisher?: string; as?: string } = {}) {
  const c = await emuCluster(name);
  return clusters.add({
    customer: c.customer,
    name: over.as ?? c.name,
    type: c.type,
    version: c.version,
    publisherAddress: over.publisher ?? c.baseUrl!,
    // The product instance name CSSM lists (the lab's publisher node name).
    publisherHostname: c.nodes.find((n) => n.role === 'publisher')!.name,
    adminUsername: c.credentials.username,
    adminPassword: c.credentials.password,
    requestedBy: WHO,
  });
}
/**
 * Each test states what it needs and gets it whether or not an earlier test of this file ran
 * (scripts/tests-alone.ts runs every test by itself): these add or register a cluster only
 * when it is not so already, so the file's order changes nothing.
 */
async function ensureAdded(name: string): Promise<void> {
  const known = (await clusters.list({})).some((c) => c.name === name);
  if (!known) await addFromEmulator(name);
}
async function ensureRegistered(name: string): Promise<void> {
  await ensureAdded(name);
  const c = (await clusters.resolve({ cluster: name })).cluster;
  if (c.registrationStatus !== 'Registered' || c.virtualAccountId === null)
    await clusters.register({ cluster: name, va: OP_VA, requestedBy: WHO });
}
/** hooli-cuc-01 and hooli-cer-01 auto-registered to va-hcs-operational (the auto-registration test). */
async function ensureHooliAutoRegistered(): Promise<void> {
  const states = await Promise.all(
    ['hooli-cuc-01', 'hooli-cer-01'].map(async (name) => {
      await ensureAdded(name);
      return (await clusters.resolve({ cluster: name })).cluster.status;
    }),
  );
  if (states.every((st) => st === 'Auto Registered')) return;
  await clusters.configureAutoRegistration({
    domain: SA,
    operationalVa: 'va-hcs-operational',
    requestedBy: WHO,
  });
  await clusters.autoRegister({ requestedBy: 'sync' });
}

/** The SmartlicError a failed job carries. */
async function failure(
  p: Promise<unknown>,
): Promise<{ code: string; action?: string; jobId?: number }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof JobFailedError) {
      return {
        code: e.error.code,
        ...(e.error.action ? { action: e.error.action } : {}),
        jobId: e.job.id,
      };
    }
    const se = e as { code?: string; action?: string };
    return { code: se.code ?? 'UNKNOWN', ...(se.action ? { action: se.action } : {}) };
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0, scenario: 'demo', frozen: true });
  clock = new TestClock(emu.ready.now);
  dir = mkdtempSync(join(tmpdir(), 'smartlic-clusters-'));
  const path = join(dir, 'smartlic.db');
  h = openDatabase({ path, clock });
  await migrateToLatest(h.db);
  const secrets = SecretBox.random();
  repos = createRepositories(h.db, secrets, clock);
  const config = loadConfig({
    env: {},
    overrides: {
      db: { path },
      http: { maxRetries: 0 },
      cssm: { devicesApiBase: emu.ready.cloud.devicesApiBase },
    },
  });
  services = createServices({ db: h.db, secrets, repos, clock, logger: silentLogger, config });
  ({ sync, virtualAccounts: vas, clusters, migration } = services);
  const cloud = emu.ready.clients.find((c) => c.for === 'cloud' && c.account === SA)!;
  account = await repos.smartAccounts.upsert({
    domain: SA,
    clientId: cloud.clientId,
    clientSecret: cloud.clientSecret,
    tokenUrl: emu.ready.cloud.tokenUrl,
    apiBase: emu.ready.cloud.apiBase,
    transportMode: 'Direct',
  });
  const out = await sync.syncAccount(SA, { requestedBy: WHO, full: true });
  expect(out.error).toBeUndefined();
  await vas.setLicenseMode({ domain: SA, va: 'va-hcs-operational', mode: 'HCS', requestedBy: WHO });
}, 60_000);

afterAll(async () => {
  await services?.close();
  await h?.close();
  await emu?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('inventory', () => {
  it('stores the admin password encrypted and refuses unsupported types (SLMCT1015)', async () => {
    const { cluster } = await addFromEmulator('stark-cucm-01');
    expect(cluster.hasAdminPassword).toBe(true);
    const raw = await h.db
      .selectFrom('clusters')
      .select('admin_password_enc')
      .where('id', '=', cluster.id)
      .executeTakeFirstOrThrow();
    const pw = (await emuCluster('stark-cucm-01')).credentials.password;
    expect(raw.admin_password_enc).not.toContain(pw);
    const f = await failure(
      clusters.add({
        customer: 'Stark Industries',
        name: 'stark-ucxn-xx',
        type: 'IMP',
        version: '15.0.1',
        publisherAddress: 'imp.example',
        adminUsername: 'a',
        adminPassword: 'b',
        requestedBy: WHO,
      }),
    );
    expect(f.code).toBe('SLMCT1015');
  });
});

describe('register workflow', () => {
  it('registers a CUCM publisher: mode, transport, token, register, status read back', async () => {
    await ensureAdded('stark-cucm-01');
    expect((await emuCluster('stark-cucm-01')).registration.status).toBe('Unregistered');
    const { job, cluster } = await clusters.register({
      cluster: 'stark-cucm-01',
      va: OP_VA,
      requestedBy: WHO,
    });
    expect(job.status).toBe('Completed');
    expect(cluster.status).toBe('Manually Registered');
    expect(cluster.registrationStatus).toBe('Registered');
    expect(cluster.licenseMode).toBe('HCS');
    const e = await emuCluster('stark-cucm-01');
    expect(e.registration.status).toBe('Registered');
    expect(e.pool?.virtualAccount).toBe('va-hcs-operational');
    expect((await clusters.list({ customer: 'Stark Industries' }))[0]).toMatchObject({
      name: 'stark-cucm-01',
      type: 'CUCM',
      smartAccount: SA,
      virtualAccount: 'va-hcs-operational',
      status: 'Manually Registered',
      jobStatus: 'Completed',
    });
  });

  it.each(['stark-cuc-01', 'stark-cer-01'])(
    'registers %s (already registered on the product: force)',
    async (name) => {
      await addFromEmulator(name);
      const { job, cluster } = await clusters.register({
        cluster: name,
        va: OP_VA,
        requestedBy: WHO,
      });
      expect(job.status).toBe('Completed');
      expect(cluster.status).toBe('Manually Registered');
      expect(cluster.registrationStatus).toBe('Registered');
      expect((await emuCluster(name)).registration.status).toBe('Registered');
    },
  );

  it('a subscriber address fails with CAA1049', async () => {
    const c = await emuCluster('hooli-cucm-01');
    const sub = c.nodes.find((n) => n.role === 'subscriber')!;
    await addFromEmulator('hooli-cucm-01', { publisher: sub.baseUrl, as: 'hooli-cucm-01-sub' });
    const f = await failure(
      clusters.register({ cluster: 'hooli-cucm-01-sub', va: OP_VA, requestedBy: WHO }),
    );
    expect(f.code).toBe('CAA1049');
    expect((await clusters.resolve({ cluster: 'hooli-cucm-01-sub' })).cluster.status).toBe(
      'Manual Registration Failed',
    );
  });

  it('an 11.5 cluster is SLMCT1006 and stays on PLM', async () => {
    const { cluster } = await addFromEmulator('hooli-cucm-02');
    expect(cluster.licensing).toBe('PLM');
    const f = await failure(
      clusters.register({ cluster: 'hooli-cucm-02', va: OP_VA, requestedBy: WHO }),
    );
    expect(f.code).toBe('SLMCT1006');
    const after = (await clusters.resolve({ cluster: 'hooli-cucm-02' })).cluster;
    expect(after.licensing).toBe('PLM');
    expect(after.virtualAccountId).toBeNull();
    expect(after.status).toBeNull();
  });

  it('a VA without a license mode refuses the cluster with SLM1014', async () => {
    await addFromEmulator('globex-cuc-01');
    const f = await failure(
      clusters.register({ cluster: 'globex-cuc-01', va: `${SA}/va-globex`, requestedBy: WHO }),
    );
    expect(f.code).toBe('SLM1014');
    const [job] = await repos.jobs.list({ entityName: 'globex-cuc-01', limit: 1 });
    expect(job).toMatchObject({ status: 'Failed', errorCode: 'SLM1014' });
    expect(job!.recommendedAction).toMatch(/va mode/);
  });

  it('assigning twice is SLMCT1007; unassigning an unassigned cluster is SLMCT1011', async () => {
    await ensureRegistered('stark-cucm-01');
    await ensureAdded('globex-cuc-01');
    const f = await failure(
      clusters.assign({ cluster: 'stark-cucm-01', va: OP_VA, requestedBy: WHO }),
    );
    expect(f.code).toBe('SLMCT1007');
    const g = await failure(clusters.unassign({ cluster: 'globex-cuc-01', requestedBy: WHO }));
    expect(g.code).toBe('SLMCT1011');
  });

  it('refuses a license mode change while clusters are assigned', async () => {
    await ensureRegistered('stark-cucm-01');
    const f = await failure(
      vas.setLicenseMode({
        domain: SA,
        va: 'va-hcs-operational',
        mode: 'Enterprise',
        requestedBy: WHO,
      }),
    );
    expect(f.code).toBe('VA_CLUSTERS_ASSIGNED');
    const va = await repos.virtualAccounts.getByName(account.id, 'va-hcs-operational');
    expect(va!.licenseMode).toBe('HCS');
  });

  it('refuses a transport change while clusters are assigned (CAA1041)', async () => {
    await ensureRegistered('stark-cucm-01');
    const f = await failure(
      vas.setTransport({
        domain: SA,
        va: 'va-hcs-operational',
        transport: { mode: 'Proxy', proxyHost: 'proxy.example', proxyPort: 3128 },
        requestedBy: WHO,
      }),
    );
    expect(f.code).toBe('CAA1041');
  });

  it('renews authorization and registration', async () => {
    await ensureRegistered('stark-cuc-01');
    const a = await clusters.renewAuthorization({ cluster: 'stark-cuc-01', requestedBy: WHO });
    expect(a.job.status).toBe('Completed');
    const r = await clusters.renewRegistration({ cluster: 'stark-cuc-01', requestedBy: WHO });
    expect(r.job.status).toBe('Completed');
    expect(r.cluster.lastIdRenewalAt).not.toBeNull();
  });

  it('deregisters, audited with its job', async () => {
    await ensureRegistered('stark-cer-01');
    const { job, cluster } = await clusters.deregister({
      cluster: 'stark-cer-01',
      requestedBy: WHO,
    });
    expect(job.status).toBe('Completed');
    expect(cluster.status).toBe('Deregistered');
    expect(cluster.registrationStatus).toBe('Unregistered');
    expect((await emuCluster('stark-cer-01')).registration.status).toBe('Unregistered');
    const audit = await repos.audit.list({ actor: WHO, limit: 500 });
    expect(audit.filter((a) => a.jobId === job.id).map((a) => a.action)).toContain(
      'Deregister Cluster',
    );
  });

  it('records jobs and audit entries naming who asked, with codes', async () => {
    // Its own failures (not those earlier tests left): a second assign and an unassign of a
    // cluster that has no VA.
    await ensureRegistered('stark-cucm-01');
    await ensureAdded('hooli-cucm-02');
    const twice = await failure(
      clusters.assign({ cluster: 'stark-cucm-01', va: OP_VA, requestedBy: WHO }),
    );
    const none = await failure(clusters.unassign({ cluster: 'hooli-cucm-02', requestedBy: WHO }));
    const failed = await repos.jobs.listFailed();
    expect(
      failed
        .filter((j) => j.id === twice.jobId || j.id === none.jobId)
        .map((j) => j.errorCode)
        .sort(),
    ).toEqual(['SLMCT1007', 'SLMCT1011']);
    const audit = await repos.audit.list({ actor: WHO, limit: 500 });
    const actions = new Set(audit.map((a) => a.action));
    for (const a of ['Register Cluster', 'Assign Cluster', 'Set License Mode']) {
      expect(actions).toContain(a);
    }
    expect(audit.every((a) => a.jobId !== null)).toBe(true);
  });
});

describe('expired token', () => {
  it('CAA1048 tells to sync; the sync refreshes the token; registration then succeeds', async () => {
    await ensureRegistered('stark-cuc-01');
    await clusters.unassign({ cluster: 'stark-cuc-01', requestedBy: WHO });
    // CSSM's clock passes the expiry of every token smartlic holds; smartlic's does not yet,
    // so it still offers the token it has on file.
    await advanceEmulator(370);
    const f = await failure(
      clusters.register({ cluster: 'stark-cuc-01', va: OP_VA, requestedBy: WHO }),
    );
    expect(f.code).toBe('CAA1048');
    expect(f.action).toMatch(/[Ss]ync/);
    const [job] = await repos.jobs.list({ entityName: 'stark-cuc-01', limit: 1 });
    expect(job).toMatchObject({ status: 'Failed', errorCode: 'CAA1048' });
    expect(job!.recommendedAction).toMatch(/refreshes tokens/);

    clock.advance({ days: 370 });
    const out = await sync.syncAccount(SA, { requestedBy: WHO, full: true });
    expect(out.error).toBeUndefined();
    expect(out.counts.tokensRefreshed).toBeGreaterThan(0);
    const opVa = (await repos.virtualAccounts.getByName(account.id, 'va-hcs-operational'))!;
    const before = (await repos.tokens.list({ virtualAccountId: opVa.id })).length;
    const ok = await clusters.register({ cluster: 'stark-cuc-01', requestedBy: WHO });
    expect(ok.job.status).toBe('Completed');
    expect(ok.cluster.registrationStatus).toBe('Registered');
    // The register used the token the sync made; it did not mint one itself.
    expect((await repos.tokens.list({ virtualAccountId: opVa.id })).length).toBe(before);
  });
});

describe('auto-registration', () => {
  it('registers new clusters to the operational VA, and retries failures after a sync', async () => {
    // A PLM cluster (11.5) that auto-registration must skip.
    await ensureAdded('hooli-cucm-02');
    await clusters.configureAutoRegistration({
      domain: SA,
      operationalVa: 'va-hcs-operational',
      requestedBy: WHO,
    });
    await addFromEmulator('hooli-cuc-01');
    // A wrong password: the first attempt fails.
    const good = await emuCluster('hooli-cer-01');
    await clusters.add({
      customer: good.customer,
      name: good.name,
      type: good.type,
      version: good.version,
      publisherAddress: good.baseUrl!,
      adminUsername: good.credentials.username,
      adminPassword: 'wrong',
      requestedBy: WHO,
    });
    const report = await clusters.autoRegister({ requestedBy: 'sync' });
    expect(report.registered).toContain('hooli-cuc-01');
    expect(report.failed.map((f) => f.cluster)).toContain('hooli-cer-01');
    expect(report.skipped.map((s) => s.cluster)).toContain('hooli-cucm-02');
    expect((await clusters.resolve({ cluster: 'hooli-cuc-01' })).cluster.status).toBe(
      'Auto Registered',
    );
    expect((await clusters.resolve({ cluster: 'hooli-cer-01' })).cluster.status).toBe(
      'Auto Registration Failed',
    );
    await addFromEmulator('hooli-cer-01');
    await sync.syncAccount(SA, { requestedBy: 'scheduler' });
    expect((await clusters.resolve({ cluster: 'hooli-cer-01' })).cluster.status).toBe(
      'Auto Registered',
    );
  });
});

describe('changing the operational VA', () => {
  it('deregisters auto-registered clusters from the old VA, then auto-registers them to the new one', async () => {
    // Where the auto-registration test ends: hooli-cuc-01 and hooli-cer-01 are Auto Registered
    // to va-hcs-operational.
    await ensureHooliAutoRegistered();
    const before = await emuCluster('hooli-cuc-01');
    expect(before.pool?.virtualAccount).toBe('va-hcs-operational');
    // A target VA without a license mode is refused before anything moves.
    await expect(
      clusters.configureAutoRegistration({
        domain: SA,
        operationalVa: 'va-globex',
        requestedBy: WHO,
      }),
    ).rejects.toMatchObject({ code: 'SLM1014' });
    expect((await clusters.resolve({ cluster: 'hooli-cuc-01' })).cluster.status).toBe(
      'Auto Registered',
    );

    await vas.setLicenseMode({ domain: SA, va: 'va-globex', mode: 'HCS', requestedBy: WHO });
    const r = await clusters.configureAutoRegistration({
      domain: SA,
      operationalVa: 'va-globex',
      requestedBy: WHO,
    });
    // Every cluster auto-registered earlier in this file moves (globex-cuc-01 too).
    expect(r.moved).toEqual(expect.arrayContaining(['hooli-cer-01', 'hooli-cuc-01']));
    expect(r.report?.registered.sort()).toEqual([...r.moved].sort());
    // Other new clusters of this file may auto-register in the same run.
    expect(r.report?.registered).toEqual(expect.arrayContaining(['hooli-cer-01', 'hooli-cuc-01']));
    const moved = await clusters.resolve({ cluster: 'hooli-cuc-01' });
    expect(moved.cluster.status).toBe('Auto Registered');
    const globex = await repos.virtualAccounts.getByName(account.id, 'va-globex');
    expect(moved.cluster.virtualAccountId).toBe(globex!.id);
    expect((await emuCluster('hooli-cuc-01')).pool?.virtualAccount).toBe('va-globex');
    expect((await repos.virtualAccounts.getOperational(account.id))!.name).toBe('va-globex');
    // Each step is a job: deregistration from the old VA came before the new registration.
    const jobs = await repos.jobs.list({ entityName: 'hooli-cuc-01', limit: 10 });
    const types = jobs.map((j) => j.jobType).reverse();
    expect(types.lastIndexOf('Unassign Cluster')).toBeLessThan(
      types.lastIndexOf('Auto Register Cluster'),
    );
  });
});

describe('migration plan', () => {
  it('plans a customer: steps per cluster and the allocation effect per VA', async () => {
    // Stark's three clusters, one of them on the operational VA, and an 11.5 cluster on PLM.
    await ensureRegistered('stark-cucm-01');
    for (const name of ['stark-cuc-01', 'stark-cer-01', 'hooli-cucm-02']) await ensureAdded(name);
    const p = await migration.planCustomer('Stark Industries', { to: 'Enterprise' });
    expect(p.plans.map((x) => x.cluster).sort()).toEqual(
      ['stark-cer-01', 'stark-cuc-01', 'stark-cucm-01'].sort(),
    );
    for (const plan of p.plans) expect(plan.steps.length).toBeGreaterThan(0);
    const op = p.allocation.find((a) => a.virtualAccount === 'va-hcs-operational');
    expect(op).toBeDefined();
    const one = await migration.planCluster({ cluster: 'hooli-cucm-02' }, { to: 'Smart' });
    expect(one.blockers.map((b) => b.code)).toContain('SLMCT1006');
    const upgrade = await migration.planCluster(
      { cluster: 'hooli-cucm-02' },
      { to: 'Smart', targetVersion: '15.0.1.10000-32', va: OP_VA },
    );
    expect(upgrade.feasible).toBe(true);
    expect(upgrade.allocation?.virtualAccount).toBe('va-hcs-operational');
  });
});
