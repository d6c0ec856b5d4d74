/**
 * The UC applications' smart-licensing interfaces (DOMAIN §4), one address per node:
 * `{baseUrl}/uc/{cluster}/{node}/…`, as strict as the real servers:
 * - CUCM: AXL SOAP at `…/axl/`, only the operations of the AXL schema, only in the schema
 *   versions the cluster's release serves (12.0 has no smart-licensing operations); every
 *   fault is HTTP 500 with a SOAP Fault and an `axlError` detail (an integer `axlcode`).
 *   `getSmartLicenseStatus` answers `<LicenseDetails>` straight under the response element (no
 *   `<return>`, DOMAIN §4), in the schema's element order; `getTransportSettings` answers
 *   `<return>` with `<TransportSettings>` beside it.
 * - CUC: vmrest under `…/vmrest/smartlicense/` with CUPI's paths (`register`, `deregister`,
 *   `renewAuth`, `renewID`, `transportsettings`, `licensedetails`) and CUPI's answer shape,
 *   JSON or XML; an unknown path is 404, a known one with another method 405.
 * - CER: no API, only the admin servlet `…/ceradmin/servlet/CERAdminServlet`: the login form
 *   sets `JSESSIONID` (scoped to the prefix the node is served under, so a cookie jar sends it
 *   back), the `licRegistration` form with that cookie registers. No status page; the public
 *   client's credential check `GET …/cerappservices/export/authenticate/status/<user>/<sha256>`
 *   answers.
 * Only the publisher acts; a subscriber refuses. 11.x and below are PLM-licensed.
 *
 * Extensions (not public, marked here and in docs/emulator.md): the root element name of CUPI's
 * XML form (`LicenseDetails`); the entitlement list of an HCS-mode CUCM and the HCS-LE tags of
 * a CUCM or CER (Cisco publishes neither). The mode is not reported by any element: as on the
 * real products, it shows only in which entitlement tags the product asks for.
 */
import { licenseType, type LicenseType, type LicenseTypeId } from '../../core/domain/catalog.ts';
import { licensingModelFor, tryParseUcVersion } from '../../core/domain/versions.ts';
import type { Cluster } from '../model/types.ts';
import { requestedType } from '../model/allocation-view.ts';
import type { World } from '../model/world.ts';
import { WorldError } from '../model/world-error.ts';
import { DAY, javaDate } from '../util/time.ts';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { formParams, json, send, type Ctx } from '../http/context.ts';

export const UC_PREFIX = '/uc/';

type OpResult =
  { ok: true; message: string } | { ok: false; http: number; code: string; message: string };

/**
 * The `axlcode` of each fault (an integer, as the AXL schema types it; the reason goes in
 * `axlmessage`). Cisco publishes no code for any smart-licensing or request-validation fault:
 * the only ones seen in public captures are data errors (5007 "Item not valid", 5003 "… not
 * found", negative Informix codes), none of which fits. So these are ours [design]: -1 where
 * Axis2 or the schema refuses the request, and for the product's own refusals the HTTP status
 * CUPI gives the same refusal (400 bad parameter, 405 not allowed in this state, 500 failed).
 */
export const AXL_FAULT_CODES = {
  request: -1,
  INVALID_PARAMETER: 400,
  ALREADY_REGISTERED: 405,
  NOT_REGISTERED: 405,
  NOT_SUPPORTED: 405,
  NOT_ALLOWED: 405,
  REGISTRATION_FAILED: 500,
  RENEWAL_FAILED: 500,
} as const;

function axlCodeOf(res: { http: number; code: string }): number {
  return (AXL_FAULT_CODES as Record<string, number>)[res.code] ?? res.http;
}

const SUBSCRIBER =
  'This operation is allowed only on the publisher node. Smart Licensing registration is done on the publisher for the whole cluster.';

/**
 * The CUCM LicenseDetails structure (DOMAIN §4), in the schema's element order
 * (`XRegistration`, `XAuthorization`); the sequence is closed, so nothing else goes in it.
 */
