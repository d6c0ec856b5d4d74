// Real: core/parse (WorkerReadParser and a real parse thread started by bin/cli/parse-thread.ts
// from the sources through tsx, core/parse/parse-worker.ts), the CSSM, AXL and CUPI clients
// (core/cssm/cssm.client.ts, core/uc/axl.client.ts, core/uc/vmrest.client.ts) and
// core/cssm/http.ts over loopback HTTP. Faked: CSSM and the UC publishers, played by a small
// node:http server (test/fakes/fake-http.ts) answering the documented answers in
// data/fixtures/uc/ or pages built here; the backoff sleep. A crash of the parse thread is a
// real one: the thread runs out of its (small) heap on a large answer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnParseThread } from '../../bin/cli/parse-thread.ts';
import { CssmClient } from '../../core/cssm/cssm.client.ts';
import { HttpClient } from '../../core/cssm/http.ts';
import { SmartlicError } from '../../core/errors.ts';
import {
  WorkerReadParser,
  inlineReadParser,
  useReadParser,
  type ReadParser,
} from '../../core/parse/read-parser.ts';
import { CucmAxlClient } from '../../core/uc/axl.client.ts';
import { CucVmrestClient } from '../../core/uc/vmrest.client.ts';
import { startFakeServer, type FakeServer } from '../fakes/fake-http.ts';
import { cssmLicenseRecord } from '../support/helpers.ts';

const FIX = join(import.meta.dirname, '../../data/fixtures/uc');
const fixture = (name: string): string => readFileSync(join(FIX, name), 'utf8');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A fake far side that answers every request with what `answer()` says now. */
async function farSide(): Promise<{
  srv: FakeServer;
  http: HttpClient;
  set: (status: number, type: string, body: string) => void;
}> {
  let current = { status: 200, type: 'application/json', body: '{}' };
  const srv = await startFakeServer((req, res) => {
    if (req.path.startsWith('/token')) {
      const t = JSON.stringify({ access_token: 'tok', token_type: 'Bearer', expires_in: 3599 });
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(t);
    }
    res.writeHead(current.status, { 'content-type': current.type });
    res.end(current.body);
  });
  // One request id for all: the outcomes of two reads are compared whole.
  const http = new HttpClient({
    sleep: () => Promise.resolve(),
    maxRetries: 0,
    newRequestId: () => 'req-1',
  });
  cleanups.push(async () => {
    await http.close();
    await srv.close();
  });
  return { srv, http, set: (status, type, body) => (current = { status, type, body }) };
}

/** A parse thread for every job (no inline start, no size floor). */
function threadParser(heapMb?: number): WorkerReadParser {
  const p = new WorkerReadParser({
    spawn: () => spawnParseThread(heapMb !== undefined ? { heapMb } : {}),
    startAfter: 0,
    minBytes: 0,
  });
  cleanups.push(() => p.close());
  return p;
}

/** What a read gives with `parser` installed: its value, or its error's visible parts. */
async function outcome(parser: ReadParser, read: () => Promise<unknown>): Promise<unknown> {
  const before = useReadParser(parser);
  try {
    return { value: await read() };
  } catch (e) {
    if (!(e instanceof SmartlicError)) throw e;
    return { code: e.code, message: e.message, action: e.action, details: e.details };
  } finally {
    useReadParser(before);
  }
}

/** The same read, inline and on a parse thread: the same outcome. */
async function same(read: () => Promise<unknown>, thread: ReadParser): Promise<unknown> {
  const a = await outcome(inlineReadParser, read);
  const b = await outcome(thread, read);
  expect(b).toEqual(a);
  return a;
}

const lic = cssmLicenseRecord;

function cssmClient(url: string, http: HttpClient, pageSize = 1000): CssmClient {
  return new CssmClient({
    flavor: 'cloud',
    baseUrl: `${url}/services/api/`,
    http,
    tokens: { getToken: () => Promise.resolve('tok'), invalidate: () => undefined },
    pageSize,
  });
}

