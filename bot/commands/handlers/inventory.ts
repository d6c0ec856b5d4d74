/**
 * What the operator adds to smartlic and takes away (issue 21: one registry, every face):
 * accounts (`account add|remove`), customers (`customers`, `customer add|remove`) and the
 * cluster inventory (`cluster add|remove|auto-register`). A removal never changes anything in
 * CSSM or on a product, and refuses while something depends on what it removes.
 *
 * Secrets (an account's client secret, a publisher's admin password) never travel in a chat
 * message nor on a command line: these commands take them on a terminal only, from the
 * environment variable or standard input their flags name (`--secret-env VAR`,
 * `--secret-stdin`); from chat they are refused with the terminal command to run instead.
 */
import {
  InventoryService,
  SmartlicError,
  checkPublisher,
  type AutoRegistrationReport,
  type store,
} from '../../../core/index.ts';
import type { CommandContext, CommandSpec } from '../registry.ts';
import { context, fields, ok, section, table, type Reply } from '../reply.ts';
import {
  checkName,
  inputError,
  readSecretFlag,
  requestedBy,
  secretOnCommandLine,
  withSuggestions,
} from './common.ts';
import { accountDomain, clusterJson, clusterRef } from './writes.ts';
import { clusterImport } from './cluster-import.ts';

const by = (ctx: CommandContext) => requestedBy(ctx.actor);

function inventory(ctx: CommandContext): InventoryService {
  return new InventoryService({
    repos: ctx.core.repos,
    jobs: ctx.core.services.jobs,
    clusters: ctx.core.services.clusters,
  });
}

const str = (v: string | true | undefined): string | undefined =>
  typeof v === 'string' ? v : undefined;

/** A job's end as text and data: its status line and id. */
function jobDone(title: string, job: store.Job, data: Record<string, unknown>): Reply {
  return {
    ...ok(title, section(job.statusInformation ?? 'Successful.'), context(`core job ${job.id}`)),
    data: { ...data, job },
  };
}

// --------------------------------------------------------------------------------------------
// Accounts

const TRANSPORTS: readonly store.TransportMode[] = ['Direct', 'Proxy', 'Satellite'];

