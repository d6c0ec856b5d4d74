/**
 * Read commands. Each answers from one of core's read models (core/reports) over the bot's
 * read connection; none calls CSSM, and none computes a summary or rule of its own — the
 * handlers only pick columns and words.
 */
import { SmartlicError, reports, type store } from '../../../core/index.ts';
import type { CommandSpec } from '../registry.ts';
import { context, fields, ok, section, table, type Block } from '../reply.ts';
import {
  asOfNote,
  day,
  inputError,
  inputErrorNotFound,
  resolveClusterId,
  resolveVa,
  when,
  withSuggestions,
} from './common.ts';
import { forecast, plan, whatif } from './planning.ts';
import { rebalance } from './rebalance.ts';
import { report } from './reports.ts';

const counts = (a: reports.AlertCounts) =>
  a.open === 0
    ? 'none'
    : `${a.open} open (${(['critical', 'warning', 'info'] as const)
        .filter((s) => a[s] > 0)
        .map((s) => `${a[s]} ${s}`)
        .join(', ')})`;

const LEVELS = ['sa', 'va', 'customer'] as const;

/** The attention list as a table: the same columns and records as `alerts`. */
function attentionBlocks(items: readonly reports.AttentionItem[], none: string): Block[] {
  if (items.length === 0) return [section(none)];
  return [
    table(
      ['id', 'severity', 'about', 'alert'],
      items.map((a) => [a.id, a.severity, a.subject, a.message]),
    ),
    context('The open alerts, as `alerts` lists them; `mute <id> <duration>` silences one.'),
  ];
}

const alertText = (s: reports.StatusOverview) =>
  s.openAlerts === 0
    ? `none${s.mutedAlerts > 0 ? ` (${s.mutedAlerts} muted)` : ''}`
    : `${s.openAlerts} (${reports.SEVERITY_ORDER.filter((k) => s.alertsBySeverity[k] > 0)
        .map((k) => `${s.alertsBySeverity[k]} ${k}`)
        .join(', ')}${s.mutedAlerts > 0 ? `; ${s.mutedAlerts} muted` : ''})`;

const status: CommandSpec = {
  verb: 'status',
  summary:
    'are we compliant, what needs attention? overall, one customer, or per sa, va or customer',
  args: [{ name: 'customer-or-level', optional: true }],
  example: 'status Globex',
  role: 'viewer',
  async run({ core }, { values }) {
    const now = core.clock.now();
    const given = values['customer-or-level'];
    const level = LEVELS.find((l) => l === given?.toLowerCase());
    if (level) {
      const o = await reports.complianceOverview(core.db, { now });
      const rows =
        level === 'sa' ? o.smartAccounts : level === 'va' ? o.virtualAccounts : o.customers;
      const bad = rows.filter((r) => r.compliance !== 'In Compliance').length;
      return {
        data: rows,
        ...ok(
          `Compliance per ${level === 'sa' ? 'smart account' : level === 'va' ? 'virtual account' : 'customer'}: ${bad} of ${rows.length} out of compliance`,
          table(
            [
              level === 'sa' ? 'smart account' : level === 'va' ? 'virtual account' : 'customer',
              'compliance',
              'short',
              'clusters in trouble',
            ],
            rows.map((r) => [
              r.name,
              r.compliance,
              r.shortage > 0 ? `${r.shortage} (${r.shortTypes.join(', ')})` : '—',
              `${r.clustersInTrouble} of ${r.clusters}`,
            ]),
          ),
        ),
      };
    }
    if (given !== undefined) {
      const customer = await withSuggestions(core, 'customer', given, async () => {
        const c =
          (await core.repos.customers.getByName(given)) ??
          (await core.repos.customers.list()).find(
            (x) => x.name.toLowerCase() === given.toLowerCase(),
          );
        if (!c)
          throw new SmartlicError({
            code: 'NOT_FOUND',
            message: `No customer "${given}"`,
            action: `give a customer's name (\`customers\` lists them), or one of ${LEVELS.join(', ')}`,
          });
        return c;
      });
      // Only the customer's scope is computed (its clusters' lifecycles, not the estate's).
      const { status: s, compliance: row } = await reports.customerStatus(core.db, {
        now,
        customerId: customer.id,
      });
      return {
        ...ok(
          s.verdict,
          fields({
            compliance: row?.compliance ?? 'no clusters',
            short: row && row.shortage > 0 ? `${row.shortage} (${row.shortTypes.join(', ')})` : '—',
            clusters: `${s.clusters.total} (${s.clusters.inTrouble} in trouble, ${s.clusters.failed} failed, ${s.clusters.unreachable} unreachable)`,
            'virtual accounts': `${s.virtualAccounts.total} (${s.virtualAccounts.outOfCompliance} out of compliance)`,
            'open alerts': alertText(s),
          }),
          ...attentionBlocks(s.attention, `Nothing needs attention for ${customer.name}.`),
        ),
        data: { ...s, customerName: customer.name, compliance: row ?? null },
      };
    }
    // The whole estate: computed once per data version (core/reports/read-cache.ts).
    const a = await reports
      .readCache(core.db)
      .answer('status', now, (at) => reports.statusOverview(core.db, { now: at }));
    const s = a.value;
    return {
      ...ok(
        s.verdict,
        ...asOfNote(a),
        fields({
          accounts: s.accounts.length,
          'virtual accounts': `${s.virtualAccounts.total} (${s.virtualAccounts.outOfCompliance} out of compliance${s.virtualAccounts.missing > 0 ? `, ${s.virtualAccounts.missing} no longer listed by CSSM` : ''})`,
          clusters: `${s.clusters.total} (${s.clusters.inTrouble} in trouble, ${s.clusters.failed} failed, ${s.clusters.unreachable} unreachable)`,
          customers: `${s.customers.total} (${s.customers.compliant} in compliance, ${s.customers.withAlerts} with open alerts)`,
          'open alerts': alertText(s),
          ...Object.fromEntries(Object.entries(s.clusters.byAuthorization).map(([k, v]) => [k, v])),
        }),
        ...attentionBlocks(s.attention, 'Nothing needs attention.'),
        accountsTable(s.accounts),
      ),
      data: s,
    };
  },
};

