/**
 * Clients of the UC applications' smart-licensing APIs (DOMAIN §4), one per application type,
 * behind one interface: CUCM through AXL SOAP, Unity Connection through vmrest, Emergency
 * Responder through its admin form. Each talks to the cluster's publisher with HTTP Basic.
 *
 * Only register and status are Cisco-documented; deregister, renew, transport and mode
 * operations are smartlic's design, aligned with what the emulator serves.
 */
import type { HttpClient, HttpMethod, HttpResponse } from '../cssm/http.ts';
import { formatPath, tryParseJson } from '../cssm/cssm-errors.ts';
import { statusEnvelopeSchema, toSmartLicenseStatus } from './status.ts';
import type { SmartLicenseStatus } from './status.ts';
import { decodeEntities, escapeXml, findElement, findText, parseXml, xmlToPlain } from './xml.ts';
import type { XmlElement } from './xml.ts';
import {
  toUcNetworkError,
  ucAnswerError,
  ucShapeError,
  type UcApp,
  type UcErrorContext,
  type UcOperation,
} from './uc-errors.ts';

export type { SmartLicenseStatus } from './status.ts';
export type { UcApp, UcOperation } from './uc-errors.ts';

/**
 * Transport mode as the applications encode it (DOMAIN §1: an integer 0–2). The emulator reads
 * 1 as Satellite (`url` = `https://<fqdn>/SmartTransport`); 0 and 2 are Direct and Proxy.
 */
export type UcTransportMode = 0 | 1 | 2;
export type UcLicenseMode = 'Enterprise' | 'HCS' | 'HCS-LE';

export interface UcTransportSettings {
  mode: UcTransportMode;
  /** Registration URL (Satellite: `https://<fqdn>/SmartTransport`). */
  url?: string;
  proxyHost?: string;
  proxyPort?: number;
}

/** What smartlic can ask of any UC application's smart licensing. */
export interface UcLicensingClient {
  readonly app: UcApp;
  register(token: string, force: boolean): Promise<void>;
  deregister(): Promise<void>;
  renewAuthorization(): Promise<void>;
  renewRegistration(): Promise<void>;
  setTransport(t: UcTransportSettings): Promise<void>;
  setLicenseMode(mode: UcLicenseMode): Promise<void>;
  getStatus(): Promise<SmartLicenseStatus>;
}

export interface UcClientOptions {
  /** Publisher base URL, e.g. `https://cucm-pub.example.com:8443` (paths are appended). */
  baseUrl: string;
  username: string;
  password: string;
  http: HttpClient;
  /** Per-call timeout, ms; registration can take a while on a busy publisher. */
  timeoutMs?: number;
  /** Queue priority of this client's requests in the shared HttpClient (lower first). */
  priority?: number;
}

/** Shared plumbing: Basic auth, the request, network error re-coding. */
abstract class UcClientBase implements UcLicensingClient {
  abstract readonly app: UcApp;
  protected readonly base: string;
  protected readonly host: string;
  private readonly basic: string;

  constructor(protected readonly o: UcClientOptions) {
    this.base = o.baseUrl.replace(/\/+$/, '');
    this.host = new URL(this.base).host;
    this.basic = `Basic ${Buffer.from(`${o.username}:${o.password}`).toString('base64')}`;
  }

  abstract register(token: string, force: boolean): Promise<void>;
  abstract deregister(): Promise<void>;
  abstract renewAuthorization(): Promise<void>;
  abstract renewRegistration(): Promise<void>;
  abstract setTransport(t: UcTransportSettings): Promise<void>;
  abstract setLicenseMode(mode: UcLicenseMode): Promise<void>;
  abstract getStatus(): Promise<SmartLicenseStatus>;

  protected ctx(op: UcOperation, res?: HttpResponse): UcErrorContext {
    const requestId = res?.peerRequestId ?? res?.requestId;
    return { app: this.app, op, host: this.host, ...(requestId ? { requestId } : {}) };
  }