const accountAdd: CommandSpec = {
  verb: 'account add',
  summary:
    'provisions a Smart Account (checks the credentials, stores them encrypted, syncs); terminal only',
  flags: [
    { name: 'domain', value: 'D', help: 'the Smart Account domain (or local account key)' },
    { name: 'client-id', value: 'ID', help: 'API client id' },
    {
      name: 'secret-env',
      value: 'VAR',
      help: 'read the client secret from environment variable VAR (terminal only: never in chat, never on the command line)',
    },
    {
      name: 'secret-stdin',
      boolean: true,
      help: 'read the client secret from standard input (terminal only)',
    },
    { name: 'name', value: 'N', help: 'display name (default from CSSM)' },
    { name: 'satellite', boolean: true, help: 'the account lives on a CSSM On-Prem satellite' },
    {
      name: 'local-account',
      value: 'NAME',
      help: "with --satellite: the satellite's local account",
    },
    { name: 'token-url', value: 'URL', help: 'OAuth token URL (satellite, or another CSSM)' },
    { name: 'api-base', value: 'URL', help: 'API base URL (satellite, or another CSSM)' },
    {
      name: 'devices-api-base',
      value: 'URL',
      help: "device-list API base (another CSSM; default Cisco's)",
    },
    { name: 'proxy', value: 'URL', help: 'Proxy transport through http://host:port' },
    {
      name: 'transport',
      value: 'Direct|Proxy|Satellite',
      help: 'transport mode (default from the other flags)',
    },
    { name: 'no-sync', boolean: true, help: 'do not run the first sync' },
  ],
  example:
    'account add --domain nimbus-hcs.example.com --client-id abc123 --secret-env NIMBUS_SECRET',
  role: 'admin',
  olderForm: (words) =>
    secretOnCommandLine(
      words,
      ['secret', 'client-secret'],
      'Pass it with --secret-env VAR (an environment variable) or --secret-stdin (standard input), on a terminal',
    ),
  async run(ctx, { flags }) {
    const domain = str(flags.domain);
    if (!domain) throw inputError('--domain is required', 'e.g. --domain nimbus-hcs.example.com');
    checkName('domain', domain, '--domain');
    const name = str(flags.name);
    if (name !== undefined) checkName('name', name, '--name');
    const local = str(flags['local-account']);
    if (local !== undefined) checkName('local account', local, '--local-account');
    const clientId = str(flags['client-id']);
    if (!clientId) throw inputError('--client-id is required', 'e.g. --client-id abc123');
    let transport: store.TransportMode | undefined;
    if (typeof flags.transport === 'string') {
      const t = flags.transport;
      transport = TRANSPORTS.find((x) => x.toLowerCase() === t.toLowerCase());
      if (!transport)
        throw inputError(
          `--transport must be Direct, Proxy or Satellite, not "${t}"`,
          'e.g. --transport Proxy --proxy http://proxy.example.com:3128',
        );
    }
    if (flags.satellite !== true && local)
      throw inputError('--local-account goes with --satellite', 'add --satellite');
    const secret = await readSecretFlag(
      ctx,
      flags,
      'client secret',
      { env: 'secret-env', stdin: 'secret-stdin' },
      `account add --domain ${domain} --client-id ${clientId} --secret-stdin`,
    );
    const progress = ctx.console?.syncProgress;
    return ctx.job({
      jobType: 'Chat: account add',
      entityType: 'Smart Account',
      entityName: domain,
      description: `Provision ${domain}${flags['no-sync'] === true ? '' : ' and sync it'}`,
      // The provisioning job is this one; its first sync is a job of its own.
      run: async () => {
        try {
          return await ctx.core.services.provision.provisionSmartAccount({
            source: flags.satellite === true ? 'satellite' : 'cssm',
            domain,
            ...(name ? { name } : {}),
            ...(local ? { localAccount: local } : {}),
            clientId,
            clientSecret: secret,
            ...(str(flags['token-url']) ? { tokenUrl: str(flags['token-url'])! } : {}),
            ...(str(flags['api-base']) ? { apiBase: str(flags['api-base'])! } : {}),
            ...(str(flags['devices-api-base'])
              ? { devicesApiBase: str(flags['devices-api-base'])! }
              : {}),
            ...(str(flags.proxy) ? { proxy: str(flags.proxy)! } : {}),
            ...(transport ? { transport } : {}),
            requestedBy: by(ctx),
            sync: flags['no-sync'] !== true,
            ...(progress ? { onProgress: progress } : {}),
          });
        } finally {
          ctx.console?.endProgress?.();
        }
      },
      done: (r) => {
        const a = r.account;
        const syncFailed = r.sync?.status === 'Failed';
        const data = {
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
          sync: r.sync ? (JSON.parse(JSON.stringify(r.sync)) as unknown) : null,
        };
        const e = r.sync?.error;
        return {
          status: syncFailed ? 'error' : 'ok',
          title: syncFailed
            ? `account add: ${a.domain} provisioned, its first sync failed`
            : `Provisioned ${a.domain} (${a.name}, ${a.source === 'satellite' ? 'satellite' : a.type}, ${a.transportMode}): ${r.virtualAccounts.length} virtual account${r.virtualAccounts.length === 1 ? '' : 's'}`,
          blocks: [
            ...(syncFailed && e ? [section(`${e.code}: ${e.message}`)] : []),
            ...(syncFailed && e?.action ? [context(e.action)] : []),
            fields({
              name: a.name,
              source:
                a.source === 'satellite'
                  ? `satellite local account ${a.localAccountName ?? ''}`
                  : a.type,
              transport: a.transportMode,
              'virtual accounts': r.virtualAccounts.length,
              'first sync': r.sync ? r.sync.status : 'not run (--no-sync)',
              'core job': r.jobId,
            }),
          ],
          ...(syncFailed && e ? { code: e.code } : {}),
          data,
        };
      },
    });
  },
};

const accountRemove: CommandSpec = {
  verb: 'account remove',
  summary:
    'removes an account and what smartlic stored of it (not in CSSM); refused while clusters are assigned',
  args: [{ name: 'domain' }],
  example: 'account remove nimbus-eu.example.com',
  role: 'admin',
  destructive: true,
  async run(ctx, { values }) {
    const domain = await accountDomain(ctx, values.domain!);
    return ctx.job({
      jobType: 'Chat: account remove',
      entityType: 'Smart Account',
      entityName: domain,
      description: `Remove ${domain} from smartlic`,
      run: () => inventory(ctx).removeAccount({ domain, requestedBy: by(ctx) }),
      done: (r) => jobDone(`${domain} removed`, r.job, { removed: r.account.domain }),
    });
  },
};

