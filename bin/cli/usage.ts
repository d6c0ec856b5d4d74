/** `smartlic usage <sa>/<va> | --customer C`: usage per virtual account or per customer. */
import * as reports from '../../core/reports/index.ts';
import { inputError, parseFlags } from './common.ts';
import { createOutput } from './output.ts';
import { missingText } from './read-views.ts';
import { openRuntime } from './runtime.ts';
import type { CliCommand, CliContext } from './types.ts';

const USAGE = `Usage: smartlic usage <sa-domain>/<va> [--terms-days N] [--wide] [--json]
       smartlic usage --customer C [--wide] [--json]

<sa>/<va>    per license type: owned, in use, available, reserved, status and shortage; which
             type's licenses served which type's requests ("50 CUWL lent to Enhanced Plus");
             term lines with start / end dates and subscription ids, and those ending within
             --terms-days (default 90)
--customer   per license type, what the customer's clusters report and the VA they draw on
--wide       show every column in full (tables fit the terminal otherwise)

Examples:
  smartlic usage nimbus-hcs.example.com/va-hcs-operational
  smartlic usage --customer "Stark Industries" --json`;

const HELP = 'smartlic usage --help';
const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : '-');

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      customer: { type: 'string' },
      'terms-days': { type: 'string' },
      json: { type: 'boolean' },
      wide: { type: 'boolean' },
    },
    HELP,
  );
  const o = createOutput(ctx, { wide: values.wide === true });
  const ref = positionals[0];
  if (positionals.length > 1)
    throw inputError(`unexpected argument "${positionals[1]}"`, `see "${HELP}"`);
  if (Boolean(ref) === Boolean(values.customer)) {
    throw inputError('give either <sa-domain>/<va> or --customer C', `see "${HELP}"`);
  }
  let termsWithinDays: number | undefined;
  if (values['terms-days'] !== undefined) {
    termsWithinDays = Number(values['terms-days']);
    if (!Number.isInteger(termsWithinDays) || termsWithinDays < 0) {
      throw inputError(
        `--terms-days must be a whole number of days, not "${values['terms-days']}"`,
        `see "${HELP}"`,
      );
    }
  }
  const rt = await openRuntime(ctx);
  const out = (s: string) => ctx.io.stdout.write(s);
  try {
    const now = rt.clock.now();
    if (values.customer) {
      const c = await rt.repos.customers.getByName(values.customer);
      if (!c)
        throw inputError(
          `no customer named ${values.customer}`,
          'see `smartlic cluster list` for the customers',
        );
      const rows = await reports.customerUsage(rt.db, { customerId: c.id });
      if (values.json) {
        out(`${JSON.stringify(rows, null, 2)}\n`);
        return 0;
      }
      if (rows.length === 0) {
        out(`${c.name}: no license counts read from its clusters yet (run a sync)\n`);
        return 0;
      }
      o.table(
        [
          { header: 'Virtual Account', shrink: true, min: 20 },
          'License Type',
          { header: 'Reports as', optional: true },
          'Count',
          'Clusters',
        ],
        rows.map((r) => [
          r.virtualAccount ?? '(unassigned)',
          r.label,
          r.reportCode,
          String(r.count),
          String(r.clusters),
        ]),
      );
      return 0;
    }
    const va = await reports.resolveVirtualAccount(rt.db, ref!);
    const u = await reports.virtualAccountUsage(rt.db, {
      virtualAccountId: va.id,
      now,
      ...(termsWithinDays !== undefined ? { termsWithinDays } : {}),
    });
    if (values.json) {
      out(`${JSON.stringify(u, null, 2)}\n`);
      return 0;
    }
    out(`${u.va.label}: ${u.compliance}\n`);
    if (u.va.missingSince !== null) {
      out(
        `CSSM no longer lists this virtual account (${missingText(u.va)}): the counts below are from its last listing\n`,
      );
    }
    if (u.licenses.length === 0) {
      out('no licenses\n');
      return 0;
    }
    o.table(
      [
        { header: 'License Type', shrink: true, min: 16 },
        'Owned',
        'In Use',
        'Available',
        { header: 'Reserved', optional: true },
        { header: 'Status', shrink: true },
        'Shortage',
      ],
      u.licenses.map((l) => [
        l.label,
        String(l.owned),
        String(l.inUse),
        String(l.available),
        String(l.reserved),
        l.status,
        l.shortage > 0 ? String(l.shortage) : '-',
      ]),
    );
    if (u.substitutions.length > 0) {
      out('\nSubstitutions\n');
      for (const s of u.substitutions) out(`  ${s.text}${s.kind ? ` (${s.kind})` : ''}\n`);
    }
    if (u.terms.length > 0) {
      out('\nTerms\n');
      o.table(
        [
          { header: 'License Type', shrink: true, min: 16 },
          { header: 'Kind', optional: true, dropOrder: 2 },
          'Quantity',
          { header: 'Start', optional: true, dropOrder: 1 },
          'End',
          { header: 'Subscription', shrink: true },
          { header: 'Status', optional: true, dropOrder: 3 },
          'Days left',
        ],
        u.terms.map((t) => [
          t.label,
          t.kind,
          String(t.quantity),
          day(t.startDate),
          day(t.endDate),
          t.subscriptionId ?? '-',
          t.status,
          t.daysLeft === null ? '-' : String(t.daysLeft),
        ]),
      );
    }
    const within = termsWithinDays ?? 90;
    out(
      u.termsEndingSoon.length === 0
        ? `\nno term ends within ${within} days\n`
        : `\nending within ${within} days: ${u.termsEndingSoon.map((t) => `${t.quantity} ${t.label} on ${day(t.endDate)}`).join('; ')}\n`,
    );
    return 0;
  } finally {
    await rt.close();
  }
}

export const usageCommand: CliCommand = {
  name: 'usage',
  summary: 'license usage per virtual account (owned, in use, substitutions, terms) or customer',
  usage: USAGE,
  run,
};
