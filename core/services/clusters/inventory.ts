/** The cluster inventory: add a cluster, list the Cluster Summary, find a cluster by name. */
import {
  isSmartLicensingAppType,
  licensingModelFor,
  tryParseUcVersion,
} from '../../domain/versions.ts';
import { SmartlicError } from '../../errors.ts';
import type { Cluster, Customer, Job } from '../../store/index.ts';
import { isAxlSchemaVersion } from '../../uc/axl-schema.ts';
import { notFound, resolveVaRef } from '../virtual-accounts.service.ts';
import type { AddClusterInput, ClusterRef, ClustersServiceDeps, ClusterSummary } from './types.ts';

/** Adds (or updates) a cluster in the inventory; ≤ 11.x is recorded as licensed by PLM. */
export async function addCluster(
  deps: ClustersServiceDeps,
  input: AddClusterInput,
): Promise<{ job: Job; cluster: Cluster }> {
  const { repos } = deps;
  const name = input.name.trim();
  if (!name || !input.customer.trim()) {
    throw new SmartlicError({
      code: 'INPUT',
      message: 'a cluster needs a name and a customer',
      action: 'pass both',
    });
  }
  const { job, result } = await deps.jobs.run(
    {
      jobType: 'Add Cluster',
      entityType: 'Cluster',
      entityName: name,
      description: `Add ${input.type} cluster ${name} (${input.version}) of ${input.customer}`,
      requestedBy: input.requestedBy,
      details: { type: input.type, version: input.version, publisher: input.publisherAddress },
    },
    async (job) => {
      if (!isSmartLicensingAppType(input.type)) {
        throw new SmartlicError({
          code: 'SLMCT1015',
          message: `unsupported application type "${input.type}": smart licensing supports CUCM, CUC and CER only`,
          action:
            'add only Unified CM (CUCM), Unity Connection (CUC) or Emergency Responder (CER) clusters',
        });
      }
      const v = tryParseUcVersion(input.version);
      if (!v.ok) {
        throw new SmartlicError({
          code: 'INPUT',
          message: `cannot read the version "${input.version}": ${v.error.message}`,
          action:
            'give the version as the application shows it, e.g. 14.0.1.13900-155 or 12.5(1)SU7',
        });
      }
      if (!input.publisherAddress.trim() || !input.adminUsername.trim() || !input.adminPassword) {
        throw new SmartlicError({
          code: 'INPUT',
          message: 'a cluster needs its publisher address, admin user and admin password',
          action:
            'pass --publisher, --admin-user and the password through the environment or stdin',
        });
      }
      const axl = input.axlSchemaVersion?.trim();
      if (axl !== undefined && axl !== '') {
        if (input.type !== 'CUCM') {
          throw new SmartlicError({
            code: 'INPUT',
            message: `an AXL schema version applies to Unified CM only, not to ${input.type}`,
            action: 'leave --axl-schema out for Unity Connection and Emergency Responder',
          });
        }
        if (!isAxlSchemaVersion(axl)) {
          throw new SmartlicError({
            code: 'INPUT',
            message: `"${axl}" is not an AXL schema version`,
            action: 'give it as major.minor, e.g. 12.5, 14.0 or 15.0',
          });
        }
      }
      const hostname = input.publisherHostname?.trim();
      if (hostname !== undefined && !/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(hostname)) {
        throw new SmartlicError({
          code: 'INPUT',
          message: `"${hostname}" is not a host name`,
          action: 'give the publisher host name as the product shows it, e.g. cer-pub.example.com',
        });
      }
      const customer = await repos.customers.upsert({ name: input.customer.trim() });
      const cluster = await repos.clusters.upsert({
        customerId: customer.id,
        name,
        type: input.type,
        version: input.version.trim(),
        publisherAddress: input.publisherAddress.trim(),
        adminUsername: input.adminUsername.trim(),
        adminPassword: input.adminPassword,
        licensing: licensingModelFor(v.version),
        ...(axl !== undefined ? { axlSchemaVersion: axl === '' ? null : axl } : {}),
      });
      await job.entity(cluster.id);
      if (hostname) {
        await repos.clusters.replaceNodes(cluster.id, [
          { hostname, address: null, role: 'publisher' },
        ]);
      }
      return cluster;
    },
    (c) =>
      c.licensing === 'PLM'
        ? `${c.name} added; ${c.version} licenses through PLM (not smart licensing).`
        : `${c.name} added.`,
  );
  return { job, cluster: result };
}

