import { CompiledQuery, sql, type Kysely, type Selectable } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import {
  dialectOf,
  jsonInt,
  jsonIntList,
  jsonRows,
  jsonText,
  type DialectName,
} from '../dialect.ts';
import type {
  AuthorizationStatus,
  ClusterLicenseUsageTable,
  ClusterNodesTable,
  ClusterRow,
  ClusterRowUpdate,
  ClusterStatus,
  ClusterType,
  Database,
  LicenseMode,
  LicensingKind,
  NodeRole,
  RegistrationStatus,
  TransportMode,
} from '../schema.ts';
import { atomically, date, dateOrNull, defined, iso, isoOrNull } from './mapping.ts';

/** Smart licensing status of a cluster as last read from its publisher (DOMAIN §4, §5). */
export interface ClusterLicensingState {
  registrationStatus: RegistrationStatus | null;
  registeredAt: Date | null;
  lastRenewalAttempt: Date | null;
  lastRenewalStatus: string | null;
  nextRenewalAttempt: Date | null;
  registrationExpires: Date | null;
  registrationFailedReason: string | null;
  productUdi: string | null;
  exportControl: string | null;
  authorizationStatus: AuthorizationStatus | null;
  lastCommunicationAttempt: Date | null;
  lastCommunicationStatus: string | null;
  nextCommunicationAttempt: Date | null;
  authorizationExpires: Date | null;
  authorizationFailedReason: string | null;
  evaluationPeriodRemaining: number | null;
  installedAt: Date | null;
  lastAuthorizationSuccessAt: Date | null;
  lastIdRenewalAt: Date | null;
  outOfComplianceSince: Date | null;
  /** The latest good status read. */
  lastStatusReadAt: Date | null;
  /** The latest failed status read (`CODE: message`); kept after a later good read. */
  lastReadError: string | null;
  lastReadErrorAt: Date | null;
}

