/**
 * Write commands: each checks what it names at once (so a typo gets "did you mean" before
 * anything starts), then runs the core service as a job and answers with the job id; the
 * follow-up says how it ended.
 */
import { SmartlicError } from '../../../core/index.ts';
import type { CommandContext, CommandSpec } from '../registry.ts';
import { context, fields, ok, section, table } from '../reply.ts';
import { inputError, splitVaRef, withSuggestions } from './common.ts';

const by = (ctx: CommandContext) =>
  ctx.actor.onBehalfOf
    ? `${ctx.actor.onBehalfOf} as ${ctx.actor.platform}:${ctx.actor.userId}`
    : `${ctx.actor.platform}:${ctx.actor.userId}`;

async function vaRef(ctx: CommandContext, ref: string): Promise<{ domain: string; va: string }> {
  const { domain, va } = splitVaRef(ref);
  const vas = await ctx.core.repos.virtualAccounts.listAll();
  const accounts = new Map(
    (await ctx.core.repos.smartAccounts.list()).map((a) => [a.id, a.domain]),
  );
  const hits = vas.filter(
    (v) => v.name === va && (domain === undefined || accounts.get(v.smartAccountId) === domain),
  );
  if (hits.length === 1) return { domain: accounts.get(hits[0]!.smartAccountId)!, va };
  if (hits.length > 1) {
    throw inputError(
      `virtual account name ${va} exists in ${hits.length} accounts`,
      'name it as <domain>/<va>',
    );
  }
  return withSuggestions(ctx.core, 'va', ref, () => {
    throw new SmartlicError({
      code: 'NOT_FOUND',
      message: `virtual account ${ref} does not exist`,
      action: '`vas` lists them',
    });
  });
}

async function clusterName(ctx: CommandContext, name: string): Promise<string> {
  const { cluster } = await withSuggestions(ctx.core, 'cluster', name, () =>
    ctx.core.services.clusters.resolve({ cluster: name }),
  );
  return cluster.name;
}

function clusterJob(
  verb: string,
  summary: string,
  jobLabel: string,
  call: (
    ctx: CommandContext,
    cluster: string,
  ) => Promise<{ job: { id: number; statusInformation: string | null } }>,
  opts: { destructive?: boolean } = {},
): CommandSpec {
  return {
    verb,
    summary,
    args: [{ name: 'cluster' }],
    example: `${verb} globex-cucm-01`,
    role: 'operator',
    ...(opts.destructive ? { destructive: true } : {}),
    async run(ctx, { values }) {
      const name = await clusterName(ctx, values.cluster!);
      return ctx.job({
        jobType: `Chat: ${verb}`,
        entityType: 'Cluster',
        entityName: name,
        description: `${jobLabel} ${name}`,
        run: () => call(ctx, name),
        done: (r) =>
          ok(
            `${jobLabel} ${name}: done`,
            section(r.job.statusInformation ?? 'Successful.'),
            context(`core job ${r.job.id}`),
          ),
      });
    },
  };
}

const assign: CommandSpec = {
  verb: 'assign',
  summary: 'assigns a cluster to a virtual account',
  args: [{ name: 'cluster' }, { name: 'va' }],
  example: 'assign globex-cucm-01 nimbus-hcs.example.com/va-hcs-operational',
  role: 'operator',
  async run(ctx, { values }) {
    const name = await clusterName(ctx, values.cluster!);
    const { domain, va } = await vaRef(ctx, values.va!);
    return ctx.job({
      jobType: 'Chat: assign',
      entityType: 'Cluster',
      entityName: name,
      description: `Assign ${name} to ${domain}/${va}`,
      run: () =>
        ctx.core.services.clusters.assign({
          cluster: name,
          va: `${domain}/${va}`,
          requestedBy: by(ctx),
        }),
      done: (r) => ok(`${name} assigned to ${domain}/${va}`, context(`core job ${r.job.id}`)),
    });
  },
};

