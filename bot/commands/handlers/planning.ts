/**
 * Read commands that look ahead: when a VA runs short (`forecast`), what moving clusters
 * would do (`whatif`), and a migration plan (`plan`). Each answers from core's read models and
 * services' planners; none changes anything.
 */
import { reports, type Services } from '../../../core/index.ts';
import type { CommandSpec } from '../registry.ts';
import { context, fields, ok, section, table, type Block } from '../reply.ts';
import { day, inputError, resolveClusterId, resolveVa, withSuggestions } from './common.ts';

export const forecast: CommandSpec = {
  verb: 'forecast',
  summary: 'when each license type of a VA runs short at the current trend',
  args: [{ name: 'va' }],
  flags: [
    {
      name: 'days',
      aliases: ['window'],
      value: 'N',
      help: 'trend window in days, 2–3650 (default 90); --window is the same',
    },
  ],
  example: 'forecast nimbus-hcs.example.com/va-hcs-operational --days 60',
  role: 'viewer',
  async run({ core }, { values, flags }) {
    const va = await resolveVa(core, values.va!);
    const windowDays = typeof flags.days === 'string' ? Number(flags.days) : undefined;
    if (
      windowDays !== undefined &&
      (!Number.isInteger(windowDays) || windowDays < 2 || windowDays > 3650)
    ) {
      throw inputError(
        `--days must be a whole number from 2 to 3650, not "${String(flags.days)}"`,
        'e.g. --days 30',
      );
    }
    const f = await reports.forecast(core.db, {
      virtualAccountId: va.id,
      now: core.clock.now(),
      ...(windowDays ? { windowDays } : {}),
    });
    return {
      ...ok(
        `Forecast for ${f.va.label} (${f.windowDays}-day trend)`,
        table(
          ['license', 'owned', 'in use', 'per day', 'forecast'],
          f.rows.map((r) => [
            r.label,
            r.owned,
            r.inUse,
            r.slopePerDay === null ? '-' : r.slopePerDay.toFixed(2),
            r.outcome === 'crosses'
              ? `short from ${day(r.crossesAt)} (in ${r.daysUntil ?? '?'} days)`
              : r.outcome === 'not enough data'
                ? `not enough data (${r.points} snapshot${r.points === 1 ? '' : 's'})`
                : r.outcome,
          ]),
        ),
      ),
      data: f,
    };
  },
};