export interface Cluster extends ClusterLicensingState {
  id: number;
  customerId: number;
  name: string;
  type: ClusterType;
  version: string | null;
  publisherAddress: string;
  adminUsername: string | null;
  hasAdminPassword: boolean;
  licenseMode: LicenseMode | null;
  transportMode: TransportMode | null;
  transportUrl: string | null;
  virtualAccountId: number | null;
  /** Cluster Summary status (DOMAIN §7.6); null before any registration step. */
  status: ClusterStatus | null;
  licensing: LicensingKind;
  /** AXL schema override for CUCM; null: the newest the cluster's release serves. */
  axlSchemaVersion: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Upsert input keyed by (customerId, name); `undefined` keeps, `null` clears. */
export interface ClusterInput {
  customerId: number;
  name: string;
  type: ClusterType;
  publisherAddress: string;
  version?: string | null;
  adminUsername?: string | null;
  /** Plaintext; encrypted before storage. */
  adminPassword?: string | null;
  licenseMode?: LicenseMode | null;
  transportMode?: TransportMode | null;
  transportUrl?: string | null;
  licensing?: LicensingKind;
  /** AXL schema override; null clears it. */
  axlSchemaVersion?: string | null;
}

export type ClusterStatusPatch = Partial<ClusterLicensingState> & {
  status?: ClusterStatus | null;
  licenseMode?: LicenseMode | null;
  transportMode?: TransportMode | null;
  transportUrl?: string | null;
  version?: string | null;
  licensing?: LicensingKind;
};

export interface ClusterFilter {
  customerId?: number;
  virtualAccountId?: number;
  /** Clusters assigned to any VA of this SA. */
  smartAccountId?: number;
  type?: ClusterType;
  status?: ClusterStatus;
  /** true: only clusters without a VA; false: only assigned ones. */
  unassigned?: boolean;
  /** Only these clusters (an empty list: none). */
  ids?: readonly number[];
}

/** What the sync needs to know of a cluster to decide whether its status read is due. */
export type ClusterSyncTimers = Pick<
  Cluster,
  | 'id'
  | 'type'
  | 'virtualAccountId'
  | 'lastStatusReadAt'
  | 'nextCommunicationAttempt'
  | 'nextRenewalAttempt'
  | 'authorizationExpires'
  | 'registrationExpires'
>;

export interface ClusterNode {
  hostname: string;
  address: string | null;
  role: NodeRole;
}

export interface ClusterLicenseUsage {
  licenseType: string;
  tag: string | null;
  count: number;
  status: string;
  readAt: Date;
}

export function toCluster(r: ClusterRow): Cluster {
  return {
    id: r.id,
    customerId: r.customer_id,
    name: r.name,
    type: r.type,
    version: r.version,
    publisherAddress: r.publisher_address,
    adminUsername: r.admin_username,
    hasAdminPassword: r.admin_password_enc !== null,
    licenseMode: r.license_mode,
    transportMode: r.transport_mode,
    transportUrl: r.transport_url,
    virtualAccountId: r.virtual_account_id,
    status: r.status,
    licensing: r.licensing,
    axlSchemaVersion: r.axl_schema_version ?? null,
    registrationStatus: r.registration_status,
    registeredAt: dateOrNull(r.registered_at),
    lastRenewalAttempt: dateOrNull(r.last_renewal_attempt),
    lastRenewalStatus: r.last_renewal_status,
    nextRenewalAttempt: dateOrNull(r.next_renewal_attempt),
    registrationExpires: dateOrNull(r.registration_expires),
    registrationFailedReason: r.registration_failed_reason,
    productUdi: r.product_udi,
    exportControl: r.export_control,
    authorizationStatus: r.authorization_status,
    lastCommunicationAttempt: dateOrNull(r.last_communication_attempt),
    lastCommunicationStatus: r.last_communication_status,
    nextCommunicationAttempt: dateOrNull(r.next_communication_attempt),
    authorizationExpires: dateOrNull(r.authorization_expires),
    authorizationFailedReason: r.authorization_failed_reason,
    evaluationPeriodRemaining: r.evaluation_period_remaining,
    installedAt: dateOrNull(r.installed_at),
    lastAuthorizationSuccessAt: dateOrNull(r.last_authorization_success_at),
    lastIdRenewalAt: dateOrNull(r.last_id_renewal_at),
    outOfComplianceSince: dateOrNull(r.out_of_compliance_since),
    lastStatusReadAt: dateOrNull(r.last_status_read_at),
    lastReadError: r.last_read_error,
    lastReadErrorAt: dateOrNull(r.last_read_error_at),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

/** `undefined` stays undefined (keep), null stays null (clear), a Date becomes ISO text. */
function d(v: Date | null | undefined): string | null | undefined {
  return v === undefined ? undefined : isoOrNull(v);
}

/** `update clusters set <cols> = ?, updated_at = ? where id = ?`, by column list. */
const updateSqlByColumns = new Map<string, string>();
function updateSql(columns: readonly string[], dialect: DialectName): string {
  const key = `${dialect}:${columns.join(',')}`;
  let text = updateSqlByColumns.get(key);
  if (text === undefined) {
    // PostgreSQL numbers its parameters ($1, $2, …); SQLite takes `?`.
    let n = 0;
    const p = () => (dialect === 'postgres' ? `$${++n}` : '?');
    // Column names come from patchToRow's keys, never from input.
    text = `update "clusters" set ${columns.map((c) => `"${c}" = ${p()}, `).join('')}"updated_at" = ${p()} where "id" = ${p()}`;
    updateSqlByColumns.set(key, text);
  }
  return text;
}

function patchToRow(p: ClusterStatusPatch): ClusterRowUpdate {
  return defined({
    status: p.status,
    license_mode: p.licenseMode,
    transport_mode: p.transportMode,
    transport_url: p.transportUrl,
    version: p.version,
    licensing: p.licensing,
    registration_status: p.registrationStatus,
    registered_at: d(p.registeredAt),
    last_renewal_attempt: d(p.lastRenewalAttempt),
    last_renewal_status: p.lastRenewalStatus,
    next_renewal_attempt: d(p.nextRenewalAttempt),
    registration_expires: d(p.registrationExpires),
    registration_failed_reason: p.registrationFailedReason,
    product_udi: p.productUdi,
    export_control: p.exportControl,
    authorization_status: p.authorizationStatus,
    last_communication_attempt: d(p.lastCommunicationAttempt),
    last_communication_status: p.lastCommunicationStatus,
    next_communication_attempt: d(p.nextCommunicationAttempt),
    authorization_expires: d(p.authorizationExpires),
    authorization_failed_reason: p.authorizationFailedReason,
    evaluation_period_remaining: p.evaluationPeriodRemaining,
    installed_at: d(p.installedAt),
    last_authorization_success_at: d(p.lastAuthorizationSuccessAt),
    last_id_renewal_at: d(p.lastIdRenewalAt),
    out_of_compliance_since: d(p.outOfComplianceSince),
    last_status_read_at: d(p.lastStatusReadAt),
    last_read_error: p.lastReadError,
    last_read_error_at: d(p.lastReadErrorAt),
  });
}

export class ClustersRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Inserts or updates by (customer, name); keeps VA assignment and status fields. */
  async upsert(input: ClusterInput): Promise<Cluster> {
    const now = iso(this.clock.now());
    const changes = defined({
      type: input.type,
      publisher_address: input.publisherAddress,
      version: input.version,
      admin_username: input.adminUsername,
      admin_password_enc:
        input.adminPassword === undefined || input.adminPassword === null
          ? input.adminPassword
          : this.secrets.encrypt(input.adminPassword),
      license_mode: input.licenseMode,
      transport_mode: input.transportMode,
      transport_url: input.transportUrl,
      licensing: input.licensing,
      axl_schema_version: input.axlSchemaVersion,
    });
    const row = await this.db
      .insertInto('clusters')
      .values({
        customer_id: input.customerId,
        name: input.name,
        type: input.type,
        publisher_address: input.publisherAddress,
        licensing: 'Smart',
        ...changes,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['customer_id', 'name']).doUpdateSet({ ...changes, updated_at: now }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toCluster(row);
  }

  async getById(id: number): Promise<Cluster | undefined> {
    const row = await this.db
      .selectFrom('clusters')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toCluster(row);
  }

  async getByName(customerId: number, name: string): Promise<Cluster | undefined> {
    const row = await this.db
      .selectFrom('clusters')
      .selectAll()
      .where('customer_id', '=', customerId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toCluster(row);
  }

  async list(filter: ClusterFilter = {}): Promise<Cluster[]> {
    let q = this.db.selectFrom('clusters').selectAll('clusters');
    if (filter.customerId !== undefined)
      q = q.where('clusters.customer_id', '=', filter.customerId);
    if (filter.virtualAccountId !== undefined) {
      q = q.where('clusters.virtual_account_id', '=', filter.virtualAccountId);
    }
    if (filter.smartAccountId !== undefined) {
      const saId = filter.smartAccountId;
      q = q.where('clusters.virtual_account_id', 'in', (eb) =>
        eb.selectFrom('virtual_accounts').select('id').where('smart_account_id', '=', saId),
      );
    }
    if (filter.type !== undefined) q = q.where('clusters.type', '=', filter.type);
    if (filter.status !== undefined) q = q.where('clusters.status', '=', filter.status);
    if (filter.unassigned === true) q = q.where('clusters.virtual_account_id', 'is', null);
    if (filter.unassigned === false) q = q.where('clusters.virtual_account_id', 'is not', null);
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return [];
      // Bound parameters stay well under SQLite's limit; the chunks' rows are merged in order.
      if (filter.ids.length > 500) {
        const parts: Cluster[] = [];
        for (let i = 0; i < filter.ids.length; i += 500)
          parts.push(...(await this.list({ ...filter, ids: filter.ids.slice(i, i + 500) })));
        // SQLite's BINARY order of names: by UTF-16 code unit, as `<` compares.
        return parts.sort(
          (a, b) => a.customerId - b.customerId || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
        );
      }
      q = q.where('clusters.id', 'in', [...filter.ids]);
    }
    const rows = await q.orderBy('clusters.customer_id').orderBy('clusters.name').execute();
    return rows.map(toCluster);
  }

  /**
   * The status-read timers of the clusters assigned to an SA's VAs: seven columns, not the
   * whole row, so a sync that finds nothing due does not build every cluster of the account.
   */
  async listSyncTimers(smartAccountId: number): Promise<ClusterSyncTimers[]> {
    const rows = await this.db
      .selectFrom('clusters')
      .select([
        'id',
        'type',
        'virtual_account_id',
        'last_status_read_at',
        'next_communication_attempt',
        'next_renewal_attempt',
        'authorization_expires',
        'registration_expires',
      ])
      .where('virtual_account_id', 'in', (eb) =>
        eb
          .selectFrom('virtual_accounts')
          .select('id')
          .where('smart_account_id', '=', smartAccountId),
      )
      .execute();
    return rows.map((r) => ({
      id: r.id,
      type: r.type,
      virtualAccountId: r.virtual_account_id,
      lastStatusReadAt: dateOrNull(r.last_status_read_at),
      nextCommunicationAttempt: dateOrNull(r.next_communication_attempt),
      nextRenewalAttempt: dateOrNull(r.next_renewal_attempt),
      authorizationExpires: dateOrNull(r.authorization_expires),
      registrationExpires: dateOrNull(r.registration_expires),
    }));
  }

  async countByVirtualAccount(virtualAccountId: number): Promise<number> {
    const r = await this.db
      .selectFrom('clusters')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('virtual_account_id', '=', virtualAccountId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Clusters assigned to each VA of one Smart Account, by VA id (VAs without any absent). */
  async countByVirtualAccountOf(smartAccountId: number): Promise<Map<number, number>> {
    const rows = await this.db
      .selectFrom('clusters')
      .innerJoin('virtual_accounts', 'virtual_accounts.id', 'clusters.virtual_account_id')
      .select((eb) => ['clusters.virtual_account_id as id', eb.fn.countAll<number>().as('n')])
      .where('virtual_accounts.smart_account_id', '=', smartAccountId)
      .groupBy('clusters.virtual_account_id')
      .execute();
    return new Map(rows.map((r) => [r.id!, Number(r.n)]));
  }

  /**
   * Per Smart Account, the assigned clusters whose status read is due at `now`: never read,
   * read `maxAgeMs` or more ago, or a renewal/communication attempt or expiry they announced
   * has passed since (the rule of the sync service, for estimating its work).
   */
  async countStatusDueBySmartAccount(now: Date, maxAgeMs: number): Promise<Map<number, number>> {
    const at = iso(now);
    const cutoff = iso(new Date(now.getTime() - maxAgeMs));
    const rows = await this.db
      .selectFrom('clusters')
      .innerJoin('virtual_accounts', 'virtual_accounts.id', 'clusters.virtual_account_id')
      .select((eb) => ['virtual_accounts.smart_account_id as id', eb.fn.countAll<number>().as('n')])
      .where((eb) =>
        eb.or([
          eb('clusters.last_status_read_at', 'is', null),
          eb('clusters.last_status_read_at', '<=', cutoff),
          ...(
            [
              'clusters.next_communication_attempt',
              'clusters.next_renewal_attempt',
              'clusters.authorization_expires',
              'clusters.registration_expires',
            ] as const
          ).map((col) =>
            eb.and([eb(col, '>', eb.ref('clusters.last_status_read_at')), eb(col, '<=', at)]),
          ),
        ]),
      )
      .groupBy('virtual_accounts.smart_account_id')
      .execute();
    return new Map(rows.map((r) => [r.id, Number(r.n)]));
  }

  /** Clusters assigned to each Smart Account's VAs, by SA id (accounts without any absent). */
  async countBySmartAccount(): Promise<Map<number, number>> {
    const rows = await this.db
      .selectFrom('clusters')
      .innerJoin('virtual_accounts', 'virtual_accounts.id', 'clusters.virtual_account_id')
      .select((eb) => ['virtual_accounts.smart_account_id as id', eb.fn.countAll<number>().as('n')])
      .groupBy('virtual_accounts.smart_account_id')
      .execute();
    return new Map(rows.map((r) => [r.id, Number(r.n)]));
  }

  async assign(id: number, virtualAccountId: number, status?: ClusterStatus): Promise<void> {
    await this.db
      .updateTable('clusters')
      .set(
        defined({
          virtual_account_id: virtualAccountId,
          status,
          updated_at: iso(this.clock.now()),
        }),
      )
      .where('id', '=', id)
      .execute();
  }

  async unassign(id: number, status?: ClusterStatus): Promise<void> {
    await this.db
      .updateTable('clusters')
      .set({
        virtual_account_id: null,
        ...defined({ status }),
        updated_at: iso(this.clock.now()),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Partial update of status and licensing-state fields (`undefined` keeps, `null` clears). */
  async updateStatus(id: number, patch: ClusterStatusPatch): Promise<void> {
    await this.db
      .updateTable('clusters')
      .set({ ...patchToRow(patch), updated_at: iso(this.clock.now()) })
      .where('id', '=', id)
      .execute();
  }

  /**
   * `updateStatus` for many clusters. The same SQL text for the same set of columns, so the
   * statement is prepared once and only run again; building and compiling a kysely query per
   * cluster cost more than SQLite's work.
   */
  async updateStatusMany(
    patches: readonly { id: number; patch: ClusterStatusPatch }[],
  ): Promise<void> {
    if (patches.length === 0) return;
    const now = iso(this.clock.now());
    const dialect = dialectOf(this.db);
    await atomically(this.db, async (trx) => {
      for (const { id, patch } of patches) {
        const row = patchToRow(patch);
        const text = updateSql(Object.keys(row), dialect);
        await trx.executeQuery(CompiledQuery.raw(text, [...Object.values(row), now, id]));
      }
    });
  }

  /** Decrypts the admin (AXL / vmrest) password. Callers must not log or show it. */
  async getAdminCredentials(
    id: number,
  ): Promise<{ username: string | null; password: string | null } | undefined> {
    const row = await this.db
      .selectFrom('clusters')
      .select(['admin_username', 'admin_password_enc'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      username: row.admin_username,
      password:
        row.admin_password_enc === null ? null : this.secrets.decrypt(row.admin_password_enc),
    };
  }

  /**
   * The admin credentials of the clusters assigned to one Smart Account's VAs, by cluster id,
   * in one query; only the ids in `only` are decrypted and returned when it is given.
   */
  async listAdminCredentials(
    smartAccountId: number,
    only?: ReadonlySet<number>,
  ): Promise<Map<number, { username: string | null; password: string | null }>> {
    const rows = await this.db
      .selectFrom('clusters')
      .innerJoin('virtual_accounts', 'virtual_accounts.id', 'clusters.virtual_account_id')
      .select(['clusters.id', 'clusters.admin_username', 'clusters.admin_password_enc'])
      .where('virtual_accounts.smart_account_id', '=', smartAccountId)
      .execute();
    const out = new Map<number, { username: string | null; password: string | null }>();
    for (const r of rows) {
      if (only && !only.has(r.id)) continue;
      out.set(r.id, {
        username: r.admin_username,
        password: r.admin_password_enc === null ? null : this.secrets.decrypt(r.admin_password_enc),
      });
    }
    return out;
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('clusters').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async replaceNodes(clusterId: number, nodes: readonly ClusterNode[]): Promise<void> {
    await atomically(this.db, async (trx) => {
      await trx.deleteFrom('cluster_nodes').where('cluster_id', '=', clusterId).execute();
      if (nodes.length === 0) return;
      await trx
        .insertInto('cluster_nodes')
        .values(
          nodes.map((n) => ({
            cluster_id: clusterId,
            hostname: n.hostname,
            address: n.address,
            role: n.role,
          })),
        )
        .execute();
    });
  }

  async listNodes(clusterId: number): Promise<ClusterNode[]> {
    const rows: Selectable<ClusterNodesTable>[] = await this.db
      .selectFrom('cluster_nodes')
      .selectAll()
      .where('cluster_id', '=', clusterId)
      .orderBy('role')
      .orderBy('hostname')
      .execute();
    return rows.map((r) => ({ hostname: r.hostname, address: r.address, role: r.role }));
  }

  /** Replaces the per-entitlement usage the cluster last reported. */
  async replaceLicenseUsage(
    clusterId: number,
    usage: readonly Omit<ClusterLicenseUsage, 'readAt'>[],
    readAt: Date = this.clock.now(),
  ): Promise<void> {
    await atomically(this.db, async (trx) => {
      await trx.deleteFrom('cluster_license_usage').where('cluster_id', '=', clusterId).execute();
      if (usage.length === 0) return;
      await trx
        .insertInto('cluster_license_usage')
        .values(
          usage.map((u) => ({
            cluster_id: clusterId,
            license_type: u.licenseType,
            tag: u.tag,
            count: u.count,
            status: u.status,
            read_at: iso(readAt),
          })),
        )
        .execute();
    });
  }

  /** `replaceLicenseUsage` for many clusters: one delete and one insert in all. */
  async replaceLicenseUsageMany(
    entries: readonly {
      clusterId: number;
      usage: readonly Omit<ClusterLicenseUsage, 'readAt'>[];
    }[],
    readAt: Date = this.clock.now(),
  ): Promise<void> {
    if (entries.length === 0) return;
    const ids = JSON.stringify(entries.map((e) => e.clusterId));
    const rows = JSON.stringify(
      entries.flatMap((e) =>
        e.usage.map((u) => [e.clusterId, u.licenseType, u.tag, u.count, u.status]),
      ),
    );
    await atomically(this.db, async (trx) => {
      await sql`delete from cluster_license_usage
        where cluster_id in ${jsonIntList(trx, ids)}`.execute(trx);
      await sql`insert into cluster_license_usage
          (cluster_id, license_type, tag, count, status, read_at)
        select ${jsonInt(trx, 'j.value', 0)}, ${jsonText(trx, 'j.value', 1)},
          ${jsonText(trx, 'j.value', 2)}, ${jsonInt(trx, 'j.value', 3)},
          ${jsonText(trx, 'j.value', 4)}, ${iso(readAt)}
        from ${jsonRows(trx, rows, 'j')}`.execute(trx);
    });
  }

  async listLicenseUsage(clusterId: number): Promise<ClusterLicenseUsage[]> {
    const rows: Selectable<ClusterLicenseUsageTable>[] = await this.db
      .selectFrom('cluster_license_usage')
      .selectAll()
      .where('cluster_id', '=', clusterId)
      .orderBy('license_type')
      .execute();
    return rows.map((r) => ({
      licenseType: r.license_type,
      tag: r.tag,
      count: r.count,
      status: r.status,
      readAt: date(r.read_at),
    }));
  }
}
