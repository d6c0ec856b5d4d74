/**
 * Commands about smartlic's own chat state: roles and channel subscriptions (alerts and mutes
 * are in alerts.ts).
 * They change no Cisco system, so they run at once (audited) instead of as jobs.
 */
import type { store } from '../../../core/index.ts';
import { ROLES, type CommandSpec, type Role } from '../registry.ts';
import { context, fields, ok, section, table } from '../reply.ts';
import { normalizeUserId, parseUserRef } from '../roles.ts';
import { inputError } from './common.ts';

const role: CommandSpec = {
  verb: 'role',
  summary: 'grants or revokes a role (viewer, operator, admin), or lists who has one',
  args: [
    { name: 'action', choices: ['grant', 'revoke', 'list'] },
    { name: 'user', optional: true },
    { name: 'role', optional: true, choices: ROLES },
  ],
  example: 'role grant slack:U0123ABCD operator',
  role: 'admin',
  async run(ctx, { values }) {
    const users = ctx.core.repos.chatUsers;
    const action = values.action!.toLowerCase();
    if (action === 'list') {
      const stored = await users.list();
      const cfg = ctx.core.config.bot.roles;
      return ok(
        'Roles',
        table(
          ['user', 'role', 'from'],
          [
            ...stored.map((u) => [`${u.platform}:${u.userId}`, u.role, 'role grant']),
            ...ROLES.flatMap((r) => cfg[r].map((id) => [id, r, 'configuration'])),
          ],
        ),
        context(
          `Anyone else: ${ctx.core.config.bot.unknownUsers === 'viewer' ? 'viewer' : 'nothing'} (bot.unknownUsers).`,
        ),
      );
    }
    if (!values.user || !values.role)
      throw inputError(
        `role ${action} needs <user> and <role>`,
        'e.g. role grant slack:U0123ABCD operator',
      );
    const ref = parseUserRef(
      values.user,
      ctx.actor.platform === 'mcp' ? 'console' : ctx.actor.platform,
    );
    if (!ref)
      throw inputError(
        `"${values.user}" is not a user reference`,
        'use slack:U0123ABCD, <@U0123ABCD>, an e-mail (Webex) or console:login',
      );
    const r = values.role.toLowerCase() as Role;
    const id = `${ref.platform}:${ref.userId}`;
    if (action === 'grant') {
      await users.upsert({
        platform: ref.platform,
        userId: normalizeUserId(ref.platform, ref.userId),
        role: r,
        grantedBy: `${ctx.actor.platform}:${ctx.actor.userId}`,
      });
      return ok(
        `${id} is now ${r === 'admin' ? 'an' : 'a'} ${r}`,
        context(`granted by ${ctx.actor.platform}:${ctx.actor.userId}`),
      );
    }
    const current = await users.get(ref.platform, ref.userId);
    if (!current || current.role !== r) {
      const fromConfig = ctx.core.config.bot.roles[r].some(
        (x) => x.toLowerCase() === id.toLowerCase(),
      );
      return {
        status: 'error',
        title: `${id} has no granted ${r} role`,
        blocks: [
          section(
            fromConfig
              ? `${id} is ${r} by the configuration (bot.roles.${r}); change it there.`
              : `${id} was not granted ${r}${current ? ` (granted: ${current.role})` : ''}.`,
          ),
        ],
        ephemeral: true,
      };
    }
    await users.remove(ref.platform, ref.userId);
    const after = await ctx.core.repos.chatUsers.get(ref.platform, ref.userId);
    return ok(
      `${r} revoked from ${id}`,
      context(after ? '' : 'They fall back to the configuration or the default for unknown users.'),
    );
  },
};

export interface SubscriptionFilters {
  rules?: string[];
  customer?: string;
  va?: string;
  severity?: store.AlertSeverity;
  /** Quiet hours: alerts are held and sent as one digest when they end. */
  quiet?: { from: string; to: string; timezone: string };
}

const SEVERITIES: readonly store.AlertSeverity[] = ['info', 'warning', 'critical'];