const usage: CommandSpec = {
  verb: 'usage',
  summary:
    'license usage of a virtual account (owned, in use, short, borrowing, terms) or of a customer',
  args: [{ name: 'va', optional: true }],
  flags: [
    {
      name: 'customer',
      value: 'NAME',
      help: "the customer's clusters' counts, per VA they draw on",
    },
    {
      name: 'terms-days',
      value: 'N',
      help: 'terms ending within N days are called out (default 90)',
    },
  ],
  example: 'usage nimbus-hcs.example.com/va-hcs-operational',
  role: 'viewer',
  async run({ core }, { values, flags }) {
    const given = typeof flags.customer === 'string' ? flags.customer : undefined;
    // A customer's name alone (`usage Globex`) still answers for the customer.
    const bare =
      given === undefined && values.va !== undefined && !values.va.includes('/')
        ? await core.repos.customers.getByName(values.va)
        : undefined;
    if ((values.va === undefined) === (given === undefined)) {
      throw inputError(
        'give either <domain>/<va> or --customer NAME',
        'e.g. usage nimbus-hcs.example.com/va-hcs-operational, or usage --customer Globex',
      );
    }
    if (given !== undefined || bare) {
      const customer =
        bare ??
        (await withSuggestions(core, 'customer', given!, async () => {
          const c = await core.repos.customers.getByName(given!);
          if (!c) throw inputErrorNotFound(`customer ${given}`);
          return c;
        }));
      const rows = await reports.customerUsage(core.db, { customerId: customer.id });
      return {
        ...ok(
          `Usage of customer ${customer.name}`,
          rows.length === 0
            ? section('No license counts read from its clusters yet (run a sync).')
            : table(
                ['virtual account', 'license', 'reports as', 'count', 'clusters'],
                rows.map((r) => [
                  r.virtualAccount ?? 'unassigned',
                  r.label,
                  r.reportCode,
                  r.count,
                  r.clusters,
                ]),
              ),
        ),
        data: rows,
      };
    }
    const raw = typeof flags['terms-days'] === 'string' ? flags['terms-days'] : undefined;
    const termsWithinDays = raw === undefined ? undefined : Number(raw);
    if (
      termsWithinDays !== undefined &&
      (!Number.isInteger(termsWithinDays) || termsWithinDays < 0)
    )
      throw inputError(
        `--terms-days must be a whole number of days, not "${raw}"`,
        'e.g. --terms-days 30',
      );
    const va = await resolveVa(core, values.va!);
    const u = await reports.virtualAccountUsage(core.db, {
      virtualAccountId: va.id,
      now: core.clock.now(),
      ...(termsWithinDays !== undefined ? { termsWithinDays } : {}),
    });
    const blocks: Block[] = [
      section(`${u.compliance}`),
      ...(u.va.missingSince !== null
        ? [
            section(
              `CSSM no longer lists this virtual account: missing since ${when(u.va.missingSince)} (${u.va.missingSyncs} sync${u.va.missingSyncs === 1 ? '' : 's'}); kept with its settings, the counts are from its last listing.`,
            ),
          ]
        : []),
      table(
        ['license', 'owned', 'in use', 'available', 'reserved', 'status', 'short'],
        u.licenses.map((l) => [
          l.label,
          l.owned,
          l.inUse,
          l.available,
          l.reserved,
          l.status,
          l.shortage > 0 ? l.shortage : '-',
        ]),
      ),
    ];
    if (u.substitutions.length > 0)
      blocks.push(
        table(
          ['borrowing'],
          u.substitutions.map((s) => [`${s.text}${s.kind ? ` (${s.kind})` : ''}`]),
        ),
      );
    if (u.terms.length > 0)
      blocks.push(
        table(
          ['license', 'kind', 'quantity', 'start', 'end', 'subscription', 'status', 'days left'],
          u.terms.map((t) => [
            t.label,
            t.kind,
            t.quantity,
            day(t.startDate),
            day(t.endDate),
            t.subscriptionId ?? '-',
            t.status,
            t.daysLeft ?? '-',
          ]),
        ),
      );
    const within = termsWithinDays ?? 90;
    blocks.push(
      context(
        u.termsEndingSoon.length === 0
          ? `No term ends within ${within} days.`
          : `Ending within ${within} days: ${u.termsEndingSoon.map((t) => `${t.quantity} ${t.label} on ${day(t.endDate)} (${t.subscriptionId ?? 'no subscription id'})`).join('; ')}`,
      ),
    );
    return { ...ok(`Usage of ${va.label}`, ...blocks), data: u };
  },
};