// --------------------------------------------------------------------------------------------
// Customers

const customers: CommandSpec = {
  verb: 'customers',
  aliases: ['customer list'],
  summary: 'customers (HCS tenants) with their account and clusters',
  example: 'customers',
  role: 'viewer',
  async run(ctx) {
    const rows = await inventory(ctx).listCustomers();
    if (rows.length === 0)
      return {
        ...ok('Customers (0)', section('No customers yet; `customer add <name>` adds one.')),
        data: rows,
      };
    return {
      ...ok(
        `Customers (${rows.length})`,
        table(
          ['customer', 'smart account', 'clusters', 'assigned', 'description'],
          rows.map((r) => [
            r.name,
            r.smartAccount ?? '',
            r.clusters,
            r.assignedClusters,
            r.description ?? '',
          ]),
        ),
      ),
      data: rows,
    };
  },
};

const customerAdd: CommandSpec = {
  verb: 'customer add',
  summary: 'adds a customer (or updates its description / account)',
  args: [{ name: 'name' }],
  flags: [
    { name: 'description', value: 'TEXT', help: 'free text' },
    { name: 'sa', value: 'DOMAIN', help: 'the Smart Account the customer belongs to' },
  ],
  example: 'customer add "Stark Industries" --sa nimbus-hcs.example.com',
  role: 'operator',
  async run(ctx, { values, flags }) {
    const name = checkName('customer name', values.name!, '<name>');
    const description = str(flags.description);
    if (description !== undefined) checkName('description', description, '--description');
    const sa = str(flags.sa) === undefined ? undefined : await accountDomain(ctx, str(flags.sa)!);
    return ctx.job({
      jobType: 'Chat: customer add',
      entityType: 'Customer',
      entityName: name,
      description: `Add or update customer ${name}`,
      run: () =>
        inventory(ctx).addCustomer({
          name,
          ...(description !== undefined ? { description } : {}),
          ...(sa ? { smartAccount: sa } : {}),
          requestedBy: by(ctx),
        }),
      done: (r) =>
        jobDone(`Customer ${name} ${r.created ? 'added' : 'updated'}`, r.job, {
          customer: { name: r.customer.name, description: r.customer.description },
          created: r.created,
        }),
    });
  },
};

const customerRemove: CommandSpec = {
  verb: 'customer remove',
  summary: 'removes a customer without clusters (refused while it has any)',
  args: [{ name: 'name' }],
  example: 'customer remove "Stark Industries"',
  role: 'operator',
  destructive: true,
  async run(ctx, { values }) {
    const name = values.name!;
    await withSuggestions(ctx.core, 'customer', name, async () => {
      if (!(await ctx.core.repos.customers.getByName(name)))
        throw new SmartlicError({
          code: 'NOT_FOUND',
          message: `customer ${name} does not exist`,
          action: '`customers` lists them',
        });
    });
    return ctx.job({
      jobType: 'Chat: customer remove',
      entityType: 'Customer',
      entityName: name,
      description: `Remove customer ${name}`,
      run: () => inventory(ctx).removeCustomer({ name, requestedBy: by(ctx) }),
      done: (r) => jobDone(`Customer ${name} removed`, r.job, { removed: name }),
    });
  },
};

// --------------------------------------------------------------------------------------------
// The cluster inventory

const CLUSTER_TYPES = ['CUCM', 'CUC', 'CER'] as const;

