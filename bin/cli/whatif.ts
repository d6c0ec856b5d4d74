/** `smartlic whatif move CLUSTER… --to <sa>/<va>`: allocation before and after; changes nothing. */
import type { AllocationResult } from '../../core/domain/allocation.ts';
import * as reports from '../../core/reports/index.ts';
import { inputError, parseFlags, subcommandVerb } from './common.ts';
import { createOutput, renderTable, type RenderedTable } from './output.ts';
import { openRuntime } from './runtime.ts';
import type { CliContext } from './types.ts';

const USAGE = `Usage: smartlic whatif move CLUSTER… --to <sa-domain>/<va> [--customer C] [--wide] [--json]

The license allocation of every virtual account concerned (the ones the clusters leave and
the target) before and after moving the clusters, from the counts the clusters last reported
and what the VAs own. Nothing is changed. Tables fit the terminal (100 columns when not a
terminal); --wide shows them in full.

Example:
  smartlic whatif move stark-cucm-01 --to nimbus-hcs.example.com/va-hcs-operational`;

const HELP = 'smartlic whatif --help';

/** Indented by `indent` columns, so the table fits in `width` minus that. */
function allocationTable(a: AllocationResult, width: number, indent: number): RenderedTable {
  const short = new Map(a.shortages.map((s) => [s.type, s.quantity]));
  const t = renderTable(
    [{ header: 'License Type', shrink: true, min: 16 }, 'Owned', 'In Use', 'Available', 'Short'],
    a.licenses.map((l) => [
      reports.licenseLabel(l.type),
      String(l.quantity),
      String(l.inUse),
      String(l.available),
      short.has(l.type) ? String(short.get(l.type)) : '-',
    ]),
    { width: width - indent },
  );
  return { ...t, text: t.text.replace(/^(?=.)/gm, ' '.repeat(indent)) };
}

async function move(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      to: { type: 'string' },
      customer: { type: 'string' },
      json: { type: 'boolean' },
      wide: { type: 'boolean' },
    },
    HELP,
  );
  if (positionals.length === 0)
    throw inputError('whatif move needs at least one cluster name', `see "${HELP}"`);
  if (!values.to) throw inputError('whatif move needs --to <sa-domain>/<va>', `see "${HELP}"`);
  const rt = await openRuntime(ctx);
  try {
    const ids: number[] = [];
    for (const n of positionals) ids.push(await reports.resolveCluster(rt.db, n, values.customer));
    const to = await reports.resolveVirtualAccount(rt.db, values.to);
    const r = await reports.whatIfMove(rt.db, { clusterIds: ids, toVirtualAccountId: to.id });
    if (values.json) {
      ctx.io.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return 0;
    }
    const out = (s: string) => ctx.io.stdout.write(s);
    const o = createOutput(ctx, { wide: values.wide === true });
    let shortened = false;
    const tableOf = (a: AllocationResult) => {
      const t = allocationTable(a, o.width, 4);
      shortened ||= t.truncated || t.hidden.length > 0;
      return t.text;
    };
    out(`what if ${positionals.join(', ')} moved to ${to.label} (nothing is changed)\n`);
    const fmt = (l: { type: string; quantity: number }[]) =>
      l.map((s) => `${s.quantity} ${reports.licenseLabel(s.type)}`).join(', ');
    for (const c of r.changes) {
      out(`\n${c.va.label}${c.va.id === to.id ? ' (target)' : ''}\n  before:\n`);
      out(tableOf(c.before));
      out('  after:\n');
      out(tableOf(c.after));
      if (c.newShortages.length > 0) out(`  NEW shortages: ${fmt(c.newShortages)}\n`);
      if (c.resolvedShortages.length > 0)
        out(`  shortages resolved: ${fmt(c.resolvedShortages)}\n`);
    }
    for (const n of r.notes) out(`note: ${n}\n`);
    if (shortened)
      o.note('(long values shortened with …; --wide shows everything, --json all fields)');
    return 0;
  } finally {
    await rt.close();
  }
}

export const whatifCommand = subcommandVerb(
  'whatif',
  'what-if: move clusters to another VA and see both allocations; changes nothing',
  USAGE,
  (sub, rest, ctx) => {
    if (sub === 'move') return move(rest, ctx);
    throw inputError(
      sub === undefined ? 'expected "move"' : `unknown whatif "${sub}"`,
      `see "${HELP}"`,
    );
  },
);
