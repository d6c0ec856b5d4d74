// Real: `smartlic doctor` through main() over SQLite in temp files with key files, the real
// services and clients, the emulator (demo scenario) over loopback HTTP with its fault
// injection (unreachable cloud / satellite), its not-entitled OAuth app (403 "Invalid
// Client"), wrong secrets and passwords, a subscriber node and a closed port. Accounts whose
// credentials the emulator would refuse are written with the real repositories (provisioning
// refuses them, as it should). Faked: stdio (in-memory streams); no TTY.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../../core/services/doctor.service.ts';
import {
  SecretBox,
  createRepositories,
  openDatabase,
  resolveSecretKey,
} from '../../core/store/index.ts';
import { startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { emulatorCloudEnv, runCli } from '../support/helpers.ts';

let emu: RunningEmulator;
let dir: string;
let n = 0;

interface EmuCluster {
  name: string;
  customer: string;
  type: string;
  version: string;
  baseUrl: string;
  credentials: { username: string; password: string };
  nodes: { name: string; role: string; baseUrl: string }[];
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0, scenario: 'demo', frozen: true });
  dir = mkdtempSync(join(tmpdir(), 'smartlic-doctor-'));
});
afterAll(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

function freshEnv(): NodeJS.ProcessEnv {
  return {
    SMARTLIC_DB: join(dir, `d${++n}.db`),
    ...emulatorCloudEnv(emu),
    SMARTLIC_LOG_LEVEL: 'error',
    SMARTLIC_HTTP_RETRIES: '0',
    SMARTLIC_HTTP_TIMEOUT_MS: '3000',
  };
}

async function doctor(env: NodeJS.ProcessEnv) {
  const r = await runCli(['doctor', '--json'], env);
  const body = JSON.parse(r.out) as { ok: boolean; checks: Check[] };
  return { ...r, body, find: (check: string) => body.checks.filter((c) => c.check === check) };
}

async function faults(body: unknown) {
  await fetch(`${emu.ready.admin}/faults`, {
    method: body === null ? 'DELETE' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === null ? {} : { body: JSON.stringify(body) }),
  });
}

async function emuClusters(): Promise<EmuCluster[]> {
  return ((await (await fetch(`${emu.ready.admin}/state`)).json()) as { clusters: EmuCluster[] })
    .clusters;
}

/** Writes accounts and clusters straight into the store (after `db migrate` made it). */
async function seed(
  env: NodeJS.ProcessEnv,
  fn: (r: ReturnType<typeof createRepositories>) => Promise<void>,
) {
  expect((await runCli(['db', 'migrate'], env)).code).toBe(0);
  const path = env.SMARTLIC_DB!;
  const h = openDatabase({ path });
  try {
    await fn(createRepositories(h.db, new SecretBox(resolveSecretKey({ dbPath: path }).key)));
  } finally {
    await h.close();
  }
}

const cloud = () => emu.ready.clients.find((c) => c.for === 'cloud')!;
const onprem = () => emu.ready.clients.find((c) => c.for === 'onprem')!;

