/**
 * The one redaction rule of smartlic. Every text that is stored or printed and may hold what a
 * remote side answered (log lines, job status, the account's last sync error, audit details,
 * error messages, config output, chat replies) goes through it:
 * - the secrets this process knows (client secrets, OAuth access tokens, registration tokens,
 *   proxy and cluster passwords: registered where they are decrypted or received) are
 *   replaced wherever they appear, also URL- or JSON-encoded;
 * - credential-looking patterns are replaced whoever's they are: `Bearer …` / `Basic …`,
 *   `client_secret=…`, `"password": "…"`, URL user info (`scheme://user:pass@`), JWTs;
 * - in structured values, fields whose name looks secret (`secret`, `password`, `token`, …)
 *   are replaced whole.
 */

export const REDACTED = '[redacted]';

/** Shorter values are not registered: replacing them everywhere would mangle ordinary text. */
const MIN_SECRET_LENGTH = 6;

const known = new Set<string>();
/** Known secrets (and their encoded forms), longest first, rebuilt when one is added. */
let ordered: string[] = [];

function addForm(v: string): boolean {
  if (v.length < MIN_SECRET_LENGTH || known.has(v)) return false;
  known.add(v);
  return true;
}

/** Makes `value` a known secret of this process (no-op for empty or short values). */
export function registerSecret(value: string | null | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH) return;
  let added = addForm(value);
  added = addForm(encodeURIComponent(value)) || added;
  added = addForm(new URLSearchParams({ v: value }).toString().slice(2)) || added;
  added = addForm(JSON.stringify(value).slice(1, -1)) || added;
  if (added) ordered = [...known].sort((a, b) => b.length - a.length);
}

/** For tests: forget every known secret. */
export function forgetSecrets(): void {
  known.clear();
  ordered = [];
}

/** Names that are credentials in any phrasing. */
const STRONG_NAME =
  '(?:client[_-]?secret|password|passwd|access[_-]?token|refresh[_-]?token|id[_-]?token|api[_-]?key|apikey)';
/** Names that also occur in plain prose ("secret", "token"): only `name=value` counts. */
const WEAK_NAME = '(?:secret|token|pwd|key)';
const SECRET_NAME = `(?:${STRONG_NAME}|${WEAK_NAME})`;
const VALUE = `(?!\\[redacted\\])(?!["'])[^\\s&"',;}]+`;
const PATTERNS: [RegExp, string][] = [
  // Authorization header values.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`],
  // name=value (forms, query strings) and, for credential names, name: value.
  [new RegExp(`(\\b${SECRET_NAME}=)${VALUE}`, 'gi'), `$1${REDACTED}`],
  [new RegExp(`(\\b${STRONG_NAME}\\s*[=:]\\s*)${VALUE}`, 'gi'), `$1${REDACTED}`],
  // "key": "value" (JSON, also escaped inside a JSON string).
  [
    new RegExp(
      `(\\\\?["']${SECRET_NAME}\\\\?["']\\s*:\\s*\\\\?["'])(?!\\[redacted\\])[^"'\\\\]*`,
      'gi',
    ),
    `$1${REDACTED}`,
  ],
  // User info in URLs: keep the user, drop the password.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]+@/gi, `$1:${REDACTED}@`],
  // JSON Web Tokens.
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, REDACTED],
];

/** `text` with every known secret and credential-looking pattern replaced. */
export function redactText(text: string): string {
  let out = redactKnown(text);
  for (const [re, to] of PATTERNS) out = out.replace(re, to);
  return out;
}

function redactKnown(text: string): string {
  let out = text;
  for (const s of ordered) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** As redactText; null and undefined pass through. */
export function redactOptional<T extends string | null | undefined>(text: T): T {
  return (typeof text === 'string' ? redactText(text) : text) as T;
}

/** Field names whose values are secrets: `clientSecret`, `proxyPassword`, `accessToken`, …
 * (`tokenUrl` or `tokensRefreshed` are not). */
const SECRET_KEY = /secret|passw|passphrase|authorization|api_?key|cookie|token$/i;

/**
 * A copy of `value` with secret-named fields replaced and every string redacted; Errors
 * become `{name, message}`. Deep structures are cut at depth 8.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) {
    return { name: value.name, message: redact(value.message, depth + 1) };
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && v != null && v !== '' ? REDACTED : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

const SECRET_PARAM = /secret|password|token|authorization/i;

/** A URL as it may be shown: no user info, secret-looking query values replaced. */
export function redactUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '[unparseable url]';
  }
  u.username = '';
  u.password = '';
  for (const k of [...u.searchParams.keys()]) {
    if (SECRET_PARAM.test(k)) u.searchParams.set(k, REDACTED);
  }
  return redactKnown(u.toString());
}
