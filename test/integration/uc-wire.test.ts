// Real: core/uc clients and core/cssm/http.ts over loopback. Faked: the UC publisher, played by
// test/fakes/fake-http.ts recording exactly what goes on the wire (headers, bodies) and
// answering scripted Cisco-style errors.
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../core/cssm/http.ts';
import { CerFormClient, CucmAxlClient, CucVmrestClient } from '../../core/uc/uc.client.ts';
import { json, startFakeServer, type FakeHandler, type FakeServer } from '../fakes/fake-http.ts';
import { rejection } from '../support/helpers.ts';

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
const fault = (msg: string) =>
  `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>${msg}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;

describe('CUCM AXL on the wire', () => {
  it('sends the SOAP envelope, SOAPAction and Basic auth; maps faults', async () => {
    const { srv, http } = await fake((req, res, { index }) => {
      if (index === 0) {
        res.writeHead(200, { 'content-type': 'text/xml' });
        return void res.end(
          '<soapenv:Envelope xmlns:soapenv="x"><soapenv:Body><ns:doSmartLicenseRegisterResponse xmlns:ns="y"><return>ok</return></ns:doSmartLicenseRegisterResponse></soapenv:Body></soapenv:Envelope>',
        );
      }
      res.writeHead(400, { 'content-type': 'text/xml' });
      res.end(fault('INVALID_PARAMETER: The ID token is invalid or expired.'));
    });
    const axl = new CucmAxlClient({
      baseUrl: `${srv.url}/`,
      username: 'axluser',
      password: 'p@ss:word',
      http,
      axlVersion: '12.5',
    });
    await axl.register('tok<&>', true);
    const req = srv.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/axl/');
    expect(req.headers.soapaction).toBe('"CUCM:DB ver=12.5"');
    expect(req.headers.authorization).toBe(basic);
    expect(req.body).toContain('xmlns:ns="http://www.cisco.com/AXL/API/12.5"');
    expect(req.body).toContain(
      '<ns:doSmartLicenseRegister><token>tok&lt;&amp;&gt;</token><force>true</force></ns:doSmartLicenseRegister>',
    );
    const e = await rejection(axl.register('old', false));
    expect(e.code).toBe('CAA1048');
    expect(srv.requests).toHaveLength(2); // a write is never retried
  });

  it('a 200 that is not XML is UC1020, not a crash', async () => {
    const { srv, http } = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>login page');
    });
    const axl = new CucmAxlClient({ baseUrl: srv.url, username: 'a', password: 'b', http });
    const e = await rejection(axl.getStatus());
    expect(e.code).toBe('UC1020');
    expect(e.details?.reason).toBe('unexpected-shape');
  });
});

describe('CUC vmrest on the wire', () => {
  it('PUTs JSON to register and reads CUPI errors', async () => {
    const { srv, http } = await fake((_req, res, { index }) => {
      if (index === 0) return json(res, 200, { status: 'SUCCESS' });
      json(res, 405, {
        ErrorDetails: {
          errors: {
            code: 'ALREADY_REGISTERED',
            message: "Product is already registered. To register again use the 'force' option.",
          },
        },
      });
    });
    const cuc = new CucVmrestClient({
      baseUrl: srv.url,
      username: 'axluser',
      password: 'p@ss:word',
      http,
    });
    await cuc.register('T1', false);
    expect(srv.requests[0]).toMatchObject({ method: 'PUT', path: '/vmrest/smartlicense/register' });
    expect(JSON.parse(srv.requests[0]!.body)).toEqual({ token: 'T1', force: false });
    const e = await rejection(cuc.register('T1', false));
    expect(e.code).toBe('CAA1081');
    expect(e.details?.ucMessage).toMatch(/^ALREADY_REGISTERED: Product is already registered/);
  });
});

describe('CER form on the wire', () => {
  it('posts the form and reads an error page even on HTTP 200', async () => {
    const { srv, http } = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        '<html><body><div id="status" class="error" data-code="INVALID_PARAMETER">INVALID_PARAMETER: The ID token is invalid or expired.</div></body></html>',
      );
    });
    const cer = new CerFormClient({ baseUrl: srv.url, username: 'u', password: 'p', http });
    const e = await rejection(cer.register('T 2&x', true));
    expect(e.code).toBe('CAA1048');
    const req = srv.requests[0]!;
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({
      action: 'register',
      token: 'T 2&x',
      force: 'true',
    });
  });
});
