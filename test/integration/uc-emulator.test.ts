// Real: core/uc clients (AXL, vmrest, CER form) and core/cssm (to mint tokens, list devices) over loopback
// against the real emulator (emulator/index.ts, demo scenario) playing the UC publishers and
// CSSM. Faked: nothing but the backoff sleep.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { CssmClient } from '../../core/cssm/cssm.client.ts';
import { HttpClient } from '../../core/cssm/http.ts';
import { OAuthTokenProvider } from '../../core/cssm/oauth.ts';
import { systemClock } from '../../core/clock.ts';
import { createUcClient, type UcApp, type UcLicensingClient } from '../../core/uc/uc.client.ts';
import { axlSchemaFor } from '../../core/uc/axl-schema.ts';
import { rejection } from '../support/helpers.ts';

interface ClusterInfo {
  name: string;
  type: UcApp;
  version: string;
  licensing: 'Smart' | 'PLM';
  baseUrl: string;
  credentials: { username: string; password: string };
  nodes: { name: string; role: string; baseUrl: string }[];
  registration: { status: string };
  transport: { mode: number };
  pool: { smartAccount: string; virtualAccount: string; via: string } | null;
}

let emu: RunningEmulator;
let http: HttpClient;
let clusters: ClusterInfo[];
let cssm: CssmClient;
let account: string;
let va: string;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, scenario: 'demo' });
  http = new HttpClient({ sleep: () => Promise.resolve(), peerName: 'the UC publisher' });
  const st = (await (await fetch(`${emu.ready.admin}/state`)).json()) as {
    clusters: ClusterInfo[];
  };
  clusters = st.clusters;
  const c = emu.ready.clients.find((x) => x.for === 'cloud')!;
  account = c.account;
  const oauth = new OAuthTokenProvider({
    flavor: 'cloud',
    tokenUrl: emu.ready.cloud.tokenUrl,
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    http,
    clock: systemClock,
  });
  cssm = new CssmClient({
    flavor: 'cloud',
    baseUrl: emu.ready.cloud.apiBase,
    devicesBaseUrl: emu.ready.cloud.devicesApiBase,
    http,
    tokens: oauth,
  });
  const vas = await cssm.listVirtualAccounts(account);
  va = (vas.find((v) => /operational/.test(v.name)) ?? vas.find((v) => !v.isDefault) ?? vas[0]!)
    .name;
});
afterAll(async () => {
  await http?.close();
  await emu?.close();
});

function pick(pred: (c: ClusterInfo) => boolean): ClusterInfo {
  const c = clusters.find(pred);
  if (!c) throw new Error('the demo scenario has no such cluster');
  return c;
}

function clientFor(
  c: ClusterInfo,
  node: 'publisher' | 'subscriber' = 'publisher',
  password?: string,
): UcLicensingClient {
  const n = c.nodes.find((x) => x.role === node)!;
  return createUcClient(c.type, {
    baseUrl: n.baseUrl,
    username: c.credentials.username,
    password: password ?? c.credentials.password,
    http,
    ...(c.type === 'CUCM'
      ? { axlVersion: c.licensing === 'PLM' ? '11.5' : axlSchemaFor(c.version) }
      : {}),
  });
}

function productClient(c: ClusterInfo, node?: 'publisher' | 'subscriber', password?: string) {
  const uc = clientFor(c, node, password);
  if (uc.statusSource !== 'product') throw new Error(`${c.type} reports no status`);
  return uc;
}

const newToken = async () =>
  (
    await cssm.createToken(account, va, {
      description: 'uc test',
      expiresAfterDays: 30,
      exportControlled: 'Allowed',
    })
  ).token;