export function licenseDetails(world: World, c: Cluster) {
  const v = cucmView(world, c);
  return {
    LicenseDetails: {
      SmartLicensing: 'ENABLED',
      Registration: {
        Status: v.lc.registration,
        SmartAccount: v.sa,
        VirtualAccount: v.va,
        LastRenewalAttempt: v.lastRenewal,
        NextRenewalAttempt: v.nextRenewal,
        LastRenewalStatus: v.lastRenewalStatus,
        RegistrationFailedReason: v.registrationFailedReason,
        RegistrationExpires: v.registrationExpires,
        ProductUDI: `UDI: PID:${c.udi.pid},SN:${c.udi.sn},UUID:${c.udi.uuid}`,
        ExportControlFunctionality: v.r?.exportControlled ? 'ALLOWED' : 'NOT ALLOWED',
      },
      Authorization: {
        Status: v.lc.authorization,
        LastCommunicationAttempt: v.lastComm,
        NextCommunicationAttempt: v.nextComm,
        LastCommunicationStatus: v.r?.lastAuthStatus ?? NONE,
        AuthorizationFailedReason: v.r ? (v.r.lastAuthFailReason ?? 'Successful.') : NONE,
        AuthorizationExpires: v.authorizationExpires,
        EvaluationPeriodRemaining: String(v.evalLeftDays),
      },
      LicenseStatus: { Entitlement: v.entitlements },
    },
  };
}

/**
 * An Enterprise-mode Unified CM lists every user tier, highest first, used or not: public
 * scripts read `Entitlement[0..4]` by position as CUWL, Enhanced Plus, Enhanced, Basic,
 * Essential (DOMAIN §4 [code]). TelePresence Room, outside the user chain, follows when used.
 */
export const CUCM_ENTERPRISE_TIERS: readonly LicenseTypeId[] = [
  'UCM_CUWL',
  'UCM_EnhancedPlus',
  'UCM_Enhanced',
  'UCM_Basic',
  'UCM_Essential',
];

/**
 * The tag a product in `mode` asks for when it needs `type`. HCS-LE licenses are separate types
 * whose tags carry `HLE` before the Enterprise short name: Cisco names `HLECUC_*` for Unity
 * Connection [doc]; the same shape for Unified CM and Emergency Responder is ours [design].
 */
function tagFor(type: LicenseTypeId, mode: Cluster['licenseMode']): string {
  if (mode === 'HCS-LE') {
    const t = licenseType(type);
    return t.family === 'Enterprise'
      ? t.tag.replace(/\.cisco\.([^,]+),/, (_m, short: string) => `.cisco.HLE${short},`)
      : t.tag;
  }
  return licenseType(requestedType(type, mode === 'Enterprise' ? 'Enterprise' : 'HCS')).tag;
}

/**
 * The demanded types in the order the product lists them: an Enterprise-mode Unified CM every
 * user tier (above); otherwise the types in use, by chain and highest tier first — for an
 * HCS-mode Unified CM Cisco publishes no sample, so this order is ours [design].
 */
function listedTypes(c: Cluster): { type: LicenseTypeId; count: number }[] {
  const used = (Object.entries(c.demand) as [LicenseTypeId, number][]).filter(([, n]) => n > 0);
  if (c.type === 'CUCM' && c.licenseMode === 'Enterprise') {
    const rest = used
      .filter(([t]) => !CUCM_ENTERPRISE_TIERS.includes(t))
      .map(([type, count]) => ({ type, count }));
    return [
      ...CUCM_ENTERPRISE_TIERS.map((type) => ({ type, count: c.demand[type] ?? 0 })),
      ...rest,
    ];
  }
  // User chains before device (room) and port chains, then highest tier first.
  const rank = (t: LicenseType) => (/room|port/.test(t.chain) ? 1 : 0);
  return used
    .map(([type, count]) => ({ type, count, t: licenseType(type) }))
    .sort(
      (a, b) => rank(a.t) - rank(b.t) || a.t.chain.localeCompare(b.t.chain) || b.t.tier - a.t.tier,
    )
    .map(({ type, count }) => ({ type, count }));
}

const NONE = 'None';

