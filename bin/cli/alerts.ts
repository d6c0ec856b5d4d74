/** `smartlic alerts`: the stored alerts (core's alert service), mute and unmute (issue 9). */
import { isAlertSeverity } from '../../core/domain/alerts.ts';
import { parseDuration } from '../../core/services/alerts.service.ts';
import type { Alert } from '../../core/store/index.ts';
import { inputError, parseFlags, requester, subcommandVerb, when } from './common.ts';
import { createOutput, type Column } from './output.ts';
import { openRuntime } from './runtime.ts';
import type { CliContext } from './types.ts';

const USAGE = `Usage: smartlic alerts [--all] [--severity S] [--customer C] [--wide] [--json]
       smartlic alerts show ID [--json]
       smartlic alerts mute ID --for 7d [--reason R] [--rule]
       smartlic alerts unmute ID

The alerts the rules raised at the last syncs, most severe first, then the nearest deadline.
  (list)         open alerts; muted ones are listed with their mute
    --all        also the resolved ones (history)
    --severity S this severity or worse: info, warning or critical
    --customer C only alerts about this customer (name or id)
    --wide       every column in full (the table fits the terminal otherwise)
    --json       JSON instead of a table
  show ID        one alert with its facts, recommended action and history
  mute ID        stop delivering it to chat for a while; it keeps updating
    --for D      how long: 30m, 12h, 7d, 2w (required, a year at most)
    --reason R   why, shown with the alert
    --rule       mute its rule on its entity: also alerts of that rule on it that open later
  unmute ID      end its mute (and any rule mute covering it)

Thresholds are set under "alerts" in the config file; see docs/alerts.md.

Examples:
  smartlic alerts --severity warning --customer "Acme Corp"
  smartlic alerts mute 12 --for 7d --reason "order placed with the partner"`;

function alertId(raw: string | undefined, sub: string): number {
  if (raw === undefined) {
    throw inputError(
      `"alerts ${sub}" needs an alert id`,
      'take it from the ID column of "smartlic alerts"',
    );
  }
  if (!/^\d+$/.test(raw)) {
    throw inputError(
      `"${raw}" is not an alert id`,
      'give the number from the ID column of "smartlic alerts"',
    );
  }
  return Number(raw);
}

function muteText(a: Alert): string {
  if (!a.mute) return '';
  return `until ${when(a.mute.until)}${a.mute.by === 'rule' ? ' (rule)' : ''}${a.mute.reason ? `: ${a.mute.reason}` : ''}`;
}

async function list(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      wide: { type: 'boolean' },
      severity: { type: 'string' },
      customer: { type: 'string' },
    },
    'smartlic alerts --help',
  );
  if (positionals.length > 0) {
    throw inputError(
      `unknown subcommand "${positionals[0]}" for "alerts"`,
      'use show, mute or unmute, or no subcommand to list (see "smartlic alerts --help")',
    );
  }
  const severity = values.severity?.toLowerCase();
  if (severity !== undefined && !isAlertSeverity(severity)) {
    throw inputError(
      `--severity "${values.severity}" is not a severity`,
      'use info, warning or critical',
    );
  }
  const rt = await openRuntime(ctx);
  try {
    if (values.customer !== undefined) {
      const c = values.customer;
      const known =
        (await rt.repos.customers.getByName(c)) ??
        (/^\d+$/.test(c) ? await rt.repos.customers.getById(Number(c)) : undefined);
      if (!known) {
        throw inputError(
          `no customer "${c}"`,
          'give a customer name as "smartlic cluster list" shows it, or its id',
        );
      }
    }
    const alerts = await rt.services.alerts.list({
      state: values.all ? 'all' : 'open',
      ...(severity !== undefined ? { minSeverity: severity } : {}),
      ...(values.customer !== undefined ? { customer: values.customer } : {}),
    });
    if (values.json) {
      ctx.io.stdout.write(`${JSON.stringify(alerts, null, 2)}\n`);
      return 0;
    }
    if (alerts.length === 0) {
      ctx.io.stdout.write(
        `${values.all ? 'no alerts' : 'no open alerts'} in ${rt.config.db.path}\n`,
      );
      return 0;
    }
    const headers: (string | Column)[] = [
      'ID',
      'Severity',
      ...(values.all ? [{ header: 'State', shrink: true }] : []),
      { header: 'Rule', optional: true, dropOrder: 2 },
      { header: 'Entity', shrink: true, min: 20 },
      { header: 'Customer', optional: true, dropOrder: 3 },
      { header: 'Since', optional: true, dropOrder: 1 },
      'Due',
      { header: 'Muted', shrink: true, min: 5 },
      { header: 'Title', shrink: true, min: 24 },
    ];
    createOutput(ctx, { wide: values.wide === true }).table(
      headers,
      alerts.map((a) => [
        String(a.id),
        a.severity,
        ...(values.all ? [a.state === 'resolved' ? `resolved ${when(a.resolvedAt)}` : 'open'] : []),
        a.rule,
        `${a.entity.kind} ${a.entity.name}`,
        a.customer?.name ?? '',
        when(a.firstSeen),
        a.dueAt ? when(a.dueAt).slice(0, 10) : '',
        muteText(a),
        a.title,
      ]),
    );
    return 0;
  } finally {
    await rt.close();
  }
}

