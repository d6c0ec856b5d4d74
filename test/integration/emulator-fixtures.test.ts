// Real: the emulator over loopback HTTP and the public payload examples in data/fixtures/
// (shaped as DOMAIN §2–§4). Faked: nothing. Checks every fixture key is in the emulator's
// answer with the same JSON type, recursively (arrays: every element against one of the examples).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SA1,
  api,
  axl,
  basic,
  cloudToken,
  cluster,
  start,
  type Emu,
  type Json,
} from './emulator-helpers.ts';

const FIX = join(import.meta.dirname, '../../data/fixtures');
const fixture = (p: string): unknown => JSON.parse(readFileSync(join(FIX, p), 'utf8'));

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Problems where `actual` does not have the shape of `expected`. */
function shapeDiff(actual: unknown, expected: unknown, path = '$'): string[] {
  const ek = kind(expected);
  const ak = kind(actual);
  if (ek === 'null')
    return ak === 'null' || ak === 'string' ? [] : [`${path}: ${ak}, expected null or string`];
  if (ek !== ak) return [`${path}: ${ak}, expected ${ek}`];
  if (ek === 'array') {
    // Each element must match one of the fixture's examples (e.g. TERM or PERPETUAL details).
    const examples = expected as unknown[];
    if (examples.length === 0) return [];
    return (actual as unknown[]).flatMap((x, i) => {
      const tries = examples.map((e) => shapeDiff(x, e, `${path}[${i}]`));
      return tries.some((t) => t.length === 0) ? [] : tries[0]!;
    });
  }
  if (ek === 'object') {
    const a = actual as Record<string, unknown>;
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) =>
      k in a ? shapeDiff(a[k], v, `${path}.${k}`) : [`${path}.${k}: missing`],
    );
  }
  return [];
}