/** What both status shapes are made of. */
function cucmView(world: World, c: Cluster) {
  const lc = world.lifecycle(c);
  const r = c.registration;
  const registered = lc.registration !== 'Unregistered';
  const names = !r
    ? { sa: '', va: '' }
    : r.pool.kind === 'va'
      ? { sa: r.pool.sa.name, va: r.pool.name }
      : { sa: r.pool.name, va: r.pool.vaName };
  const evalLeftMs =
    registered && r
      ? Math.max(0, 90 * DAY - (r.registeredAt - c.installedAt))
      : Math.max(0, (lc.evaluationDaysLeft ?? 0) * DAY);
  const entitlements = listedTypes(c).map(({ type, count }) => {
    let status: string;
    // A tier listed but not asked for is `Init` (not yet requested) [sample].
    if (count === 0) status = 'Init';
    else if (!registered)
      status = lc.authorization === 'Evaluation Expired' ? 'EvalExpired' : 'EvalMode';
    else if (lc.authorization === 'Authorization Expired') status = 'AuthorizationExpired';
    else if (world.servedOf(c, `${c.name}/${type}`) < count) status = 'OutOfCompliance';
    else status = 'InCompliance';
    return { Tag: tagFor(type, c.licenseMode), Count: String(count), Status: status };
  });
  const failed =
    c.lastRegistrationAttempt?.status === 'FAILED' ? c.lastRegistrationAttempt.reason : undefined;
  const at = (ms: number | undefined) => (ms !== undefined ? javaDate(ms) : NONE);
  return {
    lc,
    r,
    sa: names.sa,
    va: names.va,
    registered,
    entitlements,
    evalLeftDays: Math.floor(evalLeftMs / DAY),
    evalLeftMs,
    lastRenewal: at(r?.lastIdAttemptAt),
    lastRenewalStatus: r?.lastIdStatus ?? NONE,
    nextRenewal: r && !r.expired ? javaDate(r.nextIdAttemptAt) : NONE,
    registrationExpires: lc.registrationExpires ? javaDate(lc.registrationExpires.getTime()) : NONE,
    registrationFailedReason: failed ?? r?.lastIdFailReason ?? (r ? 'Successful.' : NONE),
    lastComm: at(r?.lastAuthAttemptAt),
    nextComm: r && !r.expired ? javaDate(r.nextAuthAttemptAt) : NONE,
    authorizationExpires: lc.authorizationExpires
      ? javaDate(lc.authorizationExpires.getTime())
      : NONE,
  };
}

/** `2017-11-22 13:17:19.0` in UTC, as CUPI prints dates (no zone). */
function cupiDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${Math.floor(d.getUTCMilliseconds() / 100)}`;
}

/** Unity Connection's licensedetails answer (DOMAIN §4): `Register`, CUPI dates, `LicenseUsage`. */
export function cupiLicenseDetails(world: World, c: Cluster) {
  const v = cucmView(world, c);
  const r = v.r;
  const attempt = (ms: number | undefined, status: string | undefined) =>
    ms === undefined ? 'Not Applicable' : `${status ? `${status} ` : ''}${cupiDate(ms)}`;
  const next = (ms: number | undefined) =>
    r && !r.expired && ms !== undefined ? ` ${cupiDate(ms)}` : 'Not Applicable';
  const minutes = Math.floor(v.evalLeftMs / 60_000);
  return {
    SmartLicensing: 'Enabled',
    Register: {
      Status: v.lc.registration,
      SmartAccount: v.sa,
      VirtualAccount: v.va,
      LastRenewalAttempt: attempt(r?.lastIdAttemptAt, r?.lastIdStatus),
      NextRenewalAttempt: next(r?.nextIdAttemptAt),
      LastRegistrationSuccessTime: r ? cupiDate(r.registeredAt) : 'Not Applicable',
      ProductUDI: `pid=${c.udi.pid} sn=${c.udi.sn}`,
      ExportControlFunctionality: r?.exportControlled ? 'Allowed' : 'Not Allowed',
    },
    Authorization: {
      Status: v.lc.authorization,
      LastCommunicationAttempt: attempt(r?.lastAuthAttemptAt, r?.lastAuthStatus),
      NextCommunicationAttempt: next(r?.nextAuthAttemptAt),
      EvaluationPeriodRemaining: `${Math.floor(minutes / 1440)}:${Math.floor((minutes % 1440) / 60)}:${minutes % 60}`,
    },
    LicenseUsage: {
      EntitlementTag: v.entitlements.map((e) => ({
        Id: e.Tag,
        Count: e.Count,
        // CUPI prints the evaluation state as `Eval`.
        Status: e.Status === 'EvalMode' ? 'Eval' : e.Status,
      })),
    },
  };
}

function plm(c: Cluster): boolean {
  return licensingModelFor(c.version) === 'PLM';
}

function register(world: World, c: Cluster, token: string | undefined, force: boolean): OpResult {
  if (!token)
    return {
      ok: false,
      http: 400,
      code: 'INVALID_PARAMETER',
      message: 'INVALID_PARAMETER: token is required.',
    };
  const r = world.register(c, token, force);
  if (r.ok) return { ok: true, message: 'Product registered successfully.' };
  switch (r.kind) {
    case 'already':
      return { ok: false, http: 405, code: 'ALREADY_REGISTERED', message: r.message };
    case 'token':
      return { ok: false, http: 400, code: 'INVALID_PARAMETER', message: r.message };
    case 'plm':
      return {
        ok: false,
        http: 405,
        code: 'NOT_SUPPORTED',
        message:
          'Smart Licensing is not supported in this release: the product is licensed through Prime License Manager.',
      };
    case 'transport':
    case 'comm':
      return {
        ok: false,
        http: 500,
        code: 'REGISTRATION_FAILED',
        message: `Registration failed: ${r.message}`,
      };
  }
}

function deregister(world: World, c: Cluster): OpResult {
  if (!c.registration)
    return { ok: false, http: 405, code: 'NOT_REGISTERED', message: 'Product is not registered.' };
  world.deregister(c);
  return { ok: true, message: 'Product deregistered successfully.' };
}

function renewal(fail: string | null, what: string): OpResult {
  if (fail === null) return { ok: true, message: `${what} renewed successfully.` };
  if (fail === 'Product is not registered.')
    return { ok: false, http: 405, code: 'NOT_REGISTERED', message: fail };
  return {
    ok: false,
    http: 500,
    code: 'RENEWAL_FAILED',
    message: `${what} renewal failed: ${fail}`,
  };
}

function setTransport(
  world: World,
  c: Cluster,
  p: { mode?: string; url?: string; httpHost?: string; httpPort?: string },
): OpResult {
  const bad = (message: string): OpResult => ({
    ok: false,
    http: 400,
    code: 'INVALID_PARAMETER',
    message: `INVALID_PARAMETER: ${message}`,
  });
  const mode = Number(p.mode);
  if (p.mode === undefined || p.mode === '' || (mode !== 0 && mode !== 1 && mode !== 2)) {
    return bad(
      'transport mode must be 0 (Direct), 1 (Transport Gateway / satellite) or 2 (HTTP/HTTPS proxy).',
    );
  }
  if (mode === 1 && !p.url) return bad('a satellite URL is required for transport mode 1.');
  if (mode === 2 && !p.httpHost) return bad('a proxy host is required for transport mode 2.');
  let port: number | null = null;
  if (p.httpPort) {
    port = Number(p.httpPort);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return bad('invalid proxy port.');
  }
  try {
    world.setTransport(c, {
      mode,
      url: mode === 1 ? (p.url ?? null) : null,
      proxyHost: mode === 2 ? (p.httpHost ?? null) : null,
      proxyPort: mode === 2 ? port : null,
    });
  } catch (e) {
    if (e instanceof WorldError)
      return { ok: false, http: 405, code: e.code ?? 'NOT_ALLOWED', message: e.message };
    throw e;
  }
  return { ok: true, message: 'Transport settings updated.' };
}

// ---- XML --------------------------------------------------------------------------------------

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function unesc(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** JSON → XML elements with the same names; arrays become repeated elements. */
export function toXml(key: string, v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => toXml(key, x)).join('');
  if (v !== null && typeof v === 'object') {
    return `<${key}>${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => toXml(k, x))
      .join('')}</${key}>`;
  }
  return `<${key}>${esc(String(v))}</${key}>`;
}

const ENVELOPE_OPEN = `<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">`;

