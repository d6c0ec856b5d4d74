/**
 * Pure retry policy of the HTTP client: which answers and failures are worth another try,
 * how long to wait (exponential backoff with full jitter, or the server's Retry-After), and
 * how a network failure is classified. No I/O here, so it is unit-tested directly.
 */

/** HTTP statuses that mean "try again later" (DOMAIN §2: 429 and 502–504). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * Statuses after which a non-idempotent request (a POST that creates something) may still be
 * retried: the server says it did not process the request.
 */
export const NOT_PROCESSED_STATUSES: ReadonlySet<number> = new Set([429, 503]);

export type NetworkErrorKind =
  | 'refused'
  | 'reset'
  | 'unknown-host'
  | 'dns-temporary'
  | 'timeout'
  | 'no-route'
  | 'tls'
  /** The proxy refused the CONNECT tunnel (e.g. 403/407) or is misconfigured. */
  | 'proxy'
  | 'other';

export interface BackoffPolicy {
  /** First backoff step in ms. */
  baseMs: number;
  /** Upper bound of one backoff wait in ms. */
  maxMs: number;
  /** Lower bound of every wait, also of a `Retry-After: 0` (default 0). */
  minMs?: number;
}

/**
 * Full-jitter exponential backoff: a uniformly random wait in [0, min(max, base·2^attempt)).
 * `attempt` counts retries from 0. `random` returns [0, 1).
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/**
 * Parses a Retry-After header value (delta-seconds or an HTTP date) into a wait in ms,
 * relative to `now`. Returns undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: Date,
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const v = raw.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // An HTTP date always names a weekday or month; refuse bare numbers with signs etc.
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/**
 * The wait before retry number `attempt` (0-based): the server's Retry-After when given
 * (capped at `retryAfterCapMs`), else full-jitter backoff; never less than `minMs`, so a
 * server answering `Retry-After: 0` does not get all the retries within a second.
 */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: BackoffPolicy & { retryAfterCapMs: number },
  random: () => number = Math.random,
): number {
  const min = policy.minMs ?? 0;
  if (retryAfterMs !== undefined) {
    return Math.max(min, Math.min(retryAfterMs, policy.retryAfterCapMs));
  }
  return Math.max(min, backoffDelay(attempt, policy, random));
}

const CODE_KIND: Record<string, NetworkErrorKind> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  ENOTFOUND: 'unknown-host',
  EAI_AGAIN: 'dns-temporary',
  ETIMEDOUT: 'timeout',
  ESOCKETTIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  EHOSTUNREACH: 'no-route',
  ENETUNREACH: 'no-route',
  EHOSTDOWN: 'no-route',
  ENETDOWN: 'no-route',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls',
  CERT_HAS_EXPIRED: 'tls',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls',
  ERR_SSL_WRONG_VERSION_NUMBER: 'tls',
};

/** The error codes found on `e`, its `cause` chain and AggregateError members, outermost first. */
export function errorCodes(e: unknown, depth = 0): string[] {
  if (depth > 6 || e === null || typeof e !== 'object') return [];
  const out: string[] = [];
  const rec = e as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof rec.code === 'string') out.push(rec.code);
  if (Array.isArray(rec.errors)) for (const x of rec.errors) out.push(...errorCodes(x, depth + 1));
  if (rec.cause !== undefined) out.push(...errorCodes(rec.cause, depth + 1));
  return out;
}

function errorMessages(e: unknown, depth = 0): string[] {
  if (depth > 6 || e === null || e === undefined) return [];
  if (typeof e === 'string') return [e];
  if (typeof e !== 'object') return [];
  const rec = e as { message?: unknown; cause?: unknown; errors?: unknown };
  const out: string[] = typeof rec.message === 'string' ? [rec.message] : [];
  if (Array.isArray(rec.errors))
    for (const x of rec.errors) out.push(...errorMessages(x, depth + 1));
  if (rec.cause !== undefined) out.push(...errorMessages(rec.cause, depth + 1));
  return out;
}

/** Classifies a thrown network failure; 'other' when no known code or text is found. */
export function classifyNetworkError(e: unknown): NetworkErrorKind {
  for (const code of errorCodes(e)) {
    const kind = CODE_KIND[code];
    if (kind) return kind;
  }
  const msg = errorMessages(e).join(' | ');
  if (/Proxy response \(\d+\)|HTTP Tunneling/i.test(msg)) return 'proxy';
  if (/socket hang up|other side closed|ECONNRESET/i.test(msg)) return 'reset';
  if (/timed? ?out/i.test(msg)) return 'timeout';
  if (/certificate|ssl|tls/i.test(msg)) return 'tls';
  return 'other';
}

/** Network failures that are worth another try. */
export function isRetryableNetworkError(kind: NetworkErrorKind): boolean {
  return kind === 'refused' || kind === 'reset' || kind === 'timeout' || kind === 'dns-temporary';
}

/**
 * Network failures after which a non-idempotent request may be retried: the request never
 * reached the server (no connection was made).
 */
export function isUnsentNetworkError(kind: NetworkErrorKind): boolean {
  return kind === 'refused' || kind === 'dns-temporary';
}
