/**
 * Bulk import of clusters (`cluster import FILE`, and `start`'s lab inventory): every row
 * checked first by the rules of `cluster add` and `cluster assign` against the store, every
 * bad row reported with its line and fix, and nothing written while any row is bad; then
 * everything in one transaction of multi-row statements (ClusterImportRepository).
 *
 * - Idempotent: a row is matched by customer and cluster name. A row equal to what is stored
 *   (type, version, publisher, admin user and password, the AXL override and nodes it gives,
 *   its assignment) is left alone; another is updated in place; nothing is ever deleted.
 *   An empty column keeps what the operator set (AXL override, nodes, VA).
 * - Assignment: a cluster not yet assigned joins the row's VA; one assigned to that VA stays;
 *   one assigned elsewhere is refused (SLMCT1007, as `cluster assign`: unassign it first).
 * - The accounts whose VAs gain clusters are held (account leases) for the write, so the
 *   import never interleaves with a sync or another write of those accounts, and each lease
 *   is checked inside the transaction (FENCED when lost).
 * - One job (`Import Clusters`) and its one audit row record the import, not one per cluster.
 */
import type { Kysely } from 'kysely';
import { checkSmartEligibility, licensingModelFor } from '../../domain/versions.ts';
import { SmartlicError } from '../../errors.ts';
import type {
  ClusterImportRepository,
  ClusterNode,
  ClusterStatus,
  ImportState,
  ImportWriteRow,
  Job,
} from '../../store/index.ts';
import { clusterKey } from '../../store/index.ts';
import type { Database } from '../../store/schema.ts';
import type { AccountRef, HeldAccountLease } from '../account-lease.ts';
import type { ImportDraft, ImportProblem } from './import-file.ts';
import { checkVaForCluster } from './rules.ts';
import type { ClustersServiceDeps } from './types.ts';

/** A row with its password read from wherever the file's reference pointed. */
export interface ClusterImportRow extends Omit<ImportDraft, 'password'> {
  adminPassword: string;
}

export interface ClusterImportInput {
  rows: readonly ClusterImportRow[];
  requestedBy: string;
  /** What the rows came from (a file name, `emulator`): the job and the audit name it. */
  source: string;
  /** Check and count only; nothing is written and no job is recorded. */
  dryRun?: boolean;
  /**
   * The status recorded on a cluster this import assigns (`Manually Registered` for clusters
   * registered outside smartlic); none: the status is left as it is, as `cluster assign` does.
   */
  assignedStatus?: ClusterStatus;
}

export interface ClusterImportReport {
  rows: number;
  added: number;
  updated: number;
  unchanged: number;
  /** Clusters this import assigned to a VA (new or unassigned before). */
  assigned: number;
  customersAdded: number;
  /** Every bad row; non-empty means nothing was written. */
  problems: ImportProblem[];
  dryRun: boolean;
  /** The import's job (absent on a dry run or when a row was bad). */
  job?: Job;
}

interface Planned {
  row: ClusterImportRow;
  kind: 'add' | 'update' | 'unchanged';
  /** A VA the cluster joins with this import. */
  assignTo?: { vaId: number; account: AccountRef };
  nodes?: ClusterNode[];
}

const sameNodes = (a: readonly ClusterNode[], b: readonly ClusterNode[]) =>
  a.length === b.length &&
  a.every(
    (n, i) => n.hostname === b[i]!.hostname && n.role === b[i]!.role && n.address === b[i]!.address,
  );

const nodeOrder = (a: ClusterNode, b: ClusterNode) =>
  a.role === b.role
    ? a.hostname < b.hostname
      ? -1
      : a.hostname > b.hostname
        ? 1
        : 0
    : a.role < b.role
      ? -1
      : 1;

/**
 * Checks every row against the store (`state`) and says what each would do. Pure apart from
 * decrypting stored passwords to tell an unchanged row.
 */
