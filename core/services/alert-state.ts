/**
 * Gathers the state of alert scopes from the store into the rules' input types
 * (core/domain/alert-rules.ts). Reads only: the same few queries for one scope or for all.
 *
 * A cluster belongs to exactly one scope: the Smart Account of its VA when assigned, else
 * its customer's Smart Account, else `global`. So no alert is evaluated by two scopes.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type {
  AccountFacts,
  AlertState,
  ClusterFacts,
  ClusterLifecycleFacts,
  ForecastFacts,
  JobAction,
  JobFacts,
  LicenseFacts,
  SatelliteFacts,
  TermLicenseFacts,
  TokenFacts,
  VaRef,
  VaTokenFacts,
  MissingVaFacts,
} from '../domain/alert-rules.ts';
import type { AlertScope } from '../domain/alerts.ts';
import { isShort, shortageOf } from '../domain/compliance.ts';
import { DAY_MS } from '../domain/lifecycle.ts';
import { storedLifecycle, type LifecycleColumns } from '../reports/clusters.ts';
import { forecastsFor } from '../reports/trends.ts';
import { tryParseUcVersion } from '../domain/versions.ts';
import { likeOperator } from '../store/dialect.ts';
import { packColumns, tableColumns } from '../store/packed.ts';
import type { ClusterRow, Database, SmartAccountsTable } from '../store/schema.ts';

/** Jobs whose failure is an alert, by the action they belong to. */
export const CLUSTER_JOB_ACTIONS: Readonly<Record<string, JobAction>> = {
  'Register Cluster': 'register',
  'Auto Register Cluster': 'register',
  'Deregister Cluster': 'deregister',
  'Renew Authorization': 'renew-authorization',
  'Renew Registration': 'renew-registration',
};

/** Counter key of a cluster's streak of unreadable syncs. */
export const unreadableKey = (clusterId: number) => `unreadable:${clusterId}`;
export const UNREADABLE_PREFIX = 'unreadable:';

const d = (s: string | null | undefined): Date | null => (s ? new Date(s) : null);
const CHUNK = 500;

function chunks<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

/** A line counts through its end date: a bare date (midnight UTC) ends at the next midnight. */
function endOfTerm(end: Date): Date {
  return end.getTime() % DAY_MS === 0 ? new Date(end.getTime() + DAY_MS) : end;
}

/** The cluster columns the rules read (not the address, credentials or UDI). */
const CLUSTER_COLUMNS = [
  'id',
  'customer_id',
  'name',
  'type',
  'version',
  'virtual_account_id',
  'registration_status',
  'authorization_status',
  'registration_expires',
  'authorization_expires',
  'evaluation_period_remaining',
  'registered_at',
  'last_authorization_success_at',
  'last_id_renewal_at',
  'installed_at',
  'out_of_compliance_since',
  'last_status_read_at',
  'last_read_error',
  'last_read_error_at',
  'created_at',
  'last_renewal_status',
  'last_renewal_attempt',
  'registration_failed_reason',
  'last_communication_status',
  'last_communication_attempt',
  'authorization_failed_reason',
] as const;

type ClusterStateRow = Pick<ClusterRow, (typeof CLUSTER_COLUMNS)[number]> & {
  customer_name: string;
  customer_sa: number | null;
  /** Licenses the cluster's last read counted (sum over its usage rows), if any. */
  counted: number | null;
};

const CLUSTER_ROW = packColumns<ClusterStateRow>({
  ...tableColumns('clusters', CLUSTER_COLUMNS),
  customer_name: 'customers.name',
  customer_sa: 'customers.smart_account_id',
  counted: sql`(select sum(u.count) from cluster_license_usage u where u.cluster_id = clusters.id)`,
});

/**
 * The lifecycle dates the rules read, from the read side's effective lifecycle of the stored
 * row (the worse of what the product last said and what its timers say since).
 */
