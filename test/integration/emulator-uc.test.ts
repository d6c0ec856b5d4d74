// Real: the emulator over loopback HTTP (UC app endpoints: CUCM AXL SOAP, CUC vmrest, CER
// form; the CSSM API it feeds; core/domain allocation and lifecycle). Faked: nothing — plain
// fetch with hand-written SOAP, JSON and form bodies, no smartlic client. Clock frozen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SA1,
  admin,
  axl,
  basic,
  cloudToken,
  cluster,
  licenses,
  mintCloudToken,
  start,
  xmlText,
  type Emu,
  type Json,
} from './emulator-helpers.ts';

let emu: Emu;
let tok: string;

beforeAll(async () => {
  emu = await start();
  tok = await cloudToken(emu);
});
afterAll(async () => emu.close());

describe('CUCM AXL', () => {
  it('answers getSmartLicenseStatus in the LicenseDetails shape, values as strings', async () => {
    const c = await cluster(emu, 'acme-cucm-01');
    const r = await axl(c, 'getSmartLicenseStatus');
    expect(r.status).toBe(200);
    expect(r.text).toContain('xmlns:ns="http://www.cisco.com/AXL/API/14.0"');
    expect(r.text).toMatch(
      /<ns:getSmartLicenseStatusResponse[^>]*><return><LicenseDetails><SmartLicensing>ENABLED<\/SmartLicensing><Registration><Status>Registered<\/Status>/,
    );
    expect(xmlText(r.text, 'SmartAccount')).toBe('Nimbus Voice HCS');
    expect(xmlText(r.text, 'VirtualAccount')).toBe('va-acme');
    expect(xmlText(r.text, 'ExportControlFunctionality')).toBe('ALLOWED');
    expect(xmlText(r.text, 'LastRenewalAttempt')).toMatch(
      /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$/,
    );
    expect(xmlText(r.text, 'ProductUDI')).toMatch(
      /^UDI: PID:UCM,SN:[0-9a-f]{5},UUID:[0-9a-f]{32}$/,
    );
    expect(xmlText(r.text, 'Status')).toBe('Registered');
    expect(r.text).toContain('<Authorization><Status>Authorized</Status>');
    expect(r.text).toContain(
      '<Entitlement><Tag>regid.2016-07.com.cisco.UCM_Enhanced,12.0_66d0d1cf-4863-4761-91d0-d01d3eb1949a</Tag><Count>320</Count><Status>InCompliance</Status></Entitlement>',
    );
  });

  it('asks for HTTP Basic credentials', async () => {
    const c = await cluster(emu, 'acme-cucm-01');
    const r = await fetch(`${c.baseUrl}/axl/`, { method: 'POST', body: '<x/>' });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('registers with a fresh token, refuses without force, re-registers with force', async () => {
    const c = await cluster(emu, 'stark-cucm-01');
    expect(c.registration.status).toBe('Unregistered');
    expect(c.registration.lastAttempt.reason).toMatch(/^INVALID_PARAMETER/);
    const before = (await licenses(emu, tok, SA1, ['va-hcs-operational'])).find(
      (l) => l.license === 'HCS UCM Foundation',
    );
    const token = await mintCloudToken(emu, tok, SA1, 'va-hcs-operational');
    const ok = await axl(
      c,
      'doSmartLicenseRegister',
      `<token>${token}</token><force>false</force>`,
    );
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('<ns:doSmartLicenseRegisterResponse');
    const after = await cluster(emu, 'stark-cucm-01');
    expect(after.registration.status).toBe('Registered');
    expect(after.authorization.status).toBe('Authorized');
    expect(after.pool.virtualAccount).toBe('va-hcs-operational');
    // Its demand now shows in CSSM (HCS mode: Enhanced → HCS Foundation).
    const now = (await licenses(emu, tok, SA1, ['va-hcs-operational'])).find(
      (l) => l.license === 'HCS UCM Foundation',
    );
    expect(now.inUse).toBe(before.inUse + 200);
    const again = await axl(c, 'doSmartLicenseRegister', `<token>${token}</token>`);
    expect(again.status).toBe(405);
    expect(xmlText(again.text, 'faultstring')).toMatch(/^Product is already registered.*force/);
    const forced = await axl(
      c,
      'doSmartLicenseRegister',
      `<token>${token}</token><force>true</force>`,
    );
    expect(forced.status).toBe(200);
  });

  it('answers 400 INVALID_PARAMETER for a bad or expired token', async () => {
    const c = await cluster(emu, 'globex-cucm-02');
    const bad = await axl(
      c,
      'doSmartLicenseRegister',
      '<token>not-a-token</token><force>true</force>',
    );
    expect(bad.status).toBe(400);
    expect(xmlText(bad.text, 'faultstring')).toMatch(/^INVALID_PARAMETER/);
    const state = await ((await fetch(`${emu.baseUrl}/__emulator/state`)).json() as Json);
    const expired = state.smartAccounts[0].virtualAccounts
      .find((v: Json) => v.name === 'va-hcs-operational')
      .tokens.find((t: Json) => t.status === 'EXPIRED');
    const exp = await axl(
      c,
      'doSmartLicenseRegister',
      `<token>${expired.token}</token><force>true</force>`,
    );
    expect(exp.status).toBe(400);
    expect(xmlText(exp.text, 'faultstring')).toMatch(/^INVALID_PARAMETER/);
  });

  it('a subscriber answers 405', async () => {
    const c = await cluster(emu, 'acme-cucm-01');
    const sub = c.nodes.find((n: Json) => n.role === 'subscriber').name;
    const r = await axl(c, 'doSmartLicenseRegister', '<token>x</token>', sub);
    expect(r.status).toBe(405);
    expect(r.text).toContain('<soapenv:Fault>');
  });

  it('an 11.5 cluster is PLM-licensed and has no smart-licensing operations', async () => {
    const c = await cluster(emu, 'hooli-cucm-02');
    expect(c.licensing).toBe('PLM');
    const token = await mintCloudToken(emu, tok, SA1, 'va-hcs-operational');
    const r = await axl(c, 'doSmartLicenseRegister', `<token>${token}</token>`);
    expect(r.status).toBe(500);
    expect(xmlText(r.text, 'faultstring')).toMatch(/Operation not found/);
  });

  it('deregisters, renews, sets transport (refused while registered) and mode', async () => {
    const c = await cluster(emu, 'globex-cucm-02');
    const t1 = await axl(
      c,
      'updateSmartLicenseTransport',
      '<mode>2</mode><proxyHost>proxy.example</proxyHost><proxyPort>3128</proxyPort>',
    );
    expect(t1.status).toBe(405);
    expect((await axl(c, 'doSmartLicenseRenewAuthorization')).status).toBe(200);
    expect((await axl(c, 'doSmartLicenseRenewRegistration')).status).toBe(200);
    expect((await axl(c, 'doSmartLicenseDeregister')).status).toBe(200);
    expect((await cluster(emu, c.name)).registration.status).toBe('Unregistered');
    const t2 = await axl(
      c,
      'updateSmartLicenseTransport',
      '<mode>2</mode><proxyHost>proxy.example</proxyHost><proxyPort>3128</proxyPort>',
    );
    expect(t2.status).toBe(200);
    const after = await cluster(emu, c.name);
    expect(after.transport).toMatchObject({
      mode: 2,
      modeName: 'Proxy',
      proxyHost: 'proxy.example',
      proxyPort: 3128,
    });
    expect((await axl(c, 'updateSmartLicenseMode', '<mode>Enterprise</mode>')).status).toBe(200);
    expect((await cluster(emu, c.name)).licenseMode).toBe('Enterprise');
    // HCS-LE is gone from 12.5(1)SU7 (this cluster's release).
    expect((await axl(c, 'updateSmartLicenseMode', '<mode>HCS-LE</mode>')).status).toBe(400);
  });
});

describe('CUC vmrest', () => {
  it('returns licensedetails as JSON in the DOMAIN shape and registers with PUT', async () => {
    const c = await cluster(emu, 'globex-cuc-01');
    const h = { authorization: basic(c), 'content-type': 'application/json' };
    const d = await fetch(`${c.baseUrl}/vmrest/smartlicense/licensedetails`, { headers: h });
    expect(d.status).toBe(200);
    const j = (await d.json()) as Json;
    const ld = j.LicenseDetails;
    expect(ld.SmartLicensing).toBe('ENABLED');
    expect(Object.keys(ld.Registration)).toEqual([
      'Status',
      'SmartAccount',
      'VirtualAccount',
      'ExportControlFunctionality',
      'LastRenewalAttempt',
      'LastRenewalStatus',
      'NextRenewalAttempt',
      'RegistrationExpires',
      'RegistrationFailedReason',
      'ProductUDI',
    ]);
    expect(Object.keys(ld.Authorization)).toEqual([
      'Status',
      'LastCommunicationAttempt',
      'LastCommunicationStatus',
      'NextCommunicationAttempt',
      'AuthorizationExpires',
      'AuthorizationFailedReason',
      'EvaluationPeriodRemaining',
    ]);
    for (const v of [...Object.values(ld.Registration), ...Object.values(ld.Authorization)])
      expect(typeof v).toBe('string');
    expect(ld.LicenseStatus.Entitlement[0]).toEqual({
      Tag: expect.stringContaining('HCUC_BasicMessaging'),
      Count: '210',
      Status: 'InCompliance',
    });

    const token = await mintCloudToken(emu, tok, SA1, 'va-globex');
    const no = await fetch(`${c.baseUrl}/vmrest/smartlicense/register`, {
      method: 'PUT',
      headers: h,
      body: JSON.stringify({ token, force: false }),
    });
    expect(no.status).toBe(405);
    expect(((await no.json()) as Json).ErrorDetails.errors.message).toMatch(/force/);
    const yes = await fetch(`${c.baseUrl}/vmrest/smartlicense/register`, {
      method: 'PUT',
      headers: h,
      body: JSON.stringify({ token, force: true }),
    });
    expect(yes.status).toBe(200);
    const bad = await fetch(`${c.baseUrl}/vmrest/smartlicense/register`, {
      method: 'PUT',
      headers: h,
      body: JSON.stringify({ token: 'x', force: true }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).ErrorDetails.errors.code).toBe('INVALID_PARAMETER');
    const sub = c.nodes.find((n: Json) => n.role === 'subscriber');
    const s = await fetch(`${sub.baseUrl}/vmrest/smartlicense/register`, {
      method: 'PUT',
      headers: h,
      body: JSON.stringify({ token, force: true }),
    });
    expect(s.status).toBe(405);
  });
});

describe('CER form', () => {
  it('registers through the form post and shows the status page', async () => {
    const c = await cluster(emu, 'hooli-cer-01');
    const token = await mintCloudToken(emu, tok, SA1, 'va-hcs-operational');
    const post = (form: Record<string, string>) =>
      fetch(`${c.baseUrl}/ceradmin/smartlicense`, {
        method: 'POST',
        headers: { authorization: basic(c), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
      });
    const no = await post({ action: 'register', token });
    expect(no.status).toBe(405);
    const yes = await post({ action: 'register', token, force: 'on' });
    expect(yes.status).toBe(200);
    expect(await yes.text()).toContain('id="status" class="success"');
    const bad = await post({ action: 'register', token: 'bad', force: 'on' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('INVALID_PARAMETER');
    const j = await fetch(`${c.baseUrl}/ceradmin/smartlicense`, {
      headers: { authorization: basic(c), accept: 'application/json' },
    });
    expect(((await j.json()) as Json).LicenseDetails.Registration.Status).toBe('Registered');
  });
});

describe('compliance follows allocation', () => {
  it('a product short of licenses is Out of compliance, per entitlement too', async () => {
    const c = await cluster(emu, 'globex-cucm-01');
    expect(c.authorization.status).toBe('Out of compliance');
    const r = await axl(c, 'getSmartLicenseStatus');
    expect(r.text).toContain('<Authorization><Status>Out of compliance</Status>');
    expect(r.text).toMatch(
      /HUCM_Standard[^<]*<\/Tag><Count>\d+<\/Count><Status>OutOfCompliance<\/Status>/,
    );
  });
});

describe('scenario switch (admin API)', () => {
  it('loads lab-small from a file and rehearses a first registration', async () => {
    const file = new URL('../../data/scenarios/lab-small.json', import.meta.url).pathname;
    const ready = await admin(emu, 'scenario', { file });
    expect(ready.scenario).toBe('lab-small');
    expect(ready.clients).toEqual([
      {
        for: 'cloud',
        account: 'lab.example.com',
        clientId: 'lab-client',
        clientSecret: 'lab-secret',
      },
    ]);
    const c = await cluster(emu, 'lab-cucm-01');
    expect(c.authorization.status).toBe('Evaluation Mode');
    const token = 'bGFiLXRva2VuLTAwMDEtdmFsaWQtZm9yLW9uZS15ZWFy%0A';
    expect((await axl(c, 'doSmartLicenseRegister', `<token>${token}</token>`)).status).toBe(200);
    const after = await cluster(emu, 'lab-cucm-01');
    expect(after.registration.status).toBe('Registered');
    const cuc = await cluster(emu, 'lab-cuc-01');
    expect(cuc.licensing).toBe('PLM');
    expect(cuc.registration.status).toBeNull();
    const back = await admin(emu, 'scenario', { name: 'demo', seed: 2 });
    expect(back.scenario).toBe('demo');
    await expect(admin(emu, 'scenario', { scenario: { clusters: [{}] } })).rejects.toThrow(/400/);
  });
});
