/**
 * Assigning a cluster to a virtual account and unassigning it (DOMAIN §7.4): the type and
 * version rules (SLMCT1015 / SLMCT1006), SLMCT1007 / SLMCT1011, and the VA rules of
 * rules.ts (license mode set, operational not ordered, HCS-LE only where offered).
 */
import { checkSmartEligibility } from '../../domain/versions.ts';
import { SmartlicError } from '../../errors.ts';
import type {
  Cluster,
  ClusterStatus,
  Job,
  SmartAccount,
  VirtualAccount,
} from '../../store/index.ts';
import { resolveVaRef, vaLabel } from '../virtual-accounts.service.ts';
import { resolveCluster } from './inventory.ts';
import { doDeregister, leaseOfCluster } from './operations.ts';
import { checkVaForCluster, isRegistered } from './rules.ts';
import type { ClusterRef, ClustersServiceDeps } from './types.ts';

/** SLMCT1015 / SLMCT1006; a ≤ 11.x cluster is recorded as PLM-licensed on the way. */
export async function checkEligibility(deps: ClustersServiceDeps, cluster: Cluster): Promise<void> {
  const e = checkSmartEligibility(cluster.type, cluster.version ?? '');
  if (e.ok) return;
  if (e.licensingModel === 'PLM' && cluster.licensing !== 'PLM') {
    await deps.repos.clusters.updateStatus(cluster.id, { licensing: 'PLM' });
  }
  throw new SmartlicError({
    code: e.code,
    message: `${cluster.name}: ${e.message}`,
    action: e.action,
    details: { licensing: e.licensingModel ?? null },
  });
}

/** The VA rules, with the account's operational VA named in the advice. */
export async function checkVa(
  deps: ClustersServiceDeps,
  cluster: Cluster,
  account: SmartAccount,
  va: VirtualAccount,
): Promise<void> {
  const operational =
    va.role === 'ordered' ? await deps.repos.virtualAccounts.getOperational(account.id) : undefined;
  checkVaForCluster(cluster, account, va, operational ?? undefined);
}

async function assignChecks(
  deps: ClustersServiceDeps,
  cluster: Cluster,
  account: SmartAccount,
  va: VirtualAccount,
): Promise<void> {
  if (cluster.virtualAccountId !== null) {
    const current = await deps.repos.virtualAccounts.getById(cluster.virtualAccountId);
    throw new SmartlicError({
      code: 'SLMCT1007',
      message: `${cluster.name} is already assigned to ${current ? current.name : `VA #${cluster.virtualAccountId}`}`,
      action: 'sync, and unassign it first if it should move',
    });
  }
  await checkEligibility(deps, cluster);
  await checkVa(deps, cluster, account, va);
}

/**
 * Assigns a cluster to a VA: SLMCT1007 when it is assigned already, SLMCT1015 / SLMCT1006
 * when its type or version cannot use smart licensing (or the VA's HCS-LE mode), SLM1014
 * when the VA has no license mode yet, VA_ORDERED for the ordered VA.
 */
export async function assignCluster(
  deps: ClustersServiceDeps,
  input: ClusterRef & { va: string; requestedBy: string; status?: ClusterStatus },
): Promise<{ job: Job; cluster: Cluster }> {
  const { repos } = deps;
  const { cluster } = await resolveCluster(deps, input);
  const { job } = await deps.jobs.run(
    {
      jobType: 'Assign Cluster',
      entityType: 'Cluster',
      entityName: cluster.name,
      entityId: cluster.id,
      description: `Assign ${cluster.name} to ${input.va}`,
      requestedBy: input.requestedBy,
      // The account of the VA it joins (an unknown VA: no lease, the job fails on it).
      account: async () => {
        const r = await resolveVaRef(repos, input.va).catch(() => undefined);
        return r && { id: r.account.id, domain: r.account.domain };
      },
    },
    async () => {
      const { account, va } = await resolveVaRef(repos, input.va);
      await assignChecks(deps, cluster, account, va);
      await repos.clusters.assign(cluster.id, va.id, input.status);
      return vaLabel(account, va);
    },
    (label) => `${cluster.name} assigned to ${label}.`,
  );
  return { job, cluster: (await repos.clusters.getById(cluster.id))! };
}

/**
 * Unassigns a cluster from its VA (SLMCT1011 when it is not assigned), deregistering the
 * publisher first when it is registered.
 */
export async function unassignCluster(
  deps: ClustersServiceDeps,
  input: ClusterRef & { requestedBy: string },
): Promise<{ job: Job; cluster: Cluster }> {
  const { repos } = deps;
  const { cluster } = await resolveCluster(deps, input);
  const { job } = await deps.jobs.run(
    {
      jobType: 'Unassign Cluster',
      entityType: 'Cluster',
      entityName: cluster.name,
      entityId: cluster.id,
      description: `Unassign ${cluster.name} from its virtual account`,
      requestedBy: input.requestedBy,
      account: leaseOfCluster(deps, cluster.id),
    },
    async (h) => {
      if (cluster.virtualAccountId === null) {
        throw new SmartlicError({
          code: 'SLMCT1011',
          message: `${cluster.name} is already unassigned`,
          action: 'sync to refresh what smartlic knows of it',
        });
      }
      if (isRegistered(cluster.registrationStatus)) {
        await h.progress('Deregistering the publisher');
        await doDeregister(deps, cluster);
      }
      await repos.clusters.unassign(cluster.id, 'Deregistered');
    },
    () => `${cluster.name} unassigned.`,
  );
  return { job, cluster: (await repos.clusters.getById(cluster.id))! };
}
