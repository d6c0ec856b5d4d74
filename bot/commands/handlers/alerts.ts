/**
 * The alerts the rules raised after each sync (issue 9), one grammar on every face (issue 21):
 * `alerts [--muted] [--all] [--severity S] [--customer C]`, `alert <id>`, `mute <id> <duration>`
 * and `unmute <id>`. The terminal's older spellings (`alerts show ID`, `alerts mute ID --for 7d`,
 * `alerts unmute ID`) are aliases of the same specs. Mutes change smartlic's own state only,
 * so they run at once (audited) instead of as jobs. `--json` is each reply's `data`: the
 * alert records as core's alert service returns them.
 */
import {
  SmartlicError,
  alerts as alertRules,
  parseDuration,
  reports,
  type store,
} from '../../../core/index.ts';
import type { CommandSpec } from '../registry.ts';
import { context, fields, ok, section, table, type Reply } from '../reply.ts';
import { asOfNote, inputError, when, withSuggestions } from './common.ts';

type Alert = store.Alert;

/** An alert id as typed: a whole number (the `id` column of `alerts`). */
function alertId(raw: string): number {
  if (!/^\d+$/.test(raw)) {
    throw inputError(
      `"${raw}" is not an alert id`,
      'give the number from the id column of `alerts`',
    );
  }
  return Number(raw);
}

function muteText(a: Alert): string {
  if (!a.mute) return '';
  return `until ${when(a.mute.until)}${a.mute.by === 'rule' ? ' (rule)' : ''}${a.mute.reason ? `: ${a.mute.reason}` : ''}`;
}

const list: CommandSpec = {
  verb: 'alerts',
  aliases: ['alerts list'],
  summary: 'open alerts, most severe first, then the nearest deadline (muted ones with --muted)',
  flags: [
    { name: 'muted', boolean: true, help: 'also the muted alerts, each with its mute' },
    { name: 'all', boolean: true, help: 'also the resolved alerts (history); implies --muted' },
    {
      name: 'severity',
      value: 'info|warning|critical',
      help: 'this severity or worse',
    },
    { name: 'customer', value: 'NAME', help: 'only alerts about this customer (name or id)' },
  ],
  example: 'alerts',
  role: 'viewer',
  async run(ctx, { flags }) {
    const core = ctx.core;
    const raw = typeof flags.severity === 'string' ? flags.severity : undefined;
    const severity = raw?.toLowerCase();
    if (severity !== undefined && !alertRules.isAlertSeverity(severity)) {
      throw inputError(`--severity "${raw}" is not a severity`, 'use info, warning or critical');
    }
    const given = typeof flags.customer === 'string' ? flags.customer : undefined;
    if (given !== undefined) {
      await withSuggestions(core, 'customer', given, async () => {
        const c =
          (await core.repos.customers.getByName(given)) ??
          (/^\d+$/.test(given) ? await core.repos.customers.getById(Number(given)) : undefined);
        if (!c) {
          throw new SmartlicError({
            code: 'NOT_FOUND',
            message: `no customer "${given}"`,
            action: 'give a customer name as `customers` shows it, or its id',
          });
        }
        return c;
      });
    }
    const all = flags.all === true;
    const filter = {
      state: all ? ('all' as const) : ('open' as const),
      includeMuted: all || flags.muted === true,
      ...(severity !== undefined ? { minSeverity: severity } : {}),
      ...(given !== undefined ? { customer: given } : {}),
    };
    // The open alerts of the whole estate: once per data version (core/reports/read-cache.ts).
    const now = core.clock.now();
    const answer =
      !all && severity === undefined && given === undefined
        ? await reports
            .readCache(core.db)
            .answer(filter.includeMuted ? 'alerts:muted' : 'alerts:open', now, () =>
              core.services.alerts.list(filter),
            )
        : { value: await core.services.alerts.list(filter), asOf: now, current: true };
    const rows = answer.value;
    const what = all ? 'alerts' : 'open alerts';
    const scope = [
      ...(severity !== undefined ? [`${severity} or worse`] : []),
      ...(given !== undefined ? [`about ${given}`] : []),
    ].join(', ');
    if (rows.length === 0) {
      const reply = ok(`No ${what}${scope ? ` (${scope})` : ''}`, ...asOfNote(answer));
      return { ...reply, data: rows };
    }
    // The columns of `status`'s attention list first (one story on every face), then the rest;
    // a column no row fills is left out.
    const muted = rows.some((a) => a.mute);
    const customers = rows.some((a) => a.customer);
    const due = rows.some((a) => a.dueAt);
    const reply = ok(
      `${all ? 'Alerts' : 'Open alerts'} (${rows.length})${scope ? `: ${scope}` : ''}`,
      ...asOfNote(answer),
      table(
        [
          'id',
          'severity',
          'about',
          'alert',
          ...(all ? ['state'] : []),
          ...(muted ? ['muted'] : []),
          ...(customers ? ['customer'] : []),
          ...(due ? ['due'] : []),
          'rule',
          'since',
        ],
        rows.map((a) => [
          a.id,
          a.severity,
          `${a.entity.kind} ${a.entity.name}`,
          a.title,
          ...(all ? [a.state === 'resolved' ? `resolved ${when(a.resolvedAt)}` : 'open'] : []),
          ...(muted ? [muteText(a)] : []),
          ...(customers ? [a.customer?.name ?? ''] : []),
          ...(due ? [a.dueAt ? a.dueAt.toISOString().slice(0, 10) : ''] : []),
          a.rule,
          when(a.firstSeen),
        ]),
      ),
      ...(all || flags.muted === true
        ? []
        : [context('Muted alerts are left out (`alerts --muted` lists them).')]),
    );
    return { ...reply, data: rows };
  },
};