export function clusterLifecycle(
  c: LifecycleColumns,
  licensesCounted: number | null,
  now: Date,
): ClusterLifecycleFacts {
  const lc = storedLifecycle(c, licensesCounted, now);
  return {
    registration: lc.registration,
    authorization: lc.authorization,
    registrationExpires: lc.registrationExpires,
    authorizationExpires: lc.authorizationExpires,
    evaluationExpires: lc.evaluationExpires,
    overageExpires: lc.overageExpires,
    overageExpired: lc.overageExpired,
  };
}

export interface GatherOptions {
  now: Date;
  /** Forecast window in days (the read side's default: 90). */
  forecastWindowDays?: number;
  /** Term lines ending later than this many days from now are not read (the widest stage). */
  termWithinDays?: number;
}

/** Reads the state of one scope (`sa:<id>` or `global`). */
export async function gatherAlertState(
  db: Kysely<Database>,
  scope: AlertScope,
  opts: GatherOptions,
): Promise<AlertState> {
  return (await gatherAlertStates(db, [scope], opts)).get(scope)!;
}

function emptyState(scope: AlertScope, now: Date): AlertState {
  return {
    now,
    scope,
    accounts: [],
    licenses: [],
    forecasts: [],
    terms: [],
    clusters: [],
    jobs: [],
    tokens: [],
    satellites: [],
    missingVas: [],
  };
}

/**
 * Reads the state of many scopes at once: the same few queries (in chunks of 500 ids) for one
 * scope or for every account, so evaluating after a full sync costs no query per account.
 * A scope whose Smart Account does not exist (any more) comes back empty.
 */
