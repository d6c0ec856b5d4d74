/**
 * Registration tokens (CSSM), one grammar on every face (issue 21): `token create <domain>/<va>`,
 * `tokens [<domain>/<va> | <domain>]` (also `token list`) and `token revoke <id | masked>`.
 * The token itself is shown once, at create, and only on a terminal (the console platform:
 * `smartlic token create`, `smartlic ask`), as the reply's file, so a pipe gets the value alone;
 * chat only ever sees its masked form. The terminal's older two-word VA (`token create
 * <domain> <va>`) is still read, with a hint.
 */
import type { TokenView, store } from '../../../core/index.ts';
import type { CommandContext, CommandSpec } from '../registry.ts';
import { context, fields, ok, section, table, type Block } from '../reply.ts';
import { day, inputError, resolveVa, when } from './common.ts';

const STATUSES: readonly store.TokenStatus[] = ['Active', 'Revoked', 'Expired'];

const by = (ctx: CommandContext) =>
  ctx.actor.onBehalfOf
    ? `${ctx.actor.onBehalfOf} as ${ctx.actor.platform}:${ctx.actor.userId}`
    : `${ctx.actor.platform}:${ctx.actor.userId}`;

/** A token as --json prints it: never the value, never its hash. */
function tokenJson({ tokenHash: _h, ...t }: TokenView): Omit<TokenView, 'tokenHash'> {
  return t;
}

/** `<domain>/<va>`, or the older `<domain> <va>` with a hint to say it the one way. */
function vaWords(first: string, second: string | undefined): { ref: string; hint?: Block } {
  if (second === undefined) return { ref: first };
  if (first.includes('/')) {
    throw inputError(
      `"${second}" is not expected after the VA ${first}`,
      'name the VA once, as <domain>/<va>',
    );
  }
  const ref = `${first}/${second}`;
  return {
    ref,
    hint: context(`A VA is one word now: \`${ref}\` (the two-word form still works, for now).`),
  };
}

/** The VA a token command names, checked against the store (did-you-mean on a typo). */
async function tokenVa(ctx: CommandContext, ref: string): Promise<{ domain: string; va: string }> {
  const v = await resolveVa(ctx.core, ref);
  return { domain: v.smartAccountDomain, va: v.name };
}

const create: CommandSpec = {
  verb: 'token create',
  summary:
    'creates a registration token in CSSM for a VA; the terminal shows the token once, chat never',
  args: [{ name: 'va' }, { name: 'va-name', optional: true, hidden: true }],
  flags: [
    {
      name: 'days',
      value: 'N',
      help: 'lifetime in days (1–365; default sync.tokenExpiresAfterDays)',
    },
    {
      name: 'export-controlled',
      boolean: true,
      help: 'export control "Allowed" (default "Not Allowed"); mixed-mode clusters need it',
    },
    { name: 'description', value: 'TEXT', help: 'description stored in CSSM' },
  ],
  example: 'token create nimbus-hcs.example.com/va-hcs-operational --days 30',
  role: 'operator',
  async run(ctx, { values, flags }) {
    const { ref, hint } = vaWords(values.va!, values['va-name']);
    const { domain, va } = await tokenVa(ctx, ref);
    let days: number | undefined;
    if (typeof flags.days === 'string') {
      days = Number(flags.days);
      if (!/^\d+$/.test(flags.days) || days < 1 || days > 365)
        throw inputError(
          `--days must be a whole number from 1 to 365, not "${flags.days}"`,
          'e.g. --days 30',
        );
    }
    const description = typeof flags.description === 'string' ? flags.description : undefined;
    const exportControlled = flags['export-controlled'] === true;
    // Only a terminal gets the value: a chat actor (also `ask --as slack:…`) never does.
    const terminal = ctx.actor.platform === 'console';
    return ctx.job({
      jobType: 'Chat: token create',
      entityType: 'Virtual Account',
      entityName: `${domain}/${va}`,
      description: `Create a registration token in ${domain}/${va}${days ? ` for ${days} days` : ''}${exportControlled ? ', export-controlled' : ''}`,
      run: () =>
        ctx.core.services.tokens.create({
          domain,
          va,
          exportControlled,
          requestedBy: by(ctx),
          ...(days ? { expiresAfterDays: days } : {}),
          ...(description !== undefined ? { description } : {}),
        }),
      done: (r) => ({
        ...ok(
          `Token ${r.token.id} created in ${domain}/${va}`,
          fields({
            id: r.token.id,
            token: r.token.masked,
            expires: r.token.expiresAt ? day(r.token.expiresAt) : 'never',
            'export control': r.token.exportControlled ? 'Allowed' : 'Not Allowed',
            'core job': r.job.id,
          }),
          ...(terminal
            ? [context('The token is shown once, on stdout; smartlic keeps it encrypted.')]
            : [
                context('The token itself is not shown in chat; `smartlic token create` shows it.'),
              ]),
          ...(hint ? [hint] : []),
        ),
        ...(terminal
          ? { file: { name: 'token.txt', mime: 'text/plain', content: `${r.value}\n` } }
          : {}),
        data: {
          token: tokenJson(r.token),
          ...(terminal ? { value: r.value } : {}),
          job: r.job,
        },
      }),
    });
  },
};

