/**
 * `smartlic plan`: a migration plan for a cluster or a customer (DOMAIN §7 Migrations) —
 * steps, blockers, notes and the allocation effect on the target VA. Changes nothing.
 */
import type { AllocationEffect, MigrationPlan } from '../../core/domain/migration.ts';
import { parseMigrationTarget } from '../../core/services/migration.service.ts';
import { defineCommand, escapeControl, inputError, plural, singleCommand } from './common.ts';
import { openRuntime } from './runtime.ts';
import type { CliCommand } from './types.ts';

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
  const mode = p.from.licenseMode === 'unknown' ? 'mode unknown' : p.from.licenseMode;
  out.push(`${p.cluster}: ${p.from.licensing} ${mode} ${p.from.version} → ${p.target} (${state})`);
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
  return `${out.map(escapeControl).join('\n')}\n`;
}

const planCmd = defineCommand({
  name: 'plan',
  summary: 'migration plan for a cluster or customer (HCS / Enterprise / Smart); changes nothing',
  options: {
    cluster: {
      type: 'string',
      value: 'NAME',
      help: 'one cluster (with --customer when the name is not unique)',
    },
    customer: {
      type: 'string',
      value: 'NAME',
      help: 'every cluster of the customer, and the combined effect per VA',
    },
    to: {
      type: 'string',
      value: 'HCS|Enterprise|Smart',
      help: 'license mode, or Smart (from PLM / classic licensing)',
    },
    'target-version': {
      type: 'string',
      value: 'V',
      help: 'for Smart: the 12.x+ release the cluster(s) will be upgraded to',
    },
    va: {
      type: 'string',
      value: '<domain>/<va>',
      help: 'the VA the cluster(s) will draw on (default: where each is assigned)',
    },
    'hcs-le': {
      type: 'boolean',
      help: 'HCS-LE instead of HCS (gone from 14(1)SU1 and 12.5(1)SU7)',
    },
  },
  json: 'the plan {cluster, target, from, feasible, blockers, steps, notes, allocation}',
  description: `A plan only: nothing is changed. The current license mode is the one the product reported
at the last sync; "mode unknown" when it never reported one (then a mode change is planned
with a possible publisher restart).`,
  examples: [
    'smartlic plan --customer "Stark Industries" --to HCS',
    'smartlic plan --cluster wayne-cucm-01 --to Smart --target-version 15.0.1.10000-32',
  ],
  async run({ values }, c) {
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
    const rt = await openRuntime(c);
    try {
      if (values.cluster) {
        const plan = await rt.services.migration.planCluster(
          { cluster: values.cluster, ...(values.customer ? { customer: values.customer } : {}) },
          req,
        );
        if (c.out.json) c.out.data(plan);
        else c.out.print(planText(plan));
        return 0;
      }
      const plan = await rt.services.migration.planCustomer(values.customer!, req);
      if (c.out.json) {
        c.out.data(plan);
        return 0;
      }
      const o = c.out;
      o.print(
        escapeControl(
          `Customer ${plan.customer} → ${plan.target}: ${plan.feasible ? 'feasible' : 'BLOCKED'} (${plural(plan.plans.length, 'cluster')})`,
        ),
      );
      o.print('');
      for (const p of plan.plans) o.print(`${planText({ ...p, allocation: undefined })}`);
      if (plan.allocation.length > 0) {
        o.print('All clusters together:');
        for (const a of plan.allocation) o.print(effectLines(a).map(escapeControl).join('\n'));
      }
      for (const n of plan.notes) o.print(escapeControl(`note: ${n}`));
      return 0;
    } finally {
      await rt.close();
    }
  },
});

export const planCommand: CliCommand = singleCommand(planCmd);