/** AXL schema versions, oldest first; a release serves those up to its own. */
const AXL_SCHEMAS = [
  '8.5',
  '9.0',
  '9.1',
  '10.0',
  '10.5',
  '11.0',
  '11.5',
  '12.0',
  '12.5',
  '14.0',
  '15.0',
];

/** The newest AXL schema the cluster's release serves (DOMAIN §4). */
export function maxAxlSchema(c: Cluster): string {
  const v = tryParseUcVersion(c.version);
  if (!v.ok) return '15.0';
  const { major, minor } = v.version;
  if (major >= 15) return '15.0';
  if (major === 14) return '14.0';
  const own = `${major}.${minor >= 5 ? 5 : 0}`;
  return AXL_SCHEMAS.includes(own) ? own : '8.5';
}

function servesSchema(c: Cluster, schema: string): boolean {
  const i = AXL_SCHEMAS.indexOf(schema);
  return i !== -1 && i <= AXL_SCHEMAS.indexOf(maxAxlSchema(c));
}

/** Operations of the AXL schema that the emulator serves, with the schema they start in. */
const AXL_OPS: Record<string, string> = {
  getSmartLicenseStatus: '12.5',
  doSmartLicenseRegister: '12.5',
  doSmartLicenseReRegister: '12.5',
  doSmartLicenseDeRegister: '12.5',
  doSmartLicenseRenewAuthorization: '12.5',
  doSmartLicenseRenewRegistration: '12.5',
  doUpdateTransportSettings: '12.5',
  getTransportSettings: '12.5',
};

