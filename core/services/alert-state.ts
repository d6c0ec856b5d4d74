/**
 * Gathers the state of one alert scope from the store into the rules' input types
 * (core/domain/alert-rules.ts). Reads only: a handful of queries per scope, whatever its size.
 *
 * A cluster belongs to exactly one scope: the Smart Account of its VA when assigned, else
 * its customer's Smart Account, else `global`. So no alert is evaluated by two scopes.
 */
import type { Kysely } from 'kysely';
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
  VaRef,
  VaTokenFacts,
} from '../domain/alert-rules.ts';
import type { AlertScope } from '../domain/alerts.ts';
import { shortageOf } from '../domain/compliance.ts';
import { effectiveLifecycle } from '../domain/effective-lifecycle.ts';
import { DAY_MS } from '../domain/lifecycle.ts';
import { forecast } from '../reports/trends.ts';
import { tryParseUcVersion } from '../domain/versions.ts';
import type { ClusterRow, Database } from '../store/schema.ts';

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

/**
 * The lifecycle dates the rules read, from the read side's effective lifecycle of the stored
 * row (the worse of what the product last said and what its timers say since).
 */
export function clusterLifecycle(
  c: ClusterRow,
  licensesCounted: number | null,
  now: Date,
): ClusterLifecycleFacts {
  const lc = effectiveLifecycle(
    {
      appType: c.type,
      reportedRegistration: c.registration_status,
      reportedAuthorization: c.authorization_status,
      reportedRegistrationExpires: d(c.registration_expires),
      reportedAuthorizationExpires: d(c.authorization_expires),
      evaluationPeriodRemaining: c.evaluation_period_remaining,
      registeredAt: d(c.registered_at),
      lastAuthorizationSuccessAt: d(c.last_authorization_success_at),
      lastIdRenewalAt: d(c.last_id_renewal_at),
      installedAt: d(c.installed_at),
      outOfComplianceSince: d(c.out_of_compliance_since),
      lastStatusReadAt: d(c.last_status_read_at),
      lastReadErrorAt: d(c.last_read_error_at),
      lastReadError: c.last_read_error,
      licensesCounted,
      createdAt: new Date(c.created_at),
    },
    now,
  );
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
}

