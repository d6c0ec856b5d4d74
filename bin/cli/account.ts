import * as reports from '../../core/reports/index.ts';
import type { TransportMode } from '../../core/store/schema.ts';
import {
  inputError,
  parseFlags,
  readSecret,
  refuseSecretFlag,
  requester,
  subcommandVerb,
} from './common.ts';
import { accountTable } from './status.ts';
import { openRuntime } from './runtime.ts';
import { outcomeLine, progressPrinter } from './sync.ts';
import type { CliCommand, CliContext } from './types.ts';

const USAGE = `Usage: smartlic account add --domain D [--name N] --client-id ID
                            (--secret-env VAR | --secret-stdin)
                            [--satellite --local-account NAME --token-url URL --api-base URL]
                            [--proxy URL] [--transport Direct|Proxy|Satellite] [--no-sync]
       smartlic account list [--json]

add    provision a Smart Account (HCM-F "Provision Smart Account"): checks the client id and
       secret against CSSM (or the On-Prem satellite), stores them encrypted with the account
       and its virtual accounts, then runs a first sync.
         --secret-env VAR   read the client secret from environment variable VAR
         --secret-stdin     read the client secret from standard input
       The secret is never taken from the command line: argv is visible to every user of the
       machine (ps, /proc) and lands in shell history.
         --satellite        the account lives on a CSSM On-Prem satellite; give its local
                            account name and the satellite's token URL and API base
         --proxy URL        Proxy transport through http://host:port (no proxy authentication)
         --transport        Direct, Proxy or Satellite (default from the other flags)
list   the Smart Account Summary: Name, Domain, Type, Status, VA#, Last SyncUp, Alerts`;

const HELP = 'smartlic account --help';
const input = (message: string) => inputError(message, `see "${HELP}"`);

const TRANSPORTS: readonly TransportMode[] = ['Direct', 'Proxy', 'Satellite'];

async function add(args: string[], ctx: CliContext): Promise<number> {
  refuseSecretFlag(
    args,
    ['secret'],
    'pass it with --secret-env VAR (an environment variable) or --secret-stdin (standard input)',
  );
  const { values: v, positionals } = parseFlags(
    args,
    {
      domain: { type: 'string' },
      name: { type: 'string' },
      'client-id': { type: 'string' },
      'secret-env': { type: 'string' },
      'secret-stdin': { type: 'boolean' },
      satellite: { type: 'boolean' },
      'local-account': { type: 'string' },
      'token-url': { type: 'string' },
      'api-base': { type: 'string' },
      proxy: { type: 'string' },
      transport: { type: 'string' },
      'no-sync': { type: 'boolean' },
    },
    HELP,
  );
  if (positionals.length > 0) throw input(`unexpected argument "${positionals[0]}"`);
  if (!v.domain) throw input('--domain is required');
  if (!v['client-id']) throw input('--client-id is required');
  if (Boolean(v['secret-env']) === Boolean(v['secret-stdin'])) {
    throw input('give the client secret with exactly one of --secret-env VAR or --secret-stdin');
  }
  const secret = await readSecret(
    ctx,
    { env: v['secret-env'], stdin: v['secret-stdin'] },
    'client secret',
    { env: '--secret-env', stdin: '--secret-stdin' },
  );
  let transport: TransportMode | undefined;
  if (v.transport !== undefined) {
    transport = TRANSPORTS.find((t) => t.toLowerCase() === v.transport!.toLowerCase());
    if (!transport)
      throw input(`--transport must be Direct, Proxy or Satellite, not "${v.transport}"`);
  }
  if (!v.satellite && v['local-account']) throw input('--local-account goes with --satellite');

  const rt = await openRuntime(ctx);
  const progress = progressPrinter(ctx);
  try {
    const r = await rt.services.provision.provisionSmartAccount({
      source: v.satellite ? 'satellite' : 'cssm',
      domain: v.domain,
      ...(v.name ? { name: v.name } : {}),
      ...(v['local-account'] ? { localAccount: v['local-account'] } : {}),
      clientId: v['client-id'],
      clientSecret: secret,
      ...(v['token-url'] ? { tokenUrl: v['token-url'] } : {}),
      ...(v['api-base'] ? { apiBase: v['api-base'] } : {}),
      ...(v.proxy ? { proxy: v.proxy } : {}),
      ...(transport ? { transport } : {}),
      requestedBy: requester(),
      sync: v['no-sync'] !== true,
      onProgress: progress.onProgress,
    });
    progress.end();
    const a = r.account;
    ctx.io.stdout.write(
      `provisioned ${a.domain} (${a.name}, ${a.source === 'satellite' ? `satellite local account ${a.localAccountName ?? ''}` : a.type}, ${a.transportMode}): ${r.virtualAccounts.length} virtual account(s); job ${r.jobId}\n`,
    );
    if (r.sync) {
      ctx.io.stdout.write(`${outcomeLine(r.sync)}\n`);
      if (r.sync.status === 'Failed') return 1;
    }
    return 0;
  } finally {
    progress.end();
    await rt.close();
  }
}

async function list(args: string[], ctx: CliContext): Promise<number> {
  const json = args.includes('--json');
  const unknown = args.find((a) => a !== '--json');
  if (unknown !== undefined) throw input(`unknown option "${unknown}" for "account list"`);
  const rt = await openRuntime(ctx);
  try {
    const rows = await reports.smartAccountSummary(rt.db, { now: rt.clock.now() });
    if (json) {
      ctx.io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    if (rows.length === 0) {
      ctx.io.stdout.write('no accounts provisioned; add one with "smartlic account add"\n');
      return 0;
    }
    ctx.io.stdout.write(accountTable(rows));
    return 0;
  } finally {
    await rt.close();
  }
}

export const accountCommand: CliCommand = subcommandVerb(
  'account',
  'smart accounts: add (provision with client credentials), list',
  USAGE,
  (sub, rest, ctx) => {
    if (sub === 'add') return add(rest, ctx);
    if (sub === 'list') return list(rest, ctx);
    throw input(sub === undefined ? 'expected "add" or "list"' : `unknown subcommand "${sub}"`);
  },
);