const subscribe: CommandSpec = {
  verb: 'subscribe',
  // Per chat channel: an MCP client has none.
  mcp: false,
  summary:
    'sends alerts to this channel (filters: rules, customer, VA, minimum severity, quiet hours)',
  args: [{ name: 'rules', optional: true }],
  flags: [
    { name: 'customer', value: 'NAME', help: 'only alerts about this customer' },
    { name: 'va', value: 'DOMAIN/VA', help: 'only alerts about this VA' },
    { name: 'severity', value: 'info|warning|critical', help: 'minimum severity' },
    { name: 'quiet', value: 'HH:MM-HH:MM', help: 'quiet hours: held, then one digest' },
    { name: 'tz', value: 'ZONE', help: 'time zone of the quiet hours (default UTC)' },
  ],
  example:
    'subscribe authorization-expiry,insufficient-licenses --severity warning --quiet 22:00-07:00 --tz Europe/Berlin',
  role: 'operator',
  async run(ctx, { values, flags }) {
    if (ctx.actor.platform === 'console' || ctx.actor.platform === 'mcp' || !ctx.actor.channelId) {
      throw inputError(
        'subscriptions are per chat channel',
        'run subscribe in the Slack channel or Webex space that should get the alerts',
      );
    }
    const f: SubscriptionFilters = {};
    if (values.rules)
      f.rules = values.rules
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean);
    if (typeof flags.customer === 'string') f.customer = flags.customer;
    if (typeof flags.va === 'string') f.va = flags.va;
    if (typeof flags.severity === 'string') {
      const s = flags.severity.toLowerCase() as store.AlertSeverity;
      if (!SEVERITIES.includes(s))
        throw inputError(
          `--severity must be one of ${SEVERITIES.join(', ')}`,
          'e.g. --severity warning',
        );
      f.severity = s;
    }
    if (typeof flags.quiet === 'string') {
      const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(flags.quiet);
      if (!m)
        throw inputError(
          `--quiet must look like 22:00-07:00, not "${flags.quiet}"`,
          'two 24-hour times',
        );
      const tz = typeof flags.tz === 'string' ? flags.tz : 'UTC';
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
      } catch {
        throw inputError(`unknown time zone "${tz}"`, 'use an IANA zone such as Europe/Berlin');
      }
      f.quiet = { from: `${m[1]}:${m[2]}`, to: `${m[3]}:${m[4]}`, timezone: tz };
    }
    const sub = await ctx.core.repos.subscriptions.subscribe({
      platform: ctx.actor.platform,
      channelId: ctx.actor.channelId,
      filters: f as Record<string, unknown>,
      createdBy: `${ctx.actor.platform}:${ctx.actor.userId}`,
    });
    return ok(
      'This channel gets alerts',
      fields({
        rules: f.rules?.join(', ') ?? 'all',
        customer: f.customer ?? 'any',
        'virtual account': f.va ?? 'any',
        'minimum severity': f.severity ?? 'info',
        'quiet hours': f.quiet ? `${f.quiet.from}–${f.quiet.to} ${f.quiet.timezone}` : 'none',
      }),
      context(`subscription ${sub.id}; \`unsubscribe\` stops it`),
    );
  },
};

const unsubscribe: CommandSpec = {
  verb: 'unsubscribe',
  mcp: false,
  summary: 'stops alerts to this channel',
  example: 'unsubscribe',
  role: 'operator',
  async run(ctx) {
    if (!ctx.actor.channelId || ctx.actor.platform === 'console' || ctx.actor.platform === 'mcp')
      throw inputError('subscriptions are per chat channel', 'run it in the channel');
    const gone = await ctx.core.repos.subscriptions.unsubscribe(
      ctx.actor.platform,
      ctx.actor.channelId,
    );
    return ok(gone ? 'This channel no longer gets alerts' : 'This channel had no subscription');
  },
};

export const ADMIN_COMMANDS: readonly CommandSpec[] = [subscribe, unsubscribe, role];