const clusterAdd: CommandSpec = {
  verb: 'cluster add',
  summary:
    'adds a cluster to the inventory (or updates it) after asking its publisher; terminal only',
  flags: [
    { name: 'customer', value: 'NAME', help: 'the customer (created when new)' },
    { name: 'name', value: 'N', help: 'the cluster name' },
    { name: 'type', value: 'CUCM|CUC|CER', help: 'application type' },
    { name: 'version', value: 'V', help: 'release, e.g. 14.0.1.13900-155' },
    { name: 'publisher', value: 'ADDRESS', help: 'publisher host name or base URL' },
    { name: 'admin-user', value: 'U', help: 'AXL / REST administrator user' },
    {
      name: 'password-env',
      value: 'VAR',
      help: 'read the admin password from environment variable VAR (terminal only: never in chat, never on the command line)',
    },
    {
      name: 'password-stdin',
      boolean: true,
      help: 'read the admin password from standard input (terminal only)',
    },
    {
      name: 'publisher-hostname',
      value: 'HOST',
      help: "the name CSSM lists the product instance by (default: the publisher address's host)",
    },
    {
      name: 'axl-schema',
      value: '12.5|14.0|15.0',
      help: 'CUCM: the AXL schema to speak (default: the newest the release serves)',
    },
    { name: 'no-check', boolean: true, help: 'store without asking the publisher first' },
  ],
  example:
    'cluster add --customer "Stark Industries" --name stark-cucm-01 --type CUCM --version 14.0.1.13900-155 --publisher cucm-pub.stark.example --admin-user axladmin --password-env CUCM_PW',
  role: 'operator',
  olderForm: (words) =>
    secretOnCommandLine(
      words,
      ['password', 'admin-password'],
      'Pass it with --password-env VAR or --password-stdin, on a terminal',
    ),
  async run(ctx, { flags }) {
    const need = ['customer', 'name', 'type', 'version', 'publisher', 'admin-user'] as const;
    const missing = need.filter((k) => !str(flags[k]));
    if (missing.length > 0)
      throw inputError(
        `cluster add needs ${missing.map((m) => `--${m}`).join(', ')}`,
        'see `cluster add --help`',
      );
    const v = (k: (typeof need)[number]) => str(flags[k])!;
    checkName('customer name', v('customer'), '--customer');
    checkName('cluster name', v('name'), '--name');
    checkName('user name', v('admin-user'), '--admin-user');
    checkName('publisher address', v('publisher'), '--publisher');
    checkName('version', v('version'), '--version');
    const password = await readSecretFlag(
      ctx,
      flags,
      'admin password',
      { env: 'password-env', stdin: 'password-stdin' },
      `cluster add --name ${v('name')} … --password-stdin`,
    );
    const type = v('type').toUpperCase();
    const schema = str(flags['axl-schema']);
    let check: Awaited<ReturnType<typeof checkPublisher>> = [];
    if (flags['no-check'] !== true && (CLUSTER_TYPES as readonly string[]).includes(type)) {
      check = await checkPublisher(ctx.core.services.clients, {
        name: v('name'),
        type: type as (typeof CLUSTER_TYPES)[number],
        version: v('version'),
        publisherAddress: v('publisher'),
        axlSchemaVersion: schema ?? null,
        username: v('admin-user'),
        password,
      });
      const bad = check.find((x) => x.verdict === 'fail');
      if (bad)
        throw new SmartlicError({
          code: bad.code ?? 'UC1020',
          message: `${v('name')} was not added: ${bad.message}`,
          action: `${bad.fix ?? 'check the publisher address, user and password'}; or add it anyway with --no-check`,
        });
    }
    const hostname = str(flags['publisher-hostname']);
    return ctx.job({
      jobType: 'Chat: cluster add',
      entityType: 'Cluster',
      entityName: v('name'),
      description: `Add ${v('name')} (${type} ${v('version')}) for ${v('customer')}`,
      run: () =>
        ctx.core.services.clusters.add({
          customer: v('customer'),
          name: v('name'),
          type: v('type'),
          version: v('version'),
          publisherAddress: v('publisher'),
          adminUsername: v('admin-user'),
          adminPassword: password,
          ...(hostname ? { publisherHostname: hostname } : {}),
          ...(schema ? { axlSchemaVersion: schema } : {}),
          requestedBy: by(ctx),
        }),
      done: (r) => ({
        ...ok(
          `${r.cluster.name} added`,
          section(r.job.statusInformation ?? 'Successful.'),
          ...(check.length > 0
            ? [context(check.map((x) => `check: ${x.message}`).join('\n'))]
            : []),
          context(`core job ${r.job.id}`),
        ),
        data: { cluster: clusterJson(r.cluster), job: r.job, check },
      }),
    });
  },
};

const clusterRemove: CommandSpec = {
  verb: 'cluster remove',
  summary:
    'removes a cluster from the inventory (not from the product); refused while it is assigned',
  args: [{ name: 'cluster' }],
  flags: [
    {
      name: 'customer',
      value: 'NAME',
      help: 'the customer, when several have a cluster of that name',
    },
  ],
  example: 'cluster remove stark-cucm-02 --customer "Stark Industries"',
  role: 'operator',
  destructive: true,
  async run(ctx, { values, flags }) {
    const ref = await clusterRef(ctx, values.cluster!, flags.customer);
    return ctx.job({
      jobType: 'Chat: cluster remove',
      entityType: 'Cluster',
      entityName: ref.cluster,
      description: `Remove ${ref.cluster} from the inventory`,
      run: () => inventory(ctx).removeCluster({ ...ref, requestedBy: by(ctx) }),
      done: (r) => jobDone(`${ref.cluster} removed`, r.job, { removed: ref.cluster }),
    });
  },
};