function soap(ctx: Ctx, status: number, body: string): void {
  send(
    ctx,
    status,
    `${ENVELOPE_OPEN}<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`,
    'text/xml;charset=UTF-8',
  );
}

/** Every AXL fault: HTTP 500, a SOAP Fault with an axlError detail (DOMAIN §4). */
function soapFault(
  ctx: Ctx,
  message: string,
  op: string,
  code: number = AXL_FAULT_CODES.request,
): void {
  soap(
    ctx,
    500,
    `<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>${esc(message)}</faultstring><detail><axlError><axlcode>${code}</axlcode><axlmessage>${esc(message)}</axlmessage><request>${esc(op)}</request></axlError></detail></soapenv:Fault>`,
  );
}

function element(xml: string, name: string): string | undefined {
  const m = new RegExp(
    `<(?:[\\w-]+:)?${name}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</(?:[\\w-]+:)?${name}>)`,
  ).exec(xml);
  return m ? unesc((m[1] ?? '').trim()) : undefined;
}

function axl(ctx: Ctx, c: Cluster, isPublisher: boolean): void {
  if (ctx.method !== 'POST') {
    send(ctx, 405, 'AXL accepts POST only', 'text/plain', { allow: 'POST' });
    return;
  }
  const xml = ctx.body.toString('utf8');
  const body = /<(?:[\w-]+:)?Body[^>]*>\s*<(?:([\w-]+):)?(\w+)[\s/>]/.exec(xml);
  if (!body) {
    soapFault(ctx, 'Unable to parse the SOAP request: no operation in the Body.', 'unknown');
    return;
  }
  const prefix = body[1];
  const op = body[2]!;
  const nsRe = new RegExp(
    `xmlns${prefix ? `:${prefix}` : ''}="http://www\\.cisco\\.com/AXL/API/([^"]+)"`,
  );
  const schema = nsRe.exec(xml)?.[1];
  if (!schema) {
    soapFault(
      ctx,
      `The operation ${op} is not in an AXL namespace (http://www.cisco.com/AXL/API/<version>).`,
      op,
    );
    return;
  }
  const action = /^"?CUCM:DB ver=([\d.]+)(?:\s+(\w+))?"?$/.exec(
    String(ctx.req.headers.soapaction ?? '').trim(),
  );
  if (ctx.req.headers.soapaction !== undefined && (!action || action[1] !== schema)) {
    soapFault(
      ctx,
      `The SOAPAction header "${String(ctx.req.headers.soapaction)}" does not match the request's AXL schema ${schema}.`,
      op,
    );
    return;
  }
  if (!servesSchema(c, schema)) {
    soapFault(
      ctx,
      `Unsupported version: AXL schema ${schema} is not served by this release (${c.version}); the newest it serves is ${maxAxlSchema(c)}.`,
      op,
    );
    return;
  }
  const since = AXL_OPS[op];
  if (since === undefined || AXL_SCHEMAS.indexOf(schema) < AXL_SCHEMAS.indexOf(since) || plm(c)) {
    // What Axis2 on CUCM answers for an operation the schema does not have.
    soapFault(
      ctx,
      `The endpoint reference (EPR) for the Operation not found is /axl/services/AXLAPIService and the WSA Action = CUCM:DB ver=${schema} ${op}`,
      op,
    );
    return;
  }
  if (action?.[2] !== undefined && action[2] !== op) {
    soapFault(ctx, `The SOAPAction names ${action[2]}, the Body ${op}.`, op);
    return;
  }
  if (!isPublisher) {
    soapFault(ctx, SUBSCRIBER, op, AXL_FAULT_CODES.NOT_ALLOWED);
    return;
  }
  const ns = `http://www.cisco.com/AXL/API/${schema}`;
  const respond = (inner: string): void =>
    soap(ctx, 200, `<ns:${op}Response xmlns:ns="${ns}">${inner}</ns:${op}Response>`);
  const w = ctx.world;
  const required = (...names: string[]): string | undefined =>
    names.find((n) => element(xml, n) === undefined);
  let res: OpResult;
  switch (op) {
    case 'getSmartLicenseStatus': {
      // No `<return>`: the response goes straight to `<LicenseDetails>` (DOMAIN §4).
      respond(toXml('LicenseDetails', licenseDetails(w, c).LicenseDetails));
      return;
    }
    case 'getTransportSettings': {
      const t = c.transport;
      // `<TransportSettings>` stands beside `<return>`, not inside it (DOMAIN §4).
      respond(
        `<return></return>${toXml('TransportSettings', {
          transportmode: String(t.mode),
          transportUrl: t.url ?? '',
          httpHost: t.proxyHost ?? '',
          httpPort: t.proxyPort === null ? '' : String(t.proxyPort),
        })}`,
      );
      return;
    }
    case 'doSmartLicenseRegister': {
      const missing = required('token', 'force');
      if (missing) {
        soapFault(ctx, `Element ${missing} is required in ${op}.`, op);
        return;
      }
      const force = (element(xml, 'force') ?? '').toLowerCase() === 'true';
      res = register(w, c, element(xml, 'token'), force);
      break;
    }
    case 'doSmartLicenseReRegister': {
      if (required('token')) {
        soapFault(ctx, `Element token is required in ${op}.`, op);
        return;
      }
      if (!c.registration) {
        res = {
          ok: false,
          http: 405,
          code: 'NOT_REGISTERED',
          message: 'Product is not registered.',
        };
        break;
      }
      res = register(w, c, element(xml, 'token'), true);
      break;
    }
    case 'doSmartLicenseDeRegister':
      res = deregister(w, c);
      break;
    case 'doSmartLicenseRenewAuthorization':
      res = renewal(w.renewAuthorization(c), 'Authorization');
      break;
    case 'doSmartLicenseRenewRegistration':
      res = renewal(w.renewRegistration(c), 'Registration');
      break;
    case 'doUpdateTransportSettings': {
      const missing = required('transportMode', 'url', 'httpHost', 'httpPort');
      if (missing) {
        soapFault(ctx, `Element ${missing} is required in ${op}.`, op);
        return;
      }
      // enableProxyAuthentication, proxyUserName, proxyPassword are optional in the schema
      // from 12.5 on: accepted and, as smartlic never uses proxy authentication, not kept.
      res = setTransport(w, c, {
        mode: element(xml, 'transportMode'),
        url: element(xml, 'url'),
        httpHost: element(xml, 'httpHost'),
        httpPort: element(xml, 'httpPort'),
      });
      break;
    }
    default:
      res = { ok: false, http: 500, code: 'UNKNOWN', message: op };
  }
  if (res.ok) respond(`<return>${esc(res.message)}</return>`);
  else soapFault(ctx, res.message, op, axlCodeOf(res));
}

