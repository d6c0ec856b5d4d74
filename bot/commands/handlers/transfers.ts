/**
 * Licenses that move (issue 25): `license transfer` between two VAs of one Smart Account, and
 * `cluster remove-instance` (a product instance out of CSSM: RMA, a decommissioned cluster).
 * Both are destructive: their preview checks everything first (a refusal sends nothing and
 * asks nothing) and shows what the confirmation is about — for a transfer, both VAs'
 * allocation before and after; then the core service runs as a job.
 */
import { reports, type TransferPlan, type TransferResult } from '../../../core/index.ts';
import type { CommandContext, CommandInput, CommandSpec } from '../registry.ts';
import { context, fields, ok, section, table, type Block, type Reply } from '../reply.ts';
import { inputError, resolveVa, when } from './common.ts';
import { rebalanceApply } from './rebalance.ts';

const by = (ctx: CommandContext) =>
  ctx.actor.onBehalfOf
    ? `${ctx.actor.onBehalfOf} as ${ctx.actor.platform}:${ctx.actor.userId}`
    : `${ctx.actor.platform}:${ctx.actor.userId}`;

/** The service's input from the command's words; VA names are resolved (with "did you mean"). */
async function transferInput(ctx: CommandContext, { values, flags }: CommandInput) {
  const from = await resolveVa(ctx.core, values.from!);
  const to = await resolveVa(ctx.core, values.to!);
  if (flags.type === true)
    throw inputError('--type needs a value', 'pass --type TERM or --type PERPETUAL');
  return {
    domain: from.smartAccountDomain,
    fromVa: from.name,
    toDomain: to.smartAccountDomain,
    toVa: to.name,
    license: values.license!,
    quantity: values.quantity!,
    ...(typeof flags.type === 'string' ? { licenseType: flags.type } : {}),
  };
}

/** Each VA's allocation before and after: the rows whose numbers move, or that are short. */
function allocationBlocks(plan: TransferPlan): Block[] {
  const blocks: Block[] = [];
  for (const c of plan.allocation) {
    const short = (a: typeof c.before) => new Map(a.shortages.map((x) => [x.type, x.quantity]));
    const sb = short(c.before);
    const sa = short(c.after);
    const types = [...new Set([...c.before.licenses, ...c.after.licenses].map((l) => l.type))];
    const rows = types.flatMap((t) => {
      const b = c.before.licenses.find((l) => l.type === t);
      const a = c.after.licenses.find((l) => l.type === t);
      const same =
        (b?.quantity ?? 0) === (a?.quantity ?? 0) &&
        (b?.available ?? 0) === (a?.available ?? 0) &&
        (sb.get(t) ?? 0) === (sa.get(t) ?? 0);
      if (same && !sb.has(t)) return [];
      const arrow = (x: number | string, y: number | string) => `${x} → ${y}`;
      return [
        [
          reports.licenseLabel(t),
          arrow(b?.quantity ?? 0, a?.quantity ?? 0),
          arrow(b?.available ?? 0, a?.available ?? 0),
          arrow(sb.get(t) ?? '-', sa.get(t) ?? '-'),
        ],
      ];
    });
    const role = c.va.label === plan.from ? 'source' : 'target';
    blocks.push(section(`${c.va.label} (${role}), before → after`));
    blocks.push(table(['license', 'owned', 'available', 'short'], rows));
    const fmt = (xs: { type: string; quantity: number }[]) =>
      xs.map((x) => `${x.quantity} ${reports.licenseLabel(x.type)}`).join(', ');
    if (c.newShortages.length > 0)
      blocks.push(section(`NEW shortages in ${c.va.label}: ${fmt(c.newShortages)}`));
    if (c.resolvedShortages.length > 0)
      blocks.push(section(`shortages resolved in ${c.va.label}: ${fmt(c.resolvedShortages)}`));
  }
  return blocks;
}

function planBlocks(plan: TransferPlan): Block[] {
  return [
    fields({
      from: plan.from,
      to: plan.to,
      license: `${plan.license} (${plan.licenseType})`,
      quantity: plan.quantity,
      'available in the source': plan.available,
      'CSSM requests':
        plan.chunks.length > 1 ? `${plan.chunks.length} (${plan.chunks.join(' + ')})` : 1,
    }),
    ...allocationBlocks(plan),
    ...plan.notes.map((n) => context(n)),
  ];
}

