/**
 * The verbs that administer the MCP face (issue 26, bot/mcp): its bearer tokens, and the
 * person's yes to a write an MCP client asked for. None of them is offered to MCP clients
 * (`mcp: false`, and each refuses the mcp platform itself): a model must neither mint tokens
 * nor approve its own writes.
 */
import {
  ROLES,
  roleAllows,
  type CommandContext,
  type CommandSpec,
  type Registry,
  type Role,
} from '../registry.ts';
import { context, fields, ok, table } from '../reply.ts';
import { tokenize } from '../grammar.ts';
import { inputError } from './common.ts';

function notFromMcp(ctx: CommandContext, verb: string): void {
  if (ctx.actor.platform === 'mcp')
    throw inputError(
      `${verb} is not available to MCP clients`,
      'a person runs it in the terminal, Slack or Webex',
    );
}

const by = (ctx: CommandContext) =>
  ctx.actor.onBehalfOf
    ? `${ctx.actor.onBehalfOf} as ${ctx.actor.platform}:${ctx.actor.userId}`
    : `${ctx.actor.platform}:${ctx.actor.userId}`;

const create: CommandSpec = {
  verb: 'mcp-token create',
  summary:
    'creates a bearer token for an MCP client, with a role (the secret is shown once, on the terminal)',
  args: [{ name: 'name' }, { name: 'role', choices: ROLES }],
  example: 'mcp-token create claude-alice viewer',
  role: 'admin',
  mcp: false,
  async run(ctx, { values }) {
    notFromMcp(ctx, 'mcp-token create');
    // The secret is shown once: never in a chat channel, where it would stay in the history.
    if (ctx.actor.platform !== 'console')
      throw inputError(
        'an MCP token is created on the terminal only, so that its secret never lands in chat',
        `run: smartlic mcp-token create ${values.name ?? '<name>'} ${values.role ?? '<role>'}`,
      );
    const name = values.name!;
    const role = values.role!.toLowerCase() as Role;
    const { secret } = await ctx.core.services.mcpTokens.create(name, role, by(ctx));
    return {
      ...ok(
        `MCP token ${name} created (${role})`,
        fields({ name, role, actor: `mcp:${name}` }),
        context(
          'The secret is shown once, on stdout; smartlic keeps only its hash. Give it to the MCP client as its bearer token (docs/mcp.md).',
        ),
      ),
      file: { name: 'mcp-token.txt', mime: 'text/plain', content: `${secret}\n` },
      data: { name, role, actor: `mcp:${name}`, secret },
    };
  },
};

const revoke: CommandSpec = {
  verb: 'mcp-token revoke',
  summary: "revokes an MCP client's bearer token at once (its open sessions stop working)",
  args: [{ name: 'name' }],
  example: 'mcp-token revoke claude-alice',
  role: 'admin',
  destructive: true,
  mcp: false,
  async run(ctx, { values }) {
    notFromMcp(ctx, 'mcp-token revoke');
    await ctx.core.services.mcpTokens.revoke(values.name!, by(ctx));
    return {
      ...ok(`MCP token ${values.name!} revoked`),
      data: { name: values.name!, revoked: true },
    };
  },
};

const list: CommandSpec = {
  verb: 'mcp-token list',
  summary: "lists the MCP clients' bearer tokens (names, roles, last use; never the secrets)",
  example: 'mcp-token list',
  role: 'admin',
  mcp: false,
  async run(ctx) {
    notFromMcp(ctx, 'mcp-token list');
    const tokens = await ctx.core.services.mcpTokens.list();
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return {
      ...ok(
        'MCP tokens',
        table(
          ['name', 'role', 'created', 'by', 'last used', 'revoked'],
          tokens.map((t) => [
            t.name,
            t.role,
            iso(t.createdAt),
            t.createdBy,
            iso(t.lastUsedAt) ?? '—',
            iso(t.revokedAt) ?? '',
          ]),
        ),
      ),
      data: tokens.map((t) => ({
        name: t.name,
        role: t.role,
        createdAt: iso(t.createdAt),
        createdBy: t.createdBy,
        lastUsedAt: iso(t.lastUsedAt),
        revokedAt: iso(t.revokedAt),
      })),
    };
  },
};

/**
 * `mcp-confirm <ticket>`: a person says yes to the write an MCP client was refused without
 * one. The ticket stays bound to the token, the exact command line and its expiry (core's
 * ConfirmationService); this only records that a person with the role the command needs said
 * yes. The client then repeats the call with the ticket, and the command layer redeems it once.
 */
function confirm(registry: Registry): CommandSpec {
  return {
    verb: 'mcp-confirm',
    summary:
      'approves the write an MCP client asked for (it then repeats the call with the ticket)',
    args: [{ name: 'ticket' }],
    example: 'mcp-confirm 3q2-7bW9xk1mQeT0aZ8s1A',
    role: 'operator',
    mcp: false,
    async run(ctx, { values }) {
      notFromMcp(ctx, 'mcp-confirm');
      const id = values.ticket!;
      const t = await ctx.core.repos.confirmationTickets.get(id);
      if (!t || !t.subject.startsWith('mcp:'))
        throw inputError(
          `no MCP client was given the ticket "${id.slice(0, 40)}"`,
          'copy the ticket from the MCP client\'s answer ("a person must confirm …")',
        );
      if (t.usedAt)
        throw inputError(
          `ticket ${id} was used already (${t.usedAt.toISOString()})`,
          'nothing to approve',
        );
      if (ctx.core.clock.now().getTime() >= t.expiresAt.getTime())
        throw inputError(
          `ticket ${id} expired at ${t.expiresAt.toISOString()}`,
          'the MCP client has to ask again; approve the new ticket',
        );
      const found = registry.match(tokenize(t.command));
      if (!found)
        throw inputError(`ticket ${id} names no known command`, 'the MCP client has to ask again');
      if (!roleAllows(ctx.role, found.spec.role))
        throw inputError(
          `\`${found.spec.verb}\` needs the ${found.spec.role} role to approve; you are a ${ctx.role}`,
          'ask someone with that role to approve it',
        );
      const first = await ctx.core.repos.mcpTokens.approve(id, by(ctx));
      return {
        ...ok(
          first ? `Approved for ${t.subject}: ${t.command}` : `Already approved: ${t.command}`,
          fields({
            command: t.command,
            'MCP client': t.subject,
            'valid until': t.expiresAt.toISOString(),
          }),
          context('It runs when the MCP client repeats the call with this ticket, once.'),
        ),
        data: {
          ticket: id,
          command: t.command,
          subject: t.subject,
          approved: true,
          expiresAt: t.expiresAt.toISOString(),
        },
      };
    },
  };
}

export function mcpCommands(registry: Registry): CommandSpec[] {
  return [create, revoke, list, confirm(registry)];
}