// ---- CUC vmrest --------------------------------------------------------------------------------

/** CUPI's paths under /vmrest/smartlicense/ and the methods each accepts (DOMAIN §4). */
const VMREST: Record<string, readonly string[]> = {
  register: ['PUT'],
  deregister: ['PUT'],
  renewAuth: ['PUT'],
  renewID: ['PUT'],
  transportsettings: ['GET', 'PUT'],
  licensedetails: ['GET'],
};

function wantsXml(ctx: Ctx): boolean {
  const a = String(ctx.req.headers.accept ?? '');
  return /xml/i.test(a) && !/json/i.test(a);
}

function cupiAnswer(ctx: Ctx, http: number, root: string, data: object): void {
  if (wantsXml(ctx)) send(ctx, http, toXml(root, data), 'application/xml;charset=UTF-8');
  else json(ctx, http, data);
}

function cupiError(ctx: Ctx, http: number, code: string, message: string): void {
  const errors = { errors: { code, message } };
  if (wantsXml(ctx))
    send(ctx, http, toXml('ErrorDetails', errors), 'application/xml;charset=UTF-8');
  else json(ctx, http, { ErrorDetails: errors });
}

function vmrest(ctx: Ctx, c: Cluster, isPublisher: boolean, rest: string[]): void {
  const action = rest[1] ?? '';
  const methods = rest[0] === 'smartlicense' && rest.length === 2 ? VMREST[action] : undefined;
  if (plm(c) || !methods) {
    cupiError(ctx, 404, 'NOT_FOUND', `Resource not found: ${ctx.path}`);
    return;
  }
  if (!methods.includes(ctx.method)) {
    send(ctx, 405, '', 'text/plain', { allow: methods.join(', ') });
    return;
  }
  if (!isPublisher) {
    cupiError(ctx, 405, 'NOT_ALLOWED', SUBSCRIBER);
    return;
  }
  const w = ctx.world;
  let body: Record<string, unknown> = {};
  if (ctx.body.length > 0) {
    try {
      body = JSON.parse(ctx.body.toString('utf8')) as Record<string, unknown>;
    } catch {
      cupiError(ctx, 400, 'INVALID_PARAMETER', 'INVALID_PARAMETER: malformed JSON body.');
      return;
    }
  }
  const str = (k: string): string | undefined => {
    const v = body[k];
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : undefined;
  };
  let res: OpResult;
  if (action === 'licensedetails') {
    cupiAnswer(ctx, 200, 'LicenseDetails', cupiLicenseDetails(w, c));
    return;
  }
  if (action === 'transportsettings' && ctx.method === 'GET') {
    const t = c.transport;
    cupiAnswer(ctx, 200, 'TransportSettings', {
      transportMode: String(t.mode),
      transportUrl: t.url ?? '',
      httpHost: t.proxyHost ?? '',
      httpPort: t.proxyPort === null ? '' : String(t.proxyPort),
      isPrivacyEnabled: 'false',
      isProxyAuthReq: 'false',
      httpProxyUser: '',
    });
    return;
  }
  switch (action) {
    case 'register':
      res = register(w, c, str('token'), str('force')?.toLowerCase() === 'true');
      break;
    case 'deregister':
      res = deregister(w, c);
      break;
    case 'renewAuth':
      res = renewal(w.renewAuthorization(c), 'Authorization');
      break;
    case 'renewID':
      res = renewal(w.renewRegistration(c), 'Registration');
      break;
    default: {
      if (str('isProxyAuthReq')?.toLowerCase() === 'true' && !str('httpProxyUser')) {
        res = {
          ok: false,
          http: 400,
          code: 'INVALID_PARAMETER',
          message: 'INVALID_PARAMETER: httpProxyUser is required when isProxyAuthReq is true.',
        };
        break;
      }
      res = setTransport(w, c, {
        mode: str('transportMode'),
        url: str('transportUrl'),
        httpHost: str('httpHost'),
        httpPort: str('httpPort'),
      });
    }
  }
  // The CUPI guide shows `Response Code: 200` for each PUT; public clients check for 200.
  if (res.ok) send(ctx, 200, '', 'text/plain');
  else cupiError(ctx, res.http, res.code, res.message);
}

