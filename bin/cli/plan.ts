/**
 * `smartlic plan`: a migration plan for a cluster or a customer (DOMAIN §7 Migrations) —
 * steps, blockers, notes and the allocation effect on the target VA. Changes nothing.
 */
import type { AllocationEffect, MigrationPlan } from '../../core/domain/migration.ts';
import { parseMigrationTarget } from '../../core/services/migration.service.ts';
import { inputError, parseFlags, reportFailure } from './common.ts';
import { openRuntime } from './runtime.ts';
import type { CliCommand, CliContext } from './types.ts';

const USAGE = `Usage: smartlic plan (--cluster NAME | --customer NAME) --to HCS|Enterprise|Smart
                     [--target-version V] [--va <domain>/<va>] [--hcs-le] [--json]

A plan only: nothing is changed.
  --cluster NAME        one cluster (with --customer when the name is not unique)
  --customer NAME       every cluster of the customer, and the combined effect per VA
  --to                  HCS or Enterprise license mode, or Smart (from PLM / classic licensing)
  --target-version V    for Smart: the 12.x+ release the cluster(s) will be upgraded to
  --va <domain>/<va>    the VA the cluster(s) will draw on (default: where each is assigned)
  --hcs-le              HCS-LE instead of HCS (gone from 14(1)SU1 and 12.5(1)SU7)
  --json                the plan as JSON`;

const HELP = 'smartlic plan --help';

function effectLines(a: AllocationEffect): string[] {
  const fmt = (xs: { type: string; quantity: number }[]) =>
    xs.map((x) => `${x.type} ${x.quantity}`).join(', ');
  const out = [`  allocation on ${a.virtualAccount}:`];
  out.push(
    `    shortages before: ${fmt(a.before.shortages) || 'none'}; after: ${fmt(a.after.shortages) || 'none'}`,
  );
  if (a.newShortages.length > 0) out.push(`    NEW shortages: ${fmt(a.newShortages)}`);
  if (a.resolvedShortages.length > 0) out.push(`    resolved: ${fmt(a.resolvedShortages)}`);
  return out;
}

function planText(p: MigrationPlan): string {
  const out: string[] = [];
  const state = p.nothingToDo ? 'nothing to do' : p.feasible ? 'feasible' : 'BLOCKED';
  out.push(
    `${p.cluster}: ${p.from.licensing} ${p.from.licenseMode} ${p.from.version} → ${p.target} (${state})`,
  );
  for (const b of p.blockers) out.push(`  blocker ${b.code}: ${b.message} — ${b.action}`);
  for (const s of p.steps) {
    const tags = [s.on, s.requiresReboot ? 'reboot' : '', s.requiresToken ? 'token' : '']
      .filter(Boolean)
      .join(', ');
    out.push(`  ${s.order}. ${s.title} [${tags}]`);
    out.push(`     ${s.detail}`);
  }
  for (const n of p.notes) out.push(`  note: ${n}`);
  if (p.allocation) out.push(...effectLines(p.allocation));
  return `${out.join('\n')}\n`;
}

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      cluster: { type: 'string' },
      customer: { type: 'string' },
      to: { type: 'string' },
      'target-version': { type: 'string' },
      va: { type: 'string' },
      'hcs-le': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    HELP,
  );
  if (positionals.length > 0)
    throw inputError(`unexpected argument "${positionals[0]}"`, `see "${HELP}"`);
  if (!values.cluster && !values.customer) {
    throw inputError('plan needs --cluster NAME or --customer NAME', `see "${HELP}"`);
  }
  if (!values.to) throw inputError('plan needs --to HCS|Enterprise|Smart', `see "${HELP}"`);
  const req = {
    to: parseMigrationTarget(values.to),
    ...(values['target-version'] ? { targetVersion: values['target-version'] } : {}),
    ...(values.va ? { va: values.va } : {}),
    ...(values['hcs-le'] ? { hcsLe: true } : {}),
  };
  const rt = await openRuntime(ctx);
  try {
    if (values.cluster) {
      const plan = await rt.services.migration.planCluster(
        { cluster: values.cluster, ...(values.customer ? { customer: values.customer } : {}) },
        req,
      );
      ctx.io.stdout.write(values.json ? `${JSON.stringify(plan, null, 2)}\n` : planText(plan));
      return 0;
    }
    const plan = await rt.services.migration.planCustomer(values.customer!, req);
    if (values.json) {
      ctx.io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
      return 0;
    }
    ctx.io.stdout.write(
      `Customer ${plan.customer} → ${plan.target}: ${plan.feasible ? 'feasible' : 'BLOCKED'} (${plan.plans.length} cluster(s))\n\n`,
    );
    for (const p of plan.plans)
      ctx.io.stdout.write(`${planText({ ...p, allocation: undefined })}\n`);
    if (plan.allocation.length > 0) {
      ctx.io.stdout.write('All clusters together:\n');
      for (const a of plan.allocation) ctx.io.stdout.write(`${effectLines(a).join('\n')}\n`);
    }
    for (const n of plan.notes) ctx.io.stdout.write(`note: ${n}\n`);
    return 0;
  } finally {
    await rt.close();
  }
}

export const planCommand: CliCommand = {
  name: 'plan',
  summary: 'migration plan for a cluster or customer (HCS / Enterprise / Smart); changes nothing',
  usage: USAGE,
  async run(args, ctx) {
    try {
      return await run(args, ctx);
    } catch (e) {
      return reportFailure(ctx, 'plan', e);
    }
  },
};