const renew: CommandSpec = {
  verb: 'renew',
  summary: "renews a cluster's authorization or registration (ID certificate) now",
  args: [{ name: 'what', choices: ['auth', 'registration'] }, { name: 'cluster' }],
  example: 'renew auth globex-cucm-01',
  role: 'operator',
  async run(ctx, { values }) {
    const what = values.what!.toLowerCase() === 'auth' ? 'authorization' : 'registration';
    const name = await clusterName(ctx, values.cluster!);
    return ctx.job({
      jobType: `Chat: renew ${what}`,
      entityType: 'Cluster',
      entityName: name,
      description: `Renew the ${what} of ${name}`,
      run: () =>
        what === 'authorization'
          ? ctx.core.services.clusters.renewAuthorization({ cluster: name, requestedBy: by(ctx) })
          : ctx.core.services.clusters.renewRegistration({ cluster: name, requestedBy: by(ctx) }),
      done: (r) =>
        ok(
          `${what} of ${name} renewed`,
          fields({
            registration: r.cluster.registrationStatus,
            authorization: r.cluster.authorizationStatus,
            'authorization expires':
              r.cluster.authorizationExpires?.toISOString().slice(0, 10) ?? null,
            'core job': r.job.id,
          }),
        ),
    });
  },
};

const mode: CommandSpec = {
  verb: 'mode',
  summary: 'sets the license mode of a VA (only while no cluster is assigned)',
  args: [{ name: 'va' }, { name: 'mode', choices: ['Enterprise', 'HCS', 'HCS-LE'] }],
  example: 'mode nimbus-hcs.example.com/va-hcs-operational HCS',
  role: 'operator',
  destructive: true,
  async run(ctx, { values }) {
    const { domain, va } = await vaRef(ctx, values.va!);
    const m = (['Enterprise', 'HCS', 'HCS-LE'] as const).find(
      (x) => x.toLowerCase() === values.mode!.toLowerCase(),
    )!;
    return ctx.job({
      jobType: 'Chat: mode',
      entityType: 'Virtual Account',
      entityName: `${domain}/${va}`,
      description: `Set the license mode of ${domain}/${va} to ${m}`,
      run: () =>
        ctx.core.services.virtualAccounts.setLicenseMode({
          domain,
          va,
          mode: m,
          requestedBy: by(ctx),
        }),
      done: (r) => ok(`License mode of ${domain}/${va} is ${m}`, context(`core job ${r.job.id}`)),
    });
  },
};

const vaRemove: CommandSpec = {
  verb: 'va remove',
  summary:
    'removes a VA from smartlic (one CSSM no longer lists); refused while clusters are assigned',
  args: [{ name: 'va' }],
  example: 'va remove nimbus-hcs.example.com/va-old',
  role: 'operator',
  destructive: true,
  async run(ctx, { values }) {
    const { domain, va } = await vaRef(ctx, values.va!);
    return ctx.job({
      jobType: 'Chat: va remove',
      entityType: 'Virtual Account',
      entityName: `${domain}/${va}`,
      description: `Remove ${domain}/${va} from smartlic`,
      run: () =>
        ctx.core.services.virtualAccounts.removeVirtualAccount({
          domain,
          va,
          requestedBy: by(ctx),
        }),
      done: (r) =>
        ok(
          `${domain}/${va} removed`,
          section(r.job.statusInformation ?? 'Removed.'),
          context(`core job ${r.job.id}`),
        ),
    });
  },
};

