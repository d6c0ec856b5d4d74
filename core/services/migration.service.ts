/**
 * Migration plans from the store (DOMAIN §7 Migrations): builds the planner's facts for a
 * cluster or for all clusters of a customer, with the target VA's entitlements and the demand
 * of the other clusters drawing on it, and returns a plan. Reads only; nothing is changed.
 */
import type { Entitlement, LicenseRequest } from '../domain/allocation.ts';
import { isLicenseTypeId, licenseType, type LicenseTypeId } from '../domain/catalog.ts';
import {
  combinedAllocationEffect,
  planClusterMigration,
  type AllocationEffect,
  type ClusterFacts,
  type MigrationPlan,
  type MigrationTarget,
  type TargetVirtualAccount,
} from '../domain/migration.ts';
import { SmartlicError } from '../errors.ts';
import type { Cluster, Repositories, VirtualAccount } from '../store/index.ts';
import { notFound, resolveVaRef } from './virtual-accounts.service.ts';

export const MIGRATION_TARGETS: readonly MigrationTarget[] = ['HCS', 'Enterprise', 'Smart'];

export interface PlanRequest {
  to: MigrationTarget;
  /** For PLM → Smart: the release the cluster(s) will run. */
  targetVersion?: string;
  /** `<domain>/<va>` or a VA name; default: each cluster's current VA. */
  va?: string;
  hcsLe?: boolean;
}

export interface CustomerMigrationPlan {
  customer: string;
  target: MigrationTarget;
  /** True when no cluster's plan is blocked. */
  feasible: boolean;
  plans: MigrationPlan[];
  /** Allocation effect per target VA of all the customer's clusters moving together. */
  allocation: AllocationEffect[];
  notes: string[];
}

export function parseMigrationTarget(s: string): MigrationTarget {
  const t = MIGRATION_TARGETS.find((x) => x.toLowerCase() === s.trim().toLowerCase());
  if (!t) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `unknown migration target "${s}"`,
      action: `use one of ${MIGRATION_TARGETS.join(', ')}`,
    });
  }
  return t;
}

const modeOf = (m: string | null) => (m === 'Enterprise' || m === null ? 'Enterprise' : 'HCS');

export class MigrationService {
  constructor(private readonly deps: { repos: Repositories }) {}

  async planCluster(
    ref: { cluster: string; customer?: string },
    req: PlanRequest,
  ): Promise<MigrationPlan> {
    const { repos } = this.deps;
    let candidates = (await repos.clusters.list()).filter((c) => c.name === ref.cluster);
    if (ref.customer) {
      const cust = await repos.customers.getByName(ref.customer);
      candidates = candidates.filter((c) => c.customerId === cust?.id);
    }
    if (candidates.length === 0) throw notFound(`cluster ${ref.cluster}`, 'check the name');
    if (candidates.length > 1) {
      throw new SmartlicError({
        code: 'INPUT',
        message: `${candidates.length} customers have a cluster named ${ref.cluster}`,
        action: 'say which with --customer NAME',
      });
    }
    const cluster = candidates[0]!;
    const va = await this.targetVaOf(cluster, req.va);
    const facts = await this.facts(cluster, va);
    const targetVa = va ? await this.targetVa(va, [cluster.id]) : undefined;
    return planClusterMigration(facts, req.to, {
      ...(req.targetVersion ? { targetVersion: req.targetVersion } : {}),
      ...(targetVa ? { targetVa } : {}),
      ...(req.hcsLe ? { hcsLe: true } : {}),
    });
  }

