/**
 * Maps CSSM answers to SmartlicErrors with Cisco's codes (DOMAIN §7) and a recommended action.
 * Pure: takes a status and a parsed body, so every branch is unit-tested.
 */
import type { z } from 'zod';
import { SmartlicError } from '../errors.ts';

export const ACTION = {
  network: 'Check the transport mode (Direct/Proxy/Satellite) and the network path to CSSM.',
  credentials: 'Reconfigure the client id and secret, then sync.',
  apiNotEntitled:
    'Request API access for this client id in the Cisco API console (or wait until Cisco approves the request), then sync.',
  noAccess:
    'Check the Smart Account domain and that the client id has access to this Smart Account, then sync.',
  unknownAccount: 'Check the Smart Account domain (or local account name) and provision it again.',
  cssmError: 'Retry later; if it persists, check the CSSM status page or open a case with Cisco.',
  rateLimited: 'CSSM is limiting our request rate; retry later or lower the sync concurrency.',
  unexpectedShape:
    'CSSM answered in a shape smartlic does not know; retry later, and report it if it persists.',
} as const;

/** The message of a CSSM error body: `message` → `statusMessage` → `error_description` → `error`. */
export function readCssmMessage(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  for (const k of ['message', 'statusMessage', 'error_description', 'error']) {
    const v = b[k];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  return undefined;
}

/** JSON.parse that answers undefined instead of throwing. */
export function tryParseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export interface CssmErrorContext {
  /** Operation, for the message ("list virtual accounts"). */
  op: string;
  /** SA domain or local account name the call was about. */
  account?: string;
  /** CSSM's X-Request-Id (or ours) to quote to Cisco. */
  requestId?: string;
  /** Who answered: "CSSM" or "the CSSM On-Prem satellite". */
  peer?: string;
}

const INVALID_CLIENT = /invalid[\s_-]?client/i;
const UNKNOWN_ACCOUNT =
  /(smart account|(?<!virtual )account|domain).{0,80}?\b(not found|does not exist|doesn't exist|not exist|unknown|invalid)\b|\bno such (smart )?account\b/i;
/** A 404 about something other than the account itself (a VA, a token, a device, a path). */
const OTHER_NOT_FOUND =
  /virtual account|token|device|product instance|license|no such resource|not found: (GET|POST|PUT|DELETE)/i;
const NO_ACCESS =
  /(not authori[sz]ed|no access|does not have access|access denied|forbidden|permission)/i;

/**
 * The error for a CSSM answer that is not a success: an HTTP status ≥ 400, or a 2xx whose
 * body says `status: "ERROR"` (pass status 200 then).
 */
export function cssmAnswerError(
  status: number,
  body: unknown,
  ctx: CssmErrorContext,
): SmartlicError {
  const peer = ctx.peer ?? 'CSSM';
  const cssmMessage = readCssmMessage(body);
  const quoted = cssmMessage ? ` (${peer} said: "${cssmMessage}")` : '';
  const about = ctx.account ? ` for ${ctx.account}` : '';
  const details = {
    status,
    op: ctx.op,
    ...(ctx.account ? { account: ctx.account } : {}),
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    ...(cssmMessage ? { cssmMessage } : {}),
  };
  const err = (
    code: string,
    message: string,
    action: string,
    extra: Record<string, unknown> = {},
  ) => new SmartlicError({ code, message, action, details: { ...details, ...extra } });

  const errorField =
    body && typeof body === 'object' ? (body as Record<string, unknown>).error : undefined;
  if (status === 401 || (status === 400 && errorField === 'invalid_client')) {
    return err(
      'CSSM1011',
      `${peer} did not accept the client id and secret${quoted}.`,
      ACTION.credentials,
      { reason: 'bad-credentials' },
    );
  }
  if (status === 403) {
    if (cssmMessage && INVALID_CLIENT.test(cssmMessage)) {
      return err(
        'CSSM1015',
        `The client id is valid, but Cisco has not approved its access to the Smart Licensing API yet, so ${peer} refuses every call (${ctx.op}).`,
        ACTION.apiNotEntitled,
        { reason: 'api-not-entitled' },
      );
    }
    return err(
      'CSSM1015',
      `The client id has no access to the Smart Account${about}, or the domain is wrong${quoted}.`,
      ACTION.noAccess,
      { reason: 'no-access' },
    );
  }
  const otherThing = cssmMessage !== undefined && OTHER_NOT_FOUND.test(cssmMessage);
  if (
    (status === 404 && !otherThing) ||
    (cssmMessage && !otherThing && UNKNOWN_ACCOUNT.test(cssmMessage) && status < 500)
  ) {
    return err(
      'CSSM1019',
      `The Smart Account${about} does not exist in ${peer}${quoted}.`,
      ACTION.unknownAccount,
      { reason: 'unknown-account' },
    );
  }
  if (cssmMessage && NO_ACCESS.test(cssmMessage) && status < 500) {
    return err(
      'CSSM1015',
      `The client id has no access to the Smart Account${about}${quoted}.`,
      ACTION.noAccess,
      { reason: 'no-access' },
    );
  }
  if (status === 404) {
    return err(
      'CSSM1020',
      `${peer} could not find what ${ctx.op}${about} asked for${quoted}.`,
      'Sync to refresh the accounts, virtual accounts and tokens smartlic knows, then retry.',
      { reason: 'not-found' },
    );
  }
  if (status === 429) {
    return err(
      'CSSM1020',
      `${peer} kept answering "too many requests" to ${ctx.op}${about}.`,
      ACTION.rateLimited,
      { reason: 'rate-limited' },
    );
  }
  return err(
    'CSSM1020',
    `${peer} answered ${ctx.op}${about} with an error (HTTP ${status})${quoted}.`,
    ACTION.cssmError,
    { reason: status >= 500 ? 'server-error' : 'request-error' },
  );
}

/** "a.b[0].c" from a zod issue path. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? '(root)' : out;
}

/** Parses an external payload; an unexpected shape becomes `code` naming the first bad field. */
export function parseAtEdge<S extends z.ZodTypeAny>(
  schema: S,
  data: unknown,
  ctx: { code: string; peer: string; op: string; action: string; requestId?: string },
): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data as z.output<S>;
  const issues = r.error.issues
    .slice(0, 5)
    .map((i) => ({ path: formatPath(i.path), message: i.message }));
  const first = issues[0] ?? { path: '(root)', message: 'invalid' };
  throw new SmartlicError({
    code: ctx.code,
    message: `${ctx.peer} answered ${ctx.op} in an unexpected shape: field \`${first.path}\`: ${first.message}.`,
    action: ctx.action,
    details: {
      op: ctx.op,
      field: first.path,
      issues,
      ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    },
  });
}
