/**
 * Cluster Summary (DOMAIN §7.6) with each cluster's effective lifecycle and its own latest job
 * (joined by the cluster's id), and Cluster detail.
 */
import { sql, type Selectable } from 'kysely';
import {
  effectiveLifecycle,
  type DaysLeftOf,
  type EffectiveLifecycle,
} from '../domain/effective-lifecycle.ts';
import type { AuthorizationStatus, RegistrationStatus } from '../domain/lifecycle.ts';
import type {
  ClustersTable,
  ClusterStatus,
  ClusterType,
  JobStatus,
  LicenseMode,
  LicensingKind,
  NodeRole,
  TransportMode,
} from '../store/schema.ts';
import { jsonIntList, perDialect } from '../store/dialect.ts';
import { packColumns, tableColumns } from '../store/packed.ts';
import { dateOrNull, licenseLabel, vaLabel, type ReportDb } from './common.ts';

export interface ClusterJobRef {
  id: number;
  jobType: string;
  status: JobStatus;
  initiatedAt: Date;
  completedAt: Date | null;
  statusInformation: string | null;
  errorCode: string | null;
}

export interface ClusterSummaryRow {
  id: number;
  name: string;
  customerId: number;
  customer: string;
  type: ClusterType;
  version: string | null;
  licensing: LicensingKind;
  licenseMode: LicenseMode | null;
  smartAccountDomain: string | null;
  virtualAccountId: number | null;
  virtualAccountName: string | null;
  /** `<sa-domain>/<va>`, null when unassigned. */
  virtualAccount: string | null;
  /** Status (DOMAIN §7.6 wording), null before any registration step. */
  status: ClusterStatus | null;
  /** Job Status: the status of this cluster's own latest job. */
  jobStatus: JobStatus | null;
  job: ClusterJobRef | null;
  /** Effective states (core/domain/effective-lifecycle), not just the last report. */
  registration: RegistrationStatus | null;
  authorization: AuthorizationStatus | null;
  daysLeft: number | null;
  daysLeftOf: DaysLeftOf | null;
  reachable: boolean | null;
  lifecycle: EffectiveLifecycle;
  /**
   * Where the stored state comes from: the product's own status call (CUCM, CUC), or CSSM's
   * device list (Emergency Responder has no status interface, DOMAIN §4).
   */
  stateFrom: 'product' | 'cssm-device-list';
}

export interface ClusterSummaryFilter {
  /** Registration failed, latest job failed, or authorization lost (expired / out of compliance). */
  failed?: boolean;
  customer?: string;
  customerId?: number;
  virtualAccountId?: number;
  smartAccountId?: number;
  type?: ClusterType;
  /** Prefix of the version ("14", "12.5"). */
  version?: string;
  registration?: RegistrationStatus;
  authorization?: AuthorizationStatus;
  /** Only clusters without a VA (true) or with one (false). */
  unassigned?: boolean;
  /** Exact cluster name. */
  name?: string;
}

const BAD_AUTH: ReadonlySet<string> = new Set([
  'Authorization Expired',
  'Out of compliance',
  'Evaluation Expired',
]);

/** The stored columns a cluster's effective lifecycle is computed from. */
export type LifecycleColumns = Pick<
  Selectable<ClustersTable>,
  | 'type'
  | 'registration_status'
  | 'authorization_status'
  | 'registration_expires'
  | 'authorization_expires'
  | 'evaluation_period_remaining'
  | 'registered_at'
  | 'last_authorization_success_at'
  | 'last_id_renewal_at'
  | 'installed_at'
  | 'out_of_compliance_since'
  | 'last_status_read_at'
  | 'last_read_error'
  | 'last_read_error_at'
  | 'created_at'
>;

/**
 * A cluster's effective lifecycle at `now` from its stored row: the one reading of the stored
 * columns that the read side and the alert rules share (core/domain/effective-lifecycle).
 */
