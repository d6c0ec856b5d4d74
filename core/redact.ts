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

/*
 * Known secrets are found in one pass over the text, whatever their number. Every form is at
 * least MIN_SECRET_LENGTH long, so a secret can only start where the next MIN_SECRET_LENGTH
 * characters are the first characters of some known form. A rolling hash of that window is
 * looked up in a set of numbers (no allocation per position); only on a hit is the window cut
 * out and its bucket read: the distinct lengths of the forms that begin with it, longest first.
 * Registering is O(length of the secret): no sort of everything known, no matcher to rebuild.
 * (The old rule re-sorted every known secret on each insert and tested every one of them on
 * each redaction: 10,000 registration tokens took seconds to register and made every log line
 * cost 40,000 substring searches.)
 */
const WINDOW = MIN_SECRET_LENGTH;
const BASE = 31;
/** BASE^(WINDOW-1) mod 2^32, to drop the character that leaves the window. */
const BASE_TOP = (() => {
  let p = 1;
  for (let i = 1; i < WINDOW; i++) p = Math.imul(p, BASE);
  return p;
})();

/** Every known form (a secret and its encodings). */
const known = new Set<string>();
/** Hashes of the first WINDOW characters of every known form. */
const startHashes = new Set<number>();
/** First WINDOW characters → the lengths of the known forms that start so, longest first. */
const buckets = new Map<string, number[]>();

function windowHash(s: string, at: number): number {
  let h = 0;
  for (let i = at; i < at + WINDOW; i++) h = (Math.imul(h, BASE) + s.charCodeAt(i)) | 0;
  return h;
}

function addForm(v: string): void {
  if (v.length < MIN_SECRET_LENGTH || known.has(v)) return;
  known.add(v);
  startHashes.add(windowHash(v, 0));
  const head = v.slice(0, WINDOW);
  const lengths = buckets.get(head);
  if (!lengths) buckets.set(head, [v.length]);
  else if (!lengths.includes(v.length)) {
    // Few distinct lengths share a head (tokens have one length): a small sorted insert.
    let i = 0;
    while (i < lengths.length && (lengths[i] ?? 0) > v.length) i++;
    lengths.splice(i, 0, v.length);
  }
}

/** Makes `value` a known secret of this process (no-op for empty or short values). */
export function registerSecret(value: string | null | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH || known.has(value)) return;
  addForm(value);
  addForm(encodeURIComponent(value));
  addForm(new URLSearchParams({ v: value }).toString().slice(2));
  addForm(JSON.stringify(value).slice(1, -1));
}

/** How many forms (a secret and its encodings) are known; for tests and benchmarks. */
export function knownSecretForms(): number {
  return known.size;
}

/** For tests: forget every known secret. */
export function forgetSecrets(): void {
  known.clear();
  startHashes.clear();
  buckets.clear();
}

/** The length of the longest known form that starts at `at` in `text`, or 0. */
function longestAt(text: string, at: number): number {
  const lengths = buckets.get(text.slice(at, at + WINDOW));
  if (!lengths) return 0;
  for (const len of lengths) {
    if (at + len <= text.length && known.has(text.slice(at, at + len))) return len;
  }
  return 0;
}

/**
 * `text` with every known form replaced. Where forms overlap, the whole stretch they cover
 * becomes one REDACTED, so no part of either is left in clear.
 */
function redactKnown(text: string): string {
  const n = text.length;
  if (known.size === 0 || n < WINDOW) return text;
  let out = '';
  let copied = 0; // text before this index is in `out`
  let coverStart = -1;
  let coverEnd = -1; // the stretch [coverStart, coverEnd) is covered by known forms
  let h = windowHash(text, 0);
  for (let i = 0; i + WINDOW <= n; i++) {
    if (i > 0) {
      const leaving = Math.imul(text.charCodeAt(i - 1), BASE_TOP);
      h = (Math.imul((h - leaving) | 0, BASE) + text.charCodeAt(i + WINDOW - 1)) | 0;
    }
    if (!startHashes.has(h)) continue;
    const len = longestAt(text, i);
    if (len === 0) continue;
    if (i < coverEnd) {
      coverEnd = Math.max(coverEnd, i + len);
    } else {
      if (coverEnd > 0) {
        out += text.slice(copied, coverStart) + REDACTED;
        copied = coverEnd;
      }
      coverStart = i;
      coverEnd = i + len;
    }
  }
  if (coverEnd < 0) return text;
  return out + text.slice(copied, coverStart) + REDACTED + text.slice(coverEnd);
}

/** Names that are credentials in any phrasing. */
const STRONG_NAME =
  '(?:client[_-]?secret|password|passwd|access[_-]?token|refresh[_-]?token|id[_-]?token|api[_-]?key|apikey)';
/** Names that also occur in plain prose ("secret", "token"): only `name=value` counts. */
const WEAK_NAME = '(?:secret|token|pwd|key)';
const SECRET_NAME = `(?:${STRONG_NAME}|${WEAK_NAME})`;
const VALUE = `(?!\\[redacted\\])(?!["'])[^\\s&"',;}]+`;
const PATTERNS: [RegExp, string][] = [
  // Authorization header values (Basic: see basicCredential, license names say "Basic" too).
  [/\bBearer\s+[A-Za-z0-9._~+/=-]+/g, `Bearer ${REDACTED}`],
  [/(\bauthorization["']?\s*[:=]\s*["']?Basic\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`],
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

/**
 * `Basic <base64 of user:password>` wherever it stands. A license line says "Basic" too ("HCS
 * Unity Connection Basic available"), so a word after it counts only when it is base64 that
 * decodes to `user:password`.
 */
function basicCredential(word: string): boolean {
  if (word.length < 4 || word.length % 4 !== 0) return false;
  const decoded = Buffer.from(word, 'base64').toString('latin1');
  if (!decoded.includes(':')) return false;
  for (let i = 0; i < decoded.length; i++) {
    const c = decoded.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

/** `text` with every known secret and credential-looking pattern replaced. */
export function redactText(text: string): string {
  let out = redactKnown(text);
  for (const [re, to] of PATTERNS) out = out.replace(re, to);
  return out.replace(/\bBasic\s+([A-Za-z0-9+/]+={0,2})(?![A-Za-z0-9+/=])/g, (m, word: string) =>
    basicCredential(word) ? `Basic ${REDACTED}` : m,
  );
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
