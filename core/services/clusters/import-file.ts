/**
 * The file of a bulk cluster import (`cluster import FILE`), read and checked row by row with
 * no database: CSV with a header line (RFC 4180 quoting) or JSON lines, one cluster a row.
 * Every problem is reported with its line number and what to fix, all of them at once, so an
 * operator fixes a 10,000-line file in one pass instead of one error per run.
 *
 * A password never appears in the file: its `password_ref` column names where it is, either an
 * environment variable (`env:CUCM_PW`) or a key of the secrets file given beside the import
 * (`file:globex`). A value that is not such a reference is refused without being shown: it is
 * most likely the password itself.
 */
import { isAxlSchemaVersion } from '../../uc/axl-schema.ts';
import { escapeControl } from '../../text.ts';
import { isSmartLicensingAppType, tryParseUcVersion } from '../../domain/versions.ts';
import type { ClusterType, NodeRole } from '../../store/index.ts';

/** One thing wrong with the file: where (1-based line; 0 for the file as a whole) and the fix. */
export interface ImportProblem {
  line: number;
  /** The column at fault, when one is. */
  column?: string;
  message: string;
  action: string;
}

export type PasswordRef = { env: string } | { key: string };

/** A row as the file gives it, checked on its own (no database). */
export interface ImportDraft {
  line: number;
  customer: string;
  name: string;
  type: ClusterType;
  version: string;
  publisherAddress: string;
  publisherHostname?: string;
  axlSchemaVersion?: string;
  adminUsername: string;
  password: PasswordRef;
  /** `<domain>/<va>` (a local account's key for a satellite); absent: stays unassigned. */
  va?: string;
  /** Absent: what is stored is kept. */
  nodes?: { hostname: string; address: null; role: NodeRole }[];
}

export type ImportFormat = 'csv' | 'jsonl';

/** The columns, in the order the documentation and a template list them. */
export const IMPORT_COLUMNS = [
  'customer',
  'cluster',
  'type',
  'version',
  'publisher',
  'admin_user',
  'password_ref',
  'va',
  'smart_account',
  'virtual_account',
  'publisher_hostname',
  'axl_schema',
  'nodes',
] as const;
type Column = (typeof IMPORT_COLUMNS)[number];

const REQUIRED: readonly Column[] = [
  'customer',
  'cluster',
  'type',
  'version',
  'publisher',
  'admin_user',
  'password_ref',
];

/** Other spellings a header may use for a column (compared lower-case, `-`/space as `_`). */
const ALIASES: Record<string, Column> = {
  name: 'cluster',
  cluster_name: 'cluster',
  customer_name: 'customer',
  publisher_address: 'publisher',
  admin_username: 'admin_user',
  admin: 'admin_user',
  password: 'password_ref',
  virtual_account_ref: 'va',
  sa: 'smart_account',
  domain: 'smart_account',
  axl_schema_version: 'axl_schema',
};

const MAX_NAME_LENGTH = 128;
const HOSTNAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const KEY_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** The format a file name says (`.csv`, `.jsonl`/`.ndjson`), else the first character's. */
export function detectFormat(fileName: string, text: string): ImportFormat {
  if (/\.csv$/i.test(fileName)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(fileName)) return 'jsonl';
  return text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

/**
 * RFC 4180 records with the line each starts on; a quoted field may hold commas, doubled
 * quotes and newlines. Blank lines and lines starting with `#` (outside quotes) are skipped.
 */
export function csvRecords(text: string): { line: number; fields: string[] }[] | ImportProblem {
  const out: { line: number; fields: string[] }[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a BOM, as spreadsheets write
  let line = 1;
  while (i < text.length) {
    const start = line;
    if (text[i] === '#' || text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
      line++;
      continue;
    }
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) {
            return {
              line: start,
              message: 'a quoted field is never closed',
              action: 'close the field with " (a quote inside a field is written "")',
            };
          }
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        // After the closing quote only a separator or the end of the record may come.
        if (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          return {
            line,
            message: 'text after a closing quote',
            action: 'quote the whole field, and write a quote inside it as ""',
          };
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          field += text[i];
          i++;
        }
      }
      fields.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    out.push({ line: start, fields });
  }
  return out;
}