/** The tiny XML of getSmartLicenseStatus → JSON; repeated elements become arrays. */
function xmlToJson(xml: string): unknown {
  let i = 0;
  const node = (): unknown => {
    const out: Record<string, unknown> = {};
    let text = '';
    while (i < xml.length) {
      if (xml.startsWith('</', i)) {
        i = xml.indexOf('>', i) + 1;
        return Object.keys(out).length ? out : text;
      }
      if (xml[i] === '<') {
        const end = xml.indexOf('>', i);
        const name = xml.slice(i + 1, end);
        i = end + 1;
        const v = node();
        const prev = out[name];
        out[name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      } else {
        const next = xml.indexOf('<', i);
        text += xml.slice(i, next);
        i = next;
      }
    }
    return out;
  };
  return node();
}

let emu: Emu;
let tok: string;
let base: string;
beforeAll(async () => {
  emu = await start();
  tok = await cloudToken(emu);
  base = emu.ready.cloud.apiBase;
});
afterAll(async () => emu.close());

describe('emulator answers have the shape of the public examples', () => {
  it('OAuth', async () => {
    const c = emu.ready.clients[0]!;
    const ok = await fetch(emu.ready.cloud.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: c.clientId,
        client_secret: c.clientSecret,
      }),
    });
    expect(shapeDiff((await ok.json()) as Json, fixture('cssm/oauth-token.json'))).toEqual([]);
    const bad = await fetch(emu.ready.cloud.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: c.clientId,
        client_secret: 'x',
      }),
    });
    expect(
      shapeDiff((await bad.json()) as Json, fixture('cssm/oauth-invalid-client.json')),
    ).toEqual([]);
  });

  it.each([
    ['cssm/accounts-v2.json', () => api(`${base}/v2/accounts`, tok)],
    [
      'cssm/accounts-search.json',
      () => api(`${base}/v1/accounts/search?domain=nimbus&type=CUSTOMER`, tok),
    ],
    [
      'cssm/virtual-accounts.json',
      () => api(`${base}/v1/accounts/${SA1}/CUSTOMER/virtual-accounts`, tok),
    ],
    [
      'cssm/licenses.json',
      () =>
        api(`${base}/v1/accounts/${SA1}/licenses`, tok, {
          body: { virtualAccounts: [], limit: 1000, offset: 0 },
        }),
    ],
    [
      'cssm/tokens.json',
      () => api(`${base}/v1/accounts/${SA1}/virtual-accounts/va-acme/tokens`, tok),
    ],
    [
      'cssm/token-create.json',
      () =>
        api(`${base}/v1/accounts/${SA1}/virtual-accounts/va-acme/tokens`, tok, {
          body: { description: 'f', expiresAfterDays: 5, exportControlled: 'Not Allowed' },
        }),
    ],
    [
      'cssm/devices.json',
      () =>
        api(`${emu.ready.cloud.devicesApiBase}licensing/v2/accounts/${SA1}/devices?limit=100`, tok),
    ],
    [
      'cssm/transfer.json',
      () =>
        api(`${base}/v1/accounts/${SA1}/virtual-accounts/va-hcs-ordered/licenses/transfer`, tok, {
          body: {
            licenses: [
              {
                license: 'HCS UCM Foundation',
                licenseType: 'TERM',
                quantity: 1,
                targetVirtualAccount: 'va-globex',
              },
            ],
          },
        }),
    ],
    [
      'cssm/error.json',
      () =>
        api(`${base}/v1/accounts/${SA1}/licenses`, tok, { body: { virtualAccounts: ['nope'] } }),
    ],
  ])('%s', async (file, call) => {
    const r = await call();
    expect(shapeDiff(r.body, fixture(file))).toEqual([]);
  });

  it('uc/cuc-licensedetails.json: CUC licensedetails has the CUPI shape (JSON and XML)', async () => {
    const cuc = await cluster(emu, 'acme-cuc-01');
    const url = `${cuc.baseUrl}/vmrest/smartlicense/licensedetails`;
    const j = await (
      await fetch(url, { headers: { authorization: basic(cuc), accept: 'application/json' } })
    ).json();
    expect(shapeDiff(j, fixture('uc/cuc-licensedetails.json'))).toEqual([]);
    expect(Object.keys(j as Json)).toEqual(
      Object.keys(fixture('uc/cuc-licensedetails.json') as Json),
    );
    const x = await (
      await fetch(url, { headers: { authorization: basic(cuc), accept: 'application/xml' } })
    ).text();
    const parsed = xmlToJson(x) as Json;
    const e = parsed.LicenseDetails.LicenseUsage.EntitlementTag;
    parsed.LicenseDetails.LicenseUsage.EntitlementTag = Array.isArray(e) ? e : [e];
    expect(shapeDiff(parsed.LicenseDetails, fixture('uc/cuc-licensedetails.json'))).toEqual([]);
  });

  it('uc/cucm-get-smart-license-status.xml: straight to <LicenseDetails>, in schema order', async () => {
    const cucm = await cluster(emu, 'acme-cucm-01');
    const x = await axl(cucm, 'getSmartLicenseStatus');
    expect(x.status).toBe(200);
    const body =
      /<ns:getSmartLicenseStatusResponse[^>]*>([\s\S]*)<\/ns:getSmartLicenseStatusResponse>/.exec(
        x.text,
      )![1]!;
    expect(body).toMatch(/^<LicenseDetails>/);
    const parsed = xmlToJson(body) as Json;
    const e = parsed.LicenseDetails.LicenseStatus.Entitlement;
    parsed.LicenseDetails.LicenseStatus.Entitlement = Array.isArray(e) ? e : [e];
    expect(shapeDiff(parsed, fixture('uc/cucm-license-details.json'))).toEqual([]);
    // Element order as the fixture (the schema) has it.
    const order = (xml: string, parent: string) =>
      [...new RegExp(`<${parent}>([\\s\\S]*?)</${parent}>`).exec(xml)![1]!.matchAll(/<(\w+)>/g)]
        .map((m) => m[1]!)
        .filter((n, k, all) => all.indexOf(n) === k);
    const want = readFileSync(join(FIX, 'uc/cucm-get-smart-license-status.xml'), 'utf8');
    for (const parent of ['Registration', 'Authorization']) {
      expect(order(x.text, parent)).toEqual(order(want, parent));
    }
    expect(order(x.text, 'LicenseDetails').slice(0, 4)).toEqual([
      'SmartLicensing',
      'Registration',
      'Status',
      'SmartAccount',
    ]);
    // acme-cucm-01 runs in Enterprise mode: every user tier, in the fixture's order.
    const tags = (xml: string) =>
      [...xml.matchAll(/<Tag>[^<]*\.cisco\.([^,<]+),[^<]*<\/Tag>/g)].map((m) => m[1]);
    expect(tags(x.text).slice(0, 5)).toEqual(tags(want));
  });
});
