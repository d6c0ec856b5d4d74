// Real: the emulator over loopback HTTP — CSSM On-Prem API, its sync with the cloud model
// in connected (scheduled on the simulated clock) and disconnected (request/answer files)
// modes, and the cloud API that shows the result. Faked: time (frozen clock, advanced).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SA2,
  admin,
  api,
  axl,
  cloudToken,
  cluster,
  licenses,
  onpremToken,
  start,
  type Emu,
  type Json,
} from './emulator-helpers.ts';

let emu: Emu;
let on: string;
let cloud: string;
const ob = () => emu.ready.onprem.apiBase;

beforeEach(async () => {
  emu = await start();
  on = await onpremToken(emu, 'la-initech');
  cloud = await cloudToken(emu, 1);
});
afterEach(async () => emu.close());

async function satLicenses(): Promise<Json[]> {
  const r = await api(`${ob()}/accounts/la-initech/licenses`, on, {
    body: { virtualAccounts: [], limit: 100, offset: 0 },
  });
  expect(r.status).toBe(200);
  return r.body.licenses;
}
const foundation = (recs: Json[]) => recs.find((l) => l.license === 'HCS UCM Foundation');

describe('On-Prem API', () => {
  it('issues tokens from JSON and form bodies; bad secret → 401', async () => {
    const c = emu.ready.clients.find((x) => x.for === 'onprem')!;
    const form = await fetch(emu.ready.onprem.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: c.clientId,
        client_secret: c.clientSecret,
      }),
    });
    expect(form.status).toBe(200);
    expect(((await form.json()) as Json).expires_in).toBe(3599);
    const bad = await fetch(emu.ready.onprem.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: c.clientId,
        client_secret: 'x',
        grant_type: 'client_credentials',
      }),
    });
    expect(bad.status).toBe(401);
    // A cloud token is no good on the satellite, which answers 403 (not 401) to it.
    expect((await api(`${ob()}/accounts/la-initech/virtual-accounts`, cloud)).status).toBe(403);
  });

  it('mirrors the cloud paths keyed by local account', async () => {
    const v = await api(`${ob()}/accounts/la-initech/virtual-accounts`, on);
    expect(v.body.virtualAccounts).toEqual([
      {
        name: 'va-initech',
        description: expect.any(String),
        isDefault: 'true',
        commerceAccessLevel: 'FULL',
      },
    ]);
    const t = await api(`${ob()}/accounts/la-initech/virtual-accounts/va-initech/tokens`, on, {
      body: { description: 'x', expiresAfterDays: '30', exportControlled: 'Not Allowed' },
    });
    expect(t.status).toBe(200);
    expect(t.body.tokenInfo.token).toBeTruthy();
    const d = await api(`${ob()}/accounts/la-initech/devices?limit=10&offset=0`, on);
    expect(d.body.totalRecords).toBe(4);
    expect((await api(`${ob()}/accounts/la-umbrella/virtual-accounts`, on)).status).toBe(403);
    expect((await api(`${ob()}/accounts/nope/virtual-accounts`, on)).status).toBe(404);
  });

  it('registers a cluster through the satellite with a local-account token, not a cloud one', async () => {
    const c = await cluster(emu, 'initech-cucm-02');
    expect((await axl(c, 'doSmartLicenseDeRegister')).status).toBe(200);
    const cloudTok = (
      await api(
        `${emu.ready.cloud.apiBase}/v1/accounts/${SA2}/virtual-accounts/va-initech/tokens`,
        cloud,
        { body: { description: 'x', expiresAfterDays: 10 } },
      )
    ).body.tokenInfo.token;
    const wrong = await axl(
      c,
      'doSmartLicenseRegister',
      `<token>${cloudTok}</token><force>false</force>`,
    );
    expect(wrong.status).toBe(500);
    expect(wrong.text).toContain('<axlcode>400</axlcode><axlmessage>INVALID_PARAMETER');
    const t = (
      await api(`${ob()}/accounts/la-initech/virtual-accounts/va-initech/tokens`, on, {
        body: { description: 'x', expiresAfterDays: 10 },
      })
    ).body.tokenInfo.token;
    expect(
      (await axl(c, 'doSmartLicenseRegister', `<token>${t}</token><force>false</force>`)).status,
    ).toBe(200);
    expect((await cluster(emu, 'initech-cucm-02')).pool).toMatchObject({
      via: 'satellite',
      satellite: 'sat-eu-1',
      localAccount: 'la-initech',
    });
  });

  it('shows the last sync time and flags the sync overdue after 30 days', async () => {
    const s = await api(`${ob()}/satellite`, on);
    expect(s.headers.get('x-emulator-extension')).toBe('true');
    expect(s.body.satellite).toMatchObject({
      syncMode: 'disconnected',
      lastSync: '2026-11-01T12:00:00Z',
      daysSinceLastSync: 27,
      syncOverdue: false,
    });
    await admin(emu, 'clock', { advance: 'P3D' });
    const on2 = await onpremToken(emu, 'la-initech');
    expect((await api(`${ob()}/satellite`, on2)).body.satellite).toMatchObject({
      daysSinceLastSync: 30,
      syncOverdue: true,
    });
  });
});

