/**
 * `rebalance [<domain>/<va>]`: the transfers between VAs of one smart account that would cover
 * every shortage now or within the horizon (core's rebalance read model), the allocation
 * before and after for every VA they touch, and what remains to order. Changes nothing: each
 * transfer is shown with the `license transfer` command line that runs it.
 */
import { reports } from '../../../core/index.ts';
import type { CommandSpec } from '../registry.ts';
import { context, fields, ok, section, table, type Block } from '../reply.ts';
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
  ],
  example: 'rebalance nimbus-hcs.example.com/va-globex',
  role: 'viewer',
  async run({ core }, { values, flags }) {
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
    const va = values.va === undefined ? undefined : await resolveVa(core, values.va);
    const r = await reports.rebalance(core.db, {
      now: core.clock.now(),
      ...(horizonDays !== undefined ? { horizonDays } : {}),
      ...(va ? { virtualAccountId: va.id } : {}),
    });
    const where = r.scope ?? 'every smart account';
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
            [
              'license',
              'owned before',
              'owned after',
              'in use after',
              'short before',
              'short after',
            ],
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
        if (c.newShortages.length > 0)
          blocks.push(context(`NEW shortages: ${qty(c.newShortages)}`));
      }
    }
    for (const n of r.notes) blocks.push(context(`note: ${n}`));
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
