/**
 * Write commands: each checks what it names at once (so a typo gets "did you mean" before
 * anything starts), then runs the core service as a job and answers with the job id; the
 * follow-up says how it ended, and its typed data is what `--json` prints on every face.
 * One grammar on every face (issue 21): a VA is `<domain>/<va>`, a cluster its name (with
 * `--customer` when two customers use it); the terminal's older spellings (`va mode <domain>
 * <va> MODE`, `cluster assign X --va V`, `cluster renew-auth`, `sync --account D`) answer with
 * the form to write instead.
 */
import { SmartlicError, type SyncOutcome, type store } from '../../../core/index.ts';
import type { CommandContext, CommandSpec } from '../registry.ts';
import { context, fields, ok, section, table, type Reply } from '../reply.ts';
import { inputError, requestedBy, withSuggestions } from './common.ts';

const by = (ctx: CommandContext) => requestedBy(ctx.actor);

const CUSTOMER_FLAG = {
  name: 'customer',
  value: 'NAME',
  help: 'the customer, when several have a cluster of that name',
} as const;

/** The words that are not flags (nor a flag's value): what an older form is told by. */
function positionals(words: readonly string[], valueFlags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith('--')) out.push(w);
    else if (!w.includes('=') && valueFlags.includes(w.slice(2).toLowerCase())) i++;
  }
  return out;
}

/**
 * `<domain>/<va>` (or a VA name alone when it is unique). A domain has no "/", so a VA whose
 * name holds one (`ops/emea`) is still found.
 */
