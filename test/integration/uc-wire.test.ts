// Real: core/uc clients and core/cssm/http.ts over loopback. Faked: the UC publisher, played by
// test/fakes/fake-http.ts, which records exactly what goes on the wire (headers, bodies) and
// answers with the documented answers kept in data/fixtures/uc/ (sources named in its README).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../core/cssm/http.ts';
import { CerFormClient, CucmAxlClient, CucVmrestClient } from '../../core/uc/uc.client.ts';
import { json, startFakeServer, type FakeHandler, type FakeServer } from '../fakes/fake-http.ts';
import { rejection } from '../support/helpers.ts';

const FIX = join(import.meta.dirname, '../../data/fixtures/uc');
const fixture = (name: string): string => readFileSync(join(FIX, name), 'utf8');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function fake(h: FakeHandler): Promise<{ srv: FakeServer; http: HttpClient }> {
  const srv = await startFakeServer(h);
  const http = new HttpClient({ sleep: () => Promise.resolve() });
  cleanups.push(async () => {
    await http.close();
    await srv.close();
  });
  return { srv, http };
}

const basic = `Basic ${Buffer.from('axluser:p@ss:word').toString('base64')}`;
const xml = (res: import('node:http').ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
  res.end(body);
};
const fault = (msg: string) =>
  `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>${msg}</faultstring><detail><axlError><axlcode>-1</axlcode><axlmessage>${msg}</axlmessage></axlError></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
const ok = (op: string) =>
  `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns:${op}Response xmlns:ns="http://www.cisco.com/AXL/API/12.5"><return>ok</return></ns:${op}Response></soapenv:Body></soapenv:Envelope>`;

describe('CUCM AXL on the wire', () => {
  const axlClient = (url: string, http: HttpClient, axlVersion = '12.5') =>
    new CucmAxlClient({
      baseUrl: `${url}/`,
      username: 'axluser',
      password: 'p@ss:word',
      http,
      axlVersion,
    });

  it('sends each operation with its AXL name, the schema namespace and SOAPAction', async () => {
    const { srv, http } = await fake((req, res) => {
      const op = /<ns:(\w+)/.exec(req.body)![1]!;
      xml(res, 200, ok(op));
    });
    const axl = axlClient(srv.url, http);
    await axl.register('tok<&>', false);
    await axl.reRegister('T2');
    await axl.deregister();
    await axl.renewAuthorization();
    await axl.renewRegistration();
    await axl.setTransport({ mode: 2, httpHost: 'proxy.example.com', httpPort: 3128 });
    const r = srv.requests;
    expect(r.map((x) => /<ns:(\w+)/.exec(x.body)![1])).toEqual([
      'doSmartLicenseRegister',
      'doSmartLicenseReRegister',
      'doSmartLicenseDeRegister',
      'doSmartLicenseRenewAuthorization',
      'doSmartLicenseRenewRegistration',
      'doUpdateTransportSettings',
    ]);
    for (const x of r) {
      expect(x.method).toBe('POST');
      expect(x.path).toBe('/axl/');
      expect(x.headers.authorization).toBe(basic);
      expect(x.headers.soapaction).toBe(`"CUCM:DB ver=12.5 ${/<ns:(\w+)/.exec(x.body)![1]}"`);
      expect(x.body).toContain('xmlns:ns="http://www.cisco.com/AXL/API/12.5"');
    }
    // The exact request a public AXL client sends (data/fixtures/uc/axl-request-…).
    expect(r[0]!.body).toBe(
      fixture('axl-request-doSmartLicenseRegister-12.5.xml')
        .trim()
        .replace('TOKEN', 'tok&lt;&amp;&gt;'),
    );
    expect(r[1]!.body).toContain(
      '<ns:doSmartLicenseReRegister><token>T2</token></ns:doSmartLicenseReRegister>',
    );
    expect(r[2]!.body).toContain('<ns:doSmartLicenseDeRegister/>');
    expect(r[5]!.body).toContain(
      '<ns:doUpdateTransportSettings><transportMode>2</transportMode><url></url><httpHost>proxy.example.com</httpHost><httpPort>3128</httpPort></ns:doUpdateTransportSettings>',
    );
  });

  it('reads the documented status answer (no <return>, every tier listed)', async () => {
    const { srv, http } = await fake((_req, res) =>
      xml(res, 200, fixture('cucm-get-smart-license-status.xml')),
    );
    const st = await axlClient(srv.url, http, '14.0').getStatus();
    expect(srv.requests[0]!.body).toBe(
      fixture('axl-request-getSmartLicenseStatus-14.0.xml').trim(),
    );
    expect(st.registration).toMatchObject({
      status: 'Registered',
      smartAccount: 'Acme',
      virtualAccount: 'acme-ops',
      exportControlFunctionality: 'ALLOWED',
      lastRenewalStatus: 'SUCCEEDED',
      productUdi: { pid: 'UCM', sn: '0efb8', uuid: '3b6e2f0a9c1d4e5f8a7b6c5d4e3f2a1b' },
    });
    expect(st.registration.lastRenewalAttempt).toEqual(new Date('2024-11-21T00:31:12Z'));
    expect(st.authorization.status).toBe('Authorized');
    expect(st.authorization.evaluationPeriodRemainingDays).toBe(89);
    expect(st.entitlements.map((e) => [e.tag.replace(/^.*\.cisco\.|,.*$/g, ''), e.count])).toEqual([
      ['UCM_CUWL', 10],
      ['UCM_EnhancedPlus', 0],
      ['UCM_Enhanced', 25],
      ['UCM_Basic', 0],
      ['UCM_Essential', 0],
    ]);
    // The mode is no element of LicenseDetails: it shows in the tags the product asks for.
    expect(st.licenseMode).toBe('Enterprise');
  });

  it('reads the older shape too (<return> beside <LicenseDetails>, tiers in use only)', async () => {
    const { srv, http } = await fake((_req, res) =>
      xml(res, 200, fixture('cucm-get-smart-license-status-with-return.xml')),
    );
    const st = await axlClient(srv.url, http, '14.0').getStatus();
    expect(st.registration.status).toBe('Registered');
    expect(st.entitlements).toEqual([
      {
        tag: 'regid.2017-02.com.cisco.UCM_CUWL,12.0_cc59375a-1cd8-4b36-8366-6f4d2abba965',
        count: 10,
        status: 'InCompliance',
      },
      {
        tag: 'regid.2016-07.com.cisco.UCM_Enhanced,12.0_66d0d1cf-4863-4761-91d0-d01d3eb1949a',
        count: 25,
        status: 'InCompliance',
      },
    ]);
  });

  it('reads the nested shape too (<LicenseDetails> inside <return>)', async () => {
    const nested = fixture('cucm-get-smart-license-status-with-return.xml')
      .replace('<return></return><LicenseDetails>', '<return><LicenseDetails>')
      .replace('</LicenseDetails></ns:', '</LicenseDetails></return></ns:');
    const { srv, http } = await fake((_req, res) => xml(res, 200, nested));
    const st = await axlClient(srv.url, http, '14.0').getStatus();
    expect(st.registration.status).toBe('Registered');
    expect(st.entitlements).toHaveLength(2);
  });

  it('reads getTransportSettings (transportmode in lower case), sibling or nested', async () => {
    for (const file of [
      'cucm-get-transport-settings.xml',
      'cucm-get-transport-settings-nested.xml',
    ]) {
      const { srv, http } = await fake((_req, res) => xml(res, 200, fixture(file)));
      expect(await axlClient(srv.url, http, '14.0').getTransport()).toEqual({
        mode: 1,
        url: 'https://satellite.example.com/SmartTransport',
      });
    }
    const { srv, http } = await fake((_req, res) =>
      xml(res, 200, fixture('cucm-get-transport-settings.xml')),
    );
    await axlClient(srv.url, http, '14.0').getTransport();
    expect(srv.requests[0]!.headers.soapaction).toBe('"CUCM:DB ver=14.0 getTransportSettings"');
  });

  it('maps HTTP 500 SOAP faults: bad token, unknown operation; a write is never retried', async () => {
    const { srv, http } = await fake((_req, res, { index }) =>
      xml(
        res,
        500,
        index === 0
          ? fault('INVALID_PARAMETER: The ID token is invalid or expired.')
          : fixture('cucm-fault-unknown-operation.xml'),
      ),
    );
    const axl = axlClient(srv.url, http);
    const e = await rejection(axl.register('old', false));
    expect(e.code).toBe('CAA1048');
    expect(srv.requests).toHaveLength(1);
    const unknown = await rejection(axl.getStatus());
    expect(unknown.code).toBe('SLMCT1006');
    expect(unknown.details?.ucMessage).toMatch(/EPR\) for the Operation not found/);
  });

  it('a 200 that is not XML is UC1020, not a crash', async () => {
    const { srv, http } = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>login page');
    });
    const e = await rejection(axlClient(srv.url, http).getStatus());
    expect(e.code).toBe('UC1020');
    expect(e.details?.reason).toBe('unexpected-shape');
  });
});

describe('CUC vmrest on the wire', () => {
  const cucClient = (url: string, http: HttpClient) =>
    new CucVmrestClient({ baseUrl: url, username: 'axluser', password: 'p@ss:word', http });

  it('uses CUPI paths and bodies; reads CUPI errors', async () => {
    const { srv, http } = await fake((req, res, { index }) => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(fixture('cuc-transportsettings.json'));
      }
      if (index === 1) {
        return json(res, 405, {
          ErrorDetails: {
            errors: {
              code: 'ALREADY_REGISTERED',
              message: "Product is already registered. To register again use the 'force' option.",
            },
          },
        });
      }
      res.writeHead(204);
      res.end();
    });
    const cuc = cucClient(srv.url, http);
    await cuc.register('T1', false);
    const e = await rejection(cuc.register('T1', false));
    expect(e.code).toBe('CAA1081');
    expect(e.details?.ucMessage).toMatch(/^ALREADY_REGISTERED: Product is already registered/);
    await cuc.reRegister('T2');
    await cuc.deregister();
    await cuc.renewAuthorization();
    await cuc.renewRegistration();
    await cuc.setTransport({ mode: 1, url: 'https://sat.example.com/SmartTransport' });
    expect(await cuc.getTransport()).toEqual({
      mode: 2,
      httpHost: 'proxy.example.com',
      httpPort: 3128,
    });
    const r = srv.requests;
    expect(r.map((x) => `${x.method} ${x.path}`)).toEqual([
      'PUT /vmrest/smartlicense/register',
      'PUT /vmrest/smartlicense/register',
      'PUT /vmrest/smartlicense/register',
      'PUT /vmrest/smartlicense/deregister',
      'PUT /vmrest/smartlicense/renewAuth',
      'PUT /vmrest/smartlicense/renewID',
      'GET /vmrest/smartlicense/transportsettings',
      'PUT /vmrest/smartlicense/transportsettings',
      'GET /vmrest/smartlicense/transportsettings',
    ]);
    expect(JSON.parse(r[0]!.body)).toEqual({ token: 'T1', force: 'false' });
    expect(JSON.parse(r[2]!.body)).toEqual({ token: 'T2', force: 'true' });
    expect(JSON.parse(r[7]!.body)).toEqual({
      transportMode: '1',
      transportUrl: 'https://sat.example.com/SmartTransport',
      httpHost: '',
      httpPort: '',
      isPrivacyEnabled: 'false',
      isProxyAuthReq: 'false',
      httpProxyUser: '',
      httpProxyPasswd: '',
    });
    for (const x of r) expect(x.headers.authorization).toBe(basic);
  });

  it.each([
    ['cuc-licensedetails.json', 'application/json'],
    ['cuc-licensedetails.xml', 'application/xml'],
  ])('reads the documented licensedetails answer (%s)', async (file, type) => {
    const { srv, http } = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': type });
      res.end(fixture(file));
    });
    const st = await cucClient(srv.url, http).getStatus();
    expect(srv.requests[0]).toMatchObject({
      method: 'GET',
      path: '/vmrest/smartlicense/licensedetails',
    });
    expect(st.smartLicensing).toBe('Enabled');
    expect(st.registration).toMatchObject({
      status: 'Registered',
      smartAccount: 'BU Production Test',
      virtualAccount: 'Cisco_VA',
      exportControlFunctionality: 'Allowed',
      lastRenewalStatus: 'SUCCEEDED',
      productUdi: { pid: 'Cisco Unity Connection', sn: 'cbd7561030494c60af97aabbcba' },
    });
    expect(st.registration.lastRenewalAttempt).toEqual(new Date('2017-11-22T13:17:19Z'));
    expect(st.registration.nextRenewalAttempt).toEqual(new Date('2018-05-23T13:17:19Z'));
    expect(st.authorization).toMatchObject({
      status: 'Authorized',
      lastCommunicationStatus: 'SUCCEEDED',
      evaluationPeriodRemainingDays: 87,
    });
    expect(st.authorization.nextCommunicationAttempt).toEqual(new Date('2017-12-27T13:17:19Z'));
    expect(st.entitlements).toEqual([
      {
        tag: 'regid.2020-06.com.cisco.CUC_BasicMessaging,14_74b6bdc1-b3e1-45dc-9468-6412b12fdef2',
        count: 1,
        status: 'Eval',
      },
      {
        tag: 'regid.2020-06.com.cisco.CUC_EnhancedMessaging,14_5e05b515-5be5-429e-b301-5de5de8d2c09',
        count: 0,
        status: 'Init',
      },
    ]);
  });

  it('"Not Applicable" dates read as none; an unreadable one names the field', async () => {
    const doc = JSON.parse(fixture('cuc-licensedetails.json'));
    doc.Register.LastRenewalAttempt = 'Not Applicable';
    const bad = JSON.parse(fixture('cuc-licensedetails.json'));
    bad.Authorization.NextCommunicationAttempt = 'tomorrow';
    const { srv, http } = await fake((_req, res, { index }) =>
      json(res, 200, index === 0 ? doc : bad),
    );
    const cuc = cucClient(srv.url, http);
    expect((await cuc.getStatus()).registration.lastRenewalAttempt).toBeNull();
    const e = await rejection(cuc.getStatus());
    expect(e.code).toBe('UC1020');
    expect(e.message).toContain('Authorization.NextCommunicationAttempt');
  });
});

describe('CER admin servlet on the wire', () => {
  it('posts the login form, then the registration form with the session cookie', async () => {
    const { srv, http } = await fake((req, res) => {
      res.writeHead(200, {
        'content-type': 'text/html',
        ...(req.body.startsWith('formname=login')
          ? { 'set-cookie': 'JSESSIONID=ABC123; Path=/ceradmin; Secure; HttpOnly' }
          : {}),
      });
      res.end('<html><body>Cisco Emergency Responder Administration</body></html>');
    });
    const cer = new CerFormClient({
      baseUrl: srv.url,
      username: 'ceradmin',
      password: 's3cret',
      http,
    });
    await cer.register('NjA1ZTBm', true);
    const [login, reg] = srv.requests;
    for (const x of [login!, reg!]) {
      expect(x.method).toBe('POST');
      expect(x.path).toBe('/ceradmin/servlet/CERAdminServlet');
      expect(x.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(x.headers.authorization).toBeUndefined();
    }
    // Exactly the public module's forms (data/fixtures/uc/cer-*.form).
    expect(login!.body).toBe(fixture('cer-login.form'));
    expect(reg!.body).toBe(fixture('cer-register.form'));
    expect(reg!.headers.cookie).toBe('JSESSIONID=ABC123');
  });

  it('no session cookie after login is UC1011', async () => {
    const { srv, http } = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<form><input name="name"><input type="password" name="passwd"></form>');
    });
    const cer = new CerFormClient({ baseUrl: srv.url, username: 'u', password: 'wrong', http });
    expect((await rejection(cer.register('T', true))).code).toBe('UC1011');
    expect(srv.requests).toHaveLength(1);
  });
});
