/**
 * `smartlic va …`: what smartlic keeps per virtual account (CSSM has no such fields): the
 * license mode and the transport. Both change only while no cluster is assigned.
 */
import {
  parseLicenseMode,
  parseTransportMode,
} from '../../core/services/virtual-accounts.service.ts';
import { inputError, parseFlags, requester, subcommandVerb } from './common.ts';
import { vaList } from './read-views.ts';
import { openRuntime } from './runtime.ts';
import type { CliCommand, CliContext } from './types.ts';

const USAGE = `Usage: smartlic va list [--sa DOMAIN] [--json]
       smartlic va mode <sa-domain> <va> Enterprise|HCS|HCS-LE
       smartlic va transport <sa-domain> [<va>] Direct|Proxy|Satellite
                             [--proxy-host H --proxy-port P] [--satellite-url URL]

list       Virtual Account Summary: Name, SA Name, Access Level, Clusters #, Customer #, license
           mode, role and compliance
mode       set the VA's license mode (refused while clusters are assigned to it; a VA without
           a mode cannot take clusters: SLM1014)
transport  set the transport clusters of the VA (or, without <va>, of the whole account) use
           to reach CSSM; refused while clusters are assigned (CAA1041). Proxy needs host and
           port (no proxy authentication towards CSSM); Satellite needs
           https://<satellite fqdn>/SmartTransport`;

const HELP = 'smartlic va --help';

async function run(sub: string | undefined, args: string[], ctx: CliContext): Promise<number> {
  const by = requester();
  if (sub === 'list') return vaList(args, ctx, HELP);
  if (sub === 'mode') {
    const { positionals } = parseFlags(args, {}, HELP);
    const [domain, va, mode, extra] = positionals;
    if (!domain || !va || !mode || extra !== undefined) {
      throw inputError('va mode needs <sa-domain> <va> <mode>', `see "${HELP}"`);
    }
    const m = parseLicenseMode(mode);
    const rt = await openRuntime(ctx);
    try {
      const r = await rt.services.virtualAccounts.setLicenseMode({
        domain,
        va,
        mode: m,
        requestedBy: by,
      });
      ctx.io.stdout.write(`${domain}/${va}: license mode ${m} — job ${r.job.id} ${r.job.status}\n`);
      return 0;
    } finally {
      await rt.close();
    }
  }
  if (sub === 'transport') {
    const { values, positionals } = parseFlags(
      args,
      {
        'proxy-host': { type: 'string' },
        'proxy-port': { type: 'string' },
        'satellite-url': { type: 'string' },
      },
      HELP,
    );
    if (positionals.length < 2 || positionals.length > 3) {
      throw inputError('va transport needs <sa-domain> [<va>] <mode>', `see "${HELP}"`);
    }
    const domain = positionals[0]!;
    const va = positionals.length === 3 ? positionals[1] : undefined;
    const mode = parseTransportMode(positionals[positionals.length - 1]!);
    const rt = await openRuntime(ctx);
    try {
      const r = await rt.services.virtualAccounts.setTransport({
        domain,
        ...(va ? { va } : {}),
        transport: {
          mode,
          ...(values['proxy-host'] ? { proxyHost: values['proxy-host'] } : {}),
          ...(values['proxy-port'] ? { proxyPort: Number(values['proxy-port']) } : {}),
          ...(values['satellite-url'] ? { satelliteUrl: values['satellite-url'] } : {}),
        },
        requestedBy: by,
      });
      ctx.io.stdout.write(`${r.job.statusInformation ?? 'ok'} — job ${r.job.id} ${r.job.status}\n`);
      return 0;
    } finally {
      await rt.close();
    }
  }
  throw inputError(sub ? `unknown va command "${sub}"` : 'va needs a command', `see "${HELP}"`);
}

export const vaCommand: CliCommand = subcommandVerb(
  'va',
  'virtual accounts: list (summary), license mode, transport',
  USAGE,
  run,
);