async function vaRef(ctx: CommandContext, ref: string): Promise<{ domain: string; va: string }> {
  const vas = await ctx.core.repos.virtualAccounts.listAll();
  const accounts = new Map(
    (await ctx.core.repos.smartAccounts.list()).map((a) => [a.id, a.domain]),
  );
  // Split at the first slash, as core does (a domain never holds one); when what is before it is
  // no known domain, the whole reference is a bare VA name, which may hold a slash itself.
  const slash = ref.indexOf('/');
  const prefix = slash > 0 ? ref.slice(0, slash) : undefined;
  const domain =
    prefix === undefined
      ? undefined
      : [...accounts.values()].find((d) => d.toLowerCase() === prefix.toLowerCase());
  const va = domain !== undefined ? ref.slice(slash + 1) : ref;
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

/** A Smart Account by its domain; NOT_FOUND names the closest ones. */
export async function accountDomain(ctx: CommandContext, domain: string): Promise<string> {
  await withSuggestions(ctx.core, 'account', domain, async () => {
    if (!(await ctx.core.repos.smartAccounts.getByDomain(domain)))
      throw new SmartlicError({
        code: 'NOT_FOUND',
        message: `Smart Account ${domain} does not exist`,
        action: '`accounts` lists them',
      });
  });
  return domain;
}

/** A cluster by name (and customer, when given); NOT_FOUND names the closest ones. */
export async function clusterRef(
  ctx: CommandContext,
  name: string,
  customer: string | true | undefined,
): Promise<{ cluster: string; customer?: string }> {
  const ref = { cluster: name, ...(typeof customer === 'string' ? { customer } : {}) };
  const { cluster } = await withSuggestions(ctx.core, 'cluster', name, () =>
    ctx.core.services.clusters.resolve(ref),
  );
  return { ...ref, cluster: cluster.name };
}

/** A cluster as a write's `--json` shows it (never its password). */
export function clusterJson(c: store.Cluster | undefined) {
  if (!c) return null;
  return {
    name: c.name,
    type: c.type,
    version: c.version,
    publisher: c.publisherAddress,
    status: c.status,
    registrationStatus: c.registrationStatus,
    authorizationStatus: c.authorizationStatus,
    licenseMode: c.licenseMode,
    transportMode: c.transportMode,
    licensing: c.licensing,
  };
}

/** The follow-up of a cluster write: its state and the job, as text and as data. */
function clusterDone(
  title: string,
  r: { job: store.Job; cluster: store.Cluster },
  extra: Record<string, unknown> = {},
): Reply {
  return {
    ...ok(
      title,
      section(r.job.statusInformation ?? 'Successful.'),
      fields({
        status: r.cluster.status,
        registration: r.cluster.registrationStatus,
        authorization: r.cluster.authorizationStatus,
        'authorization expires': r.cluster.authorizationExpires?.toISOString().slice(0, 10),
        'core job': r.job.id,
      }),
    ),
    data: { cluster: clusterJson(r.cluster), job: r.job, ...extra },
  };
}

function clusterJob(
  verb: string,
  summary: string,
  jobLabel: string,
  call: (
    ctx: CommandContext,
    ref: { cluster: string; customer?: string },
  ) => Promise<{ job: store.Job; cluster: store.Cluster }>,
  opts: { destructive?: boolean } = {},
): CommandSpec {
  return {
    verb,
    aliases: [`cluster ${verb}`],
    summary,
    args: [{ name: 'cluster' }],
    flags: [CUSTOMER_FLAG],
    example: `${verb} globex-cucm-01`,
    role: 'operator',
    ...(opts.destructive ? { destructive: true } : {}),
    async run(ctx, { values, flags }) {
      const ref = await clusterRef(ctx, values.cluster!, flags.customer);
      return ctx.job({
        jobType: `Chat: ${verb}`,
        entityType: 'Cluster',
        entityName: ref.cluster,
        description: `${jobLabel} ${ref.cluster}`,
        run: () => call(ctx, ref),
        done: (r) => clusterDone(`${jobLabel} ${ref.cluster}: done`, r),
      });
    },
  };
}

const assign: CommandSpec = {
  verb: 'assign',
  aliases: ['cluster assign'],
  summary: 'assigns a cluster to a virtual account',
  args: [{ name: 'cluster' }, { name: 'va' }],
  flags: [CUSTOMER_FLAG],
  example: 'assign globex-cucm-01 nimbus-hcs.example.com/va-hcs-operational',
  role: 'operator',
  olderForm(words) {
    if (!words.some((w) => w === '--va' || w.startsWith('--va='))) return undefined;
    const [cluster = '<cluster>'] = positionals(words, ['va', 'customer']);
    const i = words.findIndex((w) => w === '--va' || w.startsWith('--va='));
    const va = words[i]!.includes('=')
      ? words[i]!.split('=')[1]
      : (words[i + 1] ?? '<domain>/<va>');
    return `--va is not taken any more: the VA is the second word. Write \`assign ${cluster} ${va}\`.`;
  },
  async run(ctx, { values, flags }) {
    const ref = await clusterRef(ctx, values.cluster!, flags.customer);
    const { domain, va } = await vaRef(ctx, values.va!);
    return ctx.job({
      jobType: 'Chat: assign',
      entityType: 'Cluster',
      entityName: ref.cluster,
      description: `Assign ${ref.cluster} to ${domain}/${va}`,
      run: () =>
        ctx.core.services.clusters.assign({ ...ref, va: `${domain}/${va}`, requestedBy: by(ctx) }),
      done: (r) => clusterDone(`${ref.cluster} assigned to ${domain}/${va}`, r),
    });
  },
};

const register: CommandSpec = {
  verb: 'register',
  aliases: ['cluster register'],
  summary:
    'registers a cluster with smart licensing (token, transport, mode); --dry-run says the steps',
  args: [{ name: 'cluster' }],
  flags: [
    CUSTOMER_FLAG,
    { name: 'va', value: '<domain>/<va>', help: 'assign to this VA first (when unassigned)' },
    { name: 'force', boolean: true, help: 're-register a product that is registered now' },
    {
      name: 'export-controlled',
      boolean: true,
      help: 'use an export-controlled ("Allowed") token',
    },
    { name: 'dry-run', boolean: true, help: 'say the steps and change nothing' },
  ],
  example: 'register globex-cucm-01 --dry-run',
  role: 'operator',
  async run(ctx, { values, flags }) {
    const ref = await clusterRef(ctx, values.cluster!, flags.customer);
    const target = typeof flags.va === 'string' ? await vaRef(ctx, flags.va) : undefined;
    const opts = {
      ...(target ? { va: `${target.domain}/${target.va}` } : {}),
      force: flags.force === true,
      exportControlled: flags['export-controlled'] === true,
    };
    const numbered = (steps: readonly string[]) => steps.map((x, i) => `${i + 1}. ${x}`).join('\n');
    if (flags['dry-run'] === true) {
      const p = await ctx.core.services.clusters.planRegistration(ref, opts);
      const blockedBy = p.blockedBy
        ? { code: p.blockedBy.code, message: p.blockedBy.message, action: p.blockedBy.action }
        : null;
      return {
        ...ok(
          `register ${ref.cluster} would (nothing changed)`,
          section(numbered(p.steps)),
          ...(blockedBy ? [context(`refused: ${blockedBy.code}: ${blockedBy.message}`)] : []),
        ),
        data: { steps: p.steps, registeredNow: p.registeredNow, blockedBy },
      };
    }
    return ctx.job({
      jobType: 'Chat: register',
      entityType: 'Cluster',
      entityName: ref.cluster,
      description: `Register ${ref.cluster}${target ? ` to ${target.domain}/${target.va}` : ''}`,
      run: async () => {
        const p = await ctx.core.services.clusters.planRegistration(ref, opts);
        if (p.registeredNow && !opts.force) {
          throw new SmartlicError({
            code: 'ALREADY_REGISTERED',
            message: `${ref.cluster} is registered now (to ${p.vaLabel}); nothing was changed`,
            action: 'pass --force to re-register it (a new registration with a token), or leave it',
          });
        }
        const r = await ctx.core.services.clusters.register({
          ...ref,
          ...opts,
          requestedBy: by(ctx),
        });
        return { ...r, steps: p.steps };
      },
      done: (r) => {
        const reply = clusterDone(`Register ${ref.cluster}: done`, r, { steps: r.steps });
        return { ...reply, blocks: [...reply.blocks, context(numbered(r.steps))] };
      },
    });
  },
};

const renew: CommandSpec = {
  verb: 'renew',
  aliases: ['cluster renew'],
  formerly: ['cluster renew-auth', 'cluster renew-id'],
  summary: "renews a cluster's authorization or registration (ID certificate) now",
  args: [{ name: 'what', choices: ['auth', 'registration'] }, { name: 'cluster' }],
  flags: [CUSTOMER_FLAG],
  example: 'renew auth globex-cucm-01',
  role: 'operator',
  async run(ctx, { values, flags }) {
    const what = values.what!.toLowerCase() === 'auth' ? 'authorization' : 'registration';
    const ref = await clusterRef(ctx, values.cluster!, flags.customer);
    return ctx.job({
      jobType: `Chat: renew ${what}`,
      entityType: 'Cluster',
      entityName: ref.cluster,
      description: `Renew the ${what} of ${ref.cluster}`,
      run: () =>
        what === 'authorization'
          ? ctx.core.services.clusters.renewAuthorization({ ...ref, requestedBy: by(ctx) })
          : ctx.core.services.clusters.renewRegistration({ ...ref, requestedBy: by(ctx) }),
      done: (r) => clusterDone(`${what} of ${ref.cluster} renewed`, r),
    });
  },
};

const MODES = ['Enterprise', 'HCS', 'HCS-LE'] as const;

const mode: CommandSpec = {
  verb: 'mode',
  aliases: ['va mode'],
  summary: 'sets the license mode of a VA (only while no cluster is assigned)',
  args: [{ name: 'va' }, { name: 'mode', choices: MODES }],
  example: 'mode nimbus-hcs.example.com/va-hcs-operational HCS',
  role: 'operator',
  destructive: true,
  olderForm(words) {
    const p = positionals(words, []);
    if (p.length !== 3 || p[0]!.includes('/')) return undefined;
    return `A VA is one word, <domain>/<va>. Write \`mode ${p[0]}/${p[1]} ${p[2]}\`.`;
  },
  async run(ctx, { values }) {
    const { domain, va } = await vaRef(ctx, values.va!);
    const m = MODES.find((x) => x.toLowerCase() === values.mode!.toLowerCase())!;
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
      done: (r) => ({
        ...ok(`License mode of ${domain}/${va} is ${m}`, context(`core job ${r.job.id}`)),
        data: { domain, va, licenseMode: m, job: r.job },
      }),
    });
  },
};