function doneReply(r: TransferResult): Reply {
  const p = r.plan;
  return {
    ...ok(
      `Transferred ${p.quantity} ${p.licenseType} ${p.license} from ${p.from} to ${p.to}`,
      table(
        ['request', 'quantity', 'CSSM status'],
        r.chunks.map((c) => [c.index, c.quantity, c.status]),
      ),
      section(
        r.resync.status === 'Completed'
          ? `${p.domain} re-read: CSSM counts ${r.target.after} ${p.license} in ${p.to} (${r.target.before} before); usage and alerts show the new counts.`
          : `The re-read of ${p.domain} failed (${r.resync.error?.code ?? 'error'}: ${r.resync.error?.message ?? ''}); run \`sync ${p.domain}\`.`,
      ),
      context(`core job ${r.job.id}`),
    ),
    data: { ...r, plan: { ...p, allocation: undefined } },
  };
}

const licenseTransfer: CommandSpec = {
  verb: 'license transfer',
  // In chat the slash command / keyword is `license` already: `/license transfer …`.
  aliases: ['transfer'],
  summary:
    'moves licenses from one virtual account to another of the same smart account (in CSSM; re-reads both)',
  args: [{ name: 'from' }, { name: 'to' }, { name: 'license' }, { name: 'quantity' }],
  flags: [
    {
      name: 'type',
      value: 'TERM|PERPETUAL',
      help: 'which licenses move when the source holds both (default: the one it holds)',
    },
  ],
  example:
    'license transfer nimbus-hcs.example.com/va-hcs-ordered nimbus-hcs.example.com/va-globex "HCS UCM Standard" 70',
  role: 'operator',
  destructive: true,
  async preview(ctx, input) {
    const plan = await ctx.core.services.transfers.plan(await transferInput(ctx, input));
    return planBlocks(plan);
  },
  async run(ctx, input) {
    const req = await transferInput(ctx, input);
    // Checked again now: the state may have changed since the confirmation was asked.
    const plan = await ctx.core.services.transfers.plan(req);
    return ctx.job({
      jobType: 'Chat: license transfer',
      entityType: 'Virtual Account',
      entityName: plan.from,
      description: `Transfer ${plan.quantity} ${plan.licenseType} ${plan.license} from ${plan.from} to ${plan.to}`,
      run: () => ctx.core.services.transfers.transfer({ ...req, requestedBy: by(ctx) }),
      done: doneReply,
    });
  },
};

async function instanceOf(ctx: CommandContext, { values }: CommandInput) {
  const va = await resolveVa(ctx.core, values.va!);
  const input = { domain: va.smartAccountDomain, va: va.name, instance: values.instance! };
  return { input, found: await ctx.core.services.productInstances.find(input) };
}

const removeInstance: CommandSpec = {
  verb: 'cluster remove-instance',
  summary:
    'removes a registered product instance from CSSM (RMA, a decommissioned cluster); the product finds itself unregistered',
  args: [{ name: 'va' }, { name: 'instance' }],
  example: 'cluster remove-instance nimbus-hcs.example.com/va-acme acme-cucm-01-pub.acme.example',
  role: 'operator',
  destructive: true,
  async preview(ctx, input) {
    const { found } = await instanceOf(ctx, input);
    const d = found.device;
    return [
      fields({
        'product instance': d.instanceName,
        'virtual account': `${found.account.domain}/${found.va.name}`,
        PID: d.udiPid,
        'serial number': d.udiSerial,
        product: d.productTag,
        registration: d.registrationStatus,
        'last contact': when(d.lastContactAt),
      }),
    ];
  },
  async run(ctx, cmd) {
    const { input, found } = await instanceOf(ctx, cmd);
    const label = `${found.account.domain}/${found.va.name}`;
    return ctx.job({
      jobType: 'Chat: cluster remove-instance',
      entityType: 'Virtual Account',
      entityName: label,
      description: `Remove product instance ${found.device.instanceName} from ${label}`,
      run: () => ctx.core.services.productInstances.remove({ ...input, requestedBy: by(ctx) }),
      done: (r) => ({
        ...ok(
          `${r.instanceName} removed from ${r.va}`,
          section(r.job.statusInformation ?? 'Removed.'),
          context(`core job ${r.job.id}`),
        ),
        data: r,
      }),
    });
  },
};

export const TRANSFER_COMMANDS: readonly CommandSpec[] = [
  licenseTransfer,
  removeInstance,
  rebalanceApply,
];
