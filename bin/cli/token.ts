/**
 * `smartlic token …`: registration tokens in CSSM. `create` prints the new token once, on
 * stdout, because the operator asked for it; everything else shows it masked.
 */
import type { TokenStatus } from '../../core/store/index.ts';
import { inputError, parseFlags, requester, subcommandVerb, table, when } from './common.ts';
import { openRuntime } from './runtime.ts';
import type { CliCommand, CliContext } from './types.ts';

const USAGE = `Usage: smartlic token create <sa-domain> <va> [--description D] [--days N]
                             [--export-controlled]
       smartlic token list [<sa-domain> [<va>]] [--status Active|Revoked|Expired] [--json]
       smartlic token revoke <id | masked token> [--reason R]

create   create a registration token in the VA (CSSM) and store it encrypted; prints the
         token once on stdout. --export-controlled makes it "Allowed" (HCM-F cannot: mixed-
         mode clusters need one); default "Not Allowed". --days: 1–365 (default from config).
list     stored tokens, masked (first and last four characters)
revoke   revoke in CSSM and mark it Revoked`;

const HELP = 'smartlic token --help';
const STATUSES: readonly TokenStatus[] = ['Active', 'Revoked', 'Expired'];

async function run(sub: string | undefined, args: string[], ctx: CliContext): Promise<number> {
  const by = requester();
  switch (sub ?? '') {
    case 'create': {
      const { values, positionals } = parseFlags(
        args,
        {
          description: { type: 'string' },
          days: { type: 'string' },
          'export-controlled': { type: 'boolean' },
        },
        HELP,
      );
      const [domain, va, extra] = positionals;
      if (!domain || !va || extra !== undefined) {
        throw inputError('token create needs <sa-domain> <va>', `see "${HELP}"`);
      }
      const days = values.days === undefined ? undefined : Number(values.days);
      if (days !== undefined && !Number.isInteger(days)) {
        throw inputError(`--days needs a whole number, got "${values.days}"`, 'e.g. --days 90');
      }
      const rt = await openRuntime(ctx);
      try {
        const r = await rt.services.tokens.create({
          domain,
          va,
          ...(values.description ? { description: values.description } : {}),
          ...(days !== undefined ? { expiresAfterDays: days } : {}),
          exportControlled: values['export-controlled'] === true,
          requestedBy: by,
        });
        ctx.io.stderr.write(
          `token ${r.token.id} created in ${domain}/${va}, expires ${when(r.token.expiresAt) || 'never'}, export control ${r.token.exportControlled ? 'Allowed' : 'Not Allowed'} (job ${r.job.id}); it is shown once:\n`,
        );
        ctx.io.stdout.write(`${r.value}\n`);
        return 0;
      } finally {
        await rt.close();
      }
    }
    case 'list': {
      const { values, positionals } = parseFlags(
        args,
        { status: { type: 'string' }, json: { type: 'boolean' } },
        HELP,
      );
      const [domain, va, extra] = positionals;
      if (extra !== undefined) throw inputError(`unexpected argument "${extra}"`, `see "${HELP}"`);
      const status = values.status
        ? STATUSES.find((s) => s.toLowerCase() === values.status!.toLowerCase())
        : undefined;
      if (values.status && !status) {
        throw inputError(`unknown status "${values.status}"`, `use one of ${STATUSES.join(', ')}`);
      }
      const rt = await openRuntime(ctx);
      try {
        const list = await rt.services.tokens.list({
          ...(domain ? { domain } : {}),
          ...(va ? { va } : {}),
          ...(status ? { status } : {}),
        });
        if (values.json) {
          ctx.io.stdout.write(
            `${JSON.stringify(
              list.map(({ tokenHash: _hash, ...t }) => t),
              null,
              2,
            )}\n`,
          );
          return 0;
        }
        if (list.length === 0) {
          ctx.io.stdout.write('no tokens\n');
          return 0;
        }
        ctx.io.stdout.write(
          table(
            [
              'Id',
              'Smart Account',
              'Virtual Account',
              'Token',
              'Expires',
              'Export Control',
              'Status',
              'Created By',
              'Description',
            ],
            list.map((t) => [
              String(t.id),
              t.smartAccount,
              t.virtualAccount,
              t.masked,
              when(t.expiresAt),
              t.exportControlled ? 'Allowed' : 'Not Allowed',
              t.status,
              t.createdBy ?? '',
              t.description ?? '',
            ]),
          ),
        );
        return 0;
      } finally {
        await rt.close();
      }
    }
    case 'revoke': {
      const { values, positionals } = parseFlags(args, { reason: { type: 'string' } }, HELP);
      const [ref, extra] = positionals;
      if (!ref || extra !== undefined)
        throw inputError('token revoke needs one token id', `see "${HELP}"`);
      const rt = await openRuntime(ctx);
      try {
        const r = await rt.services.tokens.revoke({
          ref,
          ...(values.reason ? { reason: values.reason } : {}),
          requestedBy: by,
        });
        ctx.io.stdout.write(
          `token ${r.token.id} (${r.token.masked}) revoked — job ${r.job.id} ${r.job.status}\n`,
        );
        return 0;
      } finally {
        await rt.close();
      }
    }
    default:
      throw inputError(
        sub ? `unknown token command "${sub}"` : 'token needs a command',
        `see "${HELP}"`,
      );
  }
}

export const tokenCommand: CliCommand = subcommandVerb(
  'token',
  'registration tokens: create (export control choice), list (masked), revoke',
  USAGE,
  run,
);