export function planImport(
  state: ImportState,
  rows: readonly ClusterImportRow[],
  decrypt: (enc: string) => string | undefined,
): { planned: Planned[]; problems: ImportProblem[] } {
  const accounts = new Map(state.accounts.map((a) => [a.domain, a]));
  const accountById = new Map(state.accounts.map((a) => [a.id, a]));
  const vas = new Map<string, ImportState['vas'][number]>();
  const operational = new Map<number, string>();
  for (const v of state.vas) {
    if (v.removed) continue;
    vas.set(`${v.smartAccountId}/${v.name}`, v);
    if (v.role === 'operational') operational.set(v.smartAccountId, v.name);
  }
  const vaById = new Map(state.vas.map((v) => [v.id, v]));
  const planned: Planned[] = [];
  const problems: ImportProblem[] = [];
  for (const row of rows) {
    const before = problems.length;
    const problem = (column: string, message: string, action: string) =>
      problems.push({ line: row.line, column, message, action });
    const customerId = state.customerIds.get(row.customer);
    const existing =
      customerId === undefined ? undefined : state.clusters.get(clusterKey(customerId, row.name));

    let assignTo: Planned['assignTo'];
    if (row.va !== undefined) {
      const slash = row.va.indexOf('/');
      const domain = row.va.slice(0, slash);
      const vaName = row.va.slice(slash + 1);
      const account = accounts.get(domain);
      const va = account ? vas.get(`${account.id}/${vaName}`) : undefined;
      if (!account) {
        problem(
          'va',
          `NOT_FOUND: Smart Account ${domain} does not exist`,
          'provision it first (`smartlic account add`), or check the domain (`smartlic account list`)',
        );
      } else if (!va) {
        problem(
          'va',
          `NOT_FOUND: virtual account ${vaName} in ${domain} does not exist`,
          'sync the account (`smartlic sync`) to pull its virtual accounts, and check the name (`smartlic vas`)',
        );
      } else {
        const elig = checkSmartEligibility(row.type, row.version);
        const op = operational.get(account.id);
        if (!elig.ok) {
          problem('version', `${elig.code}: ${row.name}: ${elig.message}`, elig.action);
        } else if (
          existing &&
          existing.virtualAccountId !== null &&
          existing.virtualAccountId !== va.id
        ) {
          const cur = vaById.get(existing.virtualAccountId);
          const curLabel = cur
            ? `${accountById.get(cur.smartAccountId)?.domain ?? '?'}/${cur.name}`
            : `VA #${existing.virtualAccountId}`;
          problem(
            'va',
            `SLMCT1007: ${row.name} is already assigned to ${curLabel}`,
            `unassign it first (\`smartlic unassign ${row.name}\`) if it should move, or write ${curLabel} in this row`,
          );
        } else {
          try {
            checkVaForCluster(
              { name: row.name, type: row.type, version: row.version },
              account,
              va,
              op !== undefined ? { name: op } : undefined,
            );
            if (!existing || existing.virtualAccountId === null) {
              assignTo = { vaId: va.id, account: { id: account.id, domain: account.domain } };
            }
          } catch (e) {
            if (!(e instanceof SmartlicError)) throw e;
            problem('va', `${e.code}: ${e.message}`, e.action ?? 'choose another VA');
          }
        }
      }
    }

    // The nodes this row sets: all of them, or only the publisher's name (subscribers kept).
    let nodes: ClusterNode[] | undefined;
    const stored = existing ? (state.nodes.get(existing.id) ?? []) : [];
    if (row.nodes !== undefined) {
      nodes = [...row.nodes];
      const pub = nodes.find((n) => n.role === 'publisher');
      if (row.publisherHostname !== undefined) {
        if (pub && pub.hostname !== row.publisherHostname) {
          problem(
            'nodes',
            `the publisher node ${pub.hostname} is not publisher_hostname ${row.publisherHostname}`,
            'give the same publisher in both, or leave publisher_hostname empty',
          );
        } else if (!pub) {
          nodes.push({ hostname: row.publisherHostname, address: null, role: 'publisher' });
        }
      }
    } else if (row.publisherHostname !== undefined) {
      nodes = [
        ...stored.filter((n) => n.role !== 'publisher'),
        { hostname: row.publisherHostname, address: null, role: 'publisher' },
      ];
    }
    nodes?.sort(nodeOrder);

    let kind: Planned['kind'] = 'add';
    if (existing) {
      const same =
        existing.type === row.type &&
        existing.version === row.version &&
        existing.publisherAddress === row.publisherAddress &&
        existing.adminUsername === row.adminUsername &&
        existing.licensing === licensingModelFor(row.version) &&
        (row.axlSchemaVersion === undefined ||
          existing.axlSchemaVersion === row.axlSchemaVersion) &&
        (nodes === undefined || sameNodes(nodes, [...stored].sort(nodeOrder))) &&
        assignTo === undefined &&
        existing.adminPasswordEnc !== null &&
        decrypt(existing.adminPasswordEnc) === row.adminPassword;
      kind = same ? 'unchanged' : 'update';
    }
    if (problems.length > before) continue;
    planned.push({
      row,
      kind,
      ...(assignTo ? { assignTo } : {}),
      ...(nodes !== undefined ? { nodes } : {}),
    });
  }
  return { planned, problems };
}

function report(
  rows: number,
  planned: readonly Planned[],
  problems: ImportProblem[],
  dryRun: boolean,
  customersAdded: number,
): ClusterImportReport {
  const count = (k: Planned['kind']) => planned.filter((p) => p.kind === k).length;
  return {
    rows,
    added: count('add'),
    updated: count('update'),
    unchanged: count('unchanged'),
    assigned: planned.filter((p) => p.assignTo).length,
    customersAdded,
    problems,
    dryRun,
  };
}

