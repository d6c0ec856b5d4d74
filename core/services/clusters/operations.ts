/**
 * The operations on a registered cluster: deregister and the two renewals. CUCM and CUC do
 * them through their own interface and report the result; Emergency Responder has neither a
 * deregistration form nor a renewal call (DOMAIN §4), so its product instance is removed in
 * CSSM (`devices/remove`, DOMAIN §2), and a renewal reports what CSSM last heard from it.
 */
import { SmartlicError } from '../../errors.ts';
import type { Cluster, Job, SmartAccount, VirtualAccount } from '../../store/index.ts';
import type { ProductLicensingClient, SmartLicenseStatus } from '../../uc/uc.client.ts';
import { clusterUsage, statusPatch } from '../cluster-status.ts';
import { notFound, vaLabel } from '../virtual-accounts.service.ts';
import {
  cerStatusPatch,
  findInstance,
  fromCssmDevice,
  instanceNameOf,
  type InstanceFacts,
} from './cer-state.ts';
import { resolveCluster } from './inventory.ts';
import { isRegistered } from './rules.ts';
import type { ClusterRef, ClustersServiceDeps } from './types.ts';

export async function storeUsage(
  deps: ClustersServiceDeps,
  clusterId: number,
  s: SmartLicenseStatus,
  at: Date,
): Promise<void> {
  await deps.repos.clusters.replaceLicenseUsage(clusterId, clusterUsage(s), at);
}

/**
 * The Smart Account whose lease a write of the cluster holds: the one of the VA it is assigned
 * to as stored when the job starts (re-read: an assignment made just before counts); undefined
 * when unassigned (such a write fails on its own rules and touches no account).
 */
export function leaseOfCluster(
  deps: ClustersServiceDeps,
  clusterId: number,
): () => Promise<{ id: number; domain: string } | undefined> {
  return async () => {
    const c = await deps.repos.clusters.getById(clusterId);
    if (!c || c.virtualAccountId === null) return undefined;
    const va = await deps.repos.virtualAccounts.getById(c.virtualAccountId);
    const sa = va && (await deps.repos.smartAccounts.getById(va.smartAccountId));
    return sa ? { id: sa.id, domain: sa.domain } : undefined;
  };
}

/** The VA and Smart Account a cluster is assigned to; CSSM is asked about it there. */
export async function placeOf(
  deps: ClustersServiceDeps,
  cluster: Cluster,
): Promise<{ va: VirtualAccount; account: SmartAccount }> {
  const { repos } = deps;
  if (cluster.virtualAccountId === null) {
    throw new SmartlicError({
      code: 'SLMCT1011',
      message: `${cluster.name} is not assigned to a virtual account, so CSSM cannot be asked about it`,
      action: 'assign it first (`smartlic cluster assign`)',
    });
  }
  const va = await repos.virtualAccounts.getById(cluster.virtualAccountId);
  const account = va && (await repos.smartAccounts.getById(va.smartAccountId));
  if (!va || !account) throw notFound(`the VA of ${cluster.name}`, 'sync, then retry');
  return { va, account };
}

/**
 * The product instance CSSM lists for an Emergency Responder in its VA (`instanceName`
 * filter; the whole VA when a stored UDI may find it under another name).
 */
export async function cerInstance(
  deps: ClustersServiceDeps,
  cluster: Cluster,
  account: SmartAccount,
  va: VirtualAccount,
): Promise<{ instance: InstanceFacts | undefined; instanceName: string }> {
  const cssm = await deps.cssmFor(account);
  const instanceName = instanceNameOf(cluster, await deps.repos.clusters.listNodes(cluster.id));
  const named = (await cssm.client.listDevices(cssm.accountKey, { va: va.name, instanceName })).map(
    fromCssmDevice,
  );
  let instance = findInstance(named, cluster, instanceName);
  if (!instance && cluster.productUdi) {
    const all = (await cssm.client.listDevices(cssm.accountKey, { va: va.name })).map(
      fromCssmDevice,
    );
    instance = findInstance(all, cluster, instanceName);
  }
  return { instance, instanceName };
}

/** Reads an Emergency Responder's state from CSSM and stores it. */
export async function refreshCerState(
  deps: ClustersServiceDeps,
  cluster: Cluster,
): Promise<{ instance: InstanceFacts | undefined; instanceName: string; label: string }> {
  const { va, account } = await placeOf(deps, cluster);
  const found = await cerInstance(deps, cluster, account, va);
  await deps.repos.clusters.updateStatus(
    cluster.id,
    cerStatusPatch(found.instance, cluster, deps.clock.now()),
  );
  return { ...found, label: vaLabel(account, va) };
}

export async function deregisterCluster(
  deps: ClustersServiceDeps,
  input: ClusterRef & { requestedBy: string },
): Promise<{ job: Job; cluster: Cluster }> {
  const { cluster } = await resolveCluster(deps, input);
  const { job } = await deps.jobs.run(
    {
      jobType: 'Deregister Cluster',
      entityType: 'Cluster',
      entityName: cluster.name,
      entityId: cluster.id,
      description: `Deregister ${cluster.name} from smart licensing`,
      requestedBy: input.requestedBy,
      account: leaseOfCluster(deps, cluster.id),
    },
    () => doDeregister(deps, cluster),
    (how) => `${cluster.name} deregistered${how ? ` (${how})` : ''}.`,
  );
  return { job, cluster: (await deps.repos.clusters.getById(cluster.id))! };
}

