/**
 * Unity Connection through vmrest (DOMAIN §4, CUPI guide, from 12.5(1)): HTTP Basic, JSON
 * bodies, paths under `/vmrest/smartlicense/` exactly as CUPI names them.
 */
import type { HttpResponse } from '../cssm/http.ts';
import { tryParseJson } from '../cssm/cssm-errors.ts';
import {
  CupiFieldError,
  cupiLicenseDetailsSchema,
  cupiToSmartLicenseStatus,
} from './cupi-status.ts';
import type { SmartLicenseStatus } from './status.ts';
import { parseXml, xmlToPlain } from './xml.ts';
import { ucAnswerError, ucShapeError, type UcErrorContext } from './uc-errors.ts';
import { readParser } from '../parse/read-parser.ts';
import { formatPath } from '../cssm/cssm-errors.ts';
import { UcClientBase, ucErrorMessage } from './uc-base.ts';
import type { UcTransportSettings } from './transport.ts';

/** CUPI's paths under `/vmrest/smartlicense/` and the method of each (DOMAIN §4). */
export const VMREST_PATHS = {
  register: { method: 'PUT', path: 'register' },
  reRegister: { method: 'PUT', path: 'register' },
  deregister: { method: 'PUT', path: 'deregister' },
  renewAuthorization: { method: 'PUT', path: 'renewAuth' },
  renewRegistration: { method: 'PUT', path: 'renewID' },
  getTransport: { method: 'GET', path: 'transportsettings' },
  setTransport: { method: 'PUT', path: 'transportsettings' },
  getStatus: { method: 'GET', path: 'licensedetails' },
} as const;

type VmrestOp = keyof typeof VMREST_PATHS;

/** CUPI's transport fields, all strings (DOMAIN §4). */
export interface CupiTransportSettings {
  transportMode: string;
  transportUrl: string;
  httpHost: string;
  httpPort: string;
  isPrivacyEnabled?: string;
  isProxyAuthReq: string;
  httpProxyUser: string;
  httpProxyPasswd?: string;
}

export class CucVmrestClient extends UcClientBase {
  readonly app = 'CUC' as const;
  readonly statusSource = 'product' as const;

  async register(token: string, force: boolean): Promise<void> {
    await this.call('register', { token, force: String(force) });
  }
  /** CUPI re-registers through `register` with `force` "true" (DOMAIN §4). */
  async reRegister(token: string): Promise<void> {
    await this.call('reRegister', { token, force: 'true' });
  }
  async deregister(): Promise<void> {
    await this.call('deregister');
  }
  async renewAuthorization(): Promise<void> {
    await this.call('renewAuthorization');
  }
  async renewRegistration(): Promise<void> {
    await this.call('renewRegistration');
  }

  async getTransport(): Promise<UcTransportSettings> {
    const raw = await this.readTransport();
    const mode = Number(raw.transportMode);
    return {
      mode: mode === 1 || mode === 2 ? mode : 0,
      ...(raw.transportUrl ? { url: raw.transportUrl } : {}),
      ...(raw.httpHost ? { httpHost: raw.httpHost } : {}),
      ...(raw.httpPort && /^\d+$/.test(raw.httpPort) ? { httpPort: Number(raw.httpPort) } : {}),
    };
  }

  /**
   * Reads the settings first and writes them back changed, so a field smartlic does not set
   * (`isPrivacyEnabled`) keeps its value. No proxy authentication towards CSSM (DOMAIN §1).
   */
  async setTransport(t: UcTransportSettings): Promise<void> {
    const current = await this.readTransport();
    const body: CupiTransportSettings = {
      transportMode: String(t.mode),
      transportUrl: t.url ?? '',
      httpHost: t.httpHost ?? '',
      httpPort: t.httpPort === undefined ? '' : String(t.httpPort),
      ...(current.isPrivacyEnabled !== undefined
        ? { isPrivacyEnabled: current.isPrivacyEnabled }
        : {}),
      isProxyAuthReq: 'false',
      httpProxyUser: '',
      httpProxyPasswd: '',
    };
    await this.call('setTransport', body);
  }

  async getStatus(): Promise<SmartLicenseStatus> {
    const res = await this.call('getStatus');
    const ctx = this.ctx('getStatus', res);
    return readParser().parse({ kind: 'cupi-status', ctx }, res, (text) =>
      cupiStatusAnswer(text, ctx),
    );
  }

  private async readTransport(): Promise<Partial<CupiTransportSettings>> {
    const res = await this.call('getTransport');
    const data = this.body(res, 'getTransport');
    if (!data || typeof data !== 'object') {
      throw ucShapeError(this.ctx('getTransport', res), 'not an object');
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
        out[k] = String(v);
    }
    return out;
  }

  private body(res: HttpResponse, op: VmrestOp): unknown {
    return cupiBody(res.text, this.ctx(op, res));
  }

  private async call(op: VmrestOp, body?: object): Promise<HttpResponse> {
    const { method, path } = VMREST_PATHS[op];
    const res = await this.send(
      op,
      method,
      `/vmrest/smartlicense/${path}`,
      {
        authorization: this.basic,
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

/** JSON, or CUPI's XML form (any root element: its children are the fields). Pure. */
function cupiBody(text: string, ctx: UcErrorContext): unknown {
  const json = tryParseJson(text);
  if (json !== undefined) return json;
  if (text.trim().startsWith('<')) {
    try {
      return xmlToPlain(parseXml(text));
    } catch (e) {
      throw ucShapeError(ctx, 'neither JSON nor well-formed XML', e);
    }
  }
  throw ucShapeError(ctx, 'neither JSON nor XML');
}

/** `licensedetails` as the typed status. Pure (it runs on a parse thread too). */
export function cupiStatusAnswer(text: string, ctx: UcErrorContext): SmartLicenseStatus {
  const data = cupiBody(text, ctx);
  const r = cupiLicenseDetailsSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    throw ucShapeError(
      ctx,
      `field \`${i ? formatPath(i.path) : '(root)'}\`: ${i?.message ?? 'invalid'}`,
    );
  }
  try {
    return cupiToSmartLicenseStatus(r.data);
  } catch (e) {
    if (e instanceof CupiFieldError) throw ucShapeError(ctx, e.message, e);
    throw e;
  }
}