const transport: CommandSpec = {
  verb: 'transport',
  summary: 'sets how an account reaches CSSM: direct, proxy <host:port> or satellite <host|url>',
  args: [
    { name: 'sa' },
    { name: 'mode', choices: ['direct', 'proxy', 'satellite'] },
    { name: 'target', optional: true },
  ],
  example: 'transport nimbus-hcs.example.com proxy proxy.example.com:3128',
  role: 'operator',
  destructive: true,
  async run(ctx, { values }) {
    const domain = values.sa!;
    await withSuggestions(ctx.core, 'account', domain, async () => {
      if (!(await ctx.core.repos.smartAccounts.getByDomain(domain)))
        throw new SmartlicError({
          code: 'NOT_FOUND',
          message: `Smart Account ${domain} does not exist`,
          action: '`accounts` lists them',
        });
    });
    const m = values.mode!.toLowerCase();
    const target = values.target;
    let t: {
      mode: 'Direct' | 'Proxy' | 'Satellite';
      proxyHost?: string;
      proxyPort?: number;
      satelliteUrl?: string;
    };
    if (m === 'direct') {
      if (target) throw inputError('direct takes no host', 'transport <sa> direct');
      t = { mode: 'Direct' };
    } else if (m === 'proxy') {
      const hp = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(target ?? '');
      if (!hp)
        throw new SmartlicError({
          code: 'CAA1040',
          message: `invalid proxy details: expected <host:port>, got "${target ?? ''}"`,
          action: 'e.g. transport nimbus-hcs.example.com proxy proxy.example.com:3128',
        });
      t = { mode: 'Proxy', proxyHost: hp[1]!, proxyPort: Number(hp[2]) };
    } else {
      if (!target)
        throw inputError(
          'satellite needs the satellite host name or registration URL',
          'transport <sa> satellite satellite.example.com',
        );
      t = {
        mode: 'Satellite',
        satelliteUrl: /^https?:\/\//i.test(target) ? target : `https://${target}/SmartTransport`,
      };
    }
    return ctx.job({
      jobType: 'Chat: transport',
      entityType: 'Smart Account',
      entityName: domain,
      description: `Set the transport of ${domain} to ${t.mode}${t.proxyHost ? ` via ${t.proxyHost}:${t.proxyPort}` : ''}${t.satelliteUrl ? ` (${t.satelliteUrl})` : ''}`,
      run: () =>
        ctx.core.services.virtualAccounts.setTransport({
          domain,
          transport: t,
          requestedBy: by(ctx),
        }),
      done: (r) =>
        ok(
          `Transport of ${domain} set`,
          section(r.job.statusInformation ?? 'Successful.'),
          context(`core job ${r.job.id}`),
        ),
    });
  },
};

const sync: CommandSpec = {
  verb: 'sync',
  summary: 'syncs one account (or all) with CSSM / the satellite now',
  args: [{ name: 'sa', optional: true }],
  example: 'sync nimbus-hcs.example.com',
  role: 'operator',
  async run(ctx, { values }) {
    const domain = values.sa;
    if (domain) {
      await withSuggestions(ctx.core, 'account', domain, async () => {
        if (!(await ctx.core.repos.smartAccounts.getByDomain(domain)))
          throw new SmartlicError({
            code: 'NOT_FOUND',
            message: `Smart Account ${domain} does not exist`,
            action: '`accounts` lists them',
          });
      });
    }
    return ctx.job({
      jobType: 'Chat: sync',
      entityType: 'Smart Account',
      entityName: domain ?? 'all',
      description: domain ? `Sync ${domain}` : 'Sync every account',
      // Every account's sync is a job of its own: this one stays the wrapper.
      oneJob: domain !== undefined,
      run: async () =>
        domain
          ? [await ctx.core.services.sync.syncAccount(domain, { requestedBy: by(ctx) })]
          : ctx.core.services.sync.syncAll({ requestedBy: by(ctx) }),
      done: (outcomes) => ({
        ...ok(
          `Sync finished: ${outcomes.filter((o) => o.status === 'Completed').length} ok, ${outcomes.filter((o) => o.status !== 'Completed').length} failed`,
          table(
            ['account', 'result', 'ms', 'clusters read'],
            outcomes.map((o) => [
              o.domain,
              o.status === 'Completed' ? 'ok' : `${o.error?.code ?? ''}: ${o.error?.message ?? ''}`,
              o.durationMs,
              o.counts.clustersRead,
            ]),
          ),
        ),
        status: outcomes.every((o) => o.status === 'Completed') ? 'ok' : 'error',
      }),
    });
  },
};

export const WRITE_COMMANDS: readonly CommandSpec[] = [
  assign,
  clusterJob(
    'unassign',
    'unassigns a cluster from its VA (deregisters it first)',
    'Unassign',
    (ctx, c) => ctx.core.services.clusters.unassign({ cluster: c, requestedBy: by(ctx) }),
    { destructive: true },
  ),
  clusterJob(
    'register',
    'registers a cluster with smart licensing (token, transport, mode)',
    'Register',
    (ctx, c) => ctx.core.services.clusters.register({ cluster: c, requestedBy: by(ctx) }),
  ),
  clusterJob(
    'deregister',
    'deregisters a cluster from smart licensing',
    'Deregister',
    (ctx, c) => ctx.core.services.clusters.deregister({ cluster: c, requestedBy: by(ctx) }),
    { destructive: true },
  ),
  renew,
  mode,
  vaRemove,
  transport,
  sync,
];