/** The Smart Account Summary table (`accounts`, and the head of `status`). */
function accountsTable(list: readonly reports.SmartAccountSummaryRow[]): Block {
  return table(
    ['name', 'domain', 'type', 'status', 'VA#', 'last sync', 'alerts'],
    list.map((a) => [
      a.name,
      a.domain,
      a.typeLabel,
      a.status,
      a.virtualAccounts,
      `${when(a.lastSyncUp)}${a.lastSyncStatus && a.lastSyncStatus !== 'Success' ? ` (${a.lastSyncStatus})` : ''}${a.satelliteSyncOverdue ? ' satellite sync OVERDUE' : ''}`,
      alertsText(a),
    ]),
  );
}

/** The alerts column: open alerts, and a failed last sync or an overdue satellite sync. */
function alertsText(a: reports.SmartAccountSummaryRow): string {
  const parts: string[] = [];
  if (a.lastSyncStatus === 'Failed') parts.push('last sync failed');
  if (a.satelliteSyncOverdue) parts.push('satellite sync overdue');
  if (a.alerts.open > 0) parts.push(counts(a.alerts));
  return parts.length > 0 ? parts.join('; ') : 'none';
}

const accounts: CommandSpec = {
  verb: 'accounts',
  aliases: ['account list'],
  summary: 'Smart Account Summary: name, domain, type, status, VA#, last sync, alerts',
  example: 'accounts',
  role: 'viewer',
  async run({ core }) {
    const list = await reports.smartAccountSummary(core.db, { now: core.clock.now() });
    return { ...ok(`Smart accounts (${list.length})`, accountsTable(list)), data: list };
  },
};