export function storedLifecycle(
  c: LifecycleColumns,
  licensesCounted: number | null,
  now: Date,
): EffectiveLifecycle {
  return effectiveLifecycle(
    {
      appType: c.type,
      reportedRegistration: c.registration_status,
      reportedAuthorization: c.authorization_status,
      reportedRegistrationExpires: dateOrNull(c.registration_expires),
      reportedAuthorizationExpires: dateOrNull(c.authorization_expires),
      evaluationPeriodRemaining: c.evaluation_period_remaining,
      registeredAt: dateOrNull(c.registered_at),
      lastAuthorizationSuccessAt: dateOrNull(c.last_authorization_success_at),
      lastIdRenewalAt: dateOrNull(c.last_id_renewal_at),
      installedAt: dateOrNull(c.installed_at),
      outOfComplianceSince: dateOrNull(c.out_of_compliance_since),
      lastStatusReadAt: dateOrNull(c.last_status_read_at),
      lastReadErrorAt: dateOrNull(c.last_read_error_at),
      lastReadError: c.last_read_error,
      licensesCounted,
      createdAt: new Date(c.created_at),
    },
    now,
  );
}

/** The columns of one Cluster Summary row as SQLite returns them. */
type BaseRow = LifecycleColumns &
  Pick<
    Selectable<ClustersTable>,
    | 'id'
    | 'name'
    | 'customer_id'
    | 'version'
    | 'licensing'
    | 'license_mode'
    | 'virtual_account_id'
    | 'status'
  > & {
    customer: string;
    va_name: string | null;
    smart_account_id: number | null;
    domain: string | null;
    counted: number | null;
    job_id: number | null;
    job_type: string | null;
    job_status: JobStatus | null;
    job_initiated_at: string | null;
    job_completed_at: string | null;
    job_info: string | null;
    job_error: string | null;
  };

/**
 * Every Cluster Summary column, packed into one JSON array per row: 36 columns as row objects
 * cost better-sqlite3 more than the query itself over 10,000 clusters (core/store/packed.ts).
 */
const BASE_ROW = packColumns<BaseRow>({
  id: 'c.id',
  name: 'c.name',
  customer_id: 'c.customer_id',
  customer: 'k.name',
  type: 'c.type',
  version: 'c.version',
  licensing: 'c.licensing',
  license_mode: 'c.license_mode',
  virtual_account_id: 'c.virtual_account_id',
  va_name: 'v.name',
  smart_account_id: 'v.smart_account_id',
  domain: 's.domain',
  status: 'c.status',
  registration_status: 'c.registration_status',
  authorization_status: 'c.authorization_status',
  registration_expires: 'c.registration_expires',
  authorization_expires: 'c.authorization_expires',
  evaluation_period_remaining: 'c.evaluation_period_remaining',
  registered_at: 'c.registered_at',
  last_authorization_success_at: 'c.last_authorization_success_at',
  last_id_renewal_at: 'c.last_id_renewal_at',
  installed_at: 'c.installed_at',
  out_of_compliance_since: 'c.out_of_compliance_since',
  last_status_read_at: 'c.last_status_read_at',
  last_read_error: 'c.last_read_error',
  last_read_error_at: 'c.last_read_error_at',
  created_at: 'c.created_at',
  // Per row through the primary key (cluster_id, license_type): a grouped derived table
  // would aggregate the whole usage table even for a one-cluster query.
  counted: sql`(select sum(u.count) from cluster_license_usage u where u.cluster_id = c.id)`,
  job_id: 'j.id',
  job_type: 'j.job_type',
  job_status: 'j.status',
  job_initiated_at: 'j.initiated_at',
  job_completed_at: 'j.completed_at',
  job_info: 'j.status_information',
  job_error: 'j.error_code',
});

/** One select for every Cluster Summary column (no query per cluster). */
function baseQuery(db: ReportDb) {
  return db
    .selectFrom('clusters as c')
    .innerJoin('customers as k', 'k.id', 'c.customer_id')
    .leftJoin('virtual_accounts as v', 'v.id', 'c.virtual_account_id')
    .leftJoin('smart_accounts as s', 's.id', 'v.smart_account_id')
    .leftJoin('jobs as j', (jn) =>
      jn.on(
        'j.id',
        '=',
        sql<number>`(select max(j2.id) from jobs j2 where j2.entity_type = 'Cluster' and j2.entity_id = c.id)`,
      ),
    )
    .select(BASE_ROW.expr(db).as('packed'));
}