/** Deregisters; returns how, when it was not the product's own call. */
export async function doDeregister(
  deps: ClustersServiceDeps,
  cluster: Cluster,
): Promise<string | undefined> {
  const { repos, clock } = deps;
  try {
    const uc = await deps.ucFor(cluster);
    let how: string | undefined;
    if (uc.statusSource === 'product') {
      await uc.deregister();
      const after = await uc.getStatus();
      await repos.clusters.updateStatus(cluster.id, statusPatch(after, cluster, clock.now()));
      if (isRegistered(after.registration.status)) {
        throw new SmartlicError({
          code: 'CAA1082',
          message: `${cluster.name} still reports "Registered" after deregistering`,
          action: "check the application's smart licensing page, then retry",
        });
      }
    } else {
      how = await deregisterCer(deps, cluster);
    }
    await repos.clusters.updateStatus(cluster.id, { status: 'Deregistered' });
    return how;
  } catch (e) {
    await repos.clusters.updateStatus(cluster.id, { status: 'Deregistration Failed' });
    throw e;
  }
}

/** CER: remove its product instance in CSSM, the one documented way (DOMAIN §2, §4). */
async function deregisterCer(deps: ClustersServiceDeps, cluster: Cluster): Promise<string> {
  const { va, account } = await placeOf(deps, cluster);
  const { instance, instanceName } = await cerInstance(deps, cluster, account, va);
  const now = deps.clock.now();
  if (!instance) {
    await deps.repos.clusters.updateStatus(cluster.id, cerStatusPatch(undefined, cluster, now));
    return `CSSM lists no product instance ${instanceName} in ${vaLabel(account, va)}: nothing to remove`;
  }
  const cssm = await deps.cssmFor(account);
  await cssm.client.removeDevices(cssm.accountKey, va.name, [
    {
      udiPid: instance.udiPid,
      udiSerialNumber: instance.udiSerial,
      ...(instance.productTag ? { productTagName: instance.productTag } : {}),
    },
  ]);
  const after = await cerInstance(deps, cluster, account, va);
  await deps.repos.clusters.updateStatus(cluster.id, cerStatusPatch(after.instance, cluster, now));
  if (after.instance) {
    throw new SmartlicError({
      code: 'CAA1082',
      message: `CSSM still lists ${instanceName} in ${vaLabel(account, va)} after removing it`,
      action: 'remove the product instance in the CSSM portal, then sync',
    });
  }
  return `Emergency Responder has no deregistration interface: its product instance ${instanceName} was removed in CSSM; the product finds itself unregistered at its next contact`;
}

export async function renewCluster(
  deps: ClustersServiceDeps,
  input: ClusterRef & { requestedBy: string },
  what: 'authorization' | 'registration',
): Promise<{ job: Job; cluster: Cluster }> {
  const { repos, clock } = deps;
  const { cluster } = await resolveCluster(deps, input);
  const { job } = await deps.jobs.run(
    {
      jobType: what === 'authorization' ? 'Renew Authorization' : 'Renew Registration',
      entityType: 'Cluster',
      entityName: cluster.name,
      entityId: cluster.id,
      description: `Renew the ${what === 'authorization' ? 'authorization' : 'registration (ID certificate)'} of ${cluster.name}`,
      requestedBy: input.requestedBy,
      account: leaseOfCluster(deps, cluster.id),
    },
    async () => {
      const uc = await deps.ucFor(cluster);
      if (uc.statusSource !== 'product') return renewCer(deps, cluster, what);
      await renewOnProduct(uc, what);
      const after = await uc.getStatus();
      const now = clock.now();
      const failed =
        what === 'authorization'
          ? after.authorization.lastCommunicationStatus
          : after.registration.lastRenewalStatus;
      await repos.clusters.updateStatus(cluster.id, statusPatch(after, cluster, now));
      await storeUsage(deps, cluster.id, after, now);
      if (failed && /fail/i.test(failed)) {
        const reason =
          what === 'authorization'
            ? after.authorization.authorizationFailedReason
            : after.registration.registrationFailedReason;
        throw new SmartlicError({
          code: 'CAA1081',
          message: `${cluster.name} could not renew its ${what}${reason ? `: ${reason}` : ''}`,
          action: "check the cluster's transport and network path to CSSM, then retry",
        });
      }
      const s = what === 'authorization' ? after.authorization.status : after.registration.status;
      return `${cluster.name}: ${what} renewed (${s}).`;
    },
    (s) => s,
  );
  return { job, cluster: (await repos.clusters.getById(cluster.id))! };
}

async function renewOnProduct(
  uc: ProductLicensingClient,
  what: 'authorization' | 'registration',
): Promise<void> {
  if (what === 'authorization') await uc.renewAuthorization();
  else await uc.renewRegistration();
}

/** CER renews on its own schedule; no interface asks it to. Report CSSM's view instead. */
async function renewCer(
  deps: ClustersServiceDeps,
  cluster: Cluster,
  what: 'authorization' | 'registration',
): Promise<string> {
  const { instance, instanceName, label } = await refreshCerState(deps, cluster);
  if (!instance) {
    throw new SmartlicError({
      code: 'CAA1081',
      message: `CSSM lists no product instance ${instanceName} for ${cluster.name} in ${label}: it is not registered, so there is nothing to renew`,
      action: 'register it (`smartlic cluster register`), then sync',
    });
  }
  const last = instance.lastContactAt ? instance.lastContactAt.toISOString() : 'never';
  return `${cluster.name}: Emergency Responder renews its ${what} on its own and has no interface to ask it to; CSSM last heard from ${instanceName} at ${last} (${instance.authorizationStatus ?? instance.registrationStatus ?? 'listed'}).`;
}
