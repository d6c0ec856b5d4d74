/**
 * Read commands. They answer from the database through core (read models, services' list
 * views, repositories); none calls CSSM, and none computes a summary of its own.
 */
import type { store } from '../../../core/index.ts';
import type { CommandSpec } from '../registry.ts';
import { context, fields, ok, section, table, type Block } from '../reply.ts';
import { day, splitVaRef, when, withSuggestions } from './common.ts';

const accounts: CommandSpec = {
  verb: 'accounts',
  summary: 'the smart accounts and satellite local accounts smartlic manages',
  example: 'accounts',
  role: 'viewer',
  async run({ core }) {
    const list = await core.repos.smartAccounts.list();
    return ok(
      `Accounts (${list.length})`,
      table(
        ['domain', 'name', 'type', 'source', 'transport', 'last sync', 'sync status'],
        list.map((a) => [
          a.domain,
          a.name,
          a.type,
          a.source,
          a.transportMode,
          when(a.lastSyncAt),
          a.lastSyncStatus ?? '—',
        ]),
      ),
    );
  },
};

const vas: CommandSpec = {
  verb: 'vas',
  summary: 'virtual accounts with their license mode and role',
  example: 'vas',
  role: 'viewer',
  async run({ core }) {
    const domains = new Map((await core.repos.smartAccounts.list()).map((a) => [a.id, a.domain]));
    const list = await core.repos.virtualAccounts.listAll();
    return ok(
      `Virtual accounts (${list.length})`,
      table(
        ['virtual account', 'license mode', 'role', 'default'],
        list.map((v) => [
          `${domains.get(v.smartAccountId) ?? '?'}/${v.name}`,
          v.licenseMode ?? 'not set',
          v.role ?? '—',
          v.isDefault ? 'yes' : '',
        ]),
      ),
    );
  },
};

const clusters: CommandSpec = {
  verb: 'clusters',
  summary: 'the Cluster Summary (HCM-F columns), optionally only failed ones',
  flags: [
    { name: 'failed', boolean: true, help: 'only clusters whose registration or last job failed' },
    { name: 'customer', value: 'NAME', help: 'only this customer' },
    { name: 'va', value: 'DOMAIN/VA', help: 'only clusters assigned to this VA' },
  ],
  example: 'clusters --failed --customer acme',
  role: 'viewer',
  async run({ core }, { flags }) {
    const customer = typeof flags.customer === 'string' ? flags.customer : undefined;
    const va = typeof flags.va === 'string' ? flags.va : undefined;
    const all = await withSuggestions(
      core,
      customer ? 'customer' : 'va',
      customer ?? va ?? '',
      () =>
        core.services.clusters.list({
          ...(customer ? { customer } : {}),
          ...(va ? { va } : {}),
        }),
    );
    const list = flags.failed
      ? all.filter((c) => c.status?.endsWith('Failed') === true || c.jobStatus === 'Failed')
      : all;
    return ok(
      `Clusters (${list.length}${flags.failed ? ' failed' : ''})`,
      table(
        [
          'name',
          'customer',
          'type',
          'version',
          'virtual account',
          'status',
          'job',
          'authorization',
        ],
        list.map((c) => [
          c.name,
          c.customer,
          c.type,
          c.version,
          c.virtualAccount ? `${c.smartAccount ?? '?'}/${c.virtualAccount}` : '—',
          c.status ?? '—',
          c.jobStatus ?? '—',
          c.authorizationStatus ?? '—',
        ]),
      ),
    );
  },
};

const cluster: CommandSpec = {
  verb: 'cluster',
  summary: 'one cluster: registration, authorization, timers and license usage',
  args: [{ name: 'cluster' }],
  flags: [{ name: 'customer', value: 'NAME', help: 'when two customers have the name' }],
  example: 'cluster cucm-acme-1',
  role: 'viewer',
  async run({ core }, { values, flags }) {
    const name = values.cluster!;
    const { cluster: c, customer } = await withSuggestions(core, 'cluster', name, () =>
      core.services.clusters.resolve({
        cluster: name,
        ...(typeof flags.customer === 'string' ? { customer: flags.customer } : {}),
      }),
    );
    const va =
      c.virtualAccountId === null
        ? undefined
        : await core.repos.virtualAccounts.getById(c.virtualAccountId);
    const sa = va ? await core.repos.smartAccounts.getById(va.smartAccountId) : undefined;
    const usage = await core.repos.clusters.listLicenseUsage(c.id);
    const blocks: Block[] = [
      fields({
        customer: customer.name,
        type: `${c.type} ${c.version ?? ''}`.trim(),
        publisher: c.publisherAddress,
        'virtual account': va ? `${sa?.domain ?? '?'}/${va.name}` : 'not assigned',
        status: c.status,
        licensing: c.licensing,
        registration: c.registrationStatus,
        'registration expires': day(c.registrationExpires),
        authorization: c.authorizationStatus,
        'authorization expires': day(c.authorizationExpires),
        'last status read': when(c.lastStatusReadAt),
      }),
    ];
    if (usage.length > 0) {
      blocks.push(
        table(
          ['license', 'count', 'status'],
          usage.map((u) => [u.licenseType, u.count, u.status]),
        ),
      );
    }
    return ok(`Cluster ${c.name}`, ...blocks);
  },
};