  async planCustomer(customerName: string, req: PlanRequest): Promise<CustomerMigrationPlan> {
    const { repos } = this.deps;
    const customer = await repos.customers.getByName(customerName);
    if (!customer) throw notFound(`customer ${customerName}`, 'check the name');
    const clusters = await repos.clusters.list({ customerId: customer.id });
    const notes: string[] = [];
    if (clusters.length === 0) notes.push(`${customer.name} has no clusters.`);
    const plans: MigrationPlan[] = [];
    const byVa = new Map<
      number,
      { va: VirtualAccount; changes: { cluster: ClusterFacts; id: number }[] }
    >();
    for (const c of clusters) {
      const va = await this.targetVaOf(c, req.va);
      const facts = await this.facts(c, va);
      const targetVa = va ? await this.targetVa(va, [c.id]) : undefined;
      plans.push(
        planClusterMigration(facts, req.to, {
          ...(req.targetVersion ? { targetVersion: req.targetVersion } : {}),
          ...(targetVa ? { targetVa } : {}),
          ...(req.hcsLe ? { hcsLe: true } : {}),
        }),
      );
      if (va) {
        const g = byVa.get(va.id) ?? { va, changes: [] };
        g.changes.push({ cluster: facts, id: c.id });
        byVa.set(va.id, g);
      } else {
        notes.push(`${c.name} has no target VA: its allocation effect is not shown (pass --va).`);
      }
    }
    const allocation: AllocationEffect[] = [];
    for (const { va, changes } of byVa.values()) {
      const target = await this.targetVa(
        va,
        changes.map((c) => c.id),
      );
      allocation.push(
        combinedAllocationEffect(
          target,
          changes.map((c) => ({ cluster: c.cluster, target: req.to })),
        ),
      );
    }
    return {
      customer: customer.name,
      target: req.to,
      feasible: plans.every((p) => p.feasible),
      plans,
      allocation,
      notes,
    };
  }

  private async targetVaOf(cluster: Cluster, ref?: string): Promise<VirtualAccount | undefined> {
    if (ref) return (await resolveVaRef(this.deps.repos, ref)).va;
    if (cluster.virtualAccountId === null) return undefined;
    return this.deps.repos.virtualAccounts.getById(cluster.virtualAccountId);
  }

  /**
   * The planner's view of a stored cluster; demand is what it last reported (Enterprise
   * types). The license mode is the one the product reported, `unknown` when it never did.
   */
  private async facts(c: Cluster, _target?: VirtualAccount): Promise<ClusterFacts> {
    const { repos } = this.deps;
    const va =
      c.virtualAccountId === null
        ? undefined
        : await repos.virtualAccounts.getById(c.virtualAccountId);
    return {
      name: c.name,
      type: c.type,
      version: c.version ?? '',
      licenseMode: c.licenseMode ?? 'unknown',
      registered: c.registrationStatus === 'Registered',
      ...(va ? { virtualAccount: va.name } : {}),
      demand: await this.demandOf(c.id),
    };
  }

  private async demandOf(clusterId: number): Promise<{ type: LicenseTypeId; count: number }[]> {
    const usage = await this.deps.repos.clusters.listLicenseUsage(clusterId);
    const out = new Map<LicenseTypeId, number>();
    for (const u of usage) {
      if (!isLicenseTypeId(u.licenseType)) continue;
      // The planner counts demand in Enterprise types and maps it to HCS itself.
      if (licenseType(u.licenseType).family !== 'Enterprise') continue;
      out.set(u.licenseType, (out.get(u.licenseType) ?? 0) + u.count);
    }
    return [...out].map(([type, count]) => ({ type, count }));
  }

  /** A VA as the planner sees it, leaving out the clusters being planned. */
  private async targetVa(va: VirtualAccount, exclude: number[]): Promise<TargetVirtualAccount> {
    const { repos } = this.deps;
    const entitlements: Entitlement[] = (await repos.licenses.listByVirtualAccount(va.id))
      .filter((l) => isLicenseTypeId(l.licenseType) && l.quantity > 0)
      .map((l) => ({ type: l.licenseType as LicenseTypeId, quantity: l.quantity }));
    const others = (await repos.clusters.list({ virtualAccountId: va.id })).filter(
      (c) => !exclude.includes(c.id),
    );
    const otherRequests: LicenseRequest[] = [];
    for (const o of others) {
      if (o.registrationStatus !== 'Registered') continue;
      for (const d of await this.demandOf(o.id)) {
        if (d.count > 0) {
          otherRequests.push({
            id: `${o.name}:${d.type}`,
            type: d.type,
            count: d.count,
            mode: modeOf(o.licenseMode),
          });
        }
      }
    }
    return {
      name: va.name,
      ...(va.licenseMode ? { licenseMode: va.licenseMode } : {}),
      assignedClusters: others.length,
      entitlements,
      otherRequests,
    };
  }
}