describe('disconnected sync through files', () => {
  it('usage changes stay invisible to the cloud until the request file is imported', async () => {
    const cloudBefore = foundation(await licenses(emu, cloud, SA2, ['va-initech']));
    const satBefore = foundation(await satLicenses());
    expect(cloudBefore.inUse).toBe(satBefore.inUse);
    await admin(emu, 'clusters/initech-cucm-01', { demand: { UCM_Enhanced: 260 } }, 'PATCH');
    expect(foundation(await satLicenses()).inUse).toBe(satBefore.inUse + 50);
    expect(foundation(await licenses(emu, cloud, SA2, ['va-initech'])).inUse).toBe(
      cloudBefore.inUse,
    );

    await admin(emu, 'clock', { advance: 'P1D' });
    on = await onpremToken(emu, 'la-initech');
    cloud = await cloudToken(emu, 1);
    const file = (await api(`${ob()}/satellite/sync-file/export`, on, { method: 'POST' })).body;
    expect(file.format).toBe('smartlic-emulator-sync-request/1');
    const answer = await api(`${emu.ready.cloud.apiBase}/v1/satellites/sat-eu-1/sync-file`, cloud, {
      body: file,
    });
    expect(answer.status).toBe(200);
    expect(foundation(await licenses(emu, cloud, SA2, ['va-initech'])).inUse).toBe(
      satBefore.inUse + 50,
    );
    // The satellite's own sync completes only with the answer file.
    expect((await api(`${ob()}/satellite`, on)).body.satellite.lastSync).toBe(
      '2026-11-01T12:00:00Z',
    );
    const imp = await api(`${ob()}/satellite/sync-file/import`, on, { body: answer.body });
    expect(imp.status).toBe(200);
    expect(imp.body.satellite).toMatchObject({
      lastSync: '2026-11-29T12:00:00Z',
      daysSinceLastSync: 0,
      syncOverdue: false,
    });
    // Importing the same answer twice is refused.
    expect(
      (await api(`${ob()}/satellite/sync-file/import`, on, { body: answer.body })).status,
    ).toBe(400);
  });

  it('cloud license changes reach the satellite only through a sync', async () => {
    const before = foundation(await satLicenses()).quantity;
    const tr = await api(
      `${emu.ready.cloud.apiBase}/v1/accounts/${SA2}/virtual-accounts/va-eu-ordered/licenses/transfer`,
      cloud,
      {
        body: {
          licenses: [
            {
              license: 'HCS UCM Foundation',
              licenseType: 'TERM',
              quantity: 100,
              targetVirtualAccount: 'va-initech',
            },
          ],
        },
      },
    );
    expect(tr.status).toBe(200);
    expect(foundation(await satLicenses()).quantity).toBe(before);
    const file = (await api(`${ob()}/satellite/sync-file/export`, on, { method: 'POST' })).body;
    const answer = (
      await api(`${emu.ready.cloud.apiBase}/v1/satellites/sat-eu-1/sync-file`, cloud, {
        body: file,
      })
    ).body;
    await api(`${ob()}/satellite/sync-file/import`, on, { body: answer });
    expect(foundation(await satLicenses()).quantity).toBe(before + 100);
  });
});

describe('connected sync on a schedule', () => {
  it('syncs daily on the simulated clock, fails while the cloud is unreachable', async () => {
    const m = await api(`${ob()}/satellite/sync-mode`, on, {
      body: { mode: 'connected', schedule: 'daily' },
    });
    expect(m.body.satellite).toMatchObject({
      syncMode: 'connected',
      schedule: 'daily',
      nextSync: '2026-11-29T12:00:00Z',
    });
    const now = await api(`${ob()}/satellite/sync`, on, { method: 'POST' });
    expect(now.body.satellite.lastSync).toBe('2026-11-28T12:00:00Z');
    const base = foundation(await licenses(emu, cloud, SA2, ['va-initech'])).inUse;
    await admin(emu, 'clusters/initech-cucm-01', { demand: { UCM_Enhanced: 230 } }, 'PATCH');
    expect(foundation(await licenses(emu, cloud, SA2, ['va-initech'])).inUse).toBe(base);
    await admin(emu, 'clock', { advance: 'P1D' });
    cloud = await cloudToken(emu, 1);
    expect(foundation(await licenses(emu, cloud, SA2, ['va-initech'])).inUse).toBe(base + 20);

    await admin(emu, 'faults', { unreachable: { cloud: true } });
    await admin(emu, 'clock', { advance: 'P2D' });
    await admin(emu, 'faults', {}, 'DELETE');
    const st = (await admin(emu, 'state')).satellites[0];
    expect(st).toMatchObject({
      lastSync: '2026-11-29T12:00:00Z',
      lastSyncStatus: 'FAILED',
      lastSyncError: expect.stringMatching(/unreachable/),
    });
    await admin(emu, 'clock', { advance: 'P1D' });
    expect((await admin(emu, 'state')).satellites[0]).toMatchObject({
      lastSync: '2026-12-02T12:00:00Z',
      lastSyncStatus: 'SUCCEEDED',
    });
  });

  it('scheduled syncs fail once the satellite token towards CSSM is 180 days old, until a manual sync', async () => {
    await api(`${ob()}/satellite/sync-mode`, on, {
      body: { mode: 'connected', schedule: 'weekly' },
    });
    // Token issued with the last sync 27 days ago → expires 153 days from now.
    await admin(emu, 'clock', { advance: 'P160D' });
    const st = (await admin(emu, 'state')).satellites[0];
    expect(st.lastSyncStatus).toBe('FAILED');
    expect(st.lastSyncError).toMatch(/access token/);
    const on2 = await onpremToken(emu, 'la-initech');
    const manual = await api(`${ob()}/satellite/sync`, on2, { method: 'POST' });
    expect(manual.status).toBe(200);
    expect(manual.body.satellite.lastSyncStatus).toBe('SUCCEEDED');
  });
});