describe('smartlic doctor', () => {
  it('a healthy setup: every check ok, exit 0; text output names each verdict', async () => {
    const env = freshEnv();
    const c = cloud();
    const add = await runCli(
      [
        'account',
        'add',
        '--domain',
        c.account,
        '--client-id',
        c.clientId,
        '--secret-stdin',
        '--no-sync',
      ],
      env,
      `${c.clientSecret}\n`,
    );
    expect(add.code, add.err).toBe(0);
    const s = onprem();
    const sat = await runCli(
      [
        'account',
        'add',
        '--satellite',
        '--domain',
        s.account,
        '--local-account',
        s.account,
        '--client-id',
        s.clientId,
        '--secret-stdin',
        '--token-url',
        emu.ready.onprem.tokenUrl,
        '--api-base',
        emu.ready.onprem.apiBase,
        '--no-sync',
      ],
      env,
      `${s.clientSecret}\n`,
    );
    expect(sat.code, sat.err).toBe(0);
    const cl = (await emuClusters()).find((x) => x.name === 'stark-cucm-01')!;
    const added = await runCli(
      [
        'cluster',
        'add',
        '--customer',
        cl.customer,
        '--name',
        cl.name,
        '--type',
        cl.type,
        '--version',
        cl.version,
        '--publisher',
        cl.baseUrl,
        '--admin-user',
        cl.credentials.username,
        '--password-stdin',
      ],
      env,
      `${cl.credentials.password}\n`,
    );
    expect(added.code, added.err).toBe(0);

    const d = await doctor(env);
    expect(d.code, d.out).toBe(0);
    expect(d.body.ok).toBe(true);
    for (const check of [
      'config',
      'db',
      'db.key',
      'cssm.token',
      'cssm.credentials',
      'cssm.account',
    ]) {
      expect(d.find(check).length, check).toBeGreaterThan(0);
      for (const x of d.find(check)) expect(x.verdict, `${check}: ${x.message}`).toBe('ok');
    }
    expect(d.find('cssm.token')[0]!.message).toMatch(/reachable directly/);
    const satSync = d.find('satellite.sync')[0]!;
    expect(satSync.message).toMatch(/last sync with CSSM \d{4}-\d\d-\d\d .*sync mode/);
    // The demo satellite tells its release (8-202404): 7.2 or later.
    expect(d.find('satellite.version')[0]).toMatchObject({
      verdict: 'ok',
      message: expect.stringMatching(/release 8-202404 \(7\.2 or later\)/),
    });
    expect(d.find('cluster.publisher')[0]).toMatchObject({
      verdict: 'ok',
      subject: 'stark-cucm-01',
    });

    const text = await runCli(['doctor'], env);
    expect(text.out).toMatch(/^ok {4}cssm\.credentials +nimbus-hcs\.example\.com +.*accepted/m);
    expect(text.out).toMatch(/checks: \d+ ok or skipped, 0 failed/);
  });

  it('CSSM unreachable, then the satellite unreachable: the token check fails, exit 1', async () => {
    const env = freshEnv();
    const c = cloud();
    const s = onprem();
    await seed(env, async (r) => {
      await r.smartAccounts.upsert({
        domain: c.account,
        clientId: c.clientId,
        clientSecret: c.clientSecret,
      });
      await r.smartAccounts.upsert({
        domain: s.account,
        source: 'satellite',
        transportMode: 'Satellite',
        localAccountName: s.account,
        clientId: s.clientId,
        clientSecret: s.clientSecret,
        tokenUrl: emu.ready.onprem.tokenUrl,
        apiBase: emu.ready.onprem.apiBase,
      });
    });
    await faults({ unreachable: { cloud: true, satellite: false } });
    try {
      const d = await doctor(env);
      expect(d.code).toBe(1);
      const tok = d.find('cssm.token')[0]!;
      expect(tok).toMatchObject({ verdict: 'fail', subject: c.account });
      expect(tok.message).toMatch(/token endpoint .* is not reachable directly/);
      expect(tok.fix).toBeTruthy();
      expect(d.find('satellite.token')[0]!.verdict).toBe('ok');
      await faults({ unreachable: { cloud: false, satellite: true } });
      const d2 = await doctor(env);
      expect(d2.code).toBe(1);
      expect(d2.find('satellite.token')[0]).toMatchObject({ verdict: 'fail', subject: s.account });
      expect(d2.find('cssm.token')[0]!.verdict).toBe('ok');
    } finally {
      await faults(null);
    }
  });

  it('wrong secret, 403 "Invalid Client", a domain the client cannot see', async () => {
    const env = freshEnv();
    const c = cloud();
    const unentitled = (
      emu.ready as unknown as {
        unentitledClients: { account: string; clientId: string; clientSecret: string }[];
      }
    ).unentitledClients[0]!;
    await seed(env, async (r) => {
      await r.smartAccounts.upsert({
        domain: c.account,
        clientId: c.clientId,
        clientSecret: 'not-the-secret',
      });
      await r.smartAccounts.upsert({
        domain: 'other.example.com',
        clientId: unentitled.clientId,
        clientSecret: unentitled.clientSecret,
      });
      const other = emu.ready.clients.find((x) => x.for === 'cloud' && x.account !== c.account)!;
      await r.smartAccounts.upsert({
        domain: 'not-mine.example.com',
        clientId: other.clientId,
        clientSecret: other.clientSecret,
      });
    });
    const d = await doctor(env);
    expect(d.code).toBe(1);
    const creds = d.find('cssm.credentials').find((x) => x.subject === c.account)!;
    expect(creds).toMatchObject({ verdict: 'fail', code: 'CSSM1011' });
    const api = d.find('cssm.api-access')[0]!;
    expect(api).toMatchObject({ verdict: 'fail', subject: 'other.example.com' });
    expect(api.message).toMatch(/403 "Invalid Client"/);
    expect(api.fix).toMatch(/not approved .* about 30 minutes/);
    const visible = d.find('cssm.account').find((x) => x.subject === 'not-mine.example.com')!;
    expect(visible.verdict).toBe('fail');
    expect(visible.code).toMatch(/^CSSM10(15|19)$/);
  });

  it('publishers: wrong password, subscriber node, closed port; PLM release skipped', async () => {
    const env = freshEnv();
    const all = await emuClusters();
    const cucm = all.find(
      (x) =>
        x.type === 'CUCM' &&
        x.nodes.some((n) => n.role === 'subscriber') &&
        !x.version.startsWith('11'),
    )!;
    const plm = all.find((x) => x.version.startsWith('11'))!;
    const sub = cucm.nodes.find((x) => x.role === 'subscriber')!;
    await seed(env, async (r) => {
      const cust = await r.customers.upsert({ name: 'Lab' });
      const base = { customerId: cust.id, type: 'CUCM' as const, version: cucm.version };
      await r.clusters.upsert({
        ...base,
        name: 'bad-password',
        publisherAddress: cucm.baseUrl,
        adminUsername: cucm.credentials.username,
        adminPassword: 'wrong',
      });
      await r.clusters.upsert({
        ...base,
        name: 'a-subscriber',
        publisherAddress: sub.baseUrl,
        adminUsername: cucm.credentials.username,
        adminPassword: cucm.credentials.password,
      });
      await r.clusters.upsert({
        ...base,
        name: 'closed-port',
        publisherAddress: 'https://127.0.0.1:9',
        adminUsername: 'u',
        adminPassword: 'p',
      });
      await r.clusters.upsert({
        customerId: cust.id,
        type: plm.type as 'CUCM',
        version: plm.version,
        name: 'old-plm',
        publisherAddress: plm.baseUrl,
        adminUsername: plm.credentials.username,
        adminPassword: plm.credentials.password,
      });
    });
    const d = await doctor(env);
    expect(d.code).toBe(1);
    const by = (s: string) => d.body.checks.find((x) => x.subject === s)!;
    expect(by('bad-password')).toMatchObject({
      check: 'cluster.credentials',
      verdict: 'fail',
      code: 'UC1011',
    });
    expect(by('a-subscriber')).toMatchObject({
      check: 'cluster.node',
      verdict: 'fail',
      code: 'CAA1049',
    });
    expect(by('closed-port')).toMatchObject({
      check: 'cluster.publisher',
      verdict: 'fail',
      code: 'UC1005',
    });
    expect(by('old-plm')).toMatchObject({ verdict: 'skip' });
    // No accounts at all is a warning, not a failure.
    expect(d.find('cssm.accounts')[0]!.verdict).toBe('warn');
  });

  it('the database and key: no database, a lost key file, a wrong key', async () => {
    const env = freshEnv();
    const none = await doctor(env);
    expect(none.code).toBe(1);
    expect(none.find('db')[0]).toMatchObject({ verdict: 'fail' });
    expect(none.find('db')[0]!.fix).toMatch(/smartlic db migrate/);

    expect((await runCli(['db', 'migrate'], env)).code).toBe(0);
    const wrong = await doctor({ ...env, SMARTLIC_SECRET_KEY: 'c'.repeat(64) });
    expect(wrong.code).toBe(1);
    expect(wrong.find('db.key')[0]).toMatchObject({ verdict: 'fail', code: 'SECRET_KEY' });

    rmSync(`${env.SMARTLIC_DB!}.key`);
    const lost = await doctor(env);
    expect(lost.code).toBe(1);
    expect(lost.find('db.key')[0]!.message).toMatch(/key file .*\.key is missing/);
    expect(lost.find('db.key')[0]!.fix).toMatch(/restore .* from the backup/);
  });
});