/** The query's rows, unpacked. */
async function baseRows(q: ReturnType<typeof baseQuery>): Promise<BaseRow[]> {
  return (await q.execute()).map((r) => BASE_ROW.unpack(r.packed));
}

function toRow(r: BaseRow, now: Date): ClusterSummaryRow {
  const lifecycle = storedLifecycle(r, r.counted === null ? null : Number(r.counted), now);
  const job: ClusterJobRef | null =
    r.job_id === null
      ? null
      : {
          id: r.job_id,
          jobType: r.job_type!,
          status: r.job_status!,
          initiatedAt: new Date(r.job_initiated_at!),
          completedAt: dateOrNull(r.job_completed_at),
          statusInformation: r.job_info,
          errorCode: r.job_error,
        };
  return {
    id: r.id,
    name: r.name,
    customerId: r.customer_id,
    customer: r.customer,
    type: r.type,
    version: r.version,
    licensing: r.licensing,
    licenseMode: r.license_mode,
    smartAccountDomain: r.domain,
    virtualAccountId: r.virtual_account_id,
    virtualAccountName: r.va_name,
    virtualAccount: r.domain && r.va_name ? vaLabel(r.domain, r.va_name) : null,
    status: r.status,
    jobStatus: job?.status ?? null,
    job,
    registration: lifecycle.registration,
    authorization: lifecycle.authorization,
    daysLeft: lifecycle.daysLeft,
    daysLeftOf: lifecycle.daysLeftOf,
    reachable: lifecycle.reachable,
    lifecycle,
    stateFrom: r.type === 'CER' ? 'cssm-device-list' : 'product',
  };
}

/** Whether a row counts as failed for the `failed` filter and the attention list. */
export function clusterFailed(r: ClusterSummaryRow): boolean {
  return (
    (r.status?.endsWith('Failed') ?? false) ||
    r.jobStatus === 'Failed' ||
    (r.authorization !== null && BAD_AUTH.has(r.authorization))
  );
}

/**
 * Cluster Summary: every cluster (filtered), by customer then name. States are effective at
 * `now`; filters on registration / authorization apply to those.
 */