const tokens: CommandSpec = {
  verb: 'tokens',
  summary: 'registration tokens of a VA (masked; the token itself never goes to chat)',
  args: [{ name: 'va' }],
  example: 'tokens acme.com/va-hcs-operational',
  role: 'viewer',
  async run({ core }, { values }) {
    const ref = splitVaRef(values.va!);
    const list = await withSuggestions(core, 'va', values.va!, async () => {
      if (ref.domain) return core.services.tokens.list({ domain: ref.domain, va: ref.va });
      return (await core.services.tokens.list()).filter((t) => t.virtualAccount === ref.va);
    });
    return ok(
      `Tokens of ${values.va} (${list.length})`,
      table(
        ['id', 'token', 'status', 'expires', 'export control', 'description'],
        list.map((t) => [
          t.id,
          t.masked,
          t.status,
          day(t.expiresAt),
          t.exportControlled ? 'Allowed' : 'Not Allowed',
          t.description,
        ]),
      ),
    );
  },
};

const jobs: CommandSpec = {
  verb: 'jobs',
  summary: 'recent jobs (HCM-F job fields), optionally only failed ones',
  flags: [{ name: 'failed', boolean: true, help: 'only failed jobs' }],
  example: 'jobs --failed',
  role: 'viewer',
  async run({ core }, { flags }) {
    const list = await core.repos.jobs.list({
      ...(flags.failed ? { status: 'Failed' as const } : {}),
      limit: 20,
    });
    return ok(
      `Jobs (${list.length} most recent${flags.failed ? ' failed' : ''})`,
      table(
        ['id', 'type', 'entity', 'status', 'initiated', 'information'],
        list.map((j) => [
          j.id,
          j.jobType,
          j.entityName,
          j.status,
          when(j.initiatedAt),
          j.errorCode ? `${j.errorCode}: ${j.statusInformation ?? ''}` : j.statusInformation,
        ]),
      ),
    );
  },
};

const job: CommandSpec = {
  verb: 'job',
  summary: 'one job with its status information and recommended action',
  args: [{ name: 'id' }],
  example: 'job 42',
  role: 'viewer',
  async run({ core }, { values }) {
    const id = Number(values.id);
    const j = Number.isInteger(id) ? await core.repos.jobs.getById(id) : undefined;
    if (!j) {
      return {
        status: 'error',
        title: `No job ${values.id}`,
        blocks: [
          section(`There is no job with id ${values.id}.`),
          context('`jobs` lists the recent ones.'),
        ],
        ephemeral: true,
      };
    }
    return ok(`Job ${j.id}: ${j.jobType}`, jobFields(j));
  },
};

export function jobFields(j: store.Job): Block {
  return fields({
    'job type': j.jobType,
    entity: `${j.entityType} ${j.entityName}`,
    status: j.status,
    initiated: when(j.initiatedAt),
    completed: when(j.completedAt),
    'requested by': j.requestedBy,
    'status information': j.statusInformation,
    ...(j.errorCode ? { 'error code': j.errorCode } : {}),
    ...(j.recommendedAction ? { 'recommended action': j.recommendedAction } : {}),
  });
}

const plan: CommandSpec = {
  verb: 'plan migrate',
  summary: 'migration plan for a cluster or a customer (changes nothing)',
  args: [{ name: 'cluster-or-customer' }],
  flags: [{ name: 'to', value: 'HCS|Enterprise|smart', help: 'the target (required)' }],
  example: 'plan migrate cucm-acme-1 --to HCS',
  role: 'viewer',
  async run({ core }, { values, flags }) {
    if (typeof flags.to !== 'string') {
      return {
        status: 'usage',
        title: 'Usage: plan migrate',
        blocks: [section('Missing --to HCS|Enterprise|smart.')],
        ephemeral: true,
      };
    }
    const to =
      flags.to.toLowerCase() === 'hcs'
        ? 'HCS'
        : flags.to.toLowerCase() === 'enterprise'
          ? 'Enterprise'
          : flags.to.toLowerCase() === 'smart'
            ? 'Smart'
            : undefined;
    if (!to) {
      return {
        status: 'usage',
        title: 'Usage: plan migrate',
        blocks: [section(`--to must be HCS, Enterprise or smart, not "${flags.to}".`)],
        ephemeral: true,
      };
    }
    const name = values['cluster-or-customer']!;
    const customer = await core.repos.customers.getByName(name);
    const plans = customer
      ? (await core.services.migration.planCustomer(name, { to })).plans
      : [
          await withSuggestions(core, 'cluster', name, () =>
            core.services.migration.planCluster({ cluster: name }, { to }),
          ),
        ];
    const blocks: Block[] = [];
    for (const p of plans) {
      blocks.push(
        section(
          `${p.cluster}: ${p.nothingToDo ? 'nothing to do' : p.feasible ? 'feasible' : 'blocked'} (${p.from.licenseMode}, ${p.from.licensing}, ${p.from.version} → ${p.target})`,
        ),
      );
      if (p.blockers.length > 0)
        blocks.push(
          table(
            ['blocker', 'why', 'what to do'],
            p.blockers.map((b) => [b.code, b.message, b.action]),
          ),
        );
      if (p.steps.length > 0)
        blocks.push(
          table(
            ['#', 'step', 'detail'],
            p.steps.map((s) => [s.order, s.title, s.detail]),
          ),
        );
      for (const n of p.notes) blocks.push(context(n));
    }
    return ok(`Migration plan: ${name} → ${to}`, ...blocks);
  },
};

const whoami: CommandSpec = {
  verb: 'whoami',
  summary: 'who smartlic thinks you are, and your role',
  example: 'whoami',
  role: 'viewer',
  run({ actor, role }) {
    return Promise.resolve(
      ok(
        'You',
        fields({
          user: `${actor.platform}:${actor.userId}`,
          role,
          ...(actor.onBehalfOf ? { 'on behalf of': actor.onBehalfOf } : {}),
        }),
      ),
    );
  },
};

export const READ_COMMANDS: readonly CommandSpec[] = [
  accounts,
  vas,
  clusters,
  cluster,
  tokens,
  jobs,
  job,
  plan,
  whoami,
];