async function show(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { json: { type: 'boolean' } },
    'smartlic alerts --help',
  );
  const id = alertId(positionals[0], 'show');
  const rt = await openRuntime(ctx);
  try {
    const a = await rt.services.alerts.get(id);
    const history = await rt.repos.alerts.history(id);
    if (values.json) {
      ctx.io.stdout.write(`${JSON.stringify({ ...a, history }, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `Alert ${a.id}: ${a.title}`,
      `  severity     ${a.severity}${a.state === 'resolved' ? ` (resolved ${when(a.resolvedAt)})` : ''}`,
      `  rule         ${a.rule}`,
      `  entity       ${a.entity.kind} ${a.entity.name} (id ${a.entity.id})`,
      ...(a.customer ? [`  customer     ${a.customer.name}`] : []),
      `  first seen   ${when(a.firstSeen)}`,
      `  last seen    ${when(a.lastSeen)} (${a.evaluations} evaluation${a.evaluations === 1 ? '' : 's'})`,
      ...(a.dueAt ? [`  due          ${when(a.dueAt)}`] : []),
      ...(a.mute
        ? [`  muted        ${muteText(a)}${a.mute.mutedBy ? ` by ${a.mute.mutedBy}` : ''}`]
        : []),
      ...(a.action ? [`  action       ${a.action}`] : []),
      '  facts',
      ...Object.entries(a.facts).map(([k, v]) => `    ${k}: ${v === null ? '-' : String(v)}`),
      '  history',
      ...history.map(
        (h) =>
          `    ${when(h.at)}  ${h.kind.padEnd(8)} ${h.severity.padEnd(8)} ${h.title}${h.actor ? ` (${h.actor})` : ''}`,
      ),
    ];
    ctx.io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await rt.close();
  }
}

async function mute(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { for: { type: 'string' }, reason: { type: 'string' }, rule: { type: 'boolean' } },
    'smartlic alerts --help',
  );
  const id = alertId(positionals[0], 'mute');
  if (positionals.length > 1) {
    throw inputError(
      `unexpected argument "${positionals[1]}"`,
      'put a reason with spaces in quotes: --reason "…"',
    );
  }
  if (values.for === undefined) {
    throw inputError('"alerts mute" needs --for', 'say how long, e.g. --for 7d (30m, 12h, 7d, 2w)');
  }
  const forMs = parseDuration(values.for);
  const rt = await openRuntime(ctx);
  try {
    const { alert, ruleMute } = await rt.services.alerts.mute(id, {
      forMs,
      by: requester(),
      ...(values.reason !== undefined ? { reason: values.reason } : {}),
      ...(values.rule ? { rule: true } : {}),
    });
    ctx.io.stdout.write(
      ruleMute
        ? `muted ${alert.rule} on ${alert.entity.kind} ${alert.entity.name} until ${when(ruleMute.until)} (alert ${alert.id} and any later one of that rule there)\n`
        : `muted alert ${alert.id} until ${when(alert.mute?.until)}: ${alert.title}\n`,
    );
    return 0;
  } finally {
    await rt.close();
  }
}

async function unmute(args: string[], ctx: CliContext): Promise<number> {
  const { positionals } = parseFlags(args, {}, 'smartlic alerts --help');
  const id = alertId(positionals[0], 'unmute');
  const rt = await openRuntime(ctx);
  try {
    const a = await rt.services.alerts.unmute(id, requester());
    ctx.io.stdout.write(`alert ${a.id} is no longer muted: ${a.title}\n`);
    return 0;
  } finally {
    await rt.close();
  }
}

export const alertsCommand = subcommandVerb(
  'alerts',
  'alerts the rules raised after each sync: list, show, mute, unmute',
  USAGE,
  async (sub, args, ctx) => {
    switch (sub) {
      case 'show':
        return show(args, ctx);
      case 'mute':
        return mute(args, ctx);
      case 'unmute':
        return unmute(args, ctx);
      case undefined:
        return list([], ctx);
      default:
        return list([sub, ...args], ctx);
    }
  },
);
