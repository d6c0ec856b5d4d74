// Real: the emulator over loopback HTTP (UC app endpoints: CUCM AXL SOAP, CUC vmrest, CER
// admin servlet; the CSSM API it feeds; core/domain allocation and lifecycle). Faked: nothing —
// plain fetch with the requests a public client sends (hand-written SOAP, JSON and form
// bodies), no smartlic client; invented operations and paths must be refused. Clock frozen.
import { readFileSync } from 'node:fs';
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

const form = (c: Json, body: string, cookie?: string) =>
  fetch(`${c.baseUrl}/ceradmin/servlet/CERAdminServlet`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(cookie ? { cookie } : {}),
    },
    body,
  });

describe('CUCM AXL', () => {
  it('answers getSmartLicenseStatus straight with <LicenseDetails> (no <return>), values as strings', async () => {
    const c = await cluster(emu, 'acme-cucm-01');
    const r = await axl(c, 'getSmartLicenseStatus');
    expect(r.status).toBe(200);
    expect(r.text).toContain('xmlns:ns="http://www.cisco.com/AXL/API/14.0"');
    expect(r.text).toMatch(
      /<ns:getSmartLicenseStatusResponse[^>]*><LicenseDetails><SmartLicensing>ENABLED<\/SmartLicensing><Registration><Status>Registered<\/Status>/,
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
    expect(r.text).toContain('<Authorization><Status>Authorized</Status>');
    expect(r.text).toContain(
      '<Entitlement><Tag>regid.2016-07.com.cisco.UCM_Enhanced,12.0_66d0d1cf-4863-4761-91d0-d01d3eb1949a</Tag><Count>320</Count><Status>InCompliance</Status></Entitlement>',
    );
    expect(r.text).not.toContain('<return>');
    expect(r.text).not.toContain('LicenseMode');
  });

  it('asks for HTTP Basic credentials', async () => {
    const c = await cluster(emu, 'acme-cucm-01');
    const r = await fetch(`${c.baseUrl}/axl/`, { method: 'POST', body: '<x/>' });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('refuses an invented operation with HTTP 500 and an axlError', async () => {
    const c = await cluster(emu, 'globex-cucm-02');
    for (const [op, inner] of [
      ['updateSmartLicenseMode', '<mode>HCS</mode>'],
      ['updateSmartLicenseTransport', '<mode>0</mode>'],
      ['doSmartLicenseDeregister', ''],
    ] as const) {
      const r = await axl(c, op, inner);
      expect(r.status).toBe(500);
      expect(r.text).toContain('<soapenv:Fault>');
      expect(r.text).toMatch(/<axlError><axlcode>-1<\/axlcode><axlmessage>The endpoint reference/);
      expect(Number.isInteger(Number(xmlText(r.text, 'axlcode')))).toBe(true);
      expect(xmlText(r.text, 'faultstring')).toContain(`CUCM:DB ver=12.5 ${op}`);
    }
    expect((await cluster(emu, 'globex-cucm-02')).licenseMode).toBe('HCS');
  });

  it('serves only the schema versions of the release; 12.0 has no smart-licensing operations', async () => {
    const c125 = await cluster(emu, 'acme-cucm-02');
    const too = await axl(c125, 'getSmartLicenseStatus', '', undefined, '14.0');
    expect(too.status).toBe(500);
    expect(xmlText(too.text, 'faultstring')).toMatch(/^Unsupported version: AXL schema 14\.0/);
    const old = await axl(c125, 'getSmartLicenseStatus', '', undefined, '12.0');
    expect(old.status).toBe(500);
    expect(xmlText(old.text, 'faultstring')).toMatch(/Operation not found/);
    expect((await axl(c125, 'getSmartLicenseStatus', '', undefined, '12.5')).status).toBe(200);
    const c15 = await cluster(emu, 'globex-cucm-01');
    expect((await axl(c15, 'getSmartLicenseStatus', '', undefined, '14.0')).status).toBe(200);
    expect((await axl(c15, 'getSmartLicenseStatus', '', undefined, '15.0')).status).toBe(200);
  });

  it('registers with a fresh token, refuses without force, re-registers', async () => {
    const c = await cluster(emu, 'stark-cucm-01');
    expect(c.registration.status).toBe('Unregistered');
    expect(c.registration.lastAttempt.reason).toMatch(/^INVALID_PARAMETER/);
    const before = (await licenses(emu, tok, SA1, ['va-hcs-operational'])).find(
      (l) => l.license === 'HCS UCM Foundation',
    );
    const token = await mintCloudToken(emu, tok, SA1, 'va-hcs-operational');
    const missing = await axl(c, 'doSmartLicenseRegister', `<token>${token}</token>`);
    expect(missing.status).toBe(500);
    expect(xmlText(missing.text, 'faultstring')).toBe(
      'Element force is required in doSmartLicenseRegister.',
    );
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
    const again = await axl(
      c,
      'doSmartLicenseRegister',
      `<token>${token}</token><force>false</force>`,
    );
    expect(again.status).toBe(500);
    expect(xmlText(again.text, 'faultstring')).toMatch(/^Product is already registered.*force/);
    const re = await axl(c, 'doSmartLicenseReRegister', `<token>${token}</token>`);
    expect(re.status).toBe(200);
    expect(re.text).toContain('<ns:doSmartLicenseReRegisterResponse');
  });

  it('answers a fault with INVALID_PARAMETER for a bad or expired token', async () => {
    const c = await cluster(emu, 'globex-cucm-02');
    const bad = await axl(
      c,
      'doSmartLicenseRegister',
      '<token>not-a-token</token><force>true</force>',
    );
    expect(bad.status).toBe(500);
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
    expect(exp.status).toBe(500);
    // axlcode is an integer (the schema types it so); the reason is in axlmessage.
    expect(xmlText(exp.text, 'axlcode')).toBe('400');
    expect(xmlText(exp.text, 'axlmessage')).toMatch(/^INVALID_PARAMETER/);
  });

  it('a subscriber refuses with a fault', async () => {
    const c = await cluster(emu, 'acme-cucm-01');
    const sub = c.nodes.find((n: Json) => n.role === 'subscriber').name;
    const r = await axl(c, 'doSmartLicenseRegister', '<token>x</token><force>false</force>', sub);
    expect(r.status).toBe(500);
    expect(xmlText(r.text, 'faultstring')).toMatch(/only on the publisher/);
  });

  it('an 11.5 cluster is PLM-licensed and has no smart-licensing operations', async () => {
    const c = await cluster(emu, 'hooli-cucm-02');
    expect(c.licensing).toBe('PLM');
    const token = await mintCloudToken(emu, tok, SA1, 'va-hcs-operational');
    const r = await axl(
      c,
      'doSmartLicenseRegister',
      `<token>${token}</token><force>false</force>`,
      undefined,
      '11.5',
    );
    expect(r.status).toBe(500);
    expect(xmlText(r.text, 'faultstring')).toMatch(/Operation not found/);
  });

  it('deregisters, renews, reads and sets transport (refused while registered)', async () => {
    const c = await cluster(emu, 'globex-cucm-02');
    const proxy =
      '<transportMode>2</transportMode><url></url><httpHost>proxy.example</httpHost><httpPort>3128</httpPort>';
    const t1 = await axl(c, 'doUpdateTransportSettings', proxy);
    expect(t1.status).toBe(500);
    expect(xmlText(t1.text, 'faultstring')).toMatch(/while the product is registered/);
    expect((await axl(c, 'doSmartLicenseRenewAuthorization')).status).toBe(200);
    expect((await axl(c, 'doSmartLicenseRenewRegistration')).status).toBe(200);
    expect((await axl(c, 'doSmartLicenseDeRegister')).status).toBe(200);
    expect((await cluster(emu, c.name)).registration.status).toBe('Unregistered');
    // Required elements missing are faults; 12.5 declares the optional proxy-authentication
    // elements too, so they are accepted.
    const short = await axl(c, 'doUpdateTransportSettings', '<transportMode>0</transportMode>');
    expect(xmlText(short.text, 'faultstring')).toBe(
      'Element url is required in doUpdateTransportSettings.',
    );
    const t2 = await axl(
      c,
      'doUpdateTransportSettings',
      `${proxy}<enableProxyAuthentication>false</enableProxyAuthentication><proxyUserName></proxyUserName><proxyPassword></proxyPassword>`,
    );
    expect(t2.status).toBe(200);
    const after = await cluster(emu, c.name);
    expect(after.transport).toMatchObject({
      mode: 2,
      modeName: 'Proxy',
      proxyHost: 'proxy.example',
      proxyPort: 3128,
    });
    const read = await axl(c, 'getTransportSettings');
    expect(read.text).toContain(
      '<return></return><TransportSettings><transportmode>2</transportmode><transportUrl></transportUrl><httpHost>proxy.example</httpHost><httpPort>3128</httpPort></TransportSettings>',
    );
  });
});

describe('CUC vmrest', () => {
  it('returns licensedetails in the CUPI shape and registers with PUT', async () => {
    const c = await cluster(emu, 'globex-cuc-01');
    const h = {
      authorization: basic(c),
      'content-type': 'application/json',
      accept: 'application/json',
    };
    const d = await fetch(`${c.baseUrl}/vmrest/smartlicense/licensedetails`, { headers: h });
    expect(d.status).toBe(200);
    const ld = (await d.json()) as Json;
    expect(Object.keys(ld)).toEqual([
      'SmartLicensing',
      'Register',
      'Authorization',
      'LicenseUsage',
    ]);
    expect(ld.SmartLicensing).toBe('Enabled');
    expect(Object.keys(ld.Register)).toEqual([
      'Status',
      'SmartAccount',
      'VirtualAccount',
      'LastRenewalAttempt',
      'NextRenewalAttempt',
      'LastRegistrationSuccessTime',
      'ProductUDI',
      'ExportControlFunctionality',
    ]);
    expect(Object.keys(ld.Authorization)).toEqual([
      'Status',
      'LastCommunicationAttempt',
      'NextCommunicationAttempt',
      'EvaluationPeriodRemaining',
    ]);
    expect(ld.Register.LastRenewalAttempt).toMatch(
      /^(SUCCEEDED|FAILED) \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d$/,
    );
    expect(ld.Register.ProductUDI).toMatch(/^pid=\S.* sn=\S+$/);
    expect(ld.Authorization.EvaluationPeriodRemaining).toMatch(/^\d+:\d+:\d+$/);
    expect(ld.LicenseUsage.EntitlementTag[0]).toEqual({
      Id: expect.stringContaining('HCUC_BasicMessaging'),
      Count: '210',
      Status: 'InCompliance',
    });

    const token = await mintCloudToken(emu, tok, SA1, 'va-globex');
    const put = (path: string, body?: unknown, node = c) =>
      fetch(`${node.baseUrl}/vmrest/smartlicense/${path}`, {
        method: 'PUT',
        headers: h,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    const no = await put('register', { token, force: 'false' });
    expect(no.status).toBe(405);
    expect(((await no.json()) as Json).ErrorDetails.errors.message).toMatch(/force/);
    const yes = await put('register', { token, force: 'true' });
    expect(yes.status).toBe(200);
    const bad = await put('register', { token: 'x', force: 'true' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).ErrorDetails.errors.code).toBe('INVALID_PARAMETER');
    expect((await put('renewAuth')).status).toBe(200);
    expect((await put('renewID')).status).toBe(200);
    const sub = c.nodes.find((n: Json) => n.role === 'subscriber');
    expect(
      (await put('register', { token, force: 'true' }, { ...c, baseUrl: sub.baseUrl })).status,
    ).toBe(405);
  });

  it('reads and writes transportsettings with CUPI field names', async () => {
    const c = await cluster(emu, 'umbrella-cuc-01');
    const h = {
      authorization: basic(c),
      'content-type': 'application/json',
      accept: 'application/json',
    };
    const url = `${c.baseUrl}/vmrest/smartlicense/transportsettings`;
    const read = async () => (await (await fetch(url, { headers: h })).json()) as Json;
    expect(Object.keys(await read())).toEqual([
      'transportMode',
      'transportUrl',
      'httpHost',
      'httpPort',
      'isPrivacyEnabled',
      'isProxyAuthReq',
      'httpProxyUser',
    ]);
    const body = {
      transportMode: '2',
      transportUrl: '',
      httpHost: 'proxy.umbrella.example',
      httpPort: '8080',
      isPrivacyEnabled: 'false',
      isProxyAuthReq: 'false',
      httpProxyUser: '',
      httpProxyPasswd: '',
    };
    const refused = await fetch(url, { method: 'PUT', headers: h, body: JSON.stringify(body) });
    expect(refused.status).toBe(405);
    await fetch(`${c.baseUrl}/vmrest/smartlicense/deregister`, { method: 'PUT', headers: h });
    const ok = await fetch(url, { method: 'PUT', headers: h, body: JSON.stringify(body) });
    expect(ok.status).toBe(200);
    expect(await read()).toMatchObject({
      transportMode: '2',
      httpHost: 'proxy.umbrella.example',
      httpPort: '8080',
    });
  });

  it('refuses invented paths (404) and wrong methods (405)', async () => {
    const c = await cluster(emu, 'acme-cuc-01');
    const h = { authorization: basic(c), 'content-type': 'application/json' };
    for (const path of ['renewauth', 'renewregistration', 'transport', 'mode']) {
      const r = await fetch(`${c.baseUrl}/vmrest/smartlicense/${path}`, {
        method: 'PUT',
        headers: h,
        body: '{}',
      });
      expect(r.status).toBe(404);
    }
    const post = await fetch(`${c.baseUrl}/vmrest/smartlicense/register`, {
      method: 'POST',
      headers: h,
      body: '{}',
    });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('PUT');
    const get = await fetch(`${c.baseUrl}/vmrest/smartlicense/licensedetails`, {
      method: 'PUT',
      headers: h,
    });
    expect(get.status).toBe(405);
  });
});

describe('CER admin servlet', () => {
  it('registers through the login form, the session cookie and the licRegistration form', async () => {
    const c = await cluster(emu, 'hooli-cer-01');
    const token = await mintCloudToken(emu, tok, SA1, 'va-hcs-operational');
    const register = `formname=licRegistration&hiddenaction=registerLic&regToken=${encodeURIComponent(token)}&forceRegister=forceRegisterEnabled`;
    // Without a session: the login page, nothing registered.
    const anon = await form(c, register);
    expect(anon.status).toBe(200);
    expect(await anon.text()).toContain('name="passwd"');
    const badLogin = await form(
      c,
      `formname=login&actionname=Login&name=${c.credentials.username}&passwd=wrong`,
    );
    expect(badLogin.headers.get('set-cookie')).toBeNull();
    const login = await form(
      c,
      new URLSearchParams({
        formname: 'login',
        actionname: 'Login',
        name: c.credentials.username,
        passwd: c.credentials.password,
      }).toString(),
    );
    const cookie = /^JSESSIONID=[^;]+/.exec(login.headers.get('set-cookie') ?? '')?.[0];
    expect(cookie).toMatch(/^JSESSIONID=[0-9A-F]{32}$/);
    const yes = await form(c, register, cookie);
    expect(yes.status).toBe(200);
    expect(await yes.text()).toContain('Product registered successfully.');
    expect((await cluster(emu, c.name)).registration.status).toBe('Registered');
    // HTTP Basic is no way in, and there is no status page or other path.
    for (const path of ['/ceradmin/smartlicense', '/ceradmin/servlet/Other']) {
      const r = await fetch(`${c.baseUrl}${path}`, {
        headers: { authorization: basic(c), accept: 'application/json' },
      });
      expect(r.status).toBe(404);
    }
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
    expect(
      (await axl(c, 'doSmartLicenseRegister', `<token>${token}</token><force>false</force>`))
        .status,
    ).toBe(200);
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

describe('the documented requests, verbatim (data/fixtures/uc/)', () => {
  const fx = (name: string) =>
    readFileSync(new URL(`../../data/fixtures/uc/${name}`, import.meta.url), 'utf8').trim();

  it('AXL: the public client requests are answered', async () => {
    const c = await cluster(emu, 'hooli-cucm-01'); // 14.0
    const r = await fetch(`${c.baseUrl}/axl/`, {
      method: 'POST',
      headers: {
        authorization: basic(c),
        'content-type': 'text/xml;charset=UTF-8',
        SOAPAction: '"CUCM:DB ver=14.0 getSmartLicenseStatus"',
      },
      body: fx('axl-request-getSmartLicenseStatus-14.0.xml'),
    });
    expect(r.status).toBe(200);
    expect(await r.text()).toMatch(/Response[^>]*><LicenseDetails>/);
    const c125 = await cluster(emu, 'umbrella-cucm-01'); // a 15.0 cluster serves 12.5 too
    const bad = await fetch(`${c125.baseUrl}/axl/`, {
      method: 'POST',
      headers: { authorization: basic(c125), 'content-type': 'text/xml;charset=UTF-8' },
      body: fx('axl-request-doSmartLicenseRegister-12.5.xml'),
    });
    // Understood and answered as Cisco's server would: registered already, no force.
    expect(bad.status).toBe(500);
    expect(await bad.text()).toContain('<axlcode>405</axlcode>');
  });

  it("CER: the public module's two forms register", async () => {
    const c = await cluster(emu, 'umbrella-cer-01');
    const login = fx('cer-login.form')
      .replace('name=ceradmin', `name=${encodeURIComponent(c.credentials.username)}`)
      .replace('passwd=s3cret', `passwd=${encodeURIComponent(c.credentials.password)}`);
    const l = await form(c, login);
    const cookie = /^JSESSIONID=[^;]+/.exec(l.headers.get('set-cookie') ?? '')![0];
    const token = await mintCloudToken(emu, tok, 'nimbus-eu.example.com', 'va-umbrella').catch(
      () => undefined,
    );
    const body = fx('cer-register.form').replace('regToken=NjA1ZTBm', `regToken=${token ?? 'x'}`);
    const r = await form(c, body, cookie);
    expect(r.status).toBe(200);
    expect(await r.text()).toMatch(/<p class="(info|error)">/);
  });
});