  protected async send(
    op: UcOperation,
    method: HttpMethod,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<HttpResponse> {
    try {
      return await this.o.http.send({
        method,
        url: `${this.base}${path}`,
        headers: { ...headers, authorization: this.basic },
        ...(body !== undefined ? { body } : {}),
        // Writes are not repeated after a lost answer: a second register could hit "already registered".
        idempotent: op === 'getStatus',
        op: `${this.app}.${op}`,
        ...(this.o.timeoutMs !== undefined ? { timeoutMs: this.o.timeoutMs } : {}),
        ...(this.o.priority !== undefined ? { priority: this.o.priority } : {}),
      });
    } catch (e) {
      throw toUcNetworkError(e, this.ctx(op));
    }
  }

  /** Parses `{LicenseDetails: …}` (or the inner object alone) into the typed status. */
  protected toStatus(data: unknown, res: HttpResponse): SmartLicenseStatus {
    const ctx = this.ctx('getStatus', res);
    const wrapped =
      data && typeof data === 'object' && 'LicenseDetails' in data
        ? data
        : { LicenseDetails: data };
    const r = statusEnvelopeSchema.safeParse(wrapped);
    if (!r.success) {
      const i = r.error.issues[0];
      throw ucShapeError(
        ctx,
        `field \`${i ? formatPath(i.path) : '(root)'}\`: ${i?.message ?? 'invalid'}`,
      );
    }
    return toSmartLicenseStatus(r.data.LicenseDetails);
  }
}

/** `CODE: message` unless the message already starts with the code. */
function withCode(code: unknown, message: string): string {
  const m = message.trim();
  return typeof code === 'string' && code && !m.includes(code) ? `${code}: ${m}` : m;
}

/**
 * The message an error answer carries: CUPI's `{ErrorDetails:{errors:{code,message}}}` (one or
 * many), a flat JSON error, CER's HTML status `<div id="status" data-code=…>`, or plain text.
 */
export function ucErrorMessage(text: string): string | undefined {
  const j = tryParseJson(text);
  if (j && typeof j === 'object') {
    const o = j as Record<string, unknown>;
    const details = o.ErrorDetails as { errors?: unknown } | undefined;
    if (details && typeof details === 'object' && details.errors) {
      const list = (Array.isArray(details.errors) ? details.errors : [details.errors]) as {
        code?: unknown;
        message?: unknown;
      }[];
      const msgs = list
        .filter((e) => e && typeof e.message === 'string')
        .map((e) => withCode(e.code, e.message as string));
      if (msgs.length) return msgs.join('; ');
    }
    for (const k of [
      'message',
      'errorMessage',
      'statusMessage',
      'error_description',
      'error',
      'description',
      'reason',
    ]) {
      const v = o[k];
      if (typeof v === 'string' && v.trim()) return withCode(o.code ?? o.errorCode, v);
    }
    return undefined;
  }
  const page = cerStatus(text);
  if (page) return withCode(page.code, page.message);
  const t = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return t ? t.slice(0, 300) : undefined;
}

/** CER's answer page: `<div id="status" class="success|error" data-code="…">message</div>`. */
export function cerStatus(
  html: string,
): { ok: boolean; code?: string; message: string } | undefined {
  const m = /<div\b([^>]*\bid="status"[^>]*)>([\s\S]*?)<\/div>/i.exec(html);
  if (!m) return undefined;
  const attrs = m[1]!;
  const cls = /\bclass="([^"]*)"/i.exec(attrs)?.[1] ?? '';
  const code = /\bdata-code="([^"]*)"/i.exec(attrs)?.[1];
  const message = decodeEntities(m[2]!.replace(/<[^>]*>/g, '')).trim();
  return { ok: !/\berror\b/i.test(cls), ...(code ? { code: decodeEntities(code) } : {}), message };
}

// ---------------------------------------------------------------- CUCM AXL

export interface AxlOptions extends UcClientOptions {
  /** AXL schema version in the namespace and SOAPAction. Default "14.0". */
  axlVersion?: string;
}

/** AXL operation names for the lifecycle calls that DOMAIN does not name [design]. */
export const AXL_OPERATIONS = {
  register: 'doSmartLicenseRegister',
  deregister: 'doSmartLicenseDeregister',
  renewAuthorization: 'doSmartLicenseRenewAuthorization',
  renewRegistration: 'doSmartLicenseRenewRegistration',
  setTransport: 'updateSmartLicenseTransport',
  setLicenseMode: 'updateSmartLicenseMode',
  getStatus: 'getSmartLicenseStatus',
} as const satisfies Record<UcOperation, string>;

