/**
 * The UC applications' smart-licensing interfaces (DOMAIN §4), one address per node:
 * `{baseUrl}/uc/{cluster}/{node}/…` with HTTP Basic credentials per cluster.
 * - CUCM: AXL SOAP 1.1 at `…/axl/` (`doSmartLicenseRegister`, `getSmartLicenseStatus`, and
 *   [design] deregister / renew / transport / mode operations).
 * - CUC: `…/vmrest/smartlicense/register` (PUT) and `…/licensedetails` (GET), JSON.
 * - CER: form post at `…/ceradmin/smartlicense` [design: CER has no API].
 * Only the publisher answers; a subscriber answers 405. 11.x and below are PLM-licensed.
 */
import { licenseType, type LicenseTypeId } from '../../core/domain/catalog.ts';
import {
  hcsLeSupported,
  licensingModelFor,
  tryParseUcVersion,
} from '../../core/domain/versions.ts';
import type { Cluster } from '../model/types.ts';
import { requestedType, WorldError, type World } from '../model/world.ts';
import { DAY, javaDate } from '../util/time.ts';
import { formParams, json, send, type Ctx } from '../http/context.ts';

export const UC_PREFIX = '/uc/';

type OpResult =
  { ok: true; message: string } | { ok: false; http: number; code: string; message: string };

const SUBSCRIBER =
  'This operation is allowed only on the publisher node. Smart Licensing registration is done on the publisher for the whole cluster.';

