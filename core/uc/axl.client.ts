/**
 * Unified CM through AXL SOAP (DOMAIN §4): `POST /axl/` with HTTP Basic, SOAPAction
 * `"CUCM:DB ver=<schema> <operation>"`, namespace `http://www.cisco.com/AXL/API/<schema>`.
 * Only the operations of the AXL schema are sent; there is none that sets the license mode.
 */
import type { HttpResponse } from '../cssm/http.ts';
import { formatPath } from '../cssm/cssm-errors.ts';
import { statusEnvelopeSchema, toSmartLicenseStatus, type SmartLicenseStatus } from './status.ts';
import { escapeXml, findElement, findText, parseXml, xmlToPlain, type XmlElement } from './xml.ts';
import { ucAnswerError, ucShapeError, type UcErrorContext } from './uc-errors.ts';
import { readParser } from '../parse/read-parser.ts';
import { UcClientBase, ucErrorMessage, type UcClientOptions } from './uc-base.ts';
import type { UcTransportSettings } from './transport.ts';

export interface AxlOptions extends UcClientOptions {
  /** AXL schema version in the namespace and SOAPAction (core/uc/axl-schema.ts chooses it). */
  axlVersion: string;
}

/** The AXL operations smartlic sends, each as the AXL schema names it (DOMAIN §4). */
export const AXL_OPERATIONS = {
  register: 'doSmartLicenseRegister',
  reRegister: 'doSmartLicenseReRegister',
  deregister: 'doSmartLicenseDeRegister',
  renewAuthorization: 'doSmartLicenseRenewAuthorization',
  renewRegistration: 'doSmartLicenseRenewRegistration',
  getStatus: 'getSmartLicenseStatus',
  setTransport: 'doUpdateTransportSettings',
  getTransport: 'getTransportSettings',
} as const;

export type AxlOperationKey = keyof typeof AXL_OPERATIONS;

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

const el = (name: string, v: string | number | undefined): string =>
  `<${name}>${escapeXml(v === undefined ? '' : String(v))}</${name}>`;

export class CucmAxlClient extends UcClientBase {
  readonly app = 'CUCM' as const;
  readonly statusSource = 'product' as const;
  readonly schema: string;

  constructor(o: AxlOptions) {
    super(o);
    this.schema = o.axlVersion;
  }

  async register(token: string, force: boolean): Promise<void> {
    await this.call('register', `${el('token', token)}${el('force', String(force))}`);
  }
  async reRegister(token: string): Promise<void> {
    await this.call('reRegister', el('token', token));
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

  /**
   * `doUpdateTransportSettings`: `transportMode`, `url`, `httpHost`, `httpPort` are required
   * by the schema, so each is sent (empty when the mode does not use it). The proxy
   * authentication fields exist from 14 on; smartlic sends none, as the transport towards
   * CSSM uses no proxy authentication (DOMAIN §1).
   */
  async setTransport(t: UcTransportSettings): Promise<void> {
    await this.call(
      'setTransport',
      el('transportMode', t.mode) +
        el('url', t.url) +
        el('httpHost', t.httpHost) +
        el('httpPort', t.httpPort),
    );
  }

  async getTransport(): Promise<UcTransportSettings> {
    const { root, res } = await this.call('getTransport', '');
    const ts = findElement(root, 'TransportSettings');
    if (!ts) throw ucShapeError(this.ctx('getTransport', res), 'no <TransportSettings> element');
    // The schema spells the mode `transportmode`; the camel-case form is read too.
    const modeText = findText(ts, 'transportmode') ?? findText(ts, 'transportMode');
    const mode = Number(modeText);
    if (mode !== 0 && mode !== 1 && mode !== 2) {
      throw ucShapeError(
        this.ctx('getTransport', res),
        `transport mode "${modeText ?? ''}" is not 0, 1 or 2`,
      );
    }
    const url = findText(ts, 'transportUrl') ?? findText(ts, 'url');
    const httpHost = findText(ts, 'httpHost');
    const port = findText(ts, 'httpPort');
    return {
      mode,
      ...(url ? { url } : {}),
      ...(httpHost ? { httpHost } : {}),
      ...(port && /^\d+$/.test(port) ? { httpPort: Number(port) } : {}),
    };
  }

  /**
   * `getSmartLicenseStatus`: `<LicenseDetails>` stands beside `<return>` in the real answer;
   * it is found at any depth, so an answer that nests it inside `<return>` reads the same.
   */
  async getStatus(): Promise<SmartLicenseStatus> {
    const res = await this.request('getStatus', '');
    const ctx = this.ctx('getStatus', res);
    // The one read of every sync per cluster: parsed off the event loop when bin/ set that up.
    return readParser().parse({ kind: 'axl-status', status: res.status, ctx }, res, (text) =>
      axlStatusAnswer(res.status, text, ctx),
    );
  }

  private async call(
    op: AxlOperationKey,
    inner: string,
  ): Promise<{ root: XmlElement; res: HttpResponse }> {
    const res = await this.request(op, inner);
    return { root: readAxlAnswer(res.status, res.text, this.ctx(op, res)), res };
  }

  private request(op: AxlOperationKey, inner: string): Promise<HttpResponse> {
    const operation = AXL_OPERATIONS[op];
    return this.send(
      op,
      'POST',
      '/axl/',
      {
        authorization: this.basic,
        'content-type': 'text/xml; charset=utf-8',
        accept: 'text/xml',
        soapaction: `"CUCM:DB ver=${this.schema} ${operation}"`,
      },
      axlEnvelope(this.schema, operation, inner),
    );
  }
}

/**
 * The root element of an AXL answer, or the error it stands for: an HTTP error status, a SOAP
 * fault, XML that is not well-formed, an empty answer. Pure (it runs on a parse thread too).
 */
export function readAxlAnswer(status: number, text: string, ctx: UcErrorContext): XmlElement {
  let root: XmlElement | undefined;
  try {
    root = text.trim() ? parseXml(text) : undefined;
  } catch (e) {
    if (status < 300)
      throw ucShapeError(
        ctx,
        `not well-formed XML (${e instanceof Error ? e.message : String(e)})`,
        e,
      );
  }
  const fault = root ? soapFaultMessage(root) : undefined;
  if (status >= 300 || fault !== undefined) {
    throw ucAnswerError(status >= 300 ? status : 500, fault ?? ucErrorMessage(text), ctx);
  }
  if (!root) throw ucShapeError(ctx, 'an empty answer');
  return root;
}

/**
 * `getSmartLicenseStatus`'s answer as the typed status: `<LicenseDetails>` stands beside
 * `<return>` in the real answer; it is found at any depth, so an answer that nests it inside
 * `<return>` reads the same. Pure (core/parse/read-jobs.ts).
 */
export function axlStatusAnswer(
  status: number,
  text: string,
  ctx: UcErrorContext,
): SmartLicenseStatus {
  const root = readAxlAnswer(status, text, ctx);
  const details = findElement(root, 'LicenseDetails');
  if (!details) throw ucShapeError(ctx, 'no <LicenseDetails> element');
  const r = statusEnvelopeSchema.safeParse({ LicenseDetails: xmlToPlain(details) });
  if (!r.success) {
    const i = r.error.issues[0];
    throw ucShapeError(
      ctx,
      `field \`${i ? formatPath(i.path) : '(root)'}\`: ${i?.message ?? 'invalid'}`,
    );
  }
  return toSmartLicenseStatus(r.data.LicenseDetails);
}