export const whatif: CommandSpec = {
  verb: 'whatif move',
  summary:
    'what moving clusters to another VA would do to every VA concerned, before and after (changes nothing)',
  args: [{ name: 'cluster', variadic: true }],
  flags: [
    { name: 'to', value: 'DOMAIN/VA', help: 'the target virtual account (required)' },
    { name: 'customer', value: 'NAME', help: 'when two customers have a cluster of the name' },
  ],
  example: 'whatif move globex-cucm-01 --to nimbus-hcs.example.com/va-hcs-operational',
  role: 'viewer',
  async run({ core }, { args, flags }) {
    let names = [...args];
    let target = typeof flags.to === 'string' ? flags.to : undefined;
    const notes: string[] = [];
    // The chat's first form, `whatif move <cluster> <domain>/<va>`, still works.
    if (target === undefined && names.length === 2 && names[1]!.includes('/')) {
      target = names[1]!;
      names = [names[0]!];
      notes.push(`Next time: whatif move ${names[0]} --to ${target}`);
    }
    if (target === undefined)
      throw inputError(
        'whatif move needs --to <domain>/<va>',
        'e.g. whatif move globex-cucm-01 --to nimbus-hcs.example.com/va-hcs-operational',
      );
    const customer = typeof flags.customer === 'string' ? flags.customer : undefined;
    const ids: number[] = [];
    for (const n of names) ids.push(await resolveClusterId(core, n, customer));
    const va = await resolveVa(core, target);
    const r = await reports.whatIfMove(core.db, { clusterIds: ids, toVirtualAccountId: va.id });
    const fmt = (xs: { type: string; quantity: number }[]) =>
      xs.map((x) => `${x.quantity} ${reports.licenseLabel(x.type)}`).join(', ');
    const blocks: Block[] = [
      section(`What if ${names.join(', ')} moved to ${va.label} (nothing is changed).`),
    ];
    for (const c of r.changes) {
      const short = (a: typeof c.before) => new Map(a.shortages.map((x) => [x.type, x.quantity]));
      const before = short(c.before);
      const after = short(c.after);
      const avail = new Map(c.before.licenses.map((l) => [l.type, l]));
      const types = [...new Set([...c.before.licenses, ...c.after.licenses].map((l) => l.type))];
      blocks.push(section(`${c.va.label}${c.va.id === va.id ? ' (target)' : ''}`));
      blocks.push(
        table(
          ['license', 'owned', 'in use before', 'in use after', 'short before', 'short after'],
          types.map((t) => {
            const b = avail.get(t);
            const a = c.after.licenses.find((l) => l.type === t);
            return [
              reports.licenseLabel(t),
              (b ?? a)?.quantity ?? 0,
              b?.inUse ?? 0,
              a?.inUse ?? 0,
              before.get(t) ?? '-',
              after.get(t) ?? '-',
            ];
          }),
        ),
      );
      if (c.newShortages.length > 0) blocks.push(section(`NEW shortages: ${fmt(c.newShortages)}`));
      if (c.resolvedShortages.length > 0)
        blocks.push(section(`shortages resolved: ${fmt(c.resolvedShortages)}`));
    }
    for (const n of [...r.notes, ...notes]) blocks.push(context(n));
    const worse = r.changes.some((c) => c.newShortages.length > 0);
    return {
      ...ok(
        `What if ${names.join(', ')} moves to ${va.label}: ${worse ? 'new shortages' : 'no new shortage'}`,
        ...blocks,
      ),
      data: r,
    };
  },
};

type Plan = Awaited<ReturnType<Services['migration']['planCluster']>>;
type Effect = NonNullable<Plan['allocation']>;

function effectBlocks(a: Effect): Block[] {
  const fmt = (xs: { type: string; quantity: number }[]) =>
    xs.length === 0 ? 'none' : xs.map((x) => `${x.type} ${x.quantity}`).join(', ');
  return [
    fields({
      'allocation on': a.virtualAccount,
      'shortages before': fmt(a.before.shortages),
      'shortages after': fmt(a.after.shortages),
      ...(a.newShortages.length > 0 ? { 'NEW shortages': fmt(a.newShortages) } : {}),
      ...(a.resolvedShortages.length > 0 ? { resolved: fmt(a.resolvedShortages) } : {}),
    }),
  ];
}

function planBlocks(p: Plan): Block[] {
  const state = p.nothingToDo ? 'nothing to do' : p.feasible ? 'feasible' : 'BLOCKED';
  const mode = p.from.licenseMode === 'unknown' ? 'mode unknown' : p.from.licenseMode;
  const blocks: Block[] = [
    section(`${p.cluster}: ${p.from.licensing} ${mode} ${p.from.version} → ${p.target} (${state})`),
  ];
  if (p.blockers.length > 0)
    blocks.push(
      table(
        ['blocker', 'why', 'what to do'],
        p.blockers.map((b) => [b.code, b.message, b.action]),
      ),
    );
  if (p.steps.length > 0)
    blocks.push(
      table(
        ['#', 'step', 'on', 'needs', 'detail'],
        p.steps.map((x) => [
          x.order,
          x.title,
          x.on,
          [x.requiresReboot ? 'reboot' : '', x.requiresToken ? 'token' : '']
            .filter(Boolean)
            .join(', '),
          x.detail,
        ]),
      ),
    );
  for (const n of p.notes) blocks.push(context(`note: ${n}`));
  if (p.allocation) blocks.push(...effectBlocks(p.allocation));
  return blocks;
}

