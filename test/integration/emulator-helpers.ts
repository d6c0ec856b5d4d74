/**
 * Plain-HTTP helpers for the emulator tests: they speak to the emulator as Json client
 * would (global fetch), never through smartlic's own CSSM or UC clients.
 */
import { axlSchemaFor } from '../../core/uc/axl-schema.ts';
import { startEmulator, type RunningEmulator, type StartOptions } from '../../emulator/index.ts';

export type Emu = RunningEmulator;

/** A parsed JSON answer, read field by field in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export async function start(opts: StartOptions = {}): Promise<Emu> {
  return startEmulator({ port: 0, frozen: true, ...opts });
}

export async function cloudToken(emu: Emu, which = 0): Promise<string> {
  const c = emu.ready.clients.filter((x) => x.for === 'cloud')[which]!;
  const r = await fetch(emu.ready.cloud.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: c.clientId,
      client_secret: c.clientSecret,
    }),
  });
  if (r.status !== 200) throw new Error(`token: ${r.status}`);
  return ((await r.json()) as Json as { access_token: string }).access_token;
}

export async function onpremToken(emu: Emu, account: string): Promise<string> {
  const c = emu.ready.clients.find((x) => x.for === 'onprem' && x.account === account)!;
  const r = await fetch(emu.ready.onprem.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      grant_type: 'client_credentials',
    }),
  });
  if (r.status !== 200) throw new Error(`onprem token: ${r.status}`);
  return ((await r.json()) as Json as { access_token: string }).access_token;
}

export async function api(
  url: string,
  token: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const r = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: r.status, body, headers: r.headers };
}

export async function admin(
  emu: Emu,
  path: string,
  body?: unknown,
  method?: string,
): Promise<Json> {
  const r = await fetch(`${emu.baseUrl}/__emulator/${path}`, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const j = await r.json();
  if (r.status >= 400) throw new Error(`admin ${path}: ${r.status} ${JSON.stringify(j)}`);
  return j;
}

export async function cluster(emu: Emu, name: string): Promise<Json> {
  return admin(emu, `clusters/${encodeURIComponent(name)}`);
}

export function basic(c: { credentials: { username: string; password: string } }): string {
  return `Basic ${Buffer.from(`${c.credentials.username}:${c.credentials.password}`).toString('base64')}`;
}

export function axlBody(op: string, inner = '', ver = '14.0'): string {
  return `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://www.cisco.com/AXL/API/${ver}"><soapenv:Header/><soapenv:Body><ns:${op}>${inner}</ns:${op}></soapenv:Body></soapenv:Envelope>`;
}

/** One AXL call as a public client sends it, in the newest schema the cluster serves. */
export async function axl(
  c: Json,
  op: string,
  inner = '',
  node?: string,
  ver: string = axlSchemaFor(c.version as string),
): Promise<{ status: number; text: string }> {
  const base = node ? c.nodes.find((n: Json) => n.name === node).baseUrl : c.baseUrl;
  const r = await fetch(`${base}/axl/`, {
    method: 'POST',
    headers: {
      authorization: basic(c),
      'content-type': 'text/xml;charset=UTF-8',
      SOAPAction: `"CUCM:DB ver=${ver} ${op}"`,
    },
    body: axlBody(op, inner, ver),
  });
  return { status: r.status, text: await r.text() };
}

export function xmlText(xml: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
}

/** A fresh token minted in a VA through the cloud API. */
export async function mintCloudToken(
  emu: Emu,
  bearer: string,
  domain: string,
  va: string,
  days = 30,
): Promise<string> {
  const r = await api(
    `${emu.ready.cloud.apiBase}/v1/accounts/${domain}/virtual-accounts/${va}/tokens`,
    bearer,
    {
      body: { description: 'test', expiresAfterDays: days, exportControlled: 'Not Allowed' },
    },
  );
  if (r.status !== 200) throw new Error(`mint: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.tokenInfo.token as string;
}

export async function licenses(
  emu: Emu,
  bearer: string,
  domain: string,
  vas: string[],
): Promise<Json[]> {
  const out: Json[] = [];
  for (let offset = 0; ;) {
    const r = await api(`${emu.ready.cloud.apiBase}/v1/accounts/${domain}/licenses`, bearer, {
      body: { virtualAccounts: vas, limit: 50, offset },
    });
    out.push(...r.body.licenses);
    offset += 50;
    if (offset >= r.body.totalRecords) break;
  }
  return out;
}

export const SA1 = 'nimbus-hcs.example.com';
export const SA2 = 'nimbus-eu.example.com';