const vas: CommandSpec = {
  verb: 'vas',
  aliases: ['va list'],
  summary: 'Virtual Account Summary: clusters, customers, license mode, compliance',
  flags: [{ name: 'sa', value: 'DOMAIN', help: 'only the virtual accounts of this Smart Account' }],
  example: 'vas --sa nimbus-hcs.example.com',
  role: 'viewer',
  async run({ core }, { flags }) {
    let smartAccountId: number | undefined;
    if (typeof flags.sa === 'string') {
      const domain = flags.sa;
      const sa = await withSuggestions(core, 'account', domain, async () => {
        const a = await core.repos.smartAccounts.getByDomain(domain);
        if (!a) throw inputErrorNotFound(`Smart Account ${domain}`);
        return a;
      });
      smartAccountId = sa.id;
    }
    const list = await reports.virtualAccountSummary(
      core.db,
      smartAccountId === undefined ? {} : { smartAccountId },
    );
    // The column appears only when CSSM stopped listing some VA.
    const missing = list.filter((v) => v.missingSince !== null);
    return {
      ...ok(
        `Virtual accounts (${list.length})`,
        table(
          [
            'virtual account',
            'SA name',
            'access level',
            'clusters',
            'customers',
            'mode',
            'role',
            'compliance',
            ...(missing.length > 0 ? ['missing in CSSM since'] : []),
          ],
          list.map((v) => [
            v.label,
            v.smartAccountName,
            v.accessLevel,
            v.clusters,
            v.customers,
            v.licenseMode ?? 'not set',
            v.role ?? '—',
            v.shortage > 0
              ? `${v.compliance}: short ${v.shortage} (${v.shortTypes.map(reports.licenseLabel).join(', ')})`
              : v.compliance,
            ...(missing.length > 0
              ? [
                  v.missingSince === null
                    ? ''
                    : `since ${day(v.missingSince)} (${v.missingSyncs} sync${v.missingSyncs === 1 ? '' : 's'})`,
                ]
              : []),
          ]),
        ),
        ...(missing.length > 0
          ? [
              context(
                `${missing.length} virtual account(s) no longer listed by CSSM: kept with their settings; removed after sync.removeMissingAfterSyncs agreeing syncs, or by hand with \`va remove <domain>/<va> --yes\`.`,
              ),
            ]
          : []),
      ),
      data: list,
    };
  },
};

const TYPES = ['CUCM', 'CUC', 'CER'] as const;