describe('parsing the reads on a parse thread', () => {
  it('a Unified CM status: the same status, with its dates, and the same errors', async () => {
    const { srv, http, set } = await farSide();
    const thread = threadParser();
    const axl = new CucmAxlClient({
      baseUrl: srv.url,
      username: 'axluser',
      password: 'p@ss:word',
      http,
      axlVersion: '14.0',
    });
    set(200, 'text/xml', fixture('cucm-get-smart-license-status.xml'));
    const ok = (await same(() => axl.getStatus(), thread)) as { value: Record<string, unknown> };
    expect(ok.value).toHaveProperty('registration');
    set(200, 'text/xml', fixture('cucm-get-smart-license-status-with-return.xml'));
    await same(() => axl.getStatus(), thread);
    // Not well-formed, a SOAP fault, an answer without LicenseDetails, a bad field.
    set(200, 'text/xml', '<soapenv:Envelope><soapenv:Body><LicenseDetails>');
    const bad = (await same(() => axl.getStatus(), thread)) as { code: string; message: string };
    expect(bad.code).toBe('UC1020');
    expect(bad.message).toMatch(/not well-formed XML/);
    set(500, 'text/xml', fixture('cucm-fault-unknown-operation.xml'));
    await same(() => axl.getStatus(), thread);
    set(200, 'text/xml', fixture('cucm-get-transport-settings.xml'));
    expect(await same(() => axl.getStatus(), thread)).toMatchObject({ code: 'UC1020' });
    set(
      200,
      'text/xml',
      fixture('cucm-get-smart-license-status.xml').replace(/<Status>[^<]*<\/Status>/, ''),
    );
    expect(await same(() => axl.getStatus(), thread)).toMatchObject({ code: 'UC1020' });
    expect(thread.started).toBe(1);
  });

  it('a Unity Connection status, JSON and XML: the same status and the same errors', async () => {
    const { srv, http, set } = await farSide();
    const thread = threadParser();
    const cuc = new CucVmrestClient({
      baseUrl: srv.url,
      username: 'axluser',
      password: 'p@ss:word',
      http,
    });
    set(200, 'application/json', fixture('cuc-licensedetails.json'));
    await same(() => cuc.getStatus(), thread);
    set(200, 'application/xml', fixture('cuc-licensedetails.xml'));
    await same(() => cuc.getStatus(), thread);
    set(200, 'application/xml', '<LicenseDetails><Register>');
    expect(await same(() => cuc.getStatus(), thread)).toMatchObject({ code: 'UC1020' });
    set(200, 'application/json', JSON.stringify({ Register: { Status: 7 } }));
    expect(await same(() => cuc.getStatus(), thread)).toMatchObject({ code: 'UC1020' });
  });

  it('CSSM license pages: the same licenses and the same errors (zod at the edge, in the thread)', async () => {
    const { srv, http, set } = await farSide();
    const thread = threadParser();
    const cssm = cssmClient(srv.url, http);
    const page = (licenses: unknown[]) =>
      JSON.stringify({ status: 'SUCCESS', totalRecords: licenses.length, licenses });
    set(200, 'application/json', page(Array.from({ length: 300 }, (_, i) => lic(i))));
    const ok = (await same(() => cssm.listLicenses('acme.example'), thread)) as {
      value: unknown[];
    };
    expect(ok.value).toHaveLength(300);
    // A bad field deep in the page: CSSM1020 naming it, from either thread.
    set(200, 'application/json', page([lic(0), lic(1, 'many')]));
    const bad = (await same(() => cssm.listLicenses('acme.example'), thread)) as {
      code: string;
      details: { field: string };
    };
    expect(bad.code).toBe('CSSM1020');
    expect(bad.details.field).toBe('licenses[1].quantity');
    set(200, 'text/html', '<html><body>maintenance</body></html>');
    expect(await same(() => cssm.listLicenses('acme.example'), thread)).toMatchObject({
      code: 'CSSM1020',
    });
    set(200, 'application/json', JSON.stringify({ status: 'ERROR', message: 'no such account' }));
    await same(() => cssm.listLicenses('acme.example'), thread);
    set(403, 'application/json', JSON.stringify({ message: 'not allowed' }));
    await same(() => cssm.listLicenses('acme.example'), thread);
  });

  it('a few reads and small answers are parsed inline: the thread starts once reads add up', async () => {
    const { srv, http, set } = await farSide();
    const thread = new WorkerReadParser({ spawn: () => spawnParseThread(), startAfter: 2 });
    cleanups.push(() => thread.close());
    const axl = new CucmAxlClient({
      baseUrl: srv.url,
      username: 'axluser',
      password: 'p@ss:word',
      http,
      axlVersion: '14.0',
    });
    set(200, 'text/xml', fixture('cucm-get-smart-license-status.xml'));
    await same(() => axl.getStatus(), thread);
    await same(() => axl.getStatus(), thread);
    expect(thread.started).toBe(0);
    // An answer under 512 bytes never goes to the thread.
    set(200, 'text/xml', '<a/>');
    await same(() => axl.getStatus(), thread);
    expect(thread.started).toBe(0);
    set(200, 'text/xml', fixture('cucm-get-smart-license-status.xml'));
    await same(() => axl.getStatus(), thread);
    expect(thread.started).toBe(1);
  });

  it('a parse thread that crashes fails the read it held, cleanly, and the next read gets a new thread', async () => {
    const { srv, http, set } = await farSide();
    // A heap far too small for the answer: the thread runs out of memory parsing it.
    const thread = threadParser(48);
    const cssm = cssmClient(srv.url, http, 100_000);
    const big = Array.from({ length: 60_000 }, (_, i) => lic(i));
    set(
      200,
      'application/json',
      JSON.stringify({ status: 'SUCCESS', totalRecords: 60_000, licenses: big }),
    );
    const failed = (await outcome(thread, () => cssm.listLicenses('acme.example'))) as {
      code: string;
      message: string;
    };
    expect(failed).toMatchObject({ code: 'PARSE_THREAD_ENDED' });
    expect(failed.message).toMatch(
      /the thread that parses answers ended .* a CSSM answer \(licensesPage\)/,
    );
    set(
      200,
      'application/json',
      JSON.stringify({ status: 'SUCCESS', totalRecords: 2, licenses: [lic(0), lic(1)] }),
    );
    const next = (await outcome(thread, () => cssm.listLicenses('acme.example'))) as {
      value: { license: string }[];
    };
    expect(next).toHaveProperty('value');
    expect(next.value.map((l) => l.license)).toEqual(['L0', 'L1']);
    expect(thread.started).toBe(2);
  });
});
