/**
 * UC clusters (DOMAIN §4, §7.4, §7.6, §7.9), one face over files with one job each in
 * core/services/clusters/: the inventory (inventory.ts), assignment to a VA (assignment.ts),
 * the registration workflow (registration.ts), deregistration and renewals (operations.ts),
 * auto-registration to the operational VA (auto-registration.ts), the pure rules (rules.ts)
 * and an Emergency Responder's state from CSSM's device list (cer-state.ts). Every write is a
 * job carrying Cisco's error code and recommended action; the Cluster Summary status follows
 * HCM-F's words exactly.
 */
import { silentLogger } from '../log.ts';
import type { Cluster, ClusterStatus, Customer, Job, VirtualAccount } from '../store/index.ts';
import { assignCluster, unassignCluster } from './clusters/assignment.ts';
import {
  importClusters,
  type ClusterImportInput,
  type ClusterImportReport,
} from './clusters/bulk-import.ts';
import { AutoRegistration } from './clusters/auto-registration.ts';
import { addCluster, listClusters, resolveCluster } from './clusters/inventory.ts';
import { deregisterCluster, renewCluster } from './clusters/operations.ts';
import { registerCluster } from './clusters/registration.ts';
import { planRegistration, type RegistrationPlan } from './clusters/registration-plan.ts';
import type {
  AddClusterInput,
  AutoRegistrationReport,
  ClusterRef,
  ClustersServiceDeps,
  ClusterSummary,
  RegisterInput,
} from './clusters/types.ts';

export type {
  AddClusterInput,
  AutoRegistrationReport,
  ClusterCssmFor,
  ClusterRef,
  ClustersServiceDeps,
  ClusterSummary,
  RegisterInput,
  UcClientFor,
} from './clusters/types.ts';
export { ucTransport, checkVaForCluster, licenseModeDecision } from './clusters/rules.ts';

export class ClustersService {
  private readonly auto: AutoRegistration;

  constructor(private readonly deps: ClustersServiceDeps) {
    this.auto = new AutoRegistration(
      deps,
      (deps.logger ?? silentLogger).child({ component: 'clusters' }),
    );
  }

  /** Adds (or updates) a cluster in the inventory; ≤ 11.x is recorded as licensed by PLM. */
  add(input: AddClusterInput): Promise<{ job: Job; cluster: Cluster }> {
    return addCluster(this.deps, input);
  }

  /**
   * Imports many clusters at once (`cluster import`): every row checked first, nothing
   * written while one is bad, then one job and one transaction (clusters/bulk-import.ts).
   */
  import(input: ClusterImportInput): Promise<ClusterImportReport> {
    return importClusters(this.deps, input);
  }

  list(filter: { customer?: string; va?: string } = {}): Promise<ClusterSummary[]> {
    return listClusters(this.deps, filter);
  }

  /** What `register` would do, by the workflow's own rules; changes nothing. */
  planRegistration(
    ref: ClusterRef,
    opts: { va?: string; force: boolean; exportControlled: boolean },
  ): Promise<RegistrationPlan> {
    return planRegistration(this.deps, ref, opts);
  }

  /** Finds a cluster by name (and customer when the name is not unique). */
  resolve(ref: ClusterRef): Promise<{ cluster: Cluster; customer: Customer }> {
    return resolveCluster(this.deps, ref);
  }

  assign(
    input: ClusterRef & { va: string; requestedBy: string; status?: ClusterStatus },
  ): Promise<{ job: Job; cluster: Cluster }> {
    return assignCluster(this.deps, input);
  }

  unassign(input: ClusterRef & { requestedBy: string }): Promise<{ job: Job; cluster: Cluster }> {
    return unassignCluster(this.deps, input);
  }

  register(input: RegisterInput): Promise<{ job: Job; cluster: Cluster }> {
    return registerCluster(this.deps, input);
  }

  deregister(input: ClusterRef & { requestedBy: string }): Promise<{ job: Job; cluster: Cluster }> {
    return deregisterCluster(this.deps, input);
  }

  renewAuthorization(input: ClusterRef & { requestedBy: string }) {
    return renewCluster(this.deps, input, 'authorization');
  }

  renewRegistration(input: ClusterRef & { requestedBy: string }) {
    return renewCluster(this.deps, input, 'registration');
  }

  configureAutoRegistration(input: {
    domain: string;
    operationalVa?: string;
    requestedBy: string;
  }): Promise<{ job: Job; va: VirtualAccount; moved: string[]; report?: AutoRegistrationReport }> {
    return this.auto.configure(input);
  }

  autoRegister(opts: { requestedBy: string; forDomain?: string }): Promise<AutoRegistrationReport> {
    return this.auto.run(opts);
  }
}