const clusters: CommandSpec = {
  verb: 'clusters',
  aliases: ['cluster list'],
  summary: 'the Cluster Summary (HCM-F columns, effective authorization, days left), filtered',
  flags: [
    {
      name: 'failed',
      boolean: true,
      help: 'registration or last job failed, or authorization lost',
    },
    { name: 'customer', value: 'NAME', help: 'only this customer' },
    { name: 'va', value: 'DOMAIN/VA', help: 'only clusters assigned to this VA' },
    { name: 'type', value: 'CUCM|CUC|CER', help: 'only this application type' },
    { name: 'version', value: 'V', help: 'only this release (prefix)' },
  ],
  example: 'clusters --failed --customer Globex',
  role: 'viewer',
  async run({ core }, { flags }) {
    const filter: reports.ClusterSummaryFilter = {};
    if (flags.failed === true) filter.failed = true;
    if (typeof flags.customer === 'string') {
      const name = flags.customer;
      await withSuggestions(core, 'customer', name, async () => {
        if (!(await core.repos.customers.getByName(name)))
          throw inputErrorNotFound(`customer ${name}`);
      });
      filter.customer = name;
    }
    if (typeof flags.va === 'string')
      filter.virtualAccountId = (await resolveVa(core, flags.va)).id;
    if (typeof flags.type === 'string') {
      const given = flags.type;
      const type = TYPES.find((t) => t.toLowerCase() === given.toLowerCase());
      if (!type)
        throw inputError(`--type must be CUCM, CUC or CER, not "${given}"`, 'e.g. --type CUCM');
      filter.type = type;
    }
    if (typeof flags.version === 'string') filter.version = flags.version;
    const now = core.clock.now();
    // Unfiltered or --failed alone is the whole estate: once per data version (read-cache.ts).
    const whole = Object.keys(filter).every((k) => k === 'failed');
    const cache = reports.readCache(core.db);
    // Fed by the read-model thread (a chat worker): only the page a chat message shows comes
    // over, not 10,000 rows (whole-estate.ts ClusterPage). Elsewhere every row, for --json.
    const answer =
      whole && cache.fed
        ? await cache.answer(
            filter.failed ? 'clusters:failed:page' : 'clusters:page',
            now,
            async (at) =>
              reports.clusterPage(await reports.clusterSummary(core.db, { now: at, filter })),
          )
        : whole
          ? await cache.answer(filter.failed ? 'clusters:failed' : 'clusters', now, (at) =>
              reports.clusterSummary(core.db, { now: at, filter }),
            )
          : {
              value: await reports.clusterSummary(core.db, { now, filter }),
              asOf: now,
              current: true,
            };
    const page: reports.ClusterPage = Array.isArray(answer.value)
      ? {
          rows: answer.value,
          total: answer.value.length,
          timers: answer.value.some((c) => c.lifecycle.source === 'timers'),
        }
      : answer.value;
    const list = page.rows;
    const rows = table(
      [
        'name',
        'customer',
        'type',
        'version',
        'virtual account',
        'status',
        'job',
        'authorization',
        'days left',
        'licensing',
      ],
      list.map((c) => [
        c.name,
        c.customer,
        c.type,
        c.version,
        c.virtualAccount ?? '—',
        c.status ?? '—',
        c.jobStatus ?? '—',
        `${c.authorization ?? '—'}${c.lifecycle.source === 'timers' ? ' *' : ''}${c.reachable === false ? ' (unreachable)' : ''}`,
        c.daysLeft === null ? '' : `${c.daysLeft} (${c.daysLeftOf ?? ''})`,
        c.licensing,
      ]),
    );
    return {
      ...ok(
        `Clusters (${page.total}${flags.failed ? ' failed' : ''})`,
        ...asOfNote(answer),
        // A page of a longer summary says how many rows there are, as forChat would.
        page.total > list.length && rows.kind === 'table' ? { ...rows, total: page.total } : rows,
        ...(page.timers
          ? [context('* by the timers since the last good read (see `cluster show <name>`)')]
          : []),
      ),
      // Every row, or (fed: a chat worker, where a reply's data never leaves) the page.
      data: Array.isArray(answer.value) ? list : page,
    };
  },
};

const cluster: CommandSpec = {
  verb: 'cluster',
  aliases: ['cluster show'],
  summary: 'one cluster: effective registration and authorization, timers, usage, last jobs',
  args: [{ name: 'cluster' }],
  flags: [{ name: 'customer', value: 'NAME', help: 'when two customers have the name' }],
  example: 'cluster globex-cucm-01',
  role: 'viewer',
  async run({ core }, { values, flags }) {
    const id = await resolveClusterId(
      core,
      values.cluster!,
      typeof flags.customer === 'string' ? flags.customer : undefined,
    );
    const d = await reports.clusterDetail(core.db, { now: core.clock.now(), clusterId: id });
    if (!d) throw inputErrorNotFound(`cluster ${values.cluster}`);
    const l = d.lifecycle;
    const said = (mine: string | null, product: string | null) =>
      `${mine ?? 'unknown'}${product && product !== mine ? ` (product said ${product})` : ''}`;
    const blocks: Block[] = [
      fields({
        customer: d.customer,
        'type / version': `${d.type} ${d.version ?? ''} (${d.licensing}${d.licenseMode ? `, ${d.licenseMode} mode` : ''})`,
        publisher: d.publisherAddress,
        'virtual account': d.virtualAccount ?? 'not assigned',
        status: d.status,
        registration: said(l.registration, d.reported.registration),
        authorization: said(l.authorization, d.reported.authorization),
        'state from':
          d.stateFrom === 'product'
            ? 'the product'
            : "CSSM's device list (Emergency Responder has no status interface)",
        'where from': l.basis,
        ...(d.daysLeft !== null ? { 'days left': `${d.daysLeft} (${d.daysLeftOf ?? ''})` } : {}),
        'authorization expires': day(l.authorizationExpires),
        'next renewal': `${day(l.nextAuthorizationRenewal)}${l.authorizationRenewalDue ? ' (due)' : ''}`,
        'registration expires': day(l.registrationExpires),
        ...(l.evaluationExpires
          ? { 'evaluation ends': `${day(l.evaluationExpires)} (${l.evaluationDaysLeft} days left)` }
          : {}),
        ...(l.overageExpires
          ? { 'overage ends': `${day(l.overageExpires)} (${l.overageDaysLeft} days left)` }
          : {}),
        installed: day(d.dates.installedAt),
        registered: day(d.dates.registeredAt),
        'last authorization': when(d.dates.lastAuthorizationSuccessAt),
        'last ID renewal': when(d.dates.lastIdRenewalAt),
        ...(d.dates.outOfComplianceSince
          ? { 'out of compliance since': when(d.dates.outOfComplianceSince) }
          : {}),
        'last good read': when(d.dates.lastStatusReadAt),
        ...(d.lastReadError
          ? { 'last failed read': `${when(d.lastReadErrorAt)}: ${d.lastReadError}` }
          : {}),
        ...(d.productUdi ? { 'product UDI': d.productUdi } : {}),
      }),
    ];
    if (d.usage.length > 0)
      blocks.push(
        section('License usage (as the product counts it)'),
        table(
          ['license', 'count', 'status'],
          d.usage.map((u) => [u.label, u.count, u.status]),
        ),
      );
    if (d.jobs.length > 0) {
      blocks.push(
        section('Latest jobs'),
        table(
          ['id', 'job type', 'status', 'initiated', 'information'],
          d.jobs.map((j) => [
            j.id,
            j.jobType,
            j.status,
            when(j.initiatedAt),
            j.errorCode ? `${j.errorCode}: ${j.statusInformation ?? ''}` : j.statusInformation,
          ]),
        ),
      );
    }
    return { ...ok(`Cluster ${d.name}`, ...blocks), data: d };
  },
};