// ---- CER admin servlet -------------------------------------------------------------------------

const SERVLET = 'servlet/CERAdminServlet';

/** Signed-in servlet sessions: JSESSIONID → cluster name. */
const sessions = new WeakMap<World, Map<string, string>>();

function sessionsOf(w: World): Map<string, string> {
  let m = sessions.get(w);
  if (!m) sessions.set(w, (m = new Map<string, string>()));
  return m;
}

function html(ctx: Ctx, http: number, title: string, inner: string, headers = {}): void {
  send(
    ctx,
    http,
    `<!DOCTYPE html><html><head><title>Cisco Emergency Responder Administration - ${esc(title)}</title></head><body>${inner}</body></html>`,
    'text/html;charset=UTF-8',
    headers,
  );
}

function loginPage(ctx: Ctx, message = ''): void {
  html(
    ctx,
    200,
    'Login',
    `${message ? `<p class="error">${esc(message)}</p>` : ''}<form method="post" action="CERAdminServlet"><input type="hidden" name="formname" value="login"><input type="text" name="name"><input type="password" name="passwd"><input type="submit" name="actionname" value="Login"></form>`,
  );
}

function cookieSession(ctx: Ctx): string | undefined {
  const m = /(?:^|;\s*)JSESSIONID=([^;\s]+)/.exec(String(ctx.req.headers.cookie ?? ''));
  return m?.[1];
}

/**
 * The session cookie's scope: the admin web application's path under the prefix this node is
 * served at (`/uc/<cluster>/<node>/ceradmin`), so a cookie-jar client sends it back on the next
 * form; `Secure` only over TLS, or a cookie jar would not send it over the lab's plain HTTP.
 */
function sessionCookieHeader(ctx: Ctx, nodePrefix: string, id: string): string {
  const tls = (ctx.req.socket as { encrypted?: boolean }).encrypted === true;
  return `JSESSIONID=${id}; Path=${nodePrefix}/ceradmin;${tls ? ' Secure;' : ''} HttpOnly`;
}

/**
 * `GET …/cerappservices/export/authenticate/status/<user>/<sha256 hex of the password>`: the
 * public CER client's credential check, which waits for a 200 [code]. CER's answer body is not
 * public: a small XML document is ours [design]; wrong credentials answer 401 [design].
 */