/** The LicenseDetails structure of DOMAIN §4: every value a string, dates as Java prints them. */
export function licenseDetails(world: World, c: Cluster) {
  const lc = world.lifecycle(c);
  const r = c.registration;
  const none = 'None';
  const mode = c.licenseMode === 'Enterprise' ? 'Enterprise' : 'HCS';
  const registered = lc.registration !== 'Unregistered';
  const accountNames = (): { sa: string; va: string } => {
    if (!r) return { sa: '', va: '' };
    return r.pool.kind === 'va'
      ? { sa: r.pool.sa.name, va: r.pool.name }
      : { sa: r.pool.name, va: r.pool.vaName };
  };
  const names = accountNames();
  const evalLeft =
    registered && r
      ? Math.max(0, 90 - Math.floor((r.registeredAt - c.installedAt) / DAY))
      : (lc.evaluationDaysLeft ?? 0);
  const entitlements = (Object.entries(c.demand) as [LicenseTypeId, number][])
    .filter(([, n]) => n > 0)
    .map(([type, count]) => {
      let status: string;
      if (!registered)
        status = lc.authorization === 'Evaluation Expired' ? 'EvalExpired' : 'EvalMode';
      else if (lc.authorization === 'Authorization Expired') status = 'AuthorizationExpired';
      else if (world.servedOf(c, `${c.name}/${type}`) < count) status = 'OutOfCompliance';
      else status = 'InCompliance';
      return {
        Tag: licenseType(requestedType(type, mode)).tag,
        Count: String(count),
        Status: status,
      };
    });
  const failed =
    c.lastRegistrationAttempt?.status === 'FAILED' ? c.lastRegistrationAttempt.reason : undefined;
  return {
    LicenseDetails: {
      SmartLicensing: 'ENABLED',
      Registration: {
        Status: lc.registration,
        SmartAccount: names.sa,
        VirtualAccount: names.va,
        ExportControlFunctionality: r?.exportControlled ? 'ALLOWED' : 'NOT ALLOWED',
        LastRenewalAttempt: r?.lastIdAttemptAt !== undefined ? javaDate(r.lastIdAttemptAt) : none,
        LastRenewalStatus: r?.lastIdStatus ?? none,
        NextRenewalAttempt: r && !r.expired ? javaDate(r.nextIdAttemptAt) : none,
        RegistrationExpires: lc.registrationExpires
          ? javaDate(lc.registrationExpires.getTime())
          : none,
        RegistrationFailedReason: failed ?? r?.lastIdFailReason ?? (r ? 'Successful.' : none),
        ProductUDI: `UDI: PID:${c.udi.pid},SN:${c.udi.sn},UUID:${c.udi.uuid}`,
      },
      Authorization: {
        Status: lc.authorization,
        LastCommunicationAttempt:
          r?.lastAuthAttemptAt !== undefined ? javaDate(r.lastAuthAttemptAt) : none,
        LastCommunicationStatus: r?.lastAuthStatus ?? none,
        NextCommunicationAttempt: r && !r.expired ? javaDate(r.nextAuthAttemptAt) : none,
        AuthorizationExpires: lc.authorizationExpires
          ? javaDate(lc.authorizationExpires.getTime())
          : none,
        AuthorizationFailedReason: r ? (r.lastAuthFailReason ?? 'Successful.') : none,
        EvaluationPeriodRemaining: String(evalLeft),
      },
      LicenseStatus: { Entitlement: entitlements },
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
  p: { mode?: string; url?: string; proxyHost?: string; proxyPort?: string },
): OpResult {
  const mode = Number(p.mode);
  if (mode !== 0 && mode !== 1 && mode !== 2) {
    return {
      ok: false,
      http: 400,
      code: 'INVALID_PARAMETER',
      message:
        'INVALID_PARAMETER: transport mode must be 0 (Direct), 1 (Transport Gateway / satellite) or 2 (HTTP/HTTPS proxy).',
    };
  }
  if (mode === 1 && !p.url)
    return {
      ok: false,
      http: 400,
      code: 'INVALID_PARAMETER',
      message: 'INVALID_PARAMETER: a satellite URL is required for transport mode 1.',
    };
  if (mode === 2 && !p.proxyHost)
    return {
      ok: false,
      http: 400,
      code: 'INVALID_PARAMETER',
      message: 'INVALID_PARAMETER: a proxy host is required for transport mode 2.',
    };
  const port = p.proxyPort ? Number(p.proxyPort) : null;
  try {
    world.setTransport(c, {
      mode,
      url: p.url ?? null,
      proxyHost: p.proxyHost ?? null,
      proxyPort: port,
    });
  } catch (e) {
    if (e instanceof WorldError)
      return { ok: false, http: 405, code: e.code ?? 'NOT_ALLOWED', message: e.message };
    throw e;
  }
  return { ok: true, message: 'Transport settings updated.' };
}

function setMode(world: World, c: Cluster, mode: string | undefined): OpResult {
  if (mode !== 'Enterprise' && mode !== 'HCS' && mode !== 'HCS-LE') {
    return {
      ok: false,
      http: 400,
      code: 'INVALID_PARAMETER',
      message: 'INVALID_PARAMETER: license mode must be Enterprise, HCS or HCS-LE.',
    };
  }
  if (mode === 'HCS-LE' && c.type === 'CUCM' && !hcsLeSupported(c.version)) {
    return {
      ok: false,
      http: 400,
      code: 'INVALID_PARAMETER',
      message: `INVALID_PARAMETER: the HCS-LE license mode is not available in release ${c.version}.`,
    };
  }
  world.setLicenseMode(c, mode);
  return { ok: true, message: `License mode set to ${mode}.` };
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

function axlVersion(c: Cluster): string {
  const v = tryParseUcVersion(c.version);
  if (!v.ok) return '15.0';
  return v.version.major >= 14 ? `${v.version.major}.0` : `${v.version.major}.${v.version.minor}`;
}

function soap(ctx: Ctx, status: number, body: string): void {
  send(
    ctx,
    status,
    `${ENVELOPE_OPEN}<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`,
    'text/xml;charset=UTF-8',
  );
}

function soapFault(ctx: Ctx, status: number, message: string, op: string, code = '-1'): void {
  soap(
    ctx,
    status,
    `<soapenv:Fault><faultcode>soapenv:${status >= 500 ? 'Server' : 'Client'}</faultcode><faultstring>${esc(message)}</faultstring><detail><axlError><axlcode>${esc(code)}</axlcode><axlmessage>${esc(message)}</axlmessage><request>${esc(op)}</request></axlError></detail></soapenv:Fault>`,
  );
}

function element(xml: string, name: string): string | undefined {
  const m = new RegExp(
    `<(?:[\\w-]+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w-]+:)?${name}>`,
  ).exec(xml);
  return m ? unesc(m[1]!.trim()) : undefined;
}

function axl(ctx: Ctx, c: Cluster, isPublisher: boolean): void {
  if (ctx.method !== 'POST') {
    send(ctx, 405, 'AXL accepts POST only', 'text/plain', { allow: 'POST' });
    return;
  }
  const xml = ctx.body.toString('utf8');
  const body = /<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?(\w+)[\s/>]/.exec(xml);
  if (!body) {
    soapFault(ctx, 500, 'Unable to parse the SOAP request: no operation in the Body.', 'unknown');
    return;
  }
  const op = body[1]!;
  const ver = axlVersion(c);
  const ns = `http://www.cisco.com/AXL/API/${ver}`;
  const known = new Set([
    'getSmartLicenseStatus',
    'doSmartLicenseRegister',
    'doSmartLicenseDeregister',
    'doSmartLicenseDeRegister',
    'doSmartLicenseRenewAuthorization',
    'doSmartLicenseRenewAuth',
    'doSmartLicenseRenewRegistration',
    'doSmartLicenseRenewId',
    'updateSmartLicenseTransport',
    'updateSmartLicenseMode',
  ]);
  if (!known.has(op) || plm(c)) {
    // What Axis2 on CUCM answers for an operation the release does not have.
    soapFault(
      ctx,
      500,
      `The endpoint reference (EPR) for the Operation not found is /axl/services/AXLAPIService and the WSA Action = CUCM:DB ver=${ver} ${op}`,
      op,
    );
    return;
  }
  if (!isPublisher) {
    soapFault(ctx, 405, SUBSCRIBER, op, '405');
    return;
  }
  const ok = (ret: string): void =>
    soap(ctx, 200, `<ns:${op}Response xmlns:ns="${ns}"><return>${ret}</return></ns:${op}Response>`);
  const w = ctx.world;
  let res: OpResult;
  switch (op) {
    case 'getSmartLicenseStatus': {
      const d = licenseDetails(w, c);
      ok(toXml('LicenseDetails', d.LicenseDetails));
      return;
    }
    case 'doSmartLicenseRegister': {
      const force = (element(xml, 'force') ?? 'false').toLowerCase() === 'true';
      res = register(w, c, element(xml, 'token'), force);
      break;
    }
    case 'doSmartLicenseDeregister':
    case 'doSmartLicenseDeRegister':
      res = c.registration
        ? (w.deregister(c), { ok: true, message: 'Product deregistered successfully.' })
        : { ok: false, http: 405, code: 'NOT_REGISTERED', message: 'Product is not registered.' };
      break;
    case 'doSmartLicenseRenewAuthorization':
    case 'doSmartLicenseRenewAuth':
      res = renewal(w.renewAuthorization(c), 'Authorization');
      break;
    case 'doSmartLicenseRenewRegistration':
    case 'doSmartLicenseRenewId':
      res = renewal(w.renewRegistration(c), 'Registration');
      break;
    case 'updateSmartLicenseTransport':
      res = setTransport(w, c, {
        mode: element(xml, 'mode'),
        url: element(xml, 'url'),
        proxyHost: element(xml, 'proxyHost'),
        proxyPort: element(xml, 'proxyPort'),
      });
      break;
    case 'updateSmartLicenseMode':
      res = setMode(w, c, element(xml, 'mode'));
      break;
    default:
      res = { ok: false, http: 500, code: 'UNKNOWN', message: op };
  }
  if (res.ok) ok(esc(res.message));
  else soapFault(ctx, res.http, res.message, op, res.code);
}

// ---- CUC vmrest --------------------------------------------------------------------------------

function cupiError(ctx: Ctx, http: number, code: string, message: string): void {
  json(ctx, http, { ErrorDetails: { errors: { code, message } } });
}

function vmrest(ctx: Ctx, c: Cluster, isPublisher: boolean, rest: string[]): void {
  if (plm(c) || rest[0] !== 'smartlicense' || rest.length !== 2) {
    cupiError(ctx, 404, 'NOT_FOUND', `Resource not found: ${ctx.path}`);
    return;
  }
  if (!isPublisher) {
    cupiError(ctx, 405, 'NOT_ALLOWED', SUBSCRIBER);
    return;
  }
  const w = ctx.world;
  const action = rest[1]!;
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
  const m = ctx.method;
  let res: OpResult | undefined;
  if (action === 'licensedetails' && m === 'GET') {
    json(ctx, 200, licenseDetails(w, c));
    return;
  }
  const write = m === 'PUT' || m === 'POST';
  if (write && action === 'register')
    res = register(w, c, str('token'), str('force')?.toLowerCase() === 'true');
  else if (write && action === 'deregister')
    res = c.registration
      ? (w.deregister(c), { ok: true, message: 'Product deregistered successfully.' })
      : { ok: false, http: 405, code: 'NOT_REGISTERED', message: 'Product is not registered.' };
  else if (write && action === 'renewauth') res = renewal(w.renewAuthorization(c), 'Authorization');
  else if (write && action === 'renewregistration')
    res = renewal(w.renewRegistration(c), 'Registration');
  else if (write && action === 'transport')
    res = setTransport(w, c, {
      mode: str('mode'),
      url: str('url'),
      proxyHost: str('proxyHost'),
      proxyPort: str('proxyPort'),
    });
  else if (write && action === 'mode') res = setMode(w, c, str('mode'));
  if (!res) {
    cupiError(ctx, 405, 'METHOD_NOT_ALLOWED', `${m} is not allowed on ${ctx.path}`);
    return;
  }
  if (res.ok) json(ctx, 200, { status: 'SUCCESS', message: res.message });
  else cupiError(ctx, res.http, res.code, res.message);
}

// ---- CER form -----------------------------------------------------------------------------------

function page(
  ctx: Ctx,
  http: number,
  cls: 'success' | 'error',
  code: string,
  message: string,
  extra = '',
): void {
  send(
    ctx,
    http,
    `<!DOCTYPE html><html><head><title>Cisco Emergency Responder - Smart Licensing</title></head><body><div id="status" class="${cls}" data-code="${esc(code)}">${esc(message)}</div>${extra}</body></html>`,
    'text/html;charset=UTF-8',
  );
}

function cer(ctx: Ctx, c: Cluster, isPublisher: boolean, rest: string[]): void {
  if (plm(c) || rest.join('/') !== 'smartlicense') {
    page(ctx, 404, 'error', 'NOT_FOUND', 'The requested page was not found.');
    return;
  }
  if (!isPublisher) {
    page(ctx, 405, 'error', 'NOT_ALLOWED', SUBSCRIBER);
    return;
  }
  const w = ctx.world;
  if (ctx.method === 'GET') {
    const d = licenseDetails(w, c);
    if ((ctx.req.headers.accept ?? '').includes('application/json')) {
      json(ctx, 200, d);
      return;
    }
    page(
      ctx,
      200,
      'success',
      'OK',
      d.LicenseDetails.Registration.Status,
      `<pre id="licensedetails">${esc(JSON.stringify(d, null, 2))}</pre>`,
    );
    return;
  }
  if (ctx.method !== 'POST') {
    page(ctx, 405, 'error', 'METHOD_NOT_ALLOWED', 'Use GET or POST.');
    return;
  }
  const f = formParams(ctx);
  const flag = (k: string): boolean =>
    ['true', 'on', '1', 'yes'].includes((f.get(k) ?? '').toLowerCase());
  const opt = (k: string): string | undefined => f.get(k) ?? undefined;
  let res: OpResult;
  switch (f.get('action') ?? '') {
    case 'register':
      res = register(w, c, opt('token'), flag('force'));
      break;
    case 'deregister':
      res = c.registration
        ? (w.deregister(c), { ok: true, message: 'Product deregistered successfully.' })
        : { ok: false, http: 405, code: 'NOT_REGISTERED', message: 'Product is not registered.' };
      break;
    case 'renewAuthorization':
      res = renewal(w.renewAuthorization(c), 'Authorization');
      break;
    case 'renewRegistration':
      res = renewal(w.renewRegistration(c), 'Registration');
      break;
    case 'transport':
      res = setTransport(w, c, {
        mode: opt('transportMode'),
        url: opt('url'),
        proxyHost: opt('proxyHost'),
        proxyPort: opt('proxyPort'),
      });
      break;
    case 'mode':
      res = setMode(w, c, opt('licenseMode'));
      break;
    default:
      res = {
        ok: false,
        http: 400,
        code: 'INVALID_PARAMETER',
        message: 'INVALID_PARAMETER: unknown action.',
      };
  }
  if (res.ok) page(ctx, 200, 'success', 'SUCCESS', res.message);
  else page(ctx, res.http, 'error', res.code, res.message);
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
  if (ctx.req.headers.authorization !== c.credentials.basic) {
    send(ctx, 401, 'Unauthorized', 'text/plain', {
      'www-authenticate': `Basic realm="${c.type} ${node.name}"`,
    });
    return;
  }
  const isPublisher = node.role === 'publisher';
  const app = rest[0];
  if (app === 'axl' && c.type === 'CUCM') return axl(ctx, c, isPublisher);
  if (app === 'vmrest' && c.type === 'CUC') return vmrest(ctx, c, isPublisher, rest.slice(1));
  if (app === 'ceradmin' && c.type === 'CER') return cer(ctx, c, isPublisher, rest.slice(1));
  send(ctx, 404, `Not found: ${ctx.path}`, 'text/plain');
}
