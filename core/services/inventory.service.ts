/**
 * Removing what the operator added, and customers: `account remove`, `cluster remove`,
 * `customer list|add|remove`. Each removal refuses, saying why, while something still
 * depends on it — a smartlic removal never changes anything in CSSM or on a product.
 */
import { SmartlicError } from '../errors.ts';
import type { Customer, Job, Repositories, SmartAccount } from '../store/index.ts';
import type { ClustersService } from './clusters.service.ts';
import type { JobRunner } from './jobs.service.ts';
import { notFound, resolveAccount } from './virtual-accounts.service.ts';

export interface InventoryServiceDeps {
  repos: Repositories;
  jobs: JobRunner;
  clusters: ClustersService;
}

export interface CustomerSummary {
  name: string;
  description: string | null;
  smartAccount: string | null;
  clusters: number;
  assignedClusters: number;
}

function refused(code: string, message: string, action: string): SmartlicError {
  return new SmartlicError({ code, message, action });
}

export class InventoryService {
  constructor(private readonly deps: InventoryServiceDeps) {}

  async listCustomers(): Promise<CustomerSummary[]> {
    const { repos } = this.deps;
    const accounts = new Map((await repos.smartAccounts.list()).map((a) => [a.id, a.domain]));
    const clusters = await repos.clusters.list();
    return (await repos.customers.list()).map((c) => {
      const mine = clusters.filter((x) => x.customerId === c.id);
      return {
        name: c.name,
        description: c.description,
        smartAccount: c.smartAccountId === null ? null : (accounts.get(c.smartAccountId) ?? null),
        clusters: mine.length,
        assignedClusters: mine.filter((x) => x.virtualAccountId !== null).length,
      };
    });
  }

  /** Adds a customer, or updates its description / account when it exists. */
  async addCustomer(input: {
    name: string;
    description?: string;
    smartAccount?: string;
    requestedBy: string;
  }): Promise<{ job: Job; customer: Customer; created: boolean }> {
    const { repos, jobs } = this.deps;
    const account = input.smartAccount
      ? await resolveAccount(repos, input.smartAccount)
      : undefined;
    const existed = (await repos.customers.getByName(input.name)) !== undefined;
    const { job, result } = await jobs.run(
      {
        jobType: existed ? 'Update Customer' : 'Add Customer',
        entityType: 'Customer',
        entityName: input.name,
        requestedBy: input.requestedBy,
      },
      () =>
        repos.customers.upsert({
          name: input.name,
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(account ? { smartAccountId: account.id } : {}),
        }),
      () => (existed ? `Customer ${input.name} updated.` : `Customer ${input.name} added.`),
    );
    return { job, customer: result, created: !existed };
  }

  /** Removes a customer without clusters; refuses (CUSTOMER_IN_USE) while it has any. */
  async removeCustomer(input: { name: string; requestedBy: string }): Promise<{ job: Job }> {
    const { repos, jobs } = this.deps;
    const customer = await repos.customers.getByName(input.name);
    if (!customer) {
      throw notFound(`customer ${input.name}`, 'see `smartlic customers` for the names');
    }
    const clusters = (await repos.clusters.list()).filter((c) => c.customerId === customer.id);
    if (clusters.length > 0) {
      const names = clusters.map((c) => c.name);
      throw refused(
        'CUSTOMER_IN_USE',
        `customer ${input.name} still has ${clusters.length} cluster(s): ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`,
        'remove them first with `smartlic cluster remove NAME --customer ' + `"${input.name}"\``,
      );
    }
    const { job } = await jobs.run(
      {
        jobType: 'Remove Customer',
        entityType: 'Customer',
        entityName: input.name,
        requestedBy: input.requestedBy,
      },
      async () => {
        await repos.customers.delete(customer.id);
      },
      () => `Customer ${input.name} removed.`,
    );
    return { job };
  }

  /**
   * Removes a cluster from the inventory (and its stored status and password). Refuses
   * (CLUSTER_IN_USE) while it is assigned to a VA: unassign deregisters it first.
   */
  async removeCluster(input: {
    cluster: string;
    customer?: string;
    requestedBy: string;
  }): Promise<{ job: Job }> {
    const { repos, jobs, clusters } = this.deps;
    const { cluster, customer } = await clusters.resolve({
      cluster: input.cluster,
      ...(input.customer ? { customer: input.customer } : {}),
    });
    if (cluster.virtualAccountId !== null) {
      const registered = cluster.registrationStatus === 'Registered';
      throw refused(
        'CLUSTER_IN_USE',
        `cluster ${cluster.name} is ${registered ? 'registered and ' : ''}assigned to a virtual account`,
        `unassign it first (\`smartlic cluster unassign ${cluster.name}\` deregisters the publisher), then remove it`,
      );
    }
    const { job } = await jobs.run(
      {
        jobType: 'Remove Cluster',
        entityType: 'Cluster',
        entityName: cluster.name,
        description: `Remove ${cluster.name} of ${customer.name} from the inventory`,
        requestedBy: input.requestedBy,
      },
      async () => {
        await repos.clusters.delete(cluster.id);
      },
      () => `Cluster ${cluster.name} removed from the inventory; nothing changed on the product.`,
    );
    return { job };
  }

  /**
   * Removes a provisioned account with its VAs, licenses, tokens and history in smartlic.
   * Refuses (ACCOUNT_IN_USE) while clusters are assigned to its VAs. Nothing changes in CSSM.
   */
  async removeAccount(input: {
    domain: string;
    requestedBy: string;
  }): Promise<{ job: Job; account: SmartAccount }> {
    const { repos, jobs } = this.deps;
    const account = await resolveAccount(repos, input.domain);
    const vaIds = new Set(
      (await repos.virtualAccounts.listBySmartAccount(account.id)).map((v) => v.id),
    );
    const assigned = (await repos.clusters.list()).filter(
      (c) => c.virtualAccountId !== null && vaIds.has(c.virtualAccountId),
    );
    if (assigned.length > 0) {
      const names = assigned.map((c) => c.name);
      throw refused(
        'ACCOUNT_IN_USE',
        `${assigned.length} cluster(s) are assigned to virtual accounts of ${account.domain}: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`,
        'unassign them first (`smartlic cluster unassign NAME`), then remove the account',
      );
    }
    const { job } = await jobs.run(
      {
        jobType: 'Remove Smart Account',
        entityType: 'Smart Account',
        entityName: account.domain,
        requestedBy: input.requestedBy,
        // Not while a sync of it (here or on another instance) is writing what it read.
        account: { id: account.id, domain: account.domain },
      },
      async () => {
        await repos.smartAccounts.delete(account.id);
      },
      () =>
        `Smart Account ${account.domain} removed from smartlic with its virtual accounts, licenses and tokens; nothing changed in CSSM.`,
    );
    return { job, account };
  }
}