function writeRows(planned: readonly Planned[], status?: ClusterStatus): ImportWriteRow[] {
  return planned
    .filter((p) => p.kind !== 'unchanged')
    .map(({ row, assignTo, nodes }) => ({
      customer: row.customer,
      name: row.name,
      type: row.type,
      version: row.version,
      publisherAddress: row.publisherAddress,
      adminUsername: row.adminUsername,
      adminPassword: row.adminPassword,
      licensing: licensingModelFor(row.version),
      ...(row.axlSchemaVersion !== undefined ? { axlSchemaVersion: row.axlSchemaVersion } : {}),
      ...(assignTo ? { virtualAccountId: assignTo.vaId, ...(status ? { status } : {}) } : {}),
      ...(nodes !== undefined ? { nodes } : {}),
    }));
}

/** The summary line of an import (the job's status information, the command's answer). */
export function importSummary(r: ClusterImportReport): string {
  const what = `${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.assigned} assigned to a VA${r.customersAdded ? `, ${r.customersAdded} new customer(s)` : ''}`;
  return r.dryRun
    ? `Dry run: ${r.rows} row(s) are good; importing would give ${what}. Nothing was written.`
    : `Imported ${r.rows} row(s): ${what}.`;
}

/**
 * The look before the import: its report when it ends there (problems, a dry run), else only
 * the accounts to hold. A function of its own so that the store's state and the plan it read
 * are garbage before the transaction reads them again (at 125,000 clusters each is hundreds
 * of megabytes, and an async function keeps its locals alive across every await).
 */
async function firstLook(
  repo: ClusterImportRepository,
  input: ClusterImportInput,
): Promise<{ report: ClusterImportReport } | { accounts: AccountRef[] }> {
  const dry = input.dryRun === true;
  const first = planImport(await repo.state(), input.rows, (e) =>
    dry ? repo.decryptPassword(e) : undefined,
  );
  if (first.problems.length > 0 || dry) {
    return { report: report(input.rows.length, first.planned, first.problems, dry, 0) };
  }
  const accounts = new Map<number, AccountRef>();
  for (const p of first.planned)
    if (p.assignTo) accounts.set(p.assignTo.account.id, p.assignTo.account);
  return { accounts: [...accounts.values()] };
}

/**
 * Checks and (unless a dry run) imports the rows. Bad rows: the report lists them and nothing
 * is written (no job either). Otherwise one job, one transaction.
 */
export async function importClusters(
  deps: ClustersServiceDeps,
  input: ClusterImportInput,
): Promise<ClusterImportReport> {
  const repo: ClusterImportRepository = deps.repos.clusterImport;
  // Before the import, this look only finds the problems and the accounts to hold, neither of
  // which depends on the stored passwords: they are decrypted (to tell an unchanged row) once,
  // inside the transaction, except on a dry run, whose counts are its answer.
  const look = await firstLook(repo, input);
  if ('report' in look) return look.report;
  const { accounts } = look;
  const { job, result } = await deps.jobs.run(
    {
      jobType: 'Import Clusters',
      entityType: 'Cluster',
      entityName: input.source,
      description: `Import ${input.rows.length} cluster row(s) from ${input.source}`,
      requestedBy: input.requestedBy,
      details: { source: input.source, rows: input.rows.length, accounts: accounts.length },
    },
    async (h) => {
      await h.progress(`Writing ${input.rows.length} row(s)`);
      const write = async (leases: readonly HeldAccountLease[]) =>
        repo.transaction(async (tx, trx: Kysely<Database>) => {
          // Checked again inside the transaction: the store may have changed since the first
          // look (a sync, another import), and what is written must be what was checked.
          const again = planImport(await tx.state(), input.rows, (e) => tx.decryptPassword(e));
          if (again.problems.length > 0)
            return report(input.rows.length, again.planned, again.problems, false, 0);
          const held = new Set(leases.map((l) => l.tenure.smartAccountId));
          const unheld = again.planned.find((p) => p.assignTo && !held.has(p.assignTo.account.id));
          if (unheld && deps.jobs.accountLeases) {
            throw new SmartlicError({
              code: 'SYNC_BUSY',
              message: `the store changed while the import waited: ${unheld.assignTo!.account.domain} gains clusters now`,
              action: 'run the import again; nothing was written',
            });
          }
          for (const l of leases) await l.check(trx);
          const { customersAdded } = await tx.write(writeRows(again.planned, input.assignedStatus));
          return report(input.rows.length, again.planned, [], false, customersAdded);
        });
      const leases = deps.jobs.accountLeases;
      const r = leases
        ? await leases.holdMany(accounts, 'Import Clusters', deps.jobs.accountWaitMs, write)
        : await write([]);
      if (r.problems.length > 0) {
        throw new SmartlicError({
          code: 'INPUT',
          message: `${r.problems.length} row(s) became invalid while the import waited (first: line ${r.problems[0]!.line}: ${r.problems[0]!.message}); nothing was written`,
          action: 'run the import again (with --dry-run to see every problem)',
          details: { problems: r.problems },
        });
      }
      return r;
    },
    importSummary,
  );
  return { ...result, job };
}
