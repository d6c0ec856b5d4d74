/** `smartlic forecast <sa>/<va>`: when in-use crosses owned at the current trend. */
import * as reports from '../../core/reports/index.ts';
import { inputError, parseFlags } from './common.ts';
import { createOutput } from './output.ts';
import { openRuntime } from './runtime.ts';
import type { CliCommand, CliContext } from './types.ts';

const USAGE = `Usage: smartlic forecast <sa-domain>/<va> [--window DAYS] [--wide] [--json]

Per license type of the VA: the trend of licenses in use over the last --window days (default
90; least squares over the usage snapshots each sync records) and the date in-use reaches
what the VA owns. "already short" and "no growth" are said as such. The table fits the
terminal (100 columns when not a terminal); --wide shows every column in full.

Example:
  smartlic forecast nimbus-hcs.example.com/va-hcs-operational --window 60`;

const HELP = 'smartlic forecast --help';

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { window: { type: 'string' }, json: { type: 'boolean' }, wide: { type: 'boolean' } },
    HELP,
  );
  const ref = positionals[0];
  if (!ref) throw inputError('forecast needs <sa-domain>/<va>', `see "${HELP}"`);
  if (positionals.length > 1)
    throw inputError(`unexpected argument "${positionals[1]}"`, `see "${HELP}"`);
  let windowDays: number | undefined;
  if (values.window !== undefined) {
    windowDays = Number(values.window);
    if (!Number.isInteger(windowDays) || windowDays < 1) {
      throw inputError(
        `--window must be a whole number of days (1 or more), not "${values.window}"`,
        `see "${HELP}"`,
      );
    }
  }
  const rt = await openRuntime(ctx);
  try {
    const va = await reports.resolveVirtualAccount(rt.db, ref);
    const f = await reports.forecast(rt.db, {
      virtualAccountId: va.id,
      now: rt.clock.now(),
      ...(windowDays !== undefined ? { windowDays } : {}),
    });
    if (values.json) {
      ctx.io.stdout.write(`${JSON.stringify(f, null, 2)}\n`);
      return 0;
    }
    ctx.io.stdout.write(`${f.va.label}: trend over the last ${f.windowDays} days\n`);
    createOutput(ctx, { wide: values.wide === true }).table(
      [{ header: 'License Type', shrink: true, min: 16 }, 'Owned', 'In Use', 'Per day', 'Forecast'],
      f.rows.map((r) => [
        r.label,
        String(r.owned),
        String(r.inUse),
        r.slopePerDay === null ? '-' : r.slopePerDay.toFixed(2),
        r.outcome === 'crosses'
          ? `short from ${r.crossesAt!.toISOString().slice(0, 10)} (in ${r.daysUntil} days)`
          : r.outcome === 'not enough data'
            ? `not enough data (${r.points} snapshot${r.points === 1 ? '' : 's'})`
            : r.outcome,
      ]),
    );
    return 0;
  } finally {
    await rt.close();
  }
}

export const forecastCommand: CliCommand = {
  name: 'forecast',
  summary: 'when a virtual account runs short at the current trend',
  usage: USAGE,
  run,
};