/** Reads the state of `scope` (`sa:<id>` or `global`). */
export async function gatherAlertState(
  db: Kysely<Database>,
  scope: AlertScope,
  opts: GatherOptions,
): Promise<AlertState> {
  const { now } = opts;
  const saId = scope === 'global' ? null : Number(scope.slice(3));
  const state: AlertState = {
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
  };

  const sa =
    saId === null
      ? undefined
      : await db.selectFrom('smart_accounts').selectAll().where('id', '=', saId).executeTakeFirst();
  if (saId !== null && !sa) return state;
  const ref = sa ? { id: sa.id, domain: sa.domain } : null;

  // Virtual accounts and their licenses.
  const vas = sa
    ? await db
        .selectFrom('virtual_accounts')
        .select(['id', 'name', 'role'])
        .where('smart_account_id', '=', sa.id)
        .execute()
    : [];
  const vaById = new Map<number, VaRef & { role: string | null }>();
  for (const v of vas)
    vaById.set(v.id, { id: v.id, name: v.name, smartAccount: ref!, role: v.role });
  const vaIds = [...vaById.keys()];

  if (vaIds.length > 0) {
    const lines = await db
      .selectFrom('licenses')
      .select([
        'id',
        'virtual_account_id',
        'license_type',
        'display_name',
        'quantity',
        'in_use',
        'available',
      ])
      .where('virtual_account_id', 'in', vaIds)
      .execute();
    const lineById = new Map<number, (typeof lines)[number]>();
    for (const l of lines) {
      lineById.set(l.id, l);
      const licence: LicenseFacts = {
        va: vaById.get(l.virtual_account_id)!,
        licenseType: l.license_type,
        displayName: l.display_name,
        quantity: l.quantity,
        inUse: l.in_use,
        shortage: shortageOf({ quantity: l.quantity, inUse: l.in_use, available: l.available }),
      };
      state.licenses.push(licence);
    }
    const lineIds = [...lineById.keys()];
    for (const part of chunks(lineIds)) {
      const details = await db
        .selectFrom('license_details')
        .select(['license_id', 'quantity', 'start_date', 'end_date', 'subscription_id'])
        .where('license_id', 'in', part)
        .where('license_type', '=', 'TERM')
        .where('end_date', 'is not', null)
        .execute();
      for (const x of details) {
        const l = lineById.get(x.license_id)!;
        const term: TermLicenseFacts = {
          va: vaById.get(l.virtual_account_id)!,
          licenseType: l.license_type,
          displayName: l.display_name,
          subscriptionId: x.subscription_id,
          quantity: x.quantity,
          startDate: d(x.start_date),
          endDate: new Date(x.end_date!),
          endsAt: endOfTerm(new Date(x.end_date!)),
        };
        state.terms.push(term);
      }
    }
  }

  // The trend of each VA with licenses (the read side's forecast over the usage snapshots).
  const withLicenses = [...new Set(state.licenses.map((l) => l.va.id))];
  for (const vaId of withLicenses) {
    const f = await forecast(db, {
      virtualAccountId: vaId,
      now,
      ...(opts.forecastWindowDays !== undefined ? { windowDays: opts.forecastWindowDays } : {}),
    });
    for (const r of f.rows) {
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
      state.forecasts.push(facts);
    }
  }

  // Clusters of the scope: assigned to its VAs, or unassigned with a customer of its SA
  // (global: unassigned with a customer of no SA).
  let cq = db
    .selectFrom('clusters')
    .innerJoin('customers', 'customers.id', 'clusters.customer_id')
    .selectAll('clusters')
    .select(['customers.name as customer_name', 'customers.smart_account_id as customer_sa']);
  cq =
    saId === null
      ? cq
          .where('clusters.virtual_account_id', 'is', null)
          .where('customers.smart_account_id', 'is', null)
      : cq.where((eb) =>
          eb.or([
            ...(vaIds.length > 0 ? [eb('clusters.virtual_account_id', 'in', vaIds)] : []),
            eb.and([
              eb('clusters.virtual_account_id', 'is', null),
              eb('customers.smart_account_id', '=', saId),
            ]),
          ]),
        );
  const clusterRows = await cq.execute();
  const clusterIds = clusterRows.map((c) => c.id);

  const usage = new Map<number, number>();
  for (const part of chunks(clusterIds)) {
    const rows = await db
      .selectFrom('cluster_license_usage')
      .select(['cluster_id', (eb) => eb.fn.sum<number>('count').as('n')])
      .where('cluster_id', 'in', part)
      .groupBy('cluster_id')
      .execute();
    for (const r of rows) usage.set(r.cluster_id, Number(r.n));
  }
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

  const clustersByName = new Map<string, ClusterFacts>();
  for (const c of clusterRows) {
    const va = c.virtual_account_id !== null ? (vaById.get(c.virtual_account_id) ?? null) : null;
    const v = c.version ? tryParseUcVersion(c.version) : undefined;
    const counted = usage.get(c.id);
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
    if (!clustersByName.has(c.name)) clustersByName.set(c.name, facts);
  }

  // The latest job of each action on each cluster of the scope: by the job's entity id (the
  // cluster's id), and by name for jobs recorded before jobs carried one.
  if (clusterRows.length > 0) {
    const types = Object.keys(CLUSTER_JOB_ACTIONS);
    const byId = new Map(state.clusters.map((c) => [c.id, c]));
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
    for (const part of chunks([...clustersByName.keys()])) {
      const latest = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.max('id').as('id'))
        .where('entity_type', '=', 'Cluster')
        .where('entity_id', 'is', null)
        .where('entity_name', 'in', part)
        .where('job_type', 'in', types)
        .groupBy(['entity_name', 'job_type'])
        .execute();
      for (const j of latest) ids.push(Number(j.id));
    }
    const best = new Map<string, JobFacts>();
    for (const part of chunks(ids)) {
      const jobs = await db.selectFrom('jobs').selectAll().where('id', 'in', part).execute();
      for (const j of jobs) {
        const c = j.entity_id !== null ? byId.get(j.entity_id) : clustersByName.get(j.entity_name);
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
    state.jobs = [...best.values()].sort((a, b) => a.jobId - b.jobId);
  }

  if (!sa) return state;

  // The account's own sync record: failures in a row and the last success, from its jobs.
  const syncJobs = await db
    .selectFrom('jobs')
    .select(['status', 'completed_at', 'initiated_at'])
    .where('entity_type', '=', 'Smart Account')
    .where((eb) =>
      eb.or([
        eb('entity_id', '=', sa.id),
        eb.and([eb('entity_id', 'is', null), eb('entity_name', '=', sa.domain)]),
      ]),
    )
    .where('job_type', '=', 'Sync')
    .where('status', 'in', ['Completed', 'Failed'])
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
  let failures = 0;
  let lastSuccessAt: Date | null = null;
  for (const j of syncJobs) {
    if (j.status === 'Completed') {
      lastSuccessAt = new Date(j.completed_at ?? j.initiated_at);
      break;
    }
    failures += 1;
  }
  if (!lastSuccessAt && sa.last_sync_status === 'Success') lastSuccessAt = d(sa.last_sync_at);
  const account: AccountFacts = {
    id: sa.id,
    domain: sa.domain,
    name: sa.name,
    createdAt: new Date(sa.created_at),
    lastSyncAt: d(sa.last_sync_at),
    lastSyncStatus: sa.last_sync_status,
    lastSyncError: sa.last_sync_error,
    lastSuccessAt,
    consecutiveFailures: failures,
  };
  state.accounts.push(account);

  // Tokens of the VAs smartlic registers into: an assigned cluster, or the operational VA.
  const assigned = new Map<number, number>();
  for (const c of state.clusters) if (c.va) assigned.set(c.va.id, (assigned.get(c.va.id) ?? 0) + 1);
  const relied = [...vaById.values()].filter((v) => assigned.has(v.id) || v.role === 'operational');
  if (relied.length > 0) {
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
      .where(
        'virtual_account_id',
        'in',
        relied.map((v) => v.id),
      )
      .execute();
    for (const v of relied) {
      const n = assigned.get(v.id) ?? 0;
      const facts: VaTokenFacts = {
        va: { id: v.id, name: v.name, smartAccount: v.smartAccount },
        reliedOnFor:
          n > 0
            ? `${n} cluster${n === 1 ? '' : 's'} assigned`
            : 'operational VA (auto-registration)',
        tokens: tokens
          .filter((t) => t.virtual_account_id === v.id)
          .map((t) => ({
            id: t.id,
            description: t.description,
            expiresAt: d(t.expires_at),
            status: t.status,
            exportControlled: t.export_controlled !== 0,
          })),
      };
      state.tokens.push(facts);
    }
  }

  const sats = await db
    .selectFrom('local_accounts')
    .selectAll()
    .where('smart_account_id', '=', sa.id)
    .execute();
  for (const s of sats) {
    const facts: SatelliteFacts = {
      id: s.id,
      name: s.name,
      host: s.satellite_host,
      syncMode: s.sync_mode,
      lastCssmSyncAt: d(s.last_cssm_sync_at),
      createdAt: new Date(s.created_at),
      smartAccount: ref,
    };
    state.satellites.push(facts);
  }
  return state;
}
