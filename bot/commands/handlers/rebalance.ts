/**
 * `rebalance [<domain>/<va>]`: the transfers between VAs of one smart account that would cover
 * every shortage now or within the horizon (core's rebalance read model), the allocation
 * before and after for every VA they touch, and what remains to order. Changes nothing: each
 * transfer is shown with the `license transfer` command line that runs it.
 *
 * `rebalance --apply [<domain>/<va>]` (operator, destructive) runs that plan: the
 * confirmation shows it (each transfer, every VA before and after), then each transfer goes
 * through `services.transfers` in plan order, one job per transfer, and stops at the first
 * refusal saying what moved.
 */
import {
  catalog,
  JobFailedError,
  SmartlicError,
  reports,
  toSmartlicError,
  type TransferResult,
} from '../../../core/index.ts';
import type { CommandContext, CommandInput, CommandSpec } from '../registry.ts';
import { context, fields, ok, section, table, type Block, type Reply } from '../reply.ts';
import { inputError, resolveVa } from './common.ts';

const qty = (xs: { type: string; quantity: number }[]) =>
  xs.length === 0
    ? 'none'
    : xs.map((x) => `${x.quantity} ${reports.licenseLabel(x.type)}`).join(', ');

const shortText = (l: { type: string; now: number; atHorizon: number }, horizon: number) => {
  const label = reports.licenseLabel(l.type);
  if (l.now > 0 && l.atHorizon > l.now)
    return `${l.now} ${label} now, ${l.atHorizon} within ${horizon} days`;
  if (l.now > 0) return `${l.now} ${label} now`;
  return `${l.atHorizon} ${label} within ${horizon} days`;
};

/** The plan as `rebalance` reads it: the horizon and the VA checked, then the read model. */
async function planFor(core: CommandContext['core'], { values, flags }: CommandInput) {
  const horizonDays = typeof flags.days === 'string' ? Number(flags.days) : undefined;
  if (
    horizonDays !== undefined &&
    (!Number.isInteger(horizonDays) || horizonDays < 0 || horizonDays > 365)
  ) {
    throw inputError(
      `--days must be a whole number from 0 to 365, not "${String(flags.days)}"`,
      'e.g. rebalance --days 60',
    );
  }
  let license: catalog.LicenseTypeId | undefined;
  if (typeof flags.license === 'string') {
    license = catalog.findLicenseType(flags.license)?.id;
    if (!license)
      throw inputError(
        `"${flags.license}" is not a license type`,
        'give its short name or CSSM display name, e.g. --license HUCM_Standard or --license "HCS UCM Standard"',
      );
    if (values.va === undefined)
      throw inputError(
        '--license needs the VA whose shortage it is',
        'e.g. rebalance nimbus-hcs.example.com/va-globex --license HUCM_Standard',
      );
  }
  const va = values.va === undefined ? undefined : await resolveVa(core, values.va);
  return reports.rebalance(core.db, {
    now: core.clock.now(),
    ...(horizonDays !== undefined ? { horizonDays } : {}),
    ...(va ? { virtualAccountId: va.id } : {}),
    ...(license ? { license } : {}),
  });
}

const LICENSE_FLAG = {
  name: 'license',
  value: 'TYPE',
  help: "with a VA: only that VA's shortage of this license, and the transfers that cover it (what its alert carries)",
};

/** The scope in words: the VA, and the license when narrowed to one. */
const whereOf = (r: reports.RebalanceReport) =>
  `${r.scope ?? 'every smart account'}${r.license ? ` (${reports.licenseLabel(r.license)})` : ''}`;
/** The command's arguments that give the same scope again. */
const argsOf = (r: reports.RebalanceReport) =>
  `${r.scope ? ` ${r.scope}` : ''}${r.license ? ` --license ${r.license}` : ''}`;