const list: CommandSpec = {
  verb: 'tokens',
  aliases: ['token list'],
  summary:
    "registration tokens, masked (the token itself never shows): every one, an account's or a VA's",
  args: [
    { name: 'va-or-account', optional: true },
    { name: 'va-name', optional: true, hidden: true },
  ],
  flags: [{ name: 'status', value: 'Active|Revoked|Expired', help: 'only tokens in this state' }],
  example: 'tokens nimbus-hcs.example.com/va-hcs-operational',
  role: 'viewer',
  async run(ctx, { values, flags }) {
    const { core } = ctx;
    const raw = typeof flags.status === 'string' ? flags.status : undefined;
    const status = raw ? STATUSES.find((s) => s.toLowerCase() === raw.toLowerCase()) : undefined;
    if (raw !== undefined && !status) {
      throw inputError(`unknown status "${raw}"`, `use one of ${STATUSES.join(', ')}`);
    }
    const given = values['va-or-account'];
    let filter: { domain?: string; va?: string } = {};
    let label = 'every account';
    let hint: Block | undefined;
    if (given !== undefined) {
      const words = vaWords(given, values['va-name']);
      hint = words.hint;
      const account = words.ref.includes('/')
        ? undefined
        : await core.repos.smartAccounts.getByDomain(words.ref);
      if (account) {
        filter = { domain: account.domain };
        label = account.domain;
      } else {
        const v = await tokenVa(ctx, words.ref);
        filter = v;
        label = `${v.domain}/${v.va}`;
      }
    }
    const rows = await core.services.tokens.list({ ...filter, ...(status ? { status } : {}) });
    const what = `${status ? `${status} tokens` : 'Tokens'} of ${label}`;
    const blocks: Block[] =
      rows.length === 0
        ? [section(`No ${status ? `${status.toLowerCase()} ` : ''}tokens.`)]
        : [
            // What an operator picks a token by first; the rest gives way on a narrow terminal.
            table(
              [
                'id',
                'token',
                'status',
                'export control',
                'expires',
                // One VA's list names it in its title.
                ...(filter.va === undefined ? ['virtual account'] : []),
                'created by',
                'description',
              ],
              rows.map((t) => [
                t.id,
                t.masked,
                t.status,
                t.exportControlled ? 'Allowed' : 'Not Allowed',
                when(t.expiresAt),
                ...(filter.va === undefined ? [`${t.smartAccount}/${t.virtualAccount}`] : []),
                t.createdBy,
                t.description,
              ]),
            ),
          ];
    return {
      ...ok(`${what} (${rows.length})`, ...blocks, ...(hint ? [hint] : [])),
      data: rows.map(tokenJson),
    };
  },
};

const revoke: CommandSpec = {
  verb: 'token revoke',
  summary: 'revokes a registration token in CSSM and marks it Revoked',
  args: [{ name: 'token-id' }],
  flags: [{ name: 'reason', value: 'TEXT', help: 'reason sent to CSSM' }],
  example: 'token revoke 12 --reason "cluster retired"',
  role: 'operator',
  destructive: true,
  async run(ctx, { values, flags }) {
    const ref = values['token-id']!.trim();
    const all = await ctx.core.services.tokens.list({});
    const known = /^\d+$/.test(ref)
      ? all.find((t) => t.id === Number(ref))
      : all.filter((t) => t.masked === ref).length === 1
        ? all.find((t) => t.masked === ref)
        : undefined;
    if (known?.status === 'Revoked') {
      return {
        ...ok(
          `Token ${known.id} (${known.masked}) was already revoked; nothing changed`,
          fields({ 'virtual account': `${known.smartAccount}/${known.virtualAccount}` }),
        ),
        data: { token: tokenJson(known), job: null, alreadyRevoked: true },
      };
    }
    const reason =
      typeof flags.reason === 'string' ? flags.reason : `revoked by ${by(ctx)} with smartlic`;
    return ctx.job({
      jobType: 'Chat: token revoke',
      entityType: 'Token',
      entityName: ref,
      description: `Revoke registration token ${ref}`,
      run: () => ctx.core.services.tokens.revoke({ ref, requestedBy: by(ctx), reason }),
      done: (r) => ({
        ...ok(
          `Token ${r.token.id} (${r.token.masked}) revoked`,
          fields({
            'virtual account': `${r.token.smartAccount}/${r.token.virtualAccount}`,
            'core job': r.job.id,
          }),
        ),
        data: { token: tokenJson(r.token), job: r.job, alreadyRevoked: false },
      }),
    });
  },
};

export const TOKEN_COMMANDS: readonly CommandSpec[] = [create, list, revoke];
