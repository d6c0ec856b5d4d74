/**
 * Maps UC application answers (AXL SOAP faults, vmrest JSON, CER form answers) to
 * SmartlicErrors with Cisco's codes (DOMAIN §7) where one fits:
 *
 *   CAA1048  invalid or expired registration token (400 INVALID_PARAMETER)
 *   CAA1049  the node is a subscriber (405)
 *   CAA1081  registration failed; details.reason 'already-registered' for 405 without force
 *   CAA1082  deregistration failed
 *   CAA1041  transport change refused;  CAA1040  invalid proxy details
 *   SLMCT1006  the release has no smart licensing API (11.x and earlier: PLM)
 *
 * and smartlic's own UC codes otherwise (Cisco has none for these):
 *
 *   UC1005 / UC1006 / UC1007 / UC1008  connection refused / unknown host / timeout / no route
 *   UC1011  the publisher refused the application user (HTTP 401/403)
 *   UC1020  the application answered with an error, or in a shape we do not know
 *
 * details.reason says more: 'already-registered', 'not-registered', 'invalid-token', …
 */
import { SmartlicError } from '../errors.ts';
import type { NetworkErrorCodes } from '../cssm/http.ts';

export const UC_NETWORK_CODES: NetworkErrorCodes = {
  refused: 'UC1005',
  reset: 'UC1005',
  tls: 'UC1005',
  other: 'UC1005',
  'unknown-host': 'UC1006',
  'dns-temporary': 'UC1006',
  timeout: 'UC1007',
  'no-route': 'UC1008',
  proxy: 'CAA1040',
};

export type UcApp = 'CUCM' | 'CUC' | 'CER';

export type UcOperation =
  | 'login'
  | 'register'
  | 'reRegister'
  | 'deregister'
  | 'renewAuthorization'
  | 'renewRegistration'
  | 'getTransport'
  | 'setTransport'
  | 'getStatus';

export const APP_NAME: Record<UcApp, string> = {
  CUCM: 'Unified CM',
  CUC: 'Unity Connection',
  CER: 'Emergency Responder',
};

const OP_TEXT: Record<UcOperation, string> = {
  login: 'let smartlic sign in to its administration pages',
  register: 'register with a token',
  reRegister: 're-register with a new token',
  deregister: 'deregister',
  renewAuthorization: 'renew its authorization',
  renewRegistration: 'renew its registration',
  getTransport: 'report its transport settings',
  setTransport: 'change its transport settings',
  getStatus: 'report its smart license status',
};

export const UC_ACTION = {
  token: 'Sync with CSSM to refresh tokens, then retry.',
  subscriber: "Use the cluster's publisher address; only the publisher registers for the cluster.",
  force: 'Retry with force.',
  credentials:
    "Check the cluster's application user name and password (it needs AXL / REST API access).",
  transport: 'Unassign (deregister) the cluster first, then change the transport settings.',
  proxy: 'Check the proxy host and port set for the cluster.',
  generic:
    "Check the application's smart licensing page and its logs, then retry; the publisher's message is in the details.",
  network: 'Check the network path from smartlic to the publisher, and the publisher URL.',
  version:
    'Smart licensing needs release 12.x or later; upgrade the cluster (11.x and earlier stay on PLM).',
  notRegistered: 'The product is not registered; register it first (or sync to refresh its state).',
} as const;

export interface UcErrorContext {
  app: UcApp;
  op: UcOperation;
  /** Publisher host[:port]. */
  host: string;
  requestId?: string;
}

const BAD_TOKEN =
  /INVALID_PARAMETER|invalid[^.]*token|token[^.]*(invalid|expired|not valid|not found|revoked)|expired token/i;
const SUBSCRIBER = /subscriber|not (the |a )?publisher|only (on )?the publisher/i;
const ALREADY = /already registered/i;
const PROXY = /proxy/i;
const UNSUPPORTED =
  /not supported in this release|unsupported (AXL )?(schema )?version|Prime License Manager|\bPLM\b|Operation not found|EPR\) for the Operation/i;
const NOT_REGISTERED = /\bnot registered\b|\bunregistered\b/i;