export async function listClusters(
  deps: ClustersServiceDeps,
  filter: { customer?: string; va?: string } = {},
): Promise<ClusterSummary[]> {
  const { repos } = deps;
  const customers = new Map((await repos.customers.list()).map((c) => [c.id, c]));
  const vas = new Map((await repos.virtualAccounts.listAll()).map((v) => [v.id, v]));
  const accounts = new Map((await repos.smartAccounts.list()).map((a) => [a.id, a]));
  let customerId: number | undefined;
  if (filter.customer) {
    const c = await repos.customers.getByName(filter.customer);
    if (!c) throw notFound(`customer ${filter.customer}`, 'see `smartlic cluster list`');
    customerId = c.id;
  }
  const vaId = filter.va ? (await resolveVaRef(repos, filter.va)).va.id : undefined;
  const clusters = await repos.clusters.list({
    ...(customerId !== undefined ? { customerId } : {}),
    ...(vaId !== undefined ? { virtualAccountId: vaId } : {}),
  });
  const out: ClusterSummary[] = [];
  for (const c of clusters) {
    const va = c.virtualAccountId === null ? undefined : vas.get(c.virtualAccountId);
    const sa = va ? accounts.get(va.smartAccountId) : undefined;
    const [lastJob] = await repos.jobs.list({
      entityType: 'Cluster',
      entityName: c.name,
      limit: 1,
    });
    out.push({
      id: c.id,
      name: c.name,
      customer: customers.get(c.customerId)?.name ?? String(c.customerId),
      type: c.type,
      version: c.version,
      smartAccount: sa?.domain ?? null,
      virtualAccount: va?.name ?? null,
      status: c.status,
      jobStatus: lastJob?.status ?? null,
      licensing: c.licensing,
      registrationStatus: c.registrationStatus,
      authorizationStatus: c.authorizationStatus,
      stateFrom: c.type === 'CER' ? 'cssm-device-list' : 'product',
    });
  }
  return out;
}

/** Finds a cluster by name (and customer when the name is not unique). */
export async function resolveCluster(
  deps: ClustersServiceDeps,
  ref: ClusterRef,
): Promise<{ cluster: Cluster; customer: Customer }> {
  const { repos } = deps;
  if (ref.customer) {
    const customer = await repos.customers.getByName(ref.customer);
    if (!customer) throw notFound(`customer ${ref.customer}`, 'check the name');
    const cluster = await repos.clusters.getByName(customer.id, ref.cluster);
    if (!cluster) {
      throw notFound(
        `cluster ${ref.cluster} of ${ref.customer}`,
        'add it with `smartlic cluster add`',
      );
    }
    return { cluster, customer };
  }
  const all = (await repos.clusters.list()).filter((c) => c.name === ref.cluster);
  if (all.length === 0) {
    throw notFound(
      `cluster ${ref.cluster}`,
      'add it with `smartlic cluster add`, or check the name',
    );
  }
  if (all.length > 1) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `${all.length} customers have a cluster named ${ref.cluster}`,
      action: 'say which with --customer NAME',
    });
  }
  const cluster = all[0]!;
  const customer = await repos.customers.getById(cluster.customerId);
  if (!customer) throw notFound(`the customer of ${cluster.name}`, 'check the inventory');
  return { cluster, customer };
}