const jobs: CommandSpec = {
  verb: 'jobs',
  summary: 'recent jobs (HCM-F job fields, error codes, who asked), newest first',
  flags: [
    { name: 'failed', boolean: true, help: 'only failed jobs' },
    {
      name: 'entity',
      value: 'NAME',
      help: 'only jobs about this entity (cluster, <domain>/<va>, account)',
    },
    { name: 'limit', value: 'N', help: 'at most N jobs (default 50)' },
  ],
  example: 'jobs --failed --limit 10',
  role: 'viewer',
  async run({ core }, { flags }) {
    const raw = typeof flags.limit === 'string' ? flags.limit : '50';
    const limit = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(limit) || limit < 1) {
      throw inputError(`--limit needs a positive whole number, not "${raw}"`, 'e.g. --limit 20');
    }
    const entity = typeof flags.entity === 'string' ? flags.entity : undefined;
    const list = await core.repos.jobs.list({
      ...(flags.failed ? { status: 'Failed' as const } : {}),
      ...(entity ? { entityName: entity } : {}),
      limit,
    });
    const what = `${flags.failed ? 'failed ' : ''}job${list.length === 1 ? '' : 's'}${entity ? ` about ${entity}` : ''}`;
    if (list.length === 0) return { ...ok(`Jobs: no ${what}`), data: list };
    return {
      ...ok(
        `Jobs (${list.length} most recent ${what})`,
        table(
          [
            'id',
            'type',
            'entity',
            'status',
            'initiated',
            'completed',
            'requested by',
            'information',
            'recommended action',
          ],
          list.map((j) => [
            j.id,
            j.jobType,
            j.entityName,
            j.status,
            when(j.initiatedAt),
            when(j.completedAt),
            j.requestedBy,
            j.errorCode ? `${j.errorCode}: ${j.statusInformation ?? ''}` : j.statusInformation,
            j.recommendedAction,
          ]),
        ),
      ),
      data: list,
    };
  },
};

const job: CommandSpec = {
  verb: 'job',
  summary: 'one job with its status information and recommended action',
  args: [{ name: 'id' }],
  example: 'job 1',
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
    return { ...ok(`Job ${j.id}: ${j.jobType}`, jobFields(j)), data: j };
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
  status,
  usage,
  accounts,
  vas,
  clusters,
  cluster,
  jobs,
  job,
  forecast,
  whatif,
  plan,
  rebalance,
  report,
  whoami,
];
