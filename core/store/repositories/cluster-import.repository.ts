/**
 * The store side of a bulk cluster import (core/services/clusters/bulk-import.ts): what the
 * rows are checked against, read in a few whole-table queries, and the write, in multi-row
 * statements inside the caller's one transaction. Storing 100,000 clusters one `upsert` at a
 * time was five separately committed statements a cluster (about 1 ms each through kysely);
 * here it is a few dozen statements in all, each prepared once per chunk.
 *
 * The statements are built as text with one placeholder per value: kysely's builder would
 * compile a 2,000-row VALUES list again for every chunk, which costs more than SQLite's work.
 * Column names come from the constants below, never from input.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import { dialectOf, type DialectName } from '../dialect.ts';
import type {
  ClusterStatus,
  ClusterType,
  Database,
  LicenseMode,
  LicensingKind,
  VirtualAccountRole,
} from '../schema.ts';
import { atomically, iso } from './mapping.ts';
import type { ClusterNode } from './clusters.repository.ts';

/**
 * Bound parameters per statement: under SQLite's limit (32,766 since 3.32) and PostgreSQL's
 * (65,535), so a chunk of rows is one statement on both.
 */
export const MAX_PARAMS_PER_STATEMENT = 30_000;

/** A stored cluster as an import compares it with a row. */
export interface ImportedClusterState {
  id: number;
  customerId: number;
  name: string;
  type: ClusterType;
  version: string | null;
  publisherAddress: string;
  adminUsername: string | null;
  /** Ciphertext; `decryptPassword` reads it. */
  adminPasswordEnc: string | null;
  axlSchemaVersion: string | null;
  licensing: LicensingKind;
  virtualAccountId: number | null;
}

/** What an import checks its rows against: accounts, VAs, customers, clusters and nodes. */
export interface ImportState {
  accounts: { id: number; domain: string }[];
  vas: {
    id: number;
    smartAccountId: number;
    name: string;
    role: VirtualAccountRole | null;
    licenseMode: LicenseMode | null;
    removed: boolean;
  }[];
  customerIds: Map<string, number>;
  /** By `customerId \0 name`. */
  clusters: Map<string, ImportedClusterState>;
  nodes: Map<number, ClusterNode[]>;
}

/** One cluster to write: added or updated by (customer, name). */
export interface ImportWriteRow {
  customer: string;
  name: string;
  type: ClusterType;
  version: string;
  publisherAddress: string;
  adminUsername: string;
  /** Plaintext; encrypted here. */
  adminPassword: string;
  licensing: LicensingKind;
  /** undefined: the stored override is kept. */
  axlSchemaVersion?: string;
  /** A VA for an unassigned cluster; an assigned one keeps its VA. */
  virtualAccountId?: number;
  /** With `virtualAccountId`: the status recorded with the assignment (none: kept). */
  status?: ClusterStatus;
  /** undefined: the stored nodes are kept. */
  nodes?: readonly ClusterNode[];
}

export const clusterKey = (customerId: number, name: string) => `${customerId}\u0000${name}`;

const CLUSTER_COLUMNS = [
  'customer_id',
  'name',
  'type',
  'version',
  'publisher_address',
  'admin_username',
  'admin_password_enc',
  'licensing',
  'axl_schema_version',
  'virtual_account_id',
  'status',
  'created_at',
  'updated_at',
] as const;

/**
 * What a conflict on (customer, name) updates. What the operator set elsewhere stays: an AXL
 * override the file leaves empty, a VA the cluster is already assigned to (the import refuses
 * another one), its status unless this import assigns it, and every licensing-state column.
 */
const CLUSTER_UPDATE = `"type" = excluded."type", "version" = excluded."version",
  "publisher_address" = excluded."publisher_address", "admin_username" = excluded."admin_username",
  "admin_password_enc" = excluded."admin_password_enc", "licensing" = excluded."licensing",
  "axl_schema_version" = coalesce(excluded."axl_schema_version", "clusters"."axl_schema_version"),
  "status" = case when "clusters"."virtual_account_id" is null
      and excluded."virtual_account_id" is not null and excluded."status" is not null
    then excluded."status" else "clusters"."status" end,
  "virtual_account_id" = coalesce("clusters"."virtual_account_id", excluded."virtual_account_id"),
  "updated_at" = excluded."updated_at"`;