export async function gatherAlertStates(
  db: Kysely<Database>,
  scopes: readonly AlertScope[],
  opts: GatherOptions,
): Promise<Map<AlertScope, AlertState>> {
  const { now } = opts;
  const states = new Map<AlertScope, AlertState>();
  for (const sc of scopes) states.set(sc, emptyState(sc, now));
  const wantGlobal = states.has('global');
  const saIds = scopes.filter((sc) => sc !== 'global').map((sc) => Number(sc.slice(3)));

  const accounts = new Map<number, Selectable<SmartAccountsTable>>();
  for (const part of chunks(saIds)) {
    for (const r of await db
      .selectFrom('smart_accounts')
      .selectAll()
      .where('id', 'in', part)
      .execute())
      accounts.set(r.id, r);
  }
  const refOf = (saId: number) => {
    const a = accounts.get(saId)!;
    return { id: a.id, domain: a.domain };
  };
  const stateOfSa = (saId: number | null): AlertState | undefined =>
    saId === null ? (wantGlobal ? states.get('global') : undefined) : states.get(`sa:${saId}`);

  // Virtual accounts, their licenses and term lines.
  const vaById = new Map<number, VaRef & { role: string | null }>();
  const missingVas: (Omit<MissingVaFacts, 'clusters'> & { saId: number })[] = [];
  for (const part of chunks([...accounts.keys()])) {
    const vas = await db
      .selectFrom('virtual_accounts')
      .select([
        'id',
        'name',
        'role',
        'smart_account_id',
        'license_mode',
        'missing_since',
        'missing_syncs',
      ])
      .where('smart_account_id', 'in', part)
      .where('removed_at', 'is', null)
      .execute();
    for (const v of vas) {
      const ref = { id: v.id, name: v.name, smartAccount: refOf(v.smart_account_id) };
      vaById.set(v.id, { ...ref, role: v.role });
      if (v.missing_since !== null) {
        missingVas.push({
          va: ref,
          since: new Date(v.missing_since),
          syncs: v.missing_syncs,
          role: v.role,
          licenseMode: v.license_mode,
          saId: v.smart_account_id,
        });
      }
    }
  }
  const vaIds = [...vaById.keys()];
  const stateOfVa = (vaId: number) => states.get(`sa:${vaById.get(vaId)!.smartAccount.id}`)!;

  // Only the lines that can be short now (the SQL is a superset of `isShort`, the one rule the
  // VA summary also applies: in use beyond the quantity, a negative available, or CSSM's own
  // "Insufficient Licenses"; `isShort` decides), and only the term lines ending within the
  // widest term threshold (or ended): the rest cannot raise an alert, and a large install has
  // thousands.
  for (const part of chunks(vaIds)) {
    const lines = await db
      .selectFrom('licenses')
      .select([
        'virtual_account_id',
        'license_type',
        'display_name',
        'quantity',
        'in_use',
        'available',
        'status',
      ])
      .where('virtual_account_id', 'in', part)
      .where((eb) =>
        eb.or([
          eb('in_use', '>', eb.ref('quantity')),
          eb('available', '<', 0),
          eb('status', likeOperator(db), '%insufficient licenses%'),
        ]),
      )
      .execute();
    for (const l of lines) {
      const counts = { quantity: l.quantity, inUse: l.in_use, available: l.available };
      if (!isShort({ ...counts, status: l.status })) continue;
      const licence: LicenseFacts = {
        va: vaById.get(l.virtual_account_id)!,
        licenseType: l.license_type,
        displayName: l.display_name,
        quantity: l.quantity,
        inUse: l.in_use,
        shortage: shortageOf(counts),
        ...(shortageOf(counts) > 0 ? {} : { shortByStatus: true }),
      };
      stateOfVa(l.virtual_account_id).licenses.push(licence);
    }
    const termsUntil = new Date(now.getTime() + ((opts.termWithinDays ?? 3650) + 1) * DAY_MS);
    const details = await db
      .selectFrom('license_details as x')
      .innerJoin('licenses as l', 'l.id', 'x.license_id')
      .select([
        'l.virtual_account_id',
        'l.license_type',
        'l.display_name',
        'x.quantity',
        'x.start_date',
        'x.end_date',
        'x.subscription_id',
      ])
      .where('l.virtual_account_id', 'in', part)
      .where('x.license_type', '=', 'TERM')
      .where('x.end_date', 'is not', null)
      .where('x.end_date', '<=', termsUntil.toISOString())
      .execute();
    for (const x of details) {
      const end = new Date(x.end_date!);
      const term: TermLicenseFacts = {
        va: vaById.get(x.virtual_account_id)!,
        licenseType: x.license_type,
        displayName: x.display_name,
        subscriptionId: x.subscription_id,
        quantity: x.quantity,
        startDate: d(x.start_date),
        endDate: end,
        endsAt: endOfTerm(end),
      };
      stateOfVa(x.virtual_account_id).terms.push(term);
    }
  }

  // The trend of each VA (the read side's forecast over its usage snapshots).
  const forecasts = await forecastsFor(db, {
    virtualAccountIds: vaIds,
    now,
    ...(opts.forecastWindowDays !== undefined ? { windowDays: opts.forecastWindowDays } : {}),
  });
  for (const [vaId, rows] of forecasts) {
    for (const r of rows) {
      if (r.outcome !== 'crosses' || r.crossesAt === null) continue;
      const facts: ForecastFacts = {
        va: vaById.get(vaId)!,
        licenseType: r.licenseType,
        displayName: r.label,
        quantity: r.owned,
        inUse: r.inUse,
        shortageOn: r.crossesAt,
        trendPerDay: r.slopePerDay,
      };
      stateOfVa(vaId).forecasts.push(facts);
    }
  }

  // Clusters: assigned to a VA of a wanted account, or unassigned with a customer of one
  // (global: unassigned with a customer of no Smart Account).
  // Every cluster of the scopes is read: packed rows (core/store/packed.ts), as this is the
  // widest read of an evaluation.
  const clusterQuery = () =>
    db
      .selectFrom('clusters')
      .innerJoin('customers', 'customers.id', 'clusters.customer_id')
      .select(CLUSTER_ROW.expr(db).as('packed'));
  const placed: {
    row: ClusterStateRow;
    state: AlertState;
    ref: ReturnType<typeof refOf> | null;
  }[] = [];
  for (const part of chunks(vaIds)) {
    for (const { packed } of await clusterQuery()
      .where('clusters.virtual_account_id', 'in', part)
      .execute()) {
      const r = CLUSTER_ROW.unpack(packed);
      const va = vaById.get(r.virtual_account_id!)!;
      placed.push({ row: r, state: stateOfVa(va.id), ref: va.smartAccount });
    }
  }
  // Unassigned clusters: only those of the wanted accounts' customers (and, for global, of
  // customers of no account) are read. Reading every unassigned cluster of the estate and
  // dropping the rest here made each account's evaluation after its sync cost the estate's
  // unassigned clusters (issue 23: a full sync grew with accounts × unassigned clusters).
  // The account's customers first (customers_smart_account_idx, migration 0020), then their
  // unassigned clusters by clusters_va_customer_idx. Placed in the order one estate-wide read
  // gave (that index: customer, id).
  const unassigned: ClusterStateRow[] = [];
  for (const part of chunks([...accounts.keys()])) {
    for (const { packed } of await clusterQuery()
      .where('clusters.virtual_account_id', 'is', null)
      .where('clusters.customer_id', 'in', (eb) =>
        eb.selectFrom('customers as c').select('c.id').where('c.smart_account_id', 'in', part),
      )
      .execute())
      unassigned.push(CLUSTER_ROW.unpack(packed));
  }
  if (wantGlobal) {
    for (const { packed } of await clusterQuery()
      .where('clusters.virtual_account_id', 'is', null)
      .where('clusters.customer_id', 'in', (eb) =>
        eb.selectFrom('customers as c').select('c.id').where('c.smart_account_id', 'is', null),
      )
      .execute())
      unassigned.push(CLUSTER_ROW.unpack(packed));
  }
  unassigned.sort((a, b) => a.customer_id - b.customer_id || a.id - b.id);
  for (const r of unassigned) {
    const sa = r.customer_sa;
    const st = sa === null ? stateOfSa(null) : accounts.has(sa) ? stateOfSa(sa) : undefined;
    if (st) placed.push({ row: r, state: st, ref: sa !== null ? refOf(sa) : null });
  }
  const clusterIds = placed.map((p) => p.row.id);

  const counters = new Map<number, { count: number; since: Date; lastError: string | null }>();
  if (clusterIds.length > 0) {
    const rows = await db
      .selectFrom('alert_counters')
      .selectAll()
      .where('key', '>=', UNREADABLE_PREFIX)
      .where('key', '<', `${UNREADABLE_PREFIX}\uffff`)
      .execute();
    for (const r of rows) {
      counters.set(Number(r.key.slice(UNREADABLE_PREFIX.length)), {
        count: r.count,
        since: new Date(r.since),
        lastError: r.detail,
      });
    }
  }

  const byId = new Map<number, ClusterFacts>();
  const byName = new Map<string, ClusterFacts>();
  for (const { row: c, state, ref } of placed) {
    const va = c.virtual_account_id !== null ? (vaById.get(c.virtual_account_id) ?? null) : null;
    const v = c.version ? tryParseUcVersion(c.version) : undefined;
    const counted = c.counted === null ? undefined : Number(c.counted);
    const facts: ClusterFacts = {
      id: c.id,
      name: c.name,
      type: c.type,
      version: c.version,
      major: v && v.ok ? v.version.major : null,
      customer: { id: c.customer_id, name: c.customer_name },
      va: va ? { id: va.id, name: va.name, smartAccount: va.smartAccount } : null,
      smartAccount: ref,
      lifecycle: clusterLifecycle(c, counted ?? null, now),
      licensesInUse:
        counted !== undefined
          ? counted > 0
          : c.authorization_status !== null && c.authorization_status !== 'No License in use',
      lastRenewalStatus: c.last_renewal_status,
      lastRenewalAttempt: d(c.last_renewal_attempt),
      registrationFailedReason: c.registration_failed_reason,
      lastCommunicationStatus: c.last_communication_status,
      lastCommunicationAttempt: d(c.last_communication_attempt),
      authorizationFailedReason: c.authorization_failed_reason,
      lastStatusReadAt: d(c.last_status_read_at),
      readFailures: counters.get(c.id) ?? null,
    };
    state.clusters.push(facts);
    byId.set(c.id, facts);
    if (!byName.has(c.name)) byName.set(c.name, facts);
  }
  const stateOfCluster = new Map(placed.map((p) => [p.row.id, p.state]));

  // The latest job of each action on each cluster: by the job's entity id (the cluster's id),
  // and by name for jobs recorded before jobs carried one.
  if (clusterIds.length > 0) {
    const types = Object.keys(CLUSTER_JOB_ACTIONS);
    const ids: number[] = [];
    for (const part of chunks(clusterIds)) {
      const latest = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.max('id').as('id'))
        .where('entity_type', '=', 'Cluster')
        .where('entity_id', 'in', part)
        .where('job_type', 'in', types)
        .groupBy(['entity_id', 'job_type'])
        .execute();
      for (const j of latest) ids.push(Number(j.id));
    }
    const legacy = await db
      .selectFrom('jobs')
      .select(['entity_name', (eb) => eb.fn.max('id').as('id')])
      .where('entity_type', '=', 'Cluster')
      .where('entity_id', 'is', null)
      .where('job_type', 'in', types)
      .groupBy(['entity_name', 'job_type'])
      .execute();
    for (const j of legacy) if (byName.has(j.entity_name)) ids.push(Number(j.id));
    const best = new Map<string, JobFacts>();
    for (const part of chunks(ids)) {
      const jobs = await db.selectFrom('jobs').selectAll().where('id', 'in', part).execute();
      for (const j of jobs) {
        const c = j.entity_id !== null ? byId.get(j.entity_id) : byName.get(j.entity_name);
        if (!c) continue;
        const action = CLUSTER_JOB_ACTIONS[j.job_type]!;
        const key = `${c.id}:${action}`;
        const prev = best.get(key);
        if (prev && prev.jobId > j.id) continue; // Register and Auto Register share an action
        best.set(key, {
          cluster: { id: c.id, name: c.name, customer: c.customer, smartAccount: c.smartAccount },
          action,
          jobId: j.id,
          jobType: j.job_type,
          status: j.status,
          at: new Date(j.completed_at ?? j.initiated_at),
          code: j.error_code,
          statusInformation: j.status_information,
          recommendedAction: j.recommended_action,
        });
      }
    }
    for (const j of [...best.values()].sort((a, b) => a.jobId - b.jobId))
      stateOfCluster.get(j.cluster.id)!.jobs.push(j);
  }

  if (accounts.size === 0) return states;

  // Each account's sync record: failures since its last successful sync, and when that was.
  const lastOk = new Map<number, { id: number; at: Date }>();
  const failures = new Map<number, number>();
  for (const part of chunks([...accounts.keys()])) {
    const ok = await db
      .selectFrom('jobs')
      .select(['entity_id', (eb) => eb.fn.max('id').as('id')])
      .where('entity_type', '=', 'Smart Account')
      .where('entity_id', 'in', part)
      .where('job_type', '=', 'Sync')
      .where('status', '=', 'Completed')
      .groupBy('entity_id')
      .execute();
    const okIds = ok.map((o) => Number(o.id));
    for (const sub of chunks(okIds)) {
      const rows = await db
        .selectFrom('jobs')
        .select(['id', 'entity_id', 'completed_at', 'initiated_at'])
        .where('id', 'in', sub)
        .execute();
      for (const r of rows)
        lastOk.set(r.entity_id!, { id: r.id, at: new Date(r.completed_at ?? r.initiated_at) });
    }
    const failed = await db
      .selectFrom('jobs')
      .select(['entity_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('entity_type', '=', 'Smart Account')
      .where('entity_id', 'in', part)
      .where('job_type', '=', 'Sync')
      .where('status', '=', 'Failed')
      .where(
        sql<boolean>`jobs.id > coalesce((select max(j2.id) from jobs j2 where j2.entity_type = 'Smart Account' and j2.entity_id = jobs.entity_id and j2.job_type = 'Sync' and j2.status = 'Completed'), 0)`,
      )
      .groupBy('entity_id')
      .execute();
    for (const f of failed) failures.set(f.entity_id!, Number(f.n));
  }
  for (const sa of accounts.values()) {
    const last =
      lastOk.get(sa.id)?.at ?? (sa.last_sync_status === 'Success' ? d(sa.last_sync_at) : null);
    const account: AccountFacts = {
      id: sa.id,
      domain: sa.domain,
      name: sa.name,
      createdAt: new Date(sa.created_at),
      lastSyncAt: d(sa.last_sync_at),
      lastSyncStatus: sa.last_sync_status,
      lastSyncError: sa.last_sync_error,
      lastSuccessAt: last,
      consecutiveFailures: failures.get(sa.id) ?? 0,
    };
    states.get(`sa:${sa.id}`)!.accounts.push(account);
  }

  // Tokens of the VAs smartlic registers into: an assigned cluster, or the operational VA.
  const assigned = new Map<number, number>();
  for (const c of byId.values()) if (c.va) assigned.set(c.va.id, (assigned.get(c.va.id) ?? 0) + 1);
  for (const { saId, ...m } of missingVas)
    states.get(`sa:${saId}`)!.missingVas.push({ ...m, clusters: assigned.get(m.va.id) ?? 0 });
  const relied = [...vaById.values()].filter((v) => assigned.has(v.id) || v.role === 'operational');
  const tokensByVa = new Map<number, TokenFacts[]>();
  for (const part of chunks(relied.map((v) => v.id))) {
    const tokens = await db
      .selectFrom('registration_tokens')
      .select([
        'id',
        'virtual_account_id',
        'description',
        'expires_at',
        'status',
        'export_controlled',
      ])
      .where('virtual_account_id', 'in', part)
      .execute();
    for (const t of tokens) {
      const list = tokensByVa.get(t.virtual_account_id) ?? [];
      list.push({
        id: t.id,
        description: t.description,
        expiresAt: d(t.expires_at),
        status: t.status,
        exportControlled: t.export_controlled !== 0,
      });
      tokensByVa.set(t.virtual_account_id, list);
    }
  }
  for (const v of relied) {
    const n = assigned.get(v.id) ?? 0;
    const facts: VaTokenFacts = {
      va: { id: v.id, name: v.name, smartAccount: v.smartAccount },
      reliedOnFor:
        n > 0 ? `${n} cluster${n === 1 ? '' : 's'} assigned` : 'operational VA (auto-registration)',
      tokens: tokensByVa.get(v.id) ?? [],
    };
    stateOfVa(v.id).tokens.push(facts);
  }

  for (const part of chunks([...accounts.keys()])) {
    const sats = await db
      .selectFrom('local_accounts')
      .selectAll()
      .where('smart_account_id', 'in', part)
      .execute();
    // Product instances per local account (its SA's devices), for the 10,000 limit (DOMAIN §1).
    const devices = new Map<number, number>();
    for (const r of await db
      .selectFrom('devices as dv')
      .innerJoin('virtual_accounts as v', 'v.id', 'dv.virtual_account_id')
      .select(['v.smart_account_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('v.smart_account_id', 'in', part)
      .groupBy('v.smart_account_id')
      .execute())
      devices.set(r.smart_account_id, Number(r.n));
    for (const s of sats) {
      const facts: SatelliteFacts = {
        id: s.id,
        name: s.name,
        host: s.satellite_host,
        syncMode: s.sync_mode,
        lastCssmSyncAt: d(s.last_cssm_sync_at),
        createdAt: new Date(s.created_at),
        smartAccount: refOf(s.smart_account_id!),
        productInstances: devices.get(s.smart_account_id!) ?? 0,
      };
      states.get(`sa:${s.smart_account_id!}`)!.satellites.push(facts);
    }
  }
  return states;
}