const vaRemove: CommandSpec = {
  verb: 'va remove',
  summary:
    'removes a VA from smartlic with its licenses, tokens and devices (usage history stays); refused while clusters are assigned',
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
      done: (r) => ({
        ...ok(
          `${domain}/${va} removed`,
          section(r.job.statusInformation ?? 'Removed.'),
          context(`core job ${r.job.id}`),
        ),
        data: {
          removed: `${domain}/${r.va.name}`,
          missingSince: r.va.missingSince,
          licenses: r.licenses,
          tokens: r.tokens,
          devices: r.devices,
          stillListed: r.stillListed,
          job: r.job,
        },
      }),
    });
  },
};

const TRANSPORT_FORM =
  '`transport <domain>[/<va>] direct`, `transport <domain>[/<va>] proxy <host[:port]>` or `transport <domain>[/<va>] satellite <host | https://…/SmartTransport>`';

const transport: CommandSpec = {
  verb: 'transport',
  aliases: ['va transport'],
  summary:
    'sets how an account (or one VA) reaches CSSM: direct, proxy <host[:port]> or satellite <host|url>',
  args: [
    { name: 'account-or-va' },
    { name: 'mode', choices: ['direct', 'proxy', 'satellite'] },
    { name: 'address', optional: true },
  ],
  example: 'transport nimbus-hcs.example.com proxy proxy.example.com:3128',
  role: 'operator',
  destructive: true,
  olderForm(words) {
    const old = words.find((w) => /^--(proxy-host|proxy-port|satellite-url)(=|$)/.test(w));
    if (old) return `${old.split('=')[0]} is not taken any more. Write ${TRANSPORT_FORM}.`;
    const p = positionals(words, []);
    if (p.length === 3 && /^(direct|proxy|satellite)$/i.test(p[2]!) && !p[0]!.includes('/'))
      return `A VA is one word, <domain>/<va>: write \`transport ${p[0]}/${p[1]} ${p[2]!.toLowerCase()} …\` (${TRANSPORT_FORM}).`;
    return undefined;
  },
  async run(ctx, { values }) {
    // The form is checked before any name is looked up: a wrong address costs no lookup.
    const m = values.mode!.toLowerCase();
    const address = values.address;
    let t: {
      mode: 'Direct' | 'Proxy' | 'Satellite';
      proxyHost?: string;
      proxyPort?: number;
      satelliteUrl?: string;
    };
    if (m === 'direct') {
      if (address) throw inputError('direct takes no address', `write ${TRANSPORT_FORM}`);
      t = { mode: 'Direct' };
    } else if (m === 'proxy') {
      if (!address)
        throw inputError(
          'proxy needs the proxy host: <host[:port]> (no scheme, no credentials; port 3128 by default)',
          'e.g. transport nimbus-hcs.example.com proxy proxy.example.com:3128',
        );
      const hp = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(address);
      const port = hp?.[2] === undefined ? 3128 : Number(hp[2]);
      if (!hp || port < 1 || port > 65535)
        throw new SmartlicError({
          code: 'CAA1040',
          message: `invalid proxy details: expected <host[:port]> (port 1–65535), got "${address}"`,
          action: 'e.g. transport nimbus-hcs.example.com proxy proxy.example.com:3128',
        });
      t = { mode: 'Proxy', proxyHost: hp[1]!, proxyPort: port };
    } else {
      if (!address)
        throw inputError(
          'satellite needs the satellite host name or its https://<fqdn>/SmartTransport URL',
          'e.g. transport la-initech satellite satellite.example.com',
        );
      if (/^[a-z]+:\/\//i.test(address) && !/^https:\/\//i.test(address))
        throw inputError(
          `the satellite URL must be https://<fqdn>/SmartTransport, not "${address}"`,
          'e.g. transport la-initech satellite https://satellite.example.com/SmartTransport',
        );
      t = {
        mode: 'Satellite',
        satelliteUrl: /^https:\/\//i.test(address) ? address : `https://${address}/SmartTransport`,
      };
    }
    const target = values['account-or-va']!;
    const where = target.includes('/')
      ? await vaRef(ctx, target)
      : { domain: await accountDomain(ctx, target), va: undefined };
    const label = where.va ? `${where.domain}/${where.va}` : where.domain;
    return ctx.job({
      jobType: 'Chat: transport',
      entityType: where.va ? 'Virtual Account' : 'Smart Account',
      entityName: label,
      description: `Set the transport of ${label} to ${t.mode}${t.proxyHost ? ` via ${t.proxyHost}:${t.proxyPort}` : ''}${t.satelliteUrl ? ` (${t.satelliteUrl})` : ''}`,
      run: () =>
        ctx.core.services.virtualAccounts.setTransport({
          domain: where.domain,
          ...(where.va ? { va: where.va } : {}),
          transport: t,
          requestedBy: by(ctx),
        }),
      done: (r) => ({
        ...ok(
          `Transport of ${label} set`,
          section(r.job.statusInformation ?? 'Successful.'),
          context(`core job ${r.job.id}`),
        ),
        data: { domain: where.domain, va: where.va ?? null, transport: t, job: r.job },
      }),
    });
  },
};

/** One outcome of a sync as `--json` shows it (dates as ISO strings). */
function outcomeJson(o: SyncOutcome): unknown {
  return JSON.parse(JSON.stringify(o)) as unknown;
}

/** What a sync of one account found besides its counts: kept VAs, unknown records, failures. */
function outcomeNotes(o: SyncOutcome): string[] {
  const notes: string[] = [];
  if (o.satellite?.overdue)
    notes.push(
      `${o.domain}: satellite sync overdue (last CSSM sync ${o.satellite.lastSync?.toISOString().slice(0, 10) ?? 'never'})`,
    );
  for (const m of o.missing)
    notes.push(
      `${o.domain}: VA ${m.name} missing in CSSM since ${m.since.toISOString().slice(0, 10)} (${m.syncs} syncs), kept`,
    );
  if (o.removed.length > 0)
    notes.push(`${o.domain}: removed, gone from CSSM: VA ${o.removed.join(', ')}`);
  for (const u of o.unknownVaRecords)
    notes.push(
      `${o.domain}: ${u.count} ${u.kind} record(s) name VA ${u.virtualAccount}, which CSSM did not list`,
    );
  for (const e of o.clusterErrors) notes.push(`cluster ${e.cluster}: ${e.code}: ${e.message}`);
  return notes;
}

const sync: CommandSpec = {
  verb: 'sync',
  summary: 'syncs one account (or all) with CSSM / the satellite now, and reads cluster status',
  args: [{ name: 'sa', optional: true }],
  flags: [
    { name: 'full', boolean: true, help: 'read everything, even what has not changed' },
    {
      name: 'accept-drop',
      boolean: true,
      help: "apply an answer that lacks a large share of the account's VAs, licenses or devices (refused as SUSPECT_LISTING otherwise)",
    },
  ],
  example: 'sync nimbus-hcs.example.com',
  role: 'operator',
  olderForm(words) {
    const i = words.findIndex((w) => w === '--account' || w.startsWith('--account='));
    if (i < 0) return undefined;
    const d = words[i]!.includes('=') ? words[i]!.split('=')[1] : (words[i + 1] ?? '<domain>');
    return `--account is not taken any more: the account is the first word. Write \`sync ${d}\`.`;
  },
  async run(ctx, { values, flags }) {
    const domain = values.sa === undefined ? undefined : await accountDomain(ctx, values.sa);
    const opts = {
      requestedBy: by(ctx),
      full: flags.full === true,
      acceptDrop: flags['accept-drop'] === true,
      ...(ctx.console?.syncProgress ? { onProgress: ctx.console.syncProgress } : {}),
    };
    return ctx.job({
      jobType: 'Chat: sync',
      entityType: 'Smart Account',
      entityName: domain ?? 'all',
      description: domain ? `Sync ${domain}` : 'Sync every account',
      // Every account's sync is a job of its own: this one stays the wrapper.
      oneJob: domain !== undefined,
      run: async () => {
        try {
          const outcomes = domain
            ? [await ctx.core.services.sync.syncAccount(domain, opts)]
            : await ctx.core.services.sync.syncAll(opts);
          await ctx.core.afterSync?.();
          return outcomes;
        } finally {
          ctx.console?.endProgress?.();
        }
      },
      done: (outcomes) => syncReply(ctx, outcomes),
    });
  },
};

function syncReply(ctx: CommandContext, outcomes: readonly SyncOutcome[]): Reply {
  const failed = outcomes.filter((o) => o.status !== 'Completed');
  const data = outcomes.map(outcomeJson);
  if (outcomes.length === 0)
    return {
      ...ok(
        'Nothing to sync',
        section(
          `No accounts are provisioned in ${ctx.core.config.db.path}; \`account add\` (on a terminal) adds one.`,
        ),
      ),
      data,
    };
  const rows = table(
    ['account', 'result', 'VAs', 'licenses', 'tokens', 'devices', 'clusters read', 'seconds'],
    outcomes.map((o) => [
      o.domain,
      o.status === 'Completed' ? (o.joined ? 'ok (joined a running sync)' : 'ok') : 'FAILED',
      o.counts.virtualAccounts,
      o.counts.licenses,
      o.counts.tokens,
      o.counts.devices,
      `${o.counts.clustersRead}/${o.counts.clusters}`,
      (o.durationMs / 1000).toFixed(1),
    ]),
  );
  const notes = outcomes.flatMap(outcomeNotes);
  if (failed.length > 0) {
    const lines = failed.map(
      (o) =>
        `${o.domain}: ${o.error ? `${o.error.code}: ${o.error.message}` : 'failed'}${o.jobId !== null ? ` (job ${o.jobId})` : ''}`,
    );
    const actions = [...new Set(failed.flatMap((o) => (o.error?.action ? [o.error.action] : [])))];
    return {
      status: 'error',
      title: `sync failed for ${failed.length} of ${outcomes.length} accounts`,
      blocks: [section(lines.join('\n')), ...actions.map(context), rows],
      ephemeral: false,
      code: failed[0]!.error?.code ?? 'SYNC_FAILED',
      data,
    };
  }
  return {
    ...ok(
      `Sync finished: ${outcomes.length} of ${outcomes.length} account${outcomes.length === 1 ? '' : 's'} ok`,
      rows,
      ...(notes.length > 0 ? [section(notes.join('\n'))] : []),
    ),
    data,
  };
}

export const WRITE_COMMANDS: readonly CommandSpec[] = [
  assign,
  clusterJob(
    'unassign',
    'unassigns a cluster from its VA (deregisters it first)',
    'Unassign',
    (ctx, ref) => ctx.core.services.clusters.unassign({ ...ref, requestedBy: by(ctx) }),
    { destructive: true },
  ),
  register,
  clusterJob(
    'deregister',
    'deregisters a cluster from smart licensing (it stays assigned)',
    'Deregister',
    (ctx, ref) => ctx.core.services.clusters.deregister({ ...ref, requestedBy: by(ctx) }),
    { destructive: true },
  ),
  renew,
  mode,
  vaRemove,
  transport,
  sync,
];