/** `(?, ?), (?, ?)` or `($1, $2), ($3, $4)`: `rows` tuples of `cols` placeholders. */
function tuples(dialect: DialectName, rows: number, cols: number): string {
  const out: string[] = [];
  let n = 0;
  for (let r = 0; r < rows; r++) {
    const p: string[] = [];
    for (let c = 0; c < cols; c++) p.push(dialect === 'postgres' ? `$${++n}` : '?');
    out.push(`(${p.join(', ')})`);
  }
  return out.join(', ');
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class ClusterImportRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Runs `fn` in one transaction (joining the caller's when there is one), with this
   * repository bound to it: the import reads its state and writes inside it, so what it
   * checked is what it writes over.
   */
  transaction<T>(
    fn: (repo: ClusterImportRepository, trx: Kysely<Database>) => Promise<T>,
  ): Promise<T> {
    return atomically(this.db, (trx) =>
      fn(new ClusterImportRepository(trx, this.secrets, this.clock), trx),
    );
  }

  /** The admin password stored for a cluster, or undefined when it cannot be read. */
  decryptPassword(enc: string): string | undefined {
    try {
      return this.secrets.decrypt(enc);
    } catch {
      return undefined;
    }
  }

  async state(): Promise<ImportState> {
    const accounts = await this.db.selectFrom('smart_accounts').select(['id', 'domain']).execute();
    const vas = await this.db
      .selectFrom('virtual_accounts')
      .select(['id', 'smart_account_id', 'name', 'role', 'license_mode', 'removed_at'])
      .execute();
    const customers = await this.db.selectFrom('customers').select(['id', 'name']).execute();
    const clusters = await this.db
      .selectFrom('clusters')
      .select([
        'id',
        'customer_id',
        'name',
        'type',
        'version',
        'publisher_address',
        'admin_username',
        'admin_password_enc',
        'axl_schema_version',
        'licensing',
        'virtual_account_id',
      ])
      .execute();
    const nodeRows = await this.db
      .selectFrom('cluster_nodes')
      .select(['cluster_id', 'hostname', 'address', 'role'])
      .orderBy('cluster_id')
      .orderBy('role')
      .orderBy('hostname')
      .execute();
    const nodes = new Map<number, ClusterNode[]>();
    for (const n of nodeRows) {
      let list = nodes.get(n.cluster_id);
      if (!list) nodes.set(n.cluster_id, (list = []));
      list.push({ hostname: n.hostname, address: n.address, role: n.role });
    }
    return {
      accounts,
      vas: vas.map((v) => ({
        id: v.id,
        smartAccountId: v.smart_account_id,
        name: v.name,
        role: v.role,
        licenseMode: v.license_mode,
        removed: v.removed_at !== null,
      })),
      customerIds: new Map(customers.map((c) => [c.name, c.id])),
      clusters: new Map(
        clusters.map((c) => [
          clusterKey(c.customer_id, c.name),
          {
            id: c.id,
            customerId: c.customer_id,
            name: c.name,
            type: c.type,
            version: c.version,
            publisherAddress: c.publisher_address,
            adminUsername: c.admin_username,
            adminPasswordEnc: c.admin_password_enc,
            axlSchemaVersion: c.axl_schema_version ?? null,
            licensing: c.licensing,
            virtualAccountId: c.virtual_account_id,
          },
        ]),
      ),
      nodes,
    };
  }

  /**
   * Writes the rows: the customers they name (new ones created), the clusters (added, or
   * updated by customer and name), and the nodes of the rows that give them. Call it inside
   * `transaction`: the statements are many, and only their transaction makes them one import.
   * Returns how many customers were new.
   */
  async write(rows: readonly ImportWriteRow[]): Promise<{ customersAdded: number }> {
    if (rows.length === 0) return { customersAdded: 0 };
    const dialect = dialectOf(this.db);
    const now = iso(this.clock.now());
    const run = (text: string, params: readonly unknown[]) =>
      this.db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, [...params]));

    // Customers: the new names in multi-row inserts, then every id.
    const known = new Map(
      (await this.db.selectFrom('customers').select(['id', 'name']).execute()).map((c) => [
        c.name,
        c.id,
      ]),
    );
    const newNames = [...new Set(rows.map((r) => r.customer))].filter((n) => !known.has(n));
    for (const part of chunks(newNames, Math.floor(MAX_PARAMS_PER_STATEMENT / 3))) {
      const r = await run(
        `insert into "customers" ("name", "created_at", "updated_at") values ${tuples(dialect, part.length, 3)} returning "id", "name"`,
        part.flatMap((n) => [n, now, now]),
      );
      for (const c of r.rows) known.set(String(c.name), Number(c.id));
    }

    // Clusters: one upsert per chunk; the ids come back for the nodes.
    const cols = CLUSTER_COLUMNS.length;
    const ids = new Map<string, number>();
    for (const part of chunks(rows, Math.floor(MAX_PARAMS_PER_STATEMENT / cols))) {
      const params: unknown[] = [];
      for (const r of part) {
        params.push(
          known.get(r.customer),
          r.name,
          r.type,
          r.version,
          r.publisherAddress,
          r.adminUsername,
          this.secrets.encrypt(r.adminPassword),
          r.licensing,
          r.axlSchemaVersion ?? null,
          r.virtualAccountId ?? null,
          r.virtualAccountId !== undefined ? (r.status ?? null) : null,
          now,
          now,
        );
      }
      const res = await run(
        `insert into "clusters" (${CLUSTER_COLUMNS.map((c) => `"${c}"`).join(', ')}) values ${tuples(dialect, part.length, cols)}
          on conflict ("customer_id", "name") do update set ${CLUSTER_UPDATE}
          returning "id", "customer_id", "name"`,
        params,
      );
      for (const c of res.rows)
        ids.set(clusterKey(Number(c.customer_id), String(c.name)), Number(c.id));
    }

    // Nodes: replaced for the rows that give them.
    const withNodes = rows.filter((r) => r.nodes !== undefined);
    const nodeIds = withNodes.map((r) => ids.get(clusterKey(known.get(r.customer)!, r.name))!);
    for (const part of chunks(nodeIds, MAX_PARAMS_PER_STATEMENT)) {
      await run(
        `delete from "cluster_nodes" where "cluster_id" in ${tuples(dialect, 1, part.length)}`,
        part,
      );
    }
    const nodeRows = withNodes.flatMap((r, i) =>
      r.nodes!.map((n) => [nodeIds[i], n.hostname, n.address, n.role]),
    );
    for (const part of chunks(nodeRows, Math.floor(MAX_PARAMS_PER_STATEMENT / 4))) {
      await run(
        `insert into "cluster_nodes" ("cluster_id", "hostname", "address", "role") values ${tuples(dialect, part.length, 4)}`,
        part.flat(),
      );
    }
    return { customersAdded: newNames.length };
  }
}