/** The error for an answer that is not a success. `message` is the application's own text. */
export function ucAnswerError(
  status: number,
  message: string | undefined,
  ctx: UcErrorContext,
): SmartlicError {
  const app = APP_NAME[ctx.app];
  const said = message ? ` (${app} said: "${message}")` : '';
  const base = `${app} at ${ctx.host} refused to ${OP_TEXT[ctx.op]}`;
  const details = {
    app: ctx.app,
    op: ctx.op,
    status,
    host: ctx.host,
    ...(message ? { ucMessage: message } : {}),
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
  };
  const err = (code: string, msg: string, action: string, reason: string) =>
    new SmartlicError({ code, message: msg, action, details: { ...details, reason } });

  if (status === 401 || status === 403) {
    return err(
      'UC1011',
      `${app} at ${ctx.host} did not accept smartlic's application user (HTTP ${status}).`,
      UC_ACTION.credentials,
      'bad-credentials',
    );
  }
  const text = message ?? '';
  if (UNSUPPORTED.test(text)) {
    return err(
      'SLMCT1006',
      `${app} at ${ctx.host} does not offer the smart licensing API (release 11.x or earlier licenses through PLM, or the operation is unknown to this release)${said}.`,
      UC_ACTION.version,
      'unsupported-version',
    );
  }
  const notRegistered = NOT_REGISTERED.test(text);
  if (SUBSCRIBER.test(text)) {
    return err(
      'CAA1049',
      `${app} at ${ctx.host} is a subscriber node; only the publisher handles smart licensing for the cluster${said}.`,
      UC_ACTION.subscriber,
      'subscriber',
    );
  }
  if (ctx.op === 'register' || ctx.op === 'reRegister') {
    if (ALREADY.test(text)) {
      return err(
        'CAA1081',
        `${app} at ${ctx.host} is already registered, and the request did not say "force"${said}.`,
        UC_ACTION.force,
        'already-registered',
      );
    }
    if (BAD_TOKEN.test(text) || status === 400) {
      return err(
        'CAA1048',
        `${app} at ${ctx.host} rejected the registration token as invalid or expired${said}.`,
        UC_ACTION.token,
        'invalid-token',
      );
    }
    if (status === 405) {
      return err(
        'CAA1049',
        `${app} at ${ctx.host} does not accept registration here (HTTP 405; a subscriber node?)${said}.`,
        UC_ACTION.subscriber,
        'subscriber',
      );
    }
    return err('CAA1081', `${base}${said}.`, UC_ACTION.generic, 'register-failed');
  }
  if (ctx.op === 'deregister') {
    return notRegistered
      ? err(
          'CAA1082',
          `${base}: it is not registered${said}.`,
          UC_ACTION.notRegistered,
          'not-registered',
        )
      : err('CAA1082', `${base}${said}.`, UC_ACTION.generic, 'deregister-failed');
  }
  if (notRegistered && (ctx.op === 'renewAuthorization' || ctx.op === 'renewRegistration')) {
    return err(
      'UC1020',
      `${base}: it is not registered${said}.`,
      UC_ACTION.notRegistered,
      'not-registered',
    );
  }
  // AXL answers every fault with HTTP 500, so the words decide there.
  if (ctx.op === 'setTransport' && (status < 500 || /transport|registered|proxy/i.test(text))) {
    if (PROXY.test(text) && /invalid|unreachable|not valid|bad/i.test(text)) {
      return err(
        'CAA1040',
        `${base}: invalid proxy details${said}.`,
        UC_ACTION.proxy,
        'invalid-proxy',
      );
    }
    return err('CAA1041', `${base}${said}.`, UC_ACTION.transport, 'transport-refused');
  }
  return err(
    'UC1020',
    `${base} (HTTP ${status})${said}.`,
    UC_ACTION.generic,
    status >= 500 ? 'server-error' : 'request-error',
  );
}

/** An error for an answer in a shape we cannot read. */
export function ucShapeError(ctx: UcErrorContext, what: string, cause?: unknown): SmartlicError {
  return new SmartlicError({
    code: 'UC1020',
    message: `${APP_NAME[ctx.app]} at ${ctx.host} answered "${OP_TEXT[ctx.op]}" in an unexpected shape: ${what}.`,
    action: UC_ACTION.generic,
    cause,
    details: {
      app: ctx.app,
      op: ctx.op,
      host: ctx.host,
      reason: 'unexpected-shape',
      ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    },
  });
}

/**
 * Re-codes a network failure from the shared HTTP client (CSSM codes by default) to the UC
 * codes, so a job entry does not blame CSSM for an unreachable publisher.
 */
export function toUcNetworkError(e: unknown, ctx: UcErrorContext): unknown {
  if (!(e instanceof SmartlicError)) return e;
  const kind = e.details?.kind;
  if (typeof kind !== 'string' || !(kind in UC_NETWORK_CODES)) return e;
  const code = UC_NETWORK_CODES[kind as keyof NetworkErrorCodes];
  if (code === e.code) return e;
  return new SmartlicError({
    code,
    message: e.message,
    action: kind === 'proxy' ? UC_ACTION.proxy : UC_ACTION.network,
    cause: e.cause ?? e,
    details: { ...e.details, app: ctx.app, op: ctx.op },
  });
}
