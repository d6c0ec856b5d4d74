import type { TransportMode } from '../../core/store/schema.ts';
import {
  checkName,
  defineCommand,
  defineGroup,
  escapeControl,
  inputError,
  plural,
  readSecret,
  refuseSecretFlag,
} from './common.ts';
import { inventory, openRuntime } from './runtime.ts';
import { outcomeJson, outcomeLine, progressPrinter } from './sync.ts';
import type { CliCommand } from './types.ts';

const HELP = 'smartlic account add --help';
const input = (message: string) => inputError(message, `see "${HELP}"`);

const TRANSPORTS: readonly TransportMode[] = ['Direct', 'Proxy', 'Satellite'];

const add = defineCommand({
  name: 'account add',
  summary: 'provision a Smart Account (checks the credentials, stores them encrypted, syncs)',
  options: {
    domain: { type: 'string', value: 'D', help: 'the Smart Account domain (or local account key)' },
    name: { type: 'string', value: 'N', help: 'display name (default from CSSM)' },
    'client-id': { type: 'string', value: 'ID', help: 'API client id' },
    'secret-env': {
      type: 'string',
      value: 'VAR',
      help: 'read the client secret from environment variable VAR',
    },
    'secret-stdin': { type: 'boolean', help: 'read the client secret from standard input' },
    satellite: { type: 'boolean', help: 'the account lives on a CSSM On-Prem satellite' },
    'local-account': {
      type: 'string',
      value: 'NAME',
      help: "with --satellite: the satellite's local account",
    },
    'token-url': {
      type: 'string',
      value: 'URL',
      help: 'OAuth token URL (satellite, or another CSSM)',
    },
    'api-base': { type: 'string', value: 'URL', help: 'API base URL (satellite, or another CSSM)' },
    'devices-api-base': {
      type: 'string',
      value: 'URL',
      help: "device-list API base (another CSSM; default Cisco's https://apx.cisco.com/v1/software/apis/)",
    },
    proxy: {
      type: 'string',
      value: 'URL',
      help: 'Proxy transport through http://host:port (no proxy authentication)',
    },
    transport: {
      type: 'string',
      value: 'Direct|Proxy|Satellite',
      help: 'transport mode (default from the other flags)',
    },
    'no-sync': { type: 'boolean', help: 'do not run the first sync' },
  },
  json: '{account: {domain, name, type, source, transportMode}, virtualAccounts: [names], job, sync}',
  description: `HCM-F's "Provision Smart Account": checks the client id and secret against CSSM (or the
On-Prem satellite), stores them encrypted with the account and its virtual accounts, then
runs a first sync. The secret is never taken from the command line: argv is visible to every
user of the machine (ps, /proc) and lands in shell history.`,
  examples: [
    'NIMBUS_SECRET=… smartlic account add --domain nimbus-hcs.example.com --client-id abc123 --secret-env NIMBUS_SECRET',
    'smartlic account add --satellite --domain la-initech --local-account la-initech --client-id id --secret-stdin --token-url https://sat:8443/backend/oauth/token --api-base https://sat:8443/backend/api/v1 < secret.txt',
  ],
  precheck: (args) =>
    refuseSecretFlag(
      args,
      ['secret', 'client-secret'],
      'pass it with --secret-env VAR (an environment variable) or --secret-stdin (standard input)',
    ),
  async run({ values: v }, c) {
    const ctx = c;
    if (!v.domain) throw input('--domain is required');
    checkName('domain', v.domain, '--domain');
    if (v.name !== undefined) checkName('name', v.name, '--name');
    if (v['local-account'] !== undefined)
      checkName('local account', v['local-account'], '--local-account');
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
        ...(v['devices-api-base'] ? { devicesApiBase: v['devices-api-base'] } : {}),
        ...(v.proxy ? { proxy: v.proxy } : {}),
        ...(transport ? { transport } : {}),
        requestedBy: c.by,
        sync: v['no-sync'] !== true,
        onProgress: progress.onProgress,
      });
      progress.end();
      const a = r.account;
      if (c.out.json) {
        c.out.data({
          account: {
            domain: a.domain,
            name: a.name,
            type: a.type,
            source: a.source,
            localAccount: a.localAccountName ?? null,
            transportMode: a.transportMode,
          },
          virtualAccounts: r.virtualAccounts,
          job: r.jobId,
          sync: r.sync ? outcomeJson(r.sync) : null,
        });
        return r.sync?.status === 'Failed' ? 1 : 0;
      }
      c.out.print(
        escapeControl(
          `provisioned ${a.domain} (${a.name}, ${a.source === 'satellite' ? `satellite local account ${a.localAccountName ?? ''}` : a.type}, ${a.transportMode}): ${plural(r.virtualAccounts.length, 'virtual account')}; job ${r.jobId}`,
        ),
      );
      if (r.sync) {
        c.out.print(outcomeLine(r.sync));
        if (r.sync.status === 'Failed') return 1;
      }
      return 0;
    } finally {
      progress.end();
      await rt.close();
    }
  },
});

const remove = defineCommand({
  name: 'account remove',
  summary: 'remove a provisioned account from smartlic (nothing changes in CSSM)',
  args: '<domain>',
  arity: [1, 1],
  options: {},
  json: '{removed: domain, job}',
  description: `Forgets the account with its virtual accounts, licenses, tokens and devices as smartlic
stored them; CSSM is not touched. Refused (ACCOUNT_IN_USE) while clusters are assigned to
one of its virtual accounts: unassign them first.`,
  examples: ['smartlic account remove nimbus-eu.example.com'],
  async run({ positionals }, c) {
    const rt = await openRuntime(c);
    try {
      const inv = inventory(rt);
      const r = await inv.removeAccount({ domain: positionals[0]!, requestedBy: c.by });
      if (c.out.json) c.out.data({ removed: r.account.domain, job: r.job });
      else c.out.print(`${r.job.statusInformation ?? 'removed'} — job ${r.job.id}`);
      return 0;
    } finally {
      await rt.close();
    }
  },
});

export const accountCommand: CliCommand = defineGroup({
  name: 'account',
  summary: 'smart accounts: add (provision with client credentials), remove; `accounts` lists',
  commands: [add, remove],
});