describe.each(['CUCM', 'CUC'] as const)('%s against the emulator', (app) => {
  it('reads the status of a registered publisher', async () => {
    const c = pick(
      (x) => x.type === app && x.licensing === 'Smart' && x.registration.status === 'Registered',
    );
    const st = await productClient(c).getStatus();
    expect(st.registration.status).toBe('Registered');
    expect(st.registration.productUdi?.pid).toMatch(/\w/);
    expect(st.authorization.lastCommunicationAttempt).toBeInstanceOf(Date);
    expect(st.authorization.evaluationPeriodRemainingDays).toEqual(expect.any(Number));
    expect(st.entitlements.length).toBeGreaterThan(0);
    for (const e of st.entitlements) expect(e.tag).toMatch(/^regid\./);
  });

  it('walks deregister → register → already registered → transport refused → re-register → renew', async () => {
    const c = pick(
      (x) =>
        x.type === app &&
        x.licensing === 'Smart' &&
        x.transport.mode === 0 &&
        x.nodes.some((n) => n.role === 'publisher'),
    );
    const uc = productClient(c);
    if ((await uc.getStatus()).registration.status !== 'Unregistered') await uc.deregister();
    const gone = await rejection(uc.deregister());
    expect(gone.code).toBe('CAA1082');
    expect(gone.details?.reason).toBe('not-registered');
    await uc.setTransport({ mode: 2, httpHost: 'proxy.example', httpPort: 3128 });
    expect(await uc.getTransport()).toEqual({ mode: 2, httpHost: 'proxy.example', httpPort: 3128 });
    await uc.setTransport({ mode: 0 });
    expect(await uc.getTransport()).toEqual({ mode: 0 });
    const bad = await rejection(uc.register('not-a-real-token', false));
    expect(bad.code).toBe('CAA1048');
    expect(bad.action).toBe('Sync with CSSM to refresh tokens, then retry.');
    await uc.register(await newToken(), false);
    const st = await uc.getStatus();
    expect(st.registration.status).toBe('Registered');
    expect(st.registration.virtualAccount).toBe(va);
    const again = await rejection(uc.register(await newToken(), false));
    expect(again.code).toBe('CAA1081');
    expect(again.details?.reason).toBe('already-registered');
    expect(again.action).toBe('Retry with force.');
    const tr = await rejection(uc.setTransport({ mode: 0 }));
    expect(tr.code).toBe('CAA1041');
    await uc.reRegister(await newToken());
    expect((await uc.getStatus()).registration.status).toBe('Registered');
    await uc.renewAuthorization();
    await uc.renewRegistration();
    expect((await uc.getStatus()).authorization.lastCommunicationStatus).toBe('SUCCEEDED');
  });
});

describe('CER against the emulator', () => {
  it('signs in by form and registers; CSSM lists the instance afterwards', async () => {
    const c = pick((x) => x.type === 'CER' && x.licensing === 'Smart');
    const uc = clientFor(c);
    expect(uc.statusSource).toBe('cssm-device-list');
    // CER has no validation mechanism: the form takes a bad token without a word.
    await uc.register('not-a-real-token', true);
    await uc.register(await newToken(), true);
    const pub = c.nodes.find((n) => n.role === 'publisher')!.name;
    const devices = await cssm.listDevices(account, { va, instanceName: pub });
    expect(devices.map((d) => d.instanceName)).toEqual([pub]);
  });

  it('a wrong password is UC1011 (the login form sets no session)', async () => {
    const c = pick((x) => x.type === 'CER' && x.licensing === 'Smart');
    expect((await rejection(clientFor(c, 'publisher', 'wrong').register('t', true))).code).toBe(
      'UC1011',
    );
  });
});

describe('UC error mapping against the emulator', () => {
  it('a subscriber answers CAA1049', async () => {
    const c = pick(
      (x) =>
        x.type === 'CUCM' &&
        x.licensing === 'Smart' &&
        x.nodes.some((n) => n.role === 'subscriber'),
    );
    const sub = productClient(c, 'subscriber');
    expect((await rejection(sub.register('x', false))).code).toBe('CAA1049');
    expect((await rejection(sub.getStatus())).code).toBe('CAA1049');
  });

  it('a wrong password is UC1011', async () => {
    const c = pick((x) => x.type === 'CUCM' && x.licensing === 'Smart');
    expect((await rejection(productClient(c, 'publisher', 'wrong').getStatus())).code).toBe(
      'UC1011',
    );
  });

  it('a PLM-licensed (11.x) cluster is SLMCT1006', async () => {
    const c = pick((x) => x.type === 'CUCM' && x.licensing === 'PLM');
    expect((await rejection(productClient(c).getStatus())).code).toBe('SLMCT1006');
  });

  it('an unreachable publisher is UC1005', async () => {
    const uc = createUcClient('CUC', {
      baseUrl: 'http://127.0.0.1:1',
      username: 'a',
      password: 'b',
      http: new HttpClient({ sleep: () => Promise.resolve(), maxRetries: 0 }),
    });
    if (uc.statusSource !== 'product') throw new Error('CUC reports its status');
    expect((await rejection(uc.getStatus())).code).toBe('UC1005');
  });
});