function columnOf(header: string): Column | undefined {
  const h = header
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if ((IMPORT_COLUMNS as readonly string[]).includes(h)) return h as Column;
  return ALIASES[h];
}

/** Parses and checks a whole file; `problems` empty means every row is good on its own. */
export function parseImportFile(
  text: string,
  format: ImportFormat,
): { drafts: ImportDraft[]; problems: ImportProblem[] } {
  const raw = format === 'csv' ? csvRows(text) : jsonlRows(text);
  if ('problems' in raw) return { drafts: [], problems: raw.problems };
  const drafts: ImportDraft[] = [];
  const problems: ImportProblem[] = [];
  const seen = new Map<string, number>();
  for (const r of raw.rows) {
    const checked = checkRow(r.line, r.values);
    if ('problems' in checked) {
      problems.push(...checked.problems);
      continue;
    }
    const key = `${checked.customer}\u0000${checked.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({
        line: r.line,
        column: 'cluster',
        message: `cluster ${checked.name} of ${checked.customer} is already on line ${first}`,
        action: 'keep one row per cluster and customer',
      });
      continue;
    }
    seen.set(key, r.line);
    drafts.push(checked);
  }
  if (raw.rows.length === 0) {
    problems.push({
      line: 0,
      message: 'the file has no cluster rows',
      action:
        format === 'csv'
          ? `write a header line (${REQUIRED.join(',')}) and one line per cluster`
          : 'write one JSON object per line, e.g. {"customer":"Globex","cluster":"globex-cucm-01",…}',
    });
  }
  return { drafts, problems };
}

type RawRow = { line: number; values: Partial<Record<Column, string>> };

function csvRows(text: string): { rows: RawRow[] } | { problems: ImportProblem[] } {
  const recs = csvRecords(text);
  if (!Array.isArray(recs)) return { problems: [recs] };
  const [head, ...body] = recs;
  if (!head) return { rows: [] };
  const columns: Column[] = [];
  const problems: ImportProblem[] = [];
  head.fields.forEach((h, i) => {
    const c = columnOf(h);
    if (!c) {
      problems.push({
        line: head.line,
        message: `unknown column "${escapeControl(h.trim())}" (column ${i + 1} of the header)`,
        action: `use the columns ${IMPORT_COLUMNS.join(', ')}`,
      });
    } else if (columns.includes(c)) {
      problems.push({
        line: head.line,
        message: `column ${c} appears twice in the header`,
        action: 'keep one',
      });
    }
    columns.push(c ?? ('' as Column));
  });
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    problems.push({
      line: head.line,
      message: `the header lacks ${missing.join(', ')}`,
      action: `the first line names the columns: at least ${REQUIRED.join(',')}`,
    });
  }
  if (problems.length > 0) return { problems };
  const rows: RawRow[] = [];
  for (const r of body) {
    if (r.fields.length !== columns.length) {
      problems.push({
        line: r.line,
        message: `${r.fields.length} fields where the header has ${columns.length}`,
        action:
          'give every column (empty between commas when it has no value); quote a field holding a comma',
      });
      continue;
    }
    const values: Partial<Record<Column, string>> = {};
    columns.forEach((c, i) => {
      values[c] = r.fields[i]!;
    });
    rows.push({ line: r.line, values });
  }
  return problems.length > 0 ? { problems } : { rows };
}

function jsonlRows(text: string): { rows: RawRow[] } | { problems: ImportProblem[] } {
  const rows: RawRow[] = [];
  const problems: ImportProblem[] = [];
  text.split('\n').forEach((l, i) => {
    const s = l.trim();
    if (s === '' || s.startsWith('#')) return;
    const line = i + 1;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch (e) {
      problems.push({
        line,
        message: `not JSON: ${(e as Error).message}`,
        action: 'write one JSON object per line',
      });
      return;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      problems.push({ line, message: 'not a JSON object', action: 'write one object per line' });
      return;
    }
    const values: Partial<Record<Column, string>> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const c = columnOf(k);
      if (!c) {
        problems.push({
          line,
          message: `unknown field "${escapeControl(k)}"`,
          action: `use the fields ${IMPORT_COLUMNS.join(', ')}`,
        });
        continue;
      }
      if (c === 'nodes' && Array.isArray(x)) {
        const text = (u: unknown, dflt: string) => (typeof u === 'string' ? u : dflt);
        values.nodes = x
          .map((n: unknown) => {
            if (typeof n === 'string') return n;
            const o = (n ?? {}) as Record<string, unknown>;
            // An object that is not {hostname, role} gives an empty host: refused below.
            return `${text(o.hostname ?? o.name, '')}:${text(o.role, 'subscriber')}`;
          })
          .join(';');
      } else if (typeof x === 'string' || typeof x === 'number') {
        values[c] = String(x);
      } else if (x !== null && x !== undefined) {
        problems.push({
          line,
          column: c,
          message: `${c} must be text`,
          action: `give ${c} as a JSON string`,
        });
      }
    }
    rows.push({ line, values });
  });
  return problems.length > 0 ? { problems } : { rows };
}

/** One row's own rules: the same as `cluster add` and `cluster assign` check before any I/O. */
function checkRow(
  line: number,
  v: Partial<Record<Column, string>>,
): ImportDraft | { problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const bad = (column: Column, message: string, action: string) =>
    problems.push({ line, column, message, action });
  const get = (c: Column) => (v[c] ?? '').trim();
  const name = (c: Column, what: string): string => {
    const s = get(c);
    if (s === '') {
      if (REQUIRED.includes(c)) bad(c, `the ${what} is empty`, `give the ${what} in ${c}`);
    } else if (s.length > MAX_NAME_LENGTH) {
      bad(
        c,
        `the ${what} is ${s.length} characters long; at most ${MAX_NAME_LENGTH} are accepted`,
        `use a shorter ${what}`,
      );
    } else if (escapeControl(s) !== s) {
      bad(
        c,
        `the ${what} "${escapeControl(s)}" holds control characters`,
        'use printable characters only',
      );
    }
    return s;
  };
  const customer = name('customer', 'customer name');
  const cluster = name('cluster', 'cluster name');
  const typeText = name('type', 'application type').toUpperCase();
  const version = name('version', 'version');
  const publisher = name('publisher', 'publisher address');
  const adminUser = name('admin_user', 'admin user');

  if (typeText !== '' && !isSmartLicensingAppType(typeText)) {
    bad(
      'type',
      `SLMCT1015: unsupported application type "${escapeControl(get('type'))}": smart licensing supports CUCM, CUC and CER only`,
      'import only Unified CM (CUCM), Unity Connection (CUC) or Emergency Responder (CER) clusters',
    );
  }
  if (version !== '') {
    const parsed = tryParseUcVersion(version);
    if (!parsed.ok) {
      bad(
        'version',
        `cannot read the version "${escapeControl(version)}": ${parsed.error.message}`,
        'give the version as the application shows it, e.g. 14.0.1.13900-155 or 12.5(1)SU7',
      );
    }
  }

  let password: PasswordRef | undefined;
  const ref = get('password_ref');
  if (ref === '') {
    bad(
      'password_ref',
      "the admin password's reference is empty",
      'write env:VAR (an environment variable) or file:KEY (a key of --secrets FILE)',
    );
  } else {
    const m = /^(env|file):(.*)$/.exec(ref);
    if (m && m[1] === 'env' && ENV_NAME.test(m[2]!)) password = { env: m[2]! };
    else if (m && m[1] === 'file' && KEY_NAME.test(m[2]!)) password = { key: m[2]! };
    else {
      // Not shown: it is most likely the password itself.
      bad(
        'password_ref',
        'password_ref is not a reference (its value is not shown, in case it is the password itself)',
        'a password never goes in the file: write env:VAR (an environment variable holding it) or file:KEY (a key of --secrets FILE)',
      );
    }
  }

  const hostname = get('publisher_hostname');
  if (hostname !== '' && !HOSTNAME.test(hostname)) {
    bad(
      'publisher_hostname',
      `"${escapeControl(hostname)}" is not a host name`,
      'give the publisher host name as the product shows it, e.g. cer-pub.example.com',
    );
  }
  const axl = get('axl_schema');
  if (axl !== '') {
    if (typeText !== 'CUCM') {
      bad(
        'axl_schema',
        `an AXL schema version applies to Unified CM only, not to ${typeText || 'this type'}`,
        'leave axl_schema empty for Unity Connection and Emergency Responder',
      );
    } else if (!isAxlSchemaVersion(axl)) {
      bad(
        'axl_schema',
        `"${escapeControl(axl)}" is not an AXL schema version`,
        'give it as major.minor, e.g. 12.5, 14.0 or 15.0',
      );
    }
  }

  // The VA: `va` as <domain>/<va>, or smart_account + virtual_account.
  let va: string | undefined;
  const vaText = get('va');
  const sa = get('smart_account');
  const vaName = get('virtual_account');
  if (vaText !== '' && (sa !== '' || vaName !== '')) {
    bad(
      'va',
      'both va and smart_account/virtual_account are given',
      'name the VA once: va as <domain>/<va>, or smart_account and virtual_account',
    );
  } else if (vaText !== '') {
    const slash = vaText.indexOf('/');
    if (slash <= 0 || slash === vaText.length - 1) {
      bad(
        'va',
        `"${escapeControl(vaText)}" is not <domain>/<va>`,
        'write the smart account domain (or local account) and the VA, e.g. nimbus-hcs.example.com/va-hcs-operational',
      );
    } else va = vaText;
  } else if (sa !== '' || vaName !== '') {
    if (sa === '' || vaName === '') {
      bad(
        sa === '' ? 'smart_account' : 'virtual_account',
        'smart_account and virtual_account go together',
        'give both, or neither (the cluster then stays unassigned)',
      );
    } else va = `${sa}/${vaName}`;
  }
  if (va !== undefined && escapeControl(va) !== va) {
    bad('va', 'the VA holds control characters', 'use printable characters only');
  }

  let nodes: ImportDraft['nodes'];
  const nodesText = get('nodes');
  if (nodesText !== '') {
    nodes = [];
    for (const part of nodesText.split(/[;\s]+/).filter(Boolean)) {
      const [host = '', role = 'subscriber', ...rest] = part.split(':');
      const r = role.toLowerCase();
      if (!HOSTNAME.test(host) || rest.length > 0 || (r !== 'publisher' && r !== 'subscriber')) {
        bad(
          'nodes',
          `"${escapeControl(part)}" is not host[:publisher|subscriber]`,
          'list the nodes as host:role separated by ";", e.g. pub.example.com:publisher;sub1.example.com',
        );
        continue;
      }
      nodes.push({ hostname: host, address: null, role: r });
    }
    if (nodes.filter((n) => n.role === 'publisher').length > 1) {
      bad('nodes', 'more than one publisher node', 'a cluster has one publisher');
    }
  }

  if (problems.length > 0 || !password) return { problems };
  return {
    line,
    customer,
    name: cluster,
    type: typeText as ClusterType,
    version,
    publisherAddress: publisher,
    adminUsername: adminUser,
    password,
    ...(hostname !== '' ? { publisherHostname: hostname } : {}),
    ...(axl !== '' ? { axlSchemaVersion: axl } : {}),
    ...(va !== undefined ? { va } : {}),
    ...(nodes !== undefined ? { nodes } : {}),
  };
}

/**
 * A secrets file: `KEY=value` lines (blank lines and `#` comments skipped), the value taken
 * as is to the end of the line. Problems never show a value.
 */
export function parseSecretsFile(text: string): {
  secrets: Map<string, string>;
  problems: ImportProblem[];
} {
  const secrets = new Map<string, string>();
  const problems: ImportProblem[] = [];
  text.split('\n').forEach((l, i) => {
    const s = l.replace(/\r$/, '');
    if (s.trim() === '' || s.trimStart().startsWith('#')) return;
    const eq = s.indexOf('=');
    const key = eq < 0 ? '' : s.slice(0, eq).trim();
    if (eq < 0 || !KEY_NAME.test(key)) {
      problems.push({
        line: i + 1,
        message: 'a line of the secrets file is not KEY=value (the line is not shown)',
        action: 'write one KEY=value a line; KEY is letters, digits, _ . -',
      });
      return;
    }
    if (secrets.has(key)) {
      problems.push({
        line: i + 1,
        message: `key ${key} is given twice in the secrets file`,
        action: 'keep one',
      });
      return;
    }
    secrets.set(key, s.slice(eq + 1));
  });
  return { secrets, problems };
}