function reportLines(rep: AutoRegistrationReport): string[] {
  return [
    ...rep.failed.map((f) => `failed  ${f.cluster}: ${f.code}: ${f.message}`),
    ...rep.skipped.map((s) => `skipped ${s.cluster}: ${s.reason}`),
  ];
}

const autoRegister: CommandSpec = {
  verb: 'cluster auto-register',
  summary: "configures (--sa) or runs (--run) auto-registration to an account's operational VA",
  flags: [
    {
      name: 'sa',
      value: 'DOMAIN',
      help: 'configure: new clusters auto-register to this account at each sync',
    },
    {
      name: 'operational-va',
      value: 'VA',
      help: 'with --sa: the operational VA (default: the one marked so)',
    },
    { name: 'run', boolean: true, help: 'auto-register new clusters now' },
  ],
  example: 'cluster auto-register --sa nimbus-hcs.example.com --operational-va va-hcs-operational',
  role: 'operator',
  async run(ctx, { flags }) {
    const sa = str(flags.sa) === undefined ? undefined : await accountDomain(ctx, str(flags.sa)!);
    const run = flags.run === true;
    if (!sa && !run)
      throw inputError(
        'cluster auto-register needs --sa DOMAIN or --run',
        'e.g. cluster auto-register --sa nimbus-hcs.example.com, then cluster auto-register --run',
      );
    if (!sa && str(flags['operational-va']))
      throw inputError('--operational-va goes with --sa', 'add --sa DOMAIN');
    const va = str(flags['operational-va']);
    return ctx.job({
      jobType: 'Chat: cluster auto-register',
      entityType: 'Smart Account',
      entityName: sa ?? 'auto-registration',
      description: [sa ? `Auto-register new clusters to ${sa}` : '', run ? 'run it now' : '']
        .filter(Boolean)
        .join('; '),
      // Running it registers every new cluster in a job of its own.
      oneJob: !run,
      run: async () => {
        const configured = sa
          ? await ctx.core.services.clusters.configureAutoRegistration({
              domain: sa,
              ...(va ? { operationalVa: va } : {}),
              requestedBy: by(ctx),
            })
          : undefined;
        const report = run
          ? await ctx.core.services.clusters.autoRegister({ requestedBy: by(ctx) })
          : undefined;
        if (report && !report.configured)
          throw inputError(
            'auto-registration is not configured',
            'run `cluster auto-register --sa DOMAIN [--operational-va VA]` first',
          );
        return { configured, report };
      },
      done: ({ configured, report }) => {
        const blocks = [
          ...(configured
            ? [
                section(
                  `${configured.job.statusInformation ?? 'Configured.'}${configured.moved.length > 0 ? ` Moved from the old operational VA: ${configured.moved.join(', ')}.` : ''}`,
                ),
              ]
            : []),
          ...(report
            ? [
                section(
                  `Auto-registration to ${report.virtualAccount ?? '—'}: ${report.registered.length} registered, ${report.failed.length} failed, ${report.skipped.length} skipped`,
                ),
                ...(reportLines(report).length > 0
                  ? [context(reportLines(report).join('\n'))]
                  : []),
              ]
            : []),
        ];
        const data = {
          job: configured?.job ?? null,
          moved: configured?.moved ?? [],
          movedReport: configured?.report ?? null,
          report: report ?? null,
        };
        const failed = report?.failed ?? [];
        if (failed.length > 0)
          return {
            status: 'error',
            title: `cluster auto-register failed for ${failed.length} cluster(s)`,
            blocks,
            code: failed[0]!.code,
            data,
          };
        return { ...ok('Auto-registration', ...blocks), data };
      },
    });
  },
};

export const INVENTORY_COMMANDS: readonly CommandSpec[] = [
  accountAdd,
  accountRemove,
  customers,
  customerAdd,
  customerRemove,
  clusterAdd,
  clusterImport,
  clusterRemove,
  autoRegister,
];