export const plan: CommandSpec = {
  verb: 'plan',
  aliases: ['plan migrate'],
  summary:
    'migration plan for a cluster or a customer (HCS / Enterprise / Smart): steps, blockers, allocation effect; changes nothing',
  args: [{ name: 'cluster-or-customer', optional: true }],
  flags: [
    {
      name: 'to',
      value: 'HCS|Enterprise|Smart',
      help: 'license mode, or Smart (from PLM); required',
    },
    {
      name: 'cluster',
      value: 'NAME',
      help: 'one cluster (with --customer when the name is not unique)',
    },
    {
      name: 'customer',
      value: 'NAME',
      help: 'every cluster of the customer, and the combined effect per VA',
    },
    {
      name: 'target-version',
      value: 'V',
      help: 'for Smart: the 12.x+ release the cluster(s) will be upgraded to',
    },
    {
      name: 'va',
      value: 'DOMAIN/VA',
      help: 'the VA the cluster(s) will draw on (default: where each is assigned)',
    },
    {
      name: 'hcs-le',
      boolean: true,
      help: 'HCS-LE instead of HCS (gone from 14(1)SU1 and 12.5(1)SU7)',
    },
  ],
  example: 'plan --customer Globex --to HCS',
  role: 'viewer',
  async run({ core }, { values, flags }) {
    const str = (k: string) => {
      const v = flags[k];
      return typeof v === 'string' ? v : undefined;
    };
    const t = str('to')?.toLowerCase();
    const to =
      t === 'hcs' ? 'HCS' : t === 'enterprise' ? 'Enterprise' : t === 'smart' ? 'Smart' : undefined;
    if (!to)
      throw inputError(
        t === undefined
          ? 'missing --to HCS|Enterprise|Smart'
          : `--to must be HCS, Enterprise or Smart, not "${String(flags.to)}"`,
        'e.g. plan --cluster globex-cucm-01 --to HCS',
      );
    const req = {
      to,
      ...(str('target-version') ? { targetVersion: str('target-version')! } : {}),
      ...(str('va') ? { va: str('va')! } : {}),
      ...(flags['hcs-le'] === true ? { hcsLe: true } : {}),
    } as const;
    const named = values['cluster-or-customer'];
    let cluster = str('cluster');
    let customer = str('customer');
    if (named !== undefined) {
      if (cluster !== undefined || customer !== undefined)
        throw inputError(
          `give the cluster or customer once: "${named}" or --cluster / --customer`,
          'e.g. plan --customer Globex --to HCS',
        );
      // `plan <name>`: a customer when one has the name, otherwise a cluster.
      if (await core.repos.customers.getByName(named)) customer = named;
      else cluster = named;
    }
    if (cluster === undefined && customer === undefined)
      throw inputError(
        'plan needs a cluster or a customer',
        'e.g. plan --cluster globex-cucm-01 --to HCS',
      );
    if (cluster !== undefined) {
      const name = cluster;
      const p = await withSuggestions(core, 'cluster', name, () =>
        core.services.migration.planCluster(
          { cluster: name, ...(customer ? { customer } : {}) },
          req,
        ),
      );
      return { ...ok(`Migration plan: ${name} → ${to}`, ...planBlocks(p)), data: p };
    }
    const who = customer!;
    const c = await withSuggestions(core, 'customer', who, () =>
      core.services.migration.planCustomer(who, req),
    );
    const blocks: Block[] = [];
    for (const p of c.plans) blocks.push(...planBlocks({ ...p, allocation: undefined }));
    if (c.allocation.length > 0) {
      blocks.push(section('All clusters together:'));
      for (const a of c.allocation) blocks.push(...effectBlocks(a));
    }
    for (const n of c.notes) blocks.push(context(`note: ${n}`));
    return {
      ...ok(
        `Migration plan: customer ${c.customer} → ${c.target}: ${c.feasible ? 'feasible' : 'BLOCKED'} (${c.plans.length} cluster${c.plans.length === 1 ? '' : 's'})`,
        ...blocks,
      ),
      data: c,
    };
  },
};