/** The plan's proposals, transfers and every touched VA before and after (what-if). */
function planBlocks(r: reports.RebalanceReport): Block[] {
  const where = whereOf(r);
  const blocks: Block[] = [];
  if (r.proposals.length === 0) {
    blocks.push(section(`No shortage now or within ${r.horizonDays} days in ${where}.`));
  }
  for (const p of r.proposals) {
    const due = p.dueInDays === 0 ? 'short now' : `short in ${p.dueInDays} days`;
    blocks.push(
      section(
        `${p.label}: ${due}; ${p.coverage === 'full' ? 'covered by transfers' : p.coverage === 'partial' ? 'partly covered' : 'no surplus covers it'}`,
      ),
    );
    blocks.push(
      fields({
        shortage: p.shortages.map((l) => shortText(l, r.horizonDays)).join('; '),
        'to order':
          p.remaining.length === 0
            ? 'nothing'
            : p.remaining.map((l) => shortText(l, r.horizonDays)).join('; '),
      }),
    );
    if (p.transfers.length > 0) {
      blocks.push(
        table(
          ['from', 'license', 'type', 'quantity'],
          p.transfers.map((t) => [
            t.fromVa,
            reports.licenseLabel(t.type),
            t.licenseType,
            t.quantity,
          ]),
        ),
      );
      for (const t of p.transfers) blocks.push(context(t.command));
    }
  }
  if (r.effects.length > 0) {
    blocks.push(section('Allocation before and after the transfers (what-if):'));
    for (const c of r.effects) {
      const before = new Map(c.before.shortages.map((x) => [x.type, x.quantity]));
      const after = new Map(c.after.shortages.map((x) => [x.type, x.quantity]));
      const b = new Map(c.before.licenses.map((l) => [l.type, l]));
      const a = new Map(c.after.licenses.map((l) => [l.type, l]));
      const types = [...new Set([...b.keys(), ...a.keys()])];
      blocks.push(section(c.va.label));
      blocks.push(
        table(
          ['license', 'owned before', 'owned after', 'in use after', 'short before', 'short after'],
          types.map((t) => [
            reports.licenseLabel(t),
            b.get(t)?.quantity ?? 0,
            a.get(t)?.quantity ?? 0,
            a.get(t)?.inUse ?? 0,
            before.get(t) ?? '-',
            after.get(t) ?? '-',
          ]),
        ),
      );
      if (c.resolvedShortages.length > 0)
        blocks.push(context(`resolves: ${qty(c.resolvedShortages)}`));
      if (c.newShortages.length > 0) blocks.push(context(`NEW shortages: ${qty(c.newShortages)}`));
    }
  }
  for (const n of r.notes) blocks.push(context(`note: ${n}`));
  return blocks;
}

export const rebalance: CommandSpec = {
  verb: 'rebalance',
  summary:
    'transfers between VAs of one smart account that cover the shortages now or forecast (changes nothing)',
  args: [{ name: 'va', optional: true }],
  flags: [
    {
      name: 'days',
      value: 'N',
      help: 'horizon in days for forecast shortages, 0–365 (default 30)',
    },
    LICENSE_FLAG,
  ],
  example: 'rebalance nimbus-hcs.example.com/va-globex',
  role: 'viewer',
  // `rebalance --apply` is its own command (operator, confirmed), matched only when the flag
  // follows the verb: written later, it would otherwise be an unknown flag of this read.
  olderForm: (words) =>
    words.some((w) => w.toLowerCase() === '--apply')
      ? '`--apply` comes right after the verb: `rebalance --apply [<domain>/<va>] [--days N]`.'
      : undefined,
  async run({ core }, input) {
    const r = await planFor(core, input);
    const where = whereOf(r);
    const blocks = planBlocks(r);
    const covered = r.proposals.filter((p) => p.coverage === 'full').length;
    return {
      ...ok(
        `Rebalance ${where} (${r.horizonDays}-day horizon): ${r.transfers.length} transfer${r.transfers.length === 1 ? '' : 's'}, ${covered} of ${r.proposals.length} shortage${r.proposals.length === 1 ? '' : 's'} covered`,
        ...blocks,
      ),
      data: r,
    };
  },
};

const by = (ctx: CommandContext) =>
  ctx.actor.onBehalfOf
    ? `${ctx.actor.onBehalfOf} as ${ctx.actor.platform}:${ctx.actor.userId}`
    : `${ctx.actor.platform}:${ctx.actor.userId}`;

const transferWords = (t: reports.RebalanceReport['transfers'][number]) =>
  `${t.quantity} ${t.licenseType} ${t.license} from ${t.fromVa} to ${t.toVa}`;

interface Applied {
  plan: reports.RebalanceReport;
  results: TransferResult[];
}

/**
 * Runs the plan's transfers in plan order, each as its own `Transfer Licenses` job (Cisco's
 * status, chunks and re-read each), and stops at the first refusal: the later transfers were
 * planned on the state the refused one would have made.
 */