function cerAuthenticateStatus(ctx: Ctx, c: Cluster, rest: string[]): void {
  if (plm(c) || rest.length !== 6 || rest.slice(1, 4).join('/') !== 'export/authenticate/status') {
    html(ctx, 404, 'Not Found', '<h1>HTTP Status 404 - Not Found</h1>');
    return;
  }
  if (ctx.method !== 'GET') {
    send(ctx, 405, '', 'text/plain', { allow: 'GET' });
    return;
  }
  const decode = (x: string) => {
    try {
      return decodeURIComponent(x);
    } catch {
      return x;
    }
  };
  const user = decode(rest[4]!);
  const given = Buffer.from(decode(rest[5]!).toLowerCase());
  const want = Buffer.from(createHash('sha256').update(c.credentials.password).digest('hex'));
  const ok =
    user === c.credentials.username && given.length === want.length && timingSafeEqual(given, want);
  send(
    ctx,
    ok ? 200 : 401,
    `<?xml version="1.0" encoding="UTF-8"?><authenticationStatus><user>${esc(user)}</user><status>${ok ? 'SUCCESS' : 'FAILURE'}</status></authenticationStatus>`,
    'application/xml;charset=UTF-8',
  );
}

function cer(ctx: Ctx, c: Cluster, isPublisher: boolean, rest: string[], nodePrefix: string): void {
  if (plm(c) || rest.join('/') !== SERVLET) {
    html(ctx, 404, 'Not Found', '<h1>HTTP Status 404 - Not Found</h1>');
    return;
  }
  if (ctx.method !== 'POST' && ctx.method !== 'GET') {
    send(ctx, 405, '', 'text/plain', { allow: 'GET, POST' });
    return;
  }
  const f = formParams(ctx);
  const w = ctx.world;
  const all = sessionsOf(w);
  if (f.get('formname') === 'login' && ctx.method === 'POST') {
    const ok =
      f.get('actionname') === 'Login' &&
      f.get('name') === c.credentials.username &&
      f.get('passwd') === c.credentials.password;
    if (!ok) {
      loginPage(ctx, 'Invalid user name or password.');
      return;
    }
    const id = randomBytes(16).toString('hex').toUpperCase();
    all.set(id, c.name);
    html(ctx, 200, 'Home', '<h1>Cisco Emergency Responder Administration</h1>', {
      'set-cookie': sessionCookieHeader(ctx, nodePrefix, id),
    });
    return;
  }
  const session = cookieSession(ctx);
  if (!session || all.get(session) !== c.name) {
    loginPage(ctx);
    return;
  }
  if (
    ctx.method === 'POST' &&
    f.get('formname') === 'licRegistration' &&
    f.get('hiddenaction') === 'registerLic'
  ) {
    if (!isPublisher) {
      html(ctx, 200, 'License Registration', `<p class="error">${esc(SUBSCRIBER)}</p>`);
      return;
    }
    const force = f.get('forceRegister') === 'forceRegisterEnabled';
    const res = register(w, c, f.get('regToken') ?? undefined, force);
    // The page says what happened in words only; CER has no validation mechanism.
    html(
      ctx,
      200,
      'License Registration',
      `<p class="${res.ok ? 'info' : 'error'}">${esc(res.message)}</p>`,
    );
    return;
  }
  html(ctx, 200, 'Home', '<h1>Cisco Emergency Responder Administration</h1>');
}

// ---- routing -------------------------------------------------------------------------------------

export function handleUc(ctx: Ctx): void {
  const parts = ctx.path.slice(UC_PREFIX.length).split('/');
  const clusterName = decodeURIComponent(parts[0] ?? '');
  const nodeName = decodeURIComponent(parts[1] ?? '');
  const rest = parts.slice(2).filter((p) => p.length > 0);
  const c = ctx.world.clusters.get(clusterName);
  const node = c?.nodes.find((n) => n.name === nodeName);
  if (!c || !node) {
    send(ctx, 404, `No such UC node: ${clusterName}/${nodeName}`, 'text/plain');
    return;
  }
  const isPublisher = node.role === 'publisher';
  const app = rest[0];
  // CER signs in by form; AXL and vmrest want HTTP Basic.
  const nodePrefix = `${UC_PREFIX}${parts[0] ?? ''}/${parts[1] ?? ''}`;
  if (app === 'ceradmin' && c.type === 'CER')
    return cer(ctx, c, isPublisher, rest.slice(1), nodePrefix);
  if (app === 'cerappservices' && c.type === 'CER') return cerAuthenticateStatus(ctx, c, rest);
  if (ctx.req.headers.authorization !== c.credentials.basic) {
    send(ctx, 401, 'Unauthorized', 'text/plain', {
      'www-authenticate': `Basic realm="${c.type} ${node.name}"`,
    });
    return;
  }
  if (app === 'axl' && c.type === 'CUCM') return axl(ctx, c, isPublisher);
  if (app === 'vmrest' && c.type === 'CUC') return vmrest(ctx, c, isPublisher, rest.slice(1));
  send(ctx, 404, `Not found: ${ctx.path}`, 'text/plain');
}
