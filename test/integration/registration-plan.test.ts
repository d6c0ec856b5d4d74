// Real: SQLite in a temp file with the real migrations and repositories, the real service
// container (createServices), the real emulator over loopback HTTP (demo scenario, frozen clock)
// as CSSM and as the CUCM/CUC/CER publishers. Faked: nothing but time (a TestClock at the
// emulator's now). Covers core/services/clusters/registration-plan.ts against
// registration.ts: for every refusal the registration can give, the dry run (planRegistration)
// foresees it with the same code, changes nothing, and the real run then gives that refusal.
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
} from '../../core/store/index.ts';
import { JobFailedError, createServices, type Services } from '../../core/services/index.ts';

interface EmuCluster {
  name: string;
  customer: string;
  type: string;
  version: string;
  baseUrl: string | null;
  credentials: { username: string; password: string };
  nodes: { name: string; role: string }[];
  registration: { status: string | null };
  licenseMode: string;
}

const SA = 'nimbus-hcs.example.com';
const OP_VA = `${SA}/va-hcs-operational`;
const WHO = 'cli:wire-tester';

let emu: RunningEmulator;
let dir: string;
let h: DatabaseHandle;
let repos: Repositories;
let s: Services;

const emuCluster = async (name: string): Promise<EmuCluster> =>
  (
    (await (await fetch(`${emu.ready.admin}/state`)).json()) as { clusters: EmuCluster[] }
  ).clusters.find((c) => c.name === name)!;

async function add(name: string, over: { hostname?: string | null; axl?: string } = {}) {
  const c = await emuCluster(name);
  const hostname =
    over.hostname === undefined ? c.nodes.find((n) => n.role === 'publisher')!.name : over.hostname;
  return s.clusters.add({
    customer: c.customer,
    name: c.name,
    type: c.type,
    version: c.version,
    publisherAddress: c.baseUrl!,
    ...(hostname ? { publisherHostname: hostname } : {}),
    ...(over.axl ? { axlSchemaVersion: over.axl } : {}),
    adminUsername: c.credentials.username,
    adminPassword: c.credentials.password,
    requestedBy: WHO,
  });
}

async function failure(
  p: Promise<unknown>,
): Promise<{ code: string; message: string; action?: string }> {
  try {
    await p;
  } catch (e) {
    const err =
      e instanceof JobFailedError
        ? e.error
        : (e as { code: string; message: string; action?: string });
    return { code: err.code, message: err.message, ...(err.action ? { action: err.action } : {}) };
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0, scenario: 'demo', frozen: true });
  const clock = new TestClock(emu.ready.now);
  dir = mkdtempSync(join(tmpdir(), 'smartlic-plan-'));
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
  s = createServices({ db: h.db, secrets, repos, clock, logger: silentLogger, config });
  const cloud = emu.ready.clients.find((c) => c.for === 'cloud' && c.account === SA)!;
  await repos.smartAccounts.upsert({
    domain: SA,
    clientId: cloud.clientId,
    clientSecret: cloud.clientSecret,
    tokenUrl: emu.ready.cloud.tokenUrl,
    apiBase: emu.ready.cloud.apiBase,
    transportMode: 'Direct',
  });
  expect((await s.sync.syncAccount(SA, { requestedBy: WHO, full: true })).error).toBeUndefined();
  for (const va of ['va-hcs-operational', 'va-acme']) {
    await s.virtualAccounts.setLicenseMode({
      domain: SA,
      va,
      mode: va === 'va-acme' ? 'Enterprise' : 'HCS',
      requestedBy: WHO,
    });
  }
}, 60_000);

afterAll(async () => {
  await s?.close();
  await h?.close();
  await emu?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
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
