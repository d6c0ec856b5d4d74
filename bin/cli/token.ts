/**
 * `smartlic token …`: registration tokens in CSSM. `create` prints the new token once, on
 * stdout, because the operator asked for it; everything else shows it masked.
 */
import type { TokenView } from '../../core/services/index.ts';
import type { TokenStatus } from '../../core/store/index.ts';
import { checkName, defineCommand, defineGroup, inputError, plural, when } from './common.ts';
import { openRuntime } from './runtime.ts';
import type { CliCommand } from './types.ts';

const STATUSES: readonly TokenStatus[] = ['Active', 'Revoked', 'Expired'];

/** A token as --json prints it: never the value, never its hash. */
function tokenJson({ tokenHash: _h, ...t }: TokenView): Omit<TokenView, 'tokenHash'> {
  return t;
}

const create = defineCommand({
  name: 'token create',
  summary: 'create a registration token in a VA (CSSM) and print it once',
  args: '<sa-domain> <va>',
  arity: [2, 2],
  options: {
    description: { type: 'string', value: 'D', help: 'description stored in CSSM' },
    days: {
      type: 'string',
      value: 'N',
      help: 'lifetime 1–365 days (default sync.tokenExpiresAfterDays)',
    },
    'export-controlled': {
      type: 'boolean',
      help: 'export control "Allowed" (default "Not Allowed")',
    },
  },
  json: '{token: {id, masked, smartAccount, virtualAccount, expiresAt, exportControlled, status, …}, value, job}',
  description: `Creates the token in CSSM and stores it encrypted; the token itself is printed once on
stdout (the details go to stderr). HCM-F cannot make export-controlled tokens; mixed-mode
clusters need one: --export-controlled.`,
  examples: [
    'smartlic token create nimbus-hcs.example.com va-hcs-operational --days 30 --description "lab"',
  ],
  async run({ values, positionals }, c) {
    const [domain, va] = positionals as [string, string];
    if (values.description !== undefined)
      checkName('description', values.description, '--description');
    const days = values.days === undefined ? undefined : Number(values.days);
    if (days !== undefined && (!/^\d+$/.test(values.days!) || !Number.isInteger(days))) {
      throw inputError(`--days needs a whole number, got "${values.days}"`, 'e.g. --days 90');
    }
    const rt = await openRuntime(c);
    try {
      const r = await rt.services.tokens.create({
        domain,
        va,
        ...(values.description ? { description: values.description } : {}),
        ...(days !== undefined ? { expiresAfterDays: days } : {}),
        exportControlled: values['export-controlled'] === true,
        requestedBy: c.by,
      });
      if (c.out.json) {
        c.out.data({ token: tokenJson(r.token), value: r.value, job: r.job });
        return 0;
      }
      c.out.note(
        `token ${r.token.id} created in ${domain}/${va}, expires ${when(r.token.expiresAt) || 'never'}, export control ${r.token.exportControlled ? 'Allowed' : 'Not Allowed'} (job ${r.job.id}); it is shown once:`,
      );
      c.out.print(r.value);
      return 0;
    } finally {
      await rt.close();
    }
  },
});

const list = defineCommand({
  name: 'token list',
  summary: 'stored tokens, masked (first and last four characters)',
  args: '[<sa-domain> [<va>]]',
  arity: [0, 2],
  options: {
    status: { type: 'string', value: 'Active|Revoked|Expired', help: 'only tokens in this state' },
  },
  table: true,
  json: 'array of {id, masked, smartAccount, virtualAccount, expiresAt, exportControlled, status, createdBy, description}',
  examples: ['smartlic token list nimbus-hcs.example.com --status Active'],
  async run({ values, positionals }, c) {
    const [domain, va] = positionals;
    const status = values.status
      ? STATUSES.find((s) => s.toLowerCase() === values.status!.toLowerCase())
      : undefined;
    if (values.status && !status) {
      throw inputError(`unknown status "${values.status}"`, `use one of ${STATUSES.join(', ')}`);
    }
    const rt = await openRuntime(c);
    try {
      const tokens = await rt.services.tokens.list({
        ...(domain ? { domain } : {}),
        ...(va ? { va } : {}),
        ...(status ? { status } : {}),
      });
      if (c.out.json) {
        c.out.data(tokens.map(tokenJson));
        return 0;
      }
      if (tokens.length === 0) {
        c.out.print(`no tokens${status ? ` in state ${status}` : ''} in ${rt.config.db.path}`);
        return 0;
      }
      c.out.table(
        [
          { header: 'Id', min: 2 },
          'Smart Account',
          'Virtual Account',
          'Token',
          { header: 'Expires', min: 20 },
          'Export Control',
          'Status',
          { header: 'Created By', optional: true },
          { header: 'Description', optional: true, shrink: true },
        ],
        tokens.map((t) => [
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
      );
      c.out.note(plural(tokens.length, 'token'));
      return 0;
    } finally {
      await rt.close();
    }
  },
});

const revoke = defineCommand({
  name: 'token revoke',
  summary: 'revoke a token in CSSM and mark it Revoked',
  args: '<id | masked token>',
  arity: [1, 1],
  options: { reason: { type: 'string', value: 'R', help: 'reason sent to CSSM' } },
  json: '{token, job, alreadyRevoked}',
  examples: ['smartlic token revoke 12 --reason "cluster retired"'],
  async run({ values, positionals }, c) {
    const ref = positionals[0]!.trim();
    const rt = await openRuntime(c);
    try {
      const all = await rt.services.tokens.list({});
      const known = /^\d+$/.test(ref)
        ? all.find((t) => t.id === Number(ref))
        : all.filter((t) => t.masked === ref).length === 1
          ? all.find((t) => t.masked === ref)
          : undefined;
      if (known?.status === 'Revoked') {
        if (c.out.json) c.out.data({ token: tokenJson(known), job: null, alreadyRevoked: true });
        else
          c.out.print(`token ${known.id} (${known.masked}) was already revoked; nothing changed`);
        return 0;
      }
      const r = await rt.services.tokens.revoke({
        ref,
        ...(values.reason ? { reason: values.reason } : {}),
        requestedBy: c.by,
      });
      if (c.out.json) {
        c.out.data({ token: tokenJson(r.token), job: r.job, alreadyRevoked: false });
        return 0;
      }
      c.out.print(
        `token ${r.token.id} (${r.token.masked}) revoked — job ${r.job.id} ${r.job.status}`,
      );
      return 0;
    } finally {
      await rt.close();
    }
  },
});

export const tokenCommand: CliCommand = defineGroup({
  name: 'token',
  summary: 'registration tokens: create (export control choice), list (masked), revoke',
  commands: [create, list, revoke],
});