const show: CommandSpec = {
  verb: 'alert',
  aliases: ['alerts show'],
  summary: 'one alert: its facts, recommended action and history',
  args: [{ name: 'alert-id' }],
  example: 'alert 1',
  role: 'viewer',
  async run(ctx, { values }) {
    const id = alertId(values['alert-id']!);
    const a = await ctx.core.services.alerts.get(id);
    const history = await ctx.core.repos.alerts.history(id);
    const facts = Object.entries(a.facts);
    const reply = ok(
      `Alert ${a.id}: ${a.title}`,
      fields({
        severity: `${a.severity}${a.state === 'resolved' ? ` (resolved ${when(a.resolvedAt)})` : ''}`,
        rule: a.rule,
        entity: `${a.entity.kind} ${a.entity.name} (id ${a.entity.id})`,
        customer: a.customer?.name,
        'first seen': when(a.firstSeen),
        'last seen': `${when(a.lastSeen)} (${a.evaluations} evaluation${a.evaluations === 1 ? '' : 's'})`,
        due: a.dueAt ? when(a.dueAt) : undefined,
        muted: a.mute
          ? `${muteText(a)}${a.mute.mutedBy ? ` by ${a.mute.mutedBy}` : ''}`
          : undefined,
        action: a.action ?? undefined,
      }),
      ...(facts.length > 0
        ? [
            section('Facts'),
            fields(Object.fromEntries(facts.map(([k, v]) => [k, v === null ? '-' : String(v)]))),
          ]
        : []),
      section('History'),
      table(
        ['at', 'event', 'severity', 'title', 'by'],
        history.map((h) => [when(h.at), h.kind, h.severity, h.title, h.actor ?? '']),
      ),
    );
    return { ...reply, data: { ...a, history } };
  },
};

const mute: CommandSpec = {
  verb: 'mute',
  aliases: ['alerts mute'],
  summary: 'mutes an alert for a while (30m, 12h, 7d, 2w; a year at most); it keeps updating',
  args: [{ name: 'alert-id' }, { name: 'duration', optional: true }],
  flags: [
    {
      name: 'for',
      value: 'DURATION',
      help: 'how long, the same as the <duration> argument (`alerts mute 12 --for 7d`)',
    },
    { name: 'reason', value: 'TEXT', help: 'why, shown with the alert' },
    {
      name: 'rule',
      boolean: true,
      help: 'mute its rule on its entity: also alerts of that rule there that open later',
    },
  ],
  example: 'mute 17 7d --reason "order placed with the partner"',
  role: 'operator',
  async run(ctx, { values, flags }) {
    const id = alertId(values['alert-id']!);
    const forFlag = typeof flags.for === 'string' ? flags.for : undefined;
    const duration = values.duration ?? forFlag;
    if (values.duration !== undefined && forFlag !== undefined) {
      throw inputError(
        `two durations given ("${values.duration}" and --for ${forFlag})`,
        `give one: mute ${id} ${forFlag}`,
      );
    }
    if (duration === undefined) {
      throw inputError(
        `mute needs a duration`,
        `say how long, e.g. mute ${id} 7d (30m, 12h, 7d, 2w)`,
      );
    }
    const forMs = parseDuration(duration);
    const reason = typeof flags.reason === 'string' ? flags.reason : undefined;
    const { alert, ruleMute } = await ctx.core.services.alerts.mute(id, {
      forMs,
      by: `${ctx.actor.platform}:${ctx.actor.userId}`,
      ...(reason !== undefined ? { reason } : {}),
      ...(flags.rule === true ? { rule: true } : {}),
    });
    const reply: Reply = ruleMute
      ? ok(
          `Muted ${alert.rule} on ${alert.entity.kind} ${alert.entity.name} until ${when(ruleMute.until)}`,
          section(`Alert ${alert.id} and any later alert of that rule there: ${alert.title}`),
        )
      : ok(
          `Alert ${alert.id} muted until ${when(alert.mute?.until)}`,
          section(`${alert.title}${reason ? ` (${reason})` : ''}`),
        );
    return { ...reply, data: { alert, ...(ruleMute ? { ruleMute } : {}) } };
  },
};

const unmute: CommandSpec = {
  verb: 'unmute',
  aliases: ['alerts unmute'],
  summary: "ends an alert's mute (and any rule mute covering it)",
  args: [{ name: 'alert-id' }],
  example: 'unmute 17',
  role: 'operator',
  async run(ctx, { values }) {
    const id = alertId(values['alert-id']!);
    const a = await ctx.core.services.alerts.unmute(
      id,
      `${ctx.actor.platform}:${ctx.actor.userId}`,
    );
    return { ...ok(`Alert ${a.id} is no longer muted`, section(a.title)), data: a };
  },
};

export const ALERT_COMMANDS: readonly CommandSpec[] = [list, show, mute, unmute];