export async function clusterSummary(
  db: ReportDb,
  opts: {
    now: Date;
    filter?: ClusterSummaryFilter;
    /** A page of the result (HCM-F pages its Cluster Summary): at most `limit` rows from `offset`. */
    limit?: number;
    offset?: number;
  },
): Promise<ClusterSummaryRow[]> {
  const f = opts.filter ?? {};
  let q = baseQuery(db);
  if (f.customerId !== undefined) q = q.where('c.customer_id', '=', f.customerId);
  if (f.customer !== undefined) q = q.where('k.name', '=', f.customer);
  if (f.virtualAccountId !== undefined)
    q = q.where('c.virtual_account_id', '=', f.virtualAccountId);
  if (f.smartAccountId !== undefined) q = q.where('v.smart_account_id', '=', f.smartAccountId);
  if (f.type !== undefined) q = q.where('c.type', '=', f.type);
  if (f.name !== undefined) q = q.where('c.name', '=', f.name);
  if (f.version !== undefined) {
    q = q.where(sql<boolean>`substr(c.version, 1, ${f.version.length}) = ${f.version}`);
  }
  if (f.unassigned === true) q = q.where('c.virtual_account_id', 'is', null);
  if (f.unassigned === false) q = q.where('c.virtual_account_id', 'is not', null);
  q = q.orderBy('k.name').orderBy('c.name').orderBy('c.id');
  // Filters on effective states are known only after the lifecycle is computed; without them
  // the page is cut in SQL and only its rows are computed.
  const late =
    f.registration !== undefined || f.authorization !== undefined || f.failed !== undefined;
  const offset = Math.max(0, opts.offset ?? 0);
  if (!late && (opts.limit !== undefined || offset > 0)) {
    // The page's ids first, by the same filters and order: SQLite computes every column of
    // the rows an OFFSET skips (the latest job and the counted licenses are subqueries), so a
    // page deep into 10 000 clusters would cost almost the whole summary.
    const ids = (
      await q
        .clearSelect()
        .select('c.id')
        .limit(
          opts.limit === undefined
            ? perDialect(db, { sqlite: -1, postgres: null })
            : Math.max(0, opts.limit),
        )
        .offset(offset)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return [];
    q = q.where(sql<boolean>`c.id in ${jsonIntList(db, JSON.stringify(ids))}`);
  }
  const rows = await baseRows(q);
  const out: ClusterSummaryRow[] = [];
  for (const r of rows) {
    const row = toRow(r, opts.now);
    if (f.registration !== undefined && row.registration !== f.registration) continue;
    if (f.authorization !== undefined && row.authorization !== f.authorization) continue;
    if (f.failed === true && !clusterFailed(row)) continue;
    if (f.failed === false && clusterFailed(row)) continue;
    out.push(row);
  }
  if (!late) return out;
  return out.slice(offset, opts.limit === undefined ? undefined : offset + Math.max(0, opts.limit));
}

export interface ClusterDetail extends ClusterSummaryRow {
  publisherAddress: string;
  transportMode: TransportMode | null;
  transportUrl: string | null;
  productUdi: string | null;
  exportControl: string | null;
  /** What the product last reported, as stored (the effective states are in `lifecycle`). */
  reported: {
    registration: RegistrationStatus | null;
    authorization: AuthorizationStatus | null;
    registrationFailedReason: string | null;
    authorizationFailedReason: string | null;
    lastRenewalAttempt: Date | null;
    lastRenewalStatus: string | null;
    nextRenewalAttempt: Date | null;
    registrationExpires: Date | null;
    lastCommunicationAttempt: Date | null;
    lastCommunicationStatus: string | null;
    nextCommunicationAttempt: Date | null;
    authorizationExpires: Date | null;
    evaluationPeriodRemaining: number | null;
  };
  dates: {
    installedAt: Date | null;
    registeredAt: Date | null;
    lastAuthorizationSuccessAt: Date | null;
    lastIdRenewalAt: Date | null;
    outOfComplianceSince: Date | null;
    lastStatusReadAt: Date | null;
    createdAt: Date;
    updatedAt: Date;
  };
  lastReadError: string | null;
  lastReadErrorAt: Date | null;
  nodes: { hostname: string; address: string | null; role: NodeRole }[];
  usage: { licenseType: string; label: string; count: number; status: string; readAt: Date }[];
  /** The cluster's latest jobs, newest first (at most 5). */
  jobs: ClusterJobRef[];
}

/**
 * The stored columns a Cluster detail shows beyond the summary's, packed like the summary's
 * (one JSON array per row). Never the credentials: a report has no use for them.
 */
const STORED_COLUMNS = [
  'id',
  'authorization_expires',
  'authorization_failed_reason',
  'authorization_status',
  'created_at',
  'evaluation_period_remaining',
  'export_control',
  'installed_at',
  'last_authorization_success_at',
  'last_communication_attempt',
  'last_communication_status',
  'last_id_renewal_at',
  'last_read_error',
  'last_read_error_at',
  'last_renewal_attempt',
  'last_renewal_status',
  'last_status_read_at',
  'next_communication_attempt',
  'next_renewal_attempt',
  'out_of_compliance_since',
  'product_udi',
  'publisher_address',
  'registered_at',
  'registration_expires',
  'registration_failed_reason',
  'registration_status',
  'transport_mode',
  'transport_url',
  'updated_at',
] as const;

type StoredRow = Pick<Selectable<ClustersTable>, (typeof STORED_COLUMNS)[number]>;

const STORED_ROW = packColumns<StoredRow>(tableColumns('clusters', STORED_COLUMNS));

/** The stored rows the query selects, unpacked. */
async function storedRows(
  db: ReportDb,
  clusterId?: number | readonly number[],
): Promise<StoredRow[]> {
  let q = db.selectFrom('clusters').select(STORED_ROW.expr(db).as('packed'));
  if (typeof clusterId === 'number') q = q.where('clusters.id', '=', clusterId);
  else if (clusterId !== undefined) q = q.where('clusters.id', 'in', clusterId);
  return (await q.execute()).map((r) => STORED_ROW.unpack(r.packed));
}

/** Everything known about one cluster; undefined when there is no cluster with that id. */
export async function clusterDetail(
  db: ReportDb,
  opts: { now: Date; clusterId: number },
): Promise<ClusterDetail | undefined> {
  const [base] = await baseRows(baseQuery(db).where('c.id', '=', opts.clusterId));
  if (!base) return undefined;
  const row = toRow(base, opts.now);
  const [c] = await storedRows(db, opts.clusterId);
  if (!c) return undefined;
  const nodes = await db
    .selectFrom('cluster_nodes')
    .select(['hostname', 'address', 'role'])
    .where('cluster_id', '=', c.id)
    .orderBy('role')
    .orderBy('hostname')
    .execute();
  const usage = await db
    .selectFrom('cluster_license_usage')
    .selectAll()
    .where('cluster_id', '=', c.id)
    .orderBy('license_type')
    .execute();
  const jobs = await db
    .selectFrom('jobs')
    .selectAll()
    .where('entity_type', '=', 'Cluster')
    .where('entity_id', '=', c.id)
    .orderBy('id', 'desc')
    .limit(5)
    .execute();
  return toDetail(row, c, nodes, usage, jobs);
}

/** The stored cluster row with its nodes, license usage and latest jobs, as `ClusterDetail`. */
function toDetail(
  row: ClusterSummaryRow,
  c: StoredRow,
  nodes: readonly { hostname: string; address: string | null; role: NodeRole }[],
  usage: readonly { license_type: string; count: number; status: string; read_at: string }[],
  jobs: readonly {
    id: number;
    job_type: string;
    status: JobStatus;
    initiated_at: string;
    completed_at: string | null;
    status_information: string | null;
    error_code: string | null;
  }[],
): ClusterDetail {
  return {
    ...row,
    publisherAddress: c.publisher_address,
    transportMode: c.transport_mode,
    transportUrl: c.transport_url,
    productUdi: c.product_udi,
    exportControl: c.export_control,
    reported: {
      registration: c.registration_status,
      authorization: c.authorization_status,
      registrationFailedReason: c.registration_failed_reason,
      authorizationFailedReason: c.authorization_failed_reason,
      lastRenewalAttempt: dateOrNull(c.last_renewal_attempt),
      lastRenewalStatus: c.last_renewal_status,
      nextRenewalAttempt: dateOrNull(c.next_renewal_attempt),
      registrationExpires: dateOrNull(c.registration_expires),
      lastCommunicationAttempt: dateOrNull(c.last_communication_attempt),
      lastCommunicationStatus: c.last_communication_status,
      nextCommunicationAttempt: dateOrNull(c.next_communication_attempt),
      authorizationExpires: dateOrNull(c.authorization_expires),
      evaluationPeriodRemaining: c.evaluation_period_remaining,
    },
    dates: {
      installedAt: dateOrNull(c.installed_at),
      registeredAt: dateOrNull(c.registered_at),
      lastAuthorizationSuccessAt: dateOrNull(c.last_authorization_success_at),
      lastIdRenewalAt: dateOrNull(c.last_id_renewal_at),
      outOfComplianceSince: dateOrNull(c.out_of_compliance_since),
      lastStatusReadAt: dateOrNull(c.last_status_read_at),
      createdAt: new Date(c.created_at),
      updatedAt: new Date(c.updated_at),
    },
    lastReadError: c.last_read_error,
    lastReadErrorAt: dateOrNull(c.last_read_error_at),
    nodes: nodes.map((n) => ({ hostname: n.hostname, address: n.address, role: n.role })),
    usage: usage.map((u) => ({
      licenseType: u.license_type,
      label: licenseLabel(u.license_type),
      count: u.count,
      status: u.status,
      readAt: new Date(u.read_at),
    })),
    jobs: jobs.map((j) => ({
      id: j.id,
      jobType: j.job_type,
      status: j.status,
      initiatedAt: new Date(j.initiated_at),
      completedAt: dateOrNull(j.completed_at),
      statusInformation: j.status_information,
      errorCode: j.error_code,
    })),
  };
}

/**
 * `clusterDetail` of every cluster at once, in a fixed number of queries (the site writes a
 * page per cluster; one `clusterDetail` call per cluster costs one aggregate over every
 * cluster's usage each time). Same shape and content as `clusterDetail`, by cluster id.
 */
export async function clusterDetails(
  db: ReportDb,
  opts: {
    now: Date;
    /** Only these clusters (the site re-reads the clusters whose data changed). */
    ids?: readonly number[];
  },
): Promise<ClusterDetail[]> {
  if (opts.ids === undefined) return detailsOf(db, opts.now, undefined);
  // In slices: a statement takes a bounded number of parameters.
  const ids = [...opts.ids].sort((a, b) => a - b);
  const out: ClusterDetail[] = [];
  for (let i = 0; i < ids.length; i += DETAIL_SLICE) {
    out.push(...(await detailsOf(db, opts.now, ids.slice(i, i + DETAIL_SLICE))));
  }
  return out;
}

/** Cluster ids per statement of `clusterDetails` (well under any engine's parameter limit). */
const DETAIL_SLICE = 500;

async function detailsOf(
  db: ReportDb,
  now: Date,
  ids: readonly number[] | undefined,
): Promise<ClusterDetail[]> {
  if (ids?.length === 0) return [];
  let base = baseQuery(db);
  if (ids) base = base.where('c.id', 'in', ids);
  const bases = await baseRows(base.orderBy('c.id'));
  const stored = new Map((await storedRows(db, ids)).map((c) => [c.id, c]));
  const group = <T extends { cluster_id: number }>(rows: T[]) => {
    const m = new Map<number, T[]>();
    for (const r of rows) {
      const l = m.get(r.cluster_id);
      if (l) l.push(r);
      else m.set(r.cluster_id, [r]);
    }
    return m;
  };
  const nodes = group(
    await db
      .selectFrom('cluster_nodes')
      .select(['cluster_id', 'hostname', 'address', 'role'])
      .$if(ids !== undefined, (q) => q.where('cluster_id', 'in', ids!))
      .orderBy('cluster_id')
      .orderBy('role')
      .orderBy('hostname')
      .execute(),
  );
  const usage = group(
    await db
      .selectFrom('cluster_license_usage')
      .selectAll()
      .$if(ids !== undefined, (q) => q.where('cluster_id', 'in', ids!))
      .orderBy('cluster_id')
      .orderBy('license_type')
      .execute(),
  );
  const jobRows = await sql<{
    cluster_id: number;
    id: number;
    job_type: string;
    status: JobStatus;
    initiated_at: string;
    completed_at: string | null;
    status_information: string | null;
    error_code: string | null;
  }>`select entity_id as cluster_id, id, job_type, status, initiated_at, completed_at,
       status_information, error_code
     from (select j.*, row_number() over (partition by entity_id order by id desc) as n
           from jobs j where entity_type = 'Cluster' and entity_id is not null${
             ids ? sql` and entity_id in (${sql.join(ids)})` : sql``
           }) as recent
     where n <= 5 order by entity_id, id desc`.execute(db);
  const jobs = group(jobRows.rows);
  const out: ClusterDetail[] = [];
  for (const base of bases) {
    const c = stored.get(base.id);
    if (!c) continue;
    const row = toRow(base, now);
    out.push(toDetail(row, c, nodes.get(c.id) ?? [], usage.get(c.id) ?? [], jobs.get(c.id) ?? []));
  }
  return out;
}