async function applyPlan(ctx: CommandContext, r: reports.RebalanceReport): Promise<Applied> {
  const results: TransferResult[] = [];
  for (const [i, t] of r.transfers.entries()) {
    try {
      results.push(
        await ctx.core.services.transfers.transfer({
          domain: t.domain,
          fromVa: t.fromVa,
          toVa: t.toVa,
          license: t.license,
          licenseType: t.licenseType,
          quantity: t.quantity,
          requestedBy: by(ctx),
        }),
      );
    } catch (e) {
      const err = e instanceof JobFailedError ? e.error : toSmartlicError(e);
      const moved =
        results.length === 0
          ? 'Nothing of the plan moved before it'
          : `Moved before it: ${results.map((x) => `${x.moved} ${x.plan.licenseType} ${x.plan.license} from ${x.plan.from} to ${x.plan.to} (job ${x.job.id})`).join('; ')}`;
      const left = r.transfers.slice(i + 1);
      throw new SmartlicError({
        code: err.code,
        message:
          `Transfer ${i + 1} of ${r.transfers.length} (${transferWords(t)}) failed: ${err.message} ${moved}.` +
          (left.length > 0 ? ` Not run: ${left.map(transferWords).join('; ')}.` : ''),
        action: `${err.action ?? 'fix the cause'}; then run \`rebalance${argsOf(r)}\` again: it plans from what has moved`,
        details: { failed: i + 1, moved: results.map((x) => x.job.id) },
      });
    }
  }
  return { plan: r, results };
}

/** A VA's name without its domain, which the title already says. */
const short = (domain: string, label: string) =>
  label.startsWith(`${domain}/`) ? label.slice(domain.length + 1) : label;

function appliedReply({ plan, results }: Applied): Reply {
  const where = whereOf(plan);
  const remaining = plan.proposals.flatMap((p) =>
    p.remaining.map((l) => `${p.label}: ${shortText(l, plan.horizonDays)}`),
  );
  return {
    ...ok(
      `Rebalanced ${where}: ${results.length} transfer${results.length === 1 ? '' : 's'} made`,
      table(
        ['from', 'to', 'license', 'type', 'moved', 'target owns', 'job'],
        results.map((x) => [
          short(x.plan.domain, x.plan.from),
          short(x.plan.domain, x.plan.to),
          x.plan.license,
          x.plan.licenseType,
          x.moved,
          x.target.after ?? 're-read failed',
          x.job.id,
        ]),
      ),
      section(
        results.every((x) => x.resync.status === 'Completed')
          ? 'The accounts were re-read: usage shows the new counts, and the shortage alerts resolve at the next evaluation.'
          : 'A re-read failed: run `sync` to see where things stand.',
      ),
      context(`still to order: ${remaining.length === 0 ? 'nothing' : remaining.join('; ')}`),
    ),
    data: {
      plan: { ...plan, effects: undefined },
      transfers: results.map((x) => ({ ...x, plan: { ...x.plan, allocation: undefined } })),
    },
  };
}

function nothingToApply(r: reports.RebalanceReport): SmartlicError {
  return new SmartlicError({
    code: 'NOTHING_TO_APPLY',
    message: `The rebalance plan for ${whereOf(r)} has no transfer (no shortage within ${r.horizonDays} days, or no surplus covers it)`,
    action: `see \`rebalance${argsOf(r)}\` for what remains to order`,
  });
}

export const rebalanceApply: CommandSpec = {
  verb: 'rebalance --apply',
  summary:
    'runs the rebalance plan: each of its transfers in CSSM, in plan order (stops at the first refusal; re-reads the VAs)',
  args: [{ name: 'va', optional: true }],
  flags: [
    {
      name: 'days',
      value: 'N',
      help: 'horizon in days for forecast shortages, 0–365 (default 30)',
    },
    LICENSE_FLAG,
  ],
  example: 'rebalance --apply nimbus-hcs.example.com/va-globex',
  role: 'operator',
  destructive: true,
  async preview(ctx, input) {
    const r = await planFor(ctx.core, input);
    // Nothing to confirm: said now rather than a yes asked for nothing.
    if (r.transfers.length === 0) throw nothingToApply(r);
    return [
      section(
        `${r.transfers.length} transfer${r.transfers.length === 1 ? '' : 's'}, run in this order: ${r.transfers.map(transferWords).join('; ')}`,
      ),
      ...planBlocks(r),
    ];
  },
  async run(ctx, input) {
    // Planned again now: the state may have changed since the confirmation was asked, and a
    // transfer of a stale plan could take what a source needs now.
    const r = await planFor(ctx.core, input);
    // The same answer with --yes: a script learns that nothing ran (exit 1).
    if (r.transfers.length === 0) throw nothingToApply(r);
    return ctx.job({
      jobType: 'Chat: rebalance --apply',
      entityType: 'Virtual Account',
      entityName: r.scope ?? 'every smart account',
      description: `Rebalance ${whereOf(r)}: ${r.transfers.map(transferWords).join('; ')}`,
      // One job per transfer (each carries Cisco's status and its re-read), inside this one.
      oneJob: false,
      run: () => applyPlan(ctx, r),
      done: appliedReply,
    });
  },
};