/** The SOAP envelope of one AXL call; `inner` is already-escaped XML. */
export function axlEnvelope(version: string, operation: string, inner: string): string {
  return (
    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ` +
    `xmlns:ns="http://www.cisco.com/AXL/API/${escapeXml(version)}">` +
    `<soapenv:Header/><soapenv:Body>` +
    (inner === '' ? `<ns:${operation}/>` : `<ns:${operation}>${inner}</ns:${operation}>`) +
    `</soapenv:Body></soapenv:Envelope>`
  );
}

/** faultstring / axlmessage of a SOAP fault, when the answer is one. */
export function soapFaultMessage(root: XmlElement): string | undefined {
  const fault = findElement(root, 'Fault');
  if (!fault) return undefined;
  const axl = findText(fault, 'axlmessage');
  const code = findText(fault, 'axlcode');
  const fs = findText(fault, 'faultstring') ?? findText(fault, 'Text') ?? findText(fault, 'Reason');
  const msg = axl && fs && !fs.includes(axl) ? `${fs}: ${axl}` : (fs ?? axl ?? 'SOAP fault');
  return code && !msg.includes(code) ? `${msg} (axlcode ${code})` : msg;
}

export class CucmAxlClient extends UcClientBase {
  readonly app = 'CUCM' as const;
  private readonly version: string;

  constructor(o: AxlOptions) {
    super(o);
    this.version = o.axlVersion ?? '14.0';
  }

  async register(token: string, force: boolean): Promise<void> {
    await this.call('register', `<token>${escapeXml(token)}</token><force>${force}</force>`);
  }
  async deregister(): Promise<void> {
    await this.call('deregister', '');
  }
  async renewAuthorization(): Promise<void> {
    await this.call('renewAuthorization', '');
  }
  async renewRegistration(): Promise<void> {
    await this.call('renewRegistration', '');
  }
  async setTransport(t: UcTransportSettings): Promise<void> {
    const opt = (name: string, v: string | number | undefined) =>
      v === undefined ? '' : `<${name}>${escapeXml(String(v))}</${name}>`;
    await this.call(
      'setTransport',
      `<mode>${t.mode}</mode>${opt('url', t.url)}${opt('proxyHost', t.proxyHost)}${opt('proxyPort', t.proxyPort)}`,
    );
  }
  async setLicenseMode(mode: UcLicenseMode): Promise<void> {
    await this.call('setLicenseMode', `<mode>${escapeXml(mode)}</mode>`);
  }
  async getStatus(): Promise<SmartLicenseStatus> {
    const { root, res } = await this.call('getStatus', '');
    const details = findElement(root, 'LicenseDetails');
    if (!details) throw ucShapeError(this.ctx('getStatus', res), 'no <LicenseDetails> element');
    return this.toStatus({ LicenseDetails: xmlToPlain(details) }, res);
  }

  private async call(
    op: UcOperation,
    inner: string,
  ): Promise<{ root: XmlElement; res: HttpResponse }> {
    const operation = AXL_OPERATIONS[op];
    const res = await this.send(
      op,
      'POST',
      '/axl/',
      {
        'content-type': 'text/xml; charset=utf-8',
        accept: 'text/xml',
        soapaction: `"CUCM:DB ver=${this.version}"`,
      },
      axlEnvelope(this.version, operation, inner),
    );
    let root: XmlElement | undefined;
    try {
      root = res.text.trim() ? parseXml(res.text) : undefined;
    } catch (e) {
      if (res.status < 300)
        throw ucShapeError(
          this.ctx(op, res),
          `not well-formed XML (${e instanceof Error ? e.message : String(e)})`,
          e,
        );
    }
    const fault = root ? soapFaultMessage(root) : undefined;
    if (res.status >= 300 || fault !== undefined) {
      throw ucAnswerError(
        res.status >= 300 ? res.status : 500,
        fault ?? ucErrorMessage(res.text),
        this.ctx(op, res),
      );
    }
    if (!root) throw ucShapeError(this.ctx(op, res), 'an empty answer');
    return { root, res };
  }
}

// ---------------------------------------------------------------- CUC vmrest

/** vmrest paths under `/vmrest/smartlicense/` [register, licensedetails: doc; others: design]. */
export const VMREST_PATHS = {
  register: 'register',
  deregister: 'deregister',
  renewAuthorization: 'renewauth',
  renewRegistration: 'renewregistration',
  setTransport: 'transport',
  setLicenseMode: 'mode',
  getStatus: 'licensedetails',
} as const satisfies Record<UcOperation, string>;

export class CucVmrestClient extends UcClientBase {
  readonly app = 'CUC' as const;

  async register(token: string, force: boolean): Promise<void> {
    await this.call('register', { token, force });
  }
  async deregister(): Promise<void> {
    await this.call('deregister', {});
  }
  async renewAuthorization(): Promise<void> {
    await this.call('renewAuthorization', {});
  }
  async renewRegistration(): Promise<void> {
    await this.call('renewRegistration', {});
  }
  async setTransport(t: UcTransportSettings): Promise<void> {
    await this.call('setTransport', { ...t });
  }
  async setLicenseMode(mode: UcLicenseMode): Promise<void> {
    await this.call('setLicenseMode', { mode });
  }
  async getStatus(): Promise<SmartLicenseStatus> {
    const res = await this.call('getStatus');
    const json = tryParseJson(res.text);
    if (json === undefined) throw ucShapeError(this.ctx('getStatus', res), 'not JSON');
    return this.toStatus(json, res);
  }

  private async call(op: UcOperation, body?: Record<string, unknown>): Promise<HttpResponse> {
    const res = await this.send(
      op,
      body === undefined ? 'GET' : 'PUT',
      `/vmrest/smartlicense/${VMREST_PATHS[op]}`,
      {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body === undefined ? undefined : JSON.stringify(body),
    );
    if (res.status >= 300)
      throw ucAnswerError(res.status, ucErrorMessage(res.text), this.ctx(op, res));
    return res;
  }
}

// ---------------------------------------------------------------- CER admin form

/** The `action` values of the CER smart licensing form [design, as the emulator serves it]. */
export const CER_ACTIONS = {
  register: 'register',
  deregister: 'deregister',
  renewAuthorization: 'renewAuthorization',
  renewRegistration: 'renewRegistration',
  setTransport: 'transport',
  setLicenseMode: 'mode',
} as const satisfies Record<Exclude<UcOperation, 'getStatus'>, string>;

/**
 * CER has no API (DOMAIN §4): smartlic posts its admin web form at `/ceradmin/smartlicense`, as
 * a person would, and reads the result from the page's status element. Status is a GET of the
 * same page asking for JSON.
 */
export class CerFormClient extends UcClientBase {
  readonly app = 'CER' as const;

  async register(token: string, force: boolean): Promise<void> {
    await this.post('register', { token, force: String(force) });
  }
  async deregister(): Promise<void> {
    await this.post('deregister', {});
  }
  async renewAuthorization(): Promise<void> {
    await this.post('renewAuthorization', {});
  }
  async renewRegistration(): Promise<void> {
    await this.post('renewRegistration', {});
  }
  async setTransport(t: UcTransportSettings): Promise<void> {
    const fields: Record<string, string> = { transportMode: String(t.mode) };
    if (t.url !== undefined) fields.url = t.url;
    if (t.proxyHost !== undefined) fields.proxyHost = t.proxyHost;
    if (t.proxyPort !== undefined) fields.proxyPort = String(t.proxyPort);
    await this.post('setTransport', fields);
  }
  async setLicenseMode(mode: UcLicenseMode): Promise<void> {
    await this.post('setLicenseMode', { licenseMode: mode });
  }
  async getStatus(): Promise<SmartLicenseStatus> {
    const res = await this.send('getStatus', 'GET', '/ceradmin/smartlicense', {
      accept: 'application/json',
    });
    if (res.status >= 300) {
      throw ucAnswerError(res.status, ucErrorMessage(res.text), this.ctx('getStatus', res));
    }
    const json = tryParseJson(res.text);
    if (json === undefined) throw ucShapeError(this.ctx('getStatus', res), 'not JSON');
    return this.toStatus(json, res);
  }

  private async post(
    op: Exclude<UcOperation, 'getStatus'>,
    fields: Record<string, string>,
  ): Promise<void> {
    const body = new URLSearchParams({ action: CER_ACTIONS[op], ...fields }).toString();
    const res = await this.send(
      op,
      'POST',
      '/ceradmin/smartlicense',
      { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body,
    );
    if (res.status >= 300) {
      throw ucAnswerError(res.status, ucErrorMessage(res.text), this.ctx(op, res));
    }
    // A form answers 200 even for some failures; the page's status element tells.
    const page = cerStatus(res.text);
    if (page && !page.ok) {
      throw ucAnswerError(400, withCode(page.code, page.message), this.ctx(op, res));
    }
  }
}

/** The client for an application type. */
export function createUcClient(app: UcApp, o: AxlOptions): UcLicensingClient {
  switch (app) {
    case 'CUCM':
      return new CucmAxlClient(o);
    case 'CUC':
      return new CucVmrestClient(o);
    case 'CER':
      return new CerFormClient(o);
  }
}
