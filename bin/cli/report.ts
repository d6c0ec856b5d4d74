/** `smartlic report hlm|inventory`: the HLM report (text, CSV, Excel) and the SI summary. */
import { writeFileSync } from 'node:fs';
import * as reports from '../../core/reports/index.ts';
import { SmartlicError } from '../../core/errors.ts';
import { inputError, parseFlags, subcommandVerb } from './common.ts';
import { escapeControl } from '../../core/index.ts';
import { createOutput, renderTable } from './output.ts';
import { openRuntime } from './runtime.ts';
import type { CliContext } from './types.ts';

const USAGE = `Usage: smartlic report hlm [--va | --customer] [--format text|csv|xlsx] [--out FILE] [--wide]
       smartlic report inventory [--out FILE]

hlm        HLM report: per virtual account (--va, the default: LM Name "<VA> @ <SA>", license
           type, installed, required, available, status) or per customer (--customer:
           customer, LM Name, subscription ids, license type, count, status). csv and xlsx
           cells that would start a formula (= + - @, tab) are neutralised. xlsx needs --out.
inventory  Service Inventory license summary (|LICENSESUMMARYSTART| … |LICENSESUMMARYEND|)
--out      write to FILE instead of standard output (a text report written to a file is in full)
--wide     text on standard output: every column in full (it fits the terminal otherwise)

Examples:
  smartlic report hlm --customer --format csv --out hlm.csv
  smartlic report inventory --out si.txt`;

const HELP = 'smartlic report --help';

function write(
  ctx: CliContext,
  file: string | undefined,
  data: string | Buffer,
  what: string,
): void {
  // Text (not a workbook) shows a name's control characters escaped, on stdout or in the file.
  if (typeof data === 'string') data = escapeControl(data, { keepLines: true });
  if (!file) {
    ctx.io.stdout.write(data);
    return;
  }
  try {
    writeFileSync(file, data);
  } catch (e) {
    throw new SmartlicError({
      code: 'IO',
      message: `cannot write ${file}: ${(e as Error).message}`,
      action: 'check the path and that its directory is writable',
      cause: e,
    });
  }
  ctx.io.stderr.write(`${what} written to ${file}\n`);
}

async function hlm(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      va: { type: 'boolean' },
      customer: { type: 'boolean' },
      format: { type: 'string' },
      out: { type: 'string' },
      wide: { type: 'boolean' },
    },
    HELP,
  );
  if (positionals.length > 0)
    throw inputError(`unexpected argument "${positionals[0]}"`, `see "${HELP}"`);
  if (values.va && values.customer)
    throw inputError('give --va or --customer, not both', `see "${HELP}"`);
  const format = (values.format ?? 'text').toLowerCase();
  if (!['text', 'csv', 'xlsx'].includes(format)) {
    throw inputError(`--format must be text, csv or xlsx, not "${values.format}"`, `see "${HELP}"`);
  }
  if (format === 'xlsx' && !values.out) {
    throw inputError('an Excel workbook is binary: give --out FILE.xlsx', `see "${HELP}"`);
  }
  const rt = await openRuntime(ctx);
  try {
    const r = await reports.hlmReport(rt.db, { level: values.customer ? 'customer' : 'va' });
    if (format === 'csv') write(ctx, values.out, reports.hlmCsv(r), 'HLM report (CSV)');
    else if (format === 'xlsx')
      write(ctx, values.out, await reports.hlmXlsx(r), 'HLM report (Excel)');
    else {
      const t = reports.hlmTable(r);
      // A file gets the report in full; the terminal gets it fitted (free text shortens first).
      const o = createOutput(ctx, { wide: values.wide === true || values.out !== undefined });
      const FREE = new Set(['LM Name', 'Subscription ID', 'Customer']);
      const fitted = renderTable(
        t.headers.map((h) => (FREE.has(h) ? { header: h, shrink: true, min: 16 } : h)),
        t.rows.map((row) => row.map((c) => (c === null ? '-' : String(c)))),
        { width: o.width },
      );
      write(ctx, values.out, fitted.text, 'HLM report');
      if (fitted.truncated || fitted.hidden.length > 0)
        o.note('(long values shortened with …; --wide shows everything, --format csv all fields)');
    }
    return 0;
  } finally {
    await rt.close();
  }
}

async function inventory(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(args, { out: { type: 'string' } }, HELP);
  if (positionals.length > 0)
    throw inputError(`unexpected argument "${positionals[0]}"`, `see "${HELP}"`);
  const rt = await openRuntime(ctx);
  try {
    write(ctx, values.out, await reports.serviceInventory(rt.db), 'Service Inventory summary');
    return 0;
  } finally {
    await rt.close();
  }
}

export const reportCommand = subcommandVerb(
  'report',
  'reports: hlm (text, CSV, Excel; per VA or customer), inventory (Service Inventory)',
  USAGE,
  (sub, rest, ctx) => {
    if (sub === 'hlm') return hlm(rest, ctx);
    if (sub === 'inventory') return inventory(rest, ctx);
    throw inputError(
      sub === undefined ? 'expected "hlm" or "inventory"' : `unknown report "${sub}"`,
      `see "${HELP}"`,
    );
  },
);
