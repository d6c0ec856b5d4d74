/**
 * UC clusters (DOMAIN §4, §7.4, §7.6, §7.9): inventory, assignment to a virtual account, the
 * registration workflow (mode → transport → token → register the publisher → read the status
 * back), auto-registration to the operational VA, renewals and deregistration. Every write is
 * a job carrying Cisco's error code and recommended action; the Cluster Summary status follows
 * HCM-F's words exactly.
 */
import type { Clock } from '../clock.ts';
import {
  checkSmartEligibility,
  isSmartLicensingAppType,
  licensingModelFor,
  tryParseUcVersion,
} from '../domain/versions.ts';
import { SmartlicError, toSmartlicError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type {
  AuthorizationStatus,
  Cluster,
  ClusterStatus,
  ClusterType,
  Customer,
  Job,
  JobStatus,
  RegistrationStatus,
  Repositories,
  SmartAccount,
  VirtualAccount,
} from '../store/index.ts';
import type {
  SmartLicenseStatus,
  UcLicensingClient,
  UcTransportSettings,
} from '../uc/uc.client.ts';
import { JobFailedError, type JobHandle, type JobRunner } from './jobs.service.ts';
import { clusterUsage, statusPatch } from './cluster-status.ts';
import type { TokensService } from './tokens.service.ts';
import {
  describeTransport,
  notFound,
  resolveAccount,
  resolveVa,
  resolveVaRef,
  vaLabel,
  type TransportSettings,
  type VirtualAccountsService,
} from './virtual-accounts.service.ts';

/** A UC licensing client for a stored cluster's publisher (clients.ts's ClientFactory.uc). */
export type UcClientFor = (cluster: Cluster) => Promise<UcLicensingClient>;

export interface ClustersServiceDeps {
  repos: Repositories;
  jobs: JobRunner;
  clock: Clock;
  tokens: TokensService;
  virtualAccounts: VirtualAccountsService;
  ucFor: UcClientFor;
  logger?: Logger;
}

/** One row of HCM-F's Cluster Summary (DOMAIN §7.6), plus what smartlic adds. */
export interface ClusterSummary {
  id: number;
  name: string;
  customer: string;
  type: ClusterType;
  version: string | null;
  smartAccount: string | null;
  virtualAccount: string | null;
  status: ClusterStatus | null;
  /** Status of the newest job about this cluster. */
  jobStatus: JobStatus | null;
  licensing: 'PLM' | 'Smart';
  registrationStatus: RegistrationStatus | null;
  authorizationStatus: AuthorizationStatus | null;
}

export interface ClusterRef {
  cluster: string;
  /** Needed only when two customers have clusters of the same name. */
  customer?: string;
}

export interface AddClusterInput {
  customer: string;
  name: string;
  /** CUCM, CUC or CER; anything else is SLMCT1015. */
  type: string;
  version: string;
  /** Host name, or the publisher's base URL (`https://host:8443`). */
  publisherAddress: string;
  adminUsername: string;
  /** Plaintext; stored encrypted. Never pass it on a command line. */
  adminPassword: string;
  requestedBy: string;
}

export interface RegisterInput extends ClusterRef {
  /** `<domain>/<va>` or a VA name: assigns the cluster first when it is unassigned. */
  va?: string;
  /** Register with force even when the product does not look registered. */
  force?: boolean;
  /** Ask for an export-controlled token ("Allowed"). */
  exportControlled?: boolean;
  requestedBy: string;
  /** Auto-registration uses HCM-F's Auto statuses. */
  auto?: boolean;
}

export interface AutoRegistrationReport {
  configured: boolean;
  virtualAccount?: string;
  registered: string[];
  failed: { cluster: string; code: string; message: string }[];
  skipped: { cluster: string; reason: string }[];
}

/** The UC encoding of a transport (DOMAIN §1: 0 Direct, 1 Satellite, 2 Proxy). */
export function ucTransport(t: TransportSettings): UcTransportSettings {
  if (t.mode === 'Satellite')
    return { mode: 1, ...(t.satelliteUrl ? { url: t.satelliteUrl } : {}) };
  if (t.mode === 'Proxy') {
    return {
      mode: 2,
      ...(t.proxyHost ? { proxyHost: t.proxyHost } : {}),
      ...(t.proxyPort ? { proxyPort: t.proxyPort } : {}),
    };
  }
  return { mode: 0 };
}

const isRegistered = (s: string | null | undefined) => s === 'Registered';

/** Statuses of a cluster that auto-registration put where it is. */
const AUTO_STATUSES: ReadonlySet<ClusterStatus> = new Set<ClusterStatus>([
  'Auto Registered',
  'Auto Registration Inprogress',
  'Auto Registration Failed',
]);

export class ClustersService {
  private readonly log: Logger;

  constructor(private readonly deps: ClustersServiceDeps) {
    this.log = (deps.logger ?? silentLogger).child({ component: 'clusters' });
  }

  // ------------------------------------------------------------------ inventory

  /** Adds (or updates) a cluster in the inventory; ≤ 11.x is recorded as licensed by PLM. */
  async add(input: AddClusterInput): Promise<{ job: Job; cluster: Cluster }> {
    const { repos } = this.deps;
    const name = input.name.trim();
    if (!name || !input.customer.trim()) {
      throw new SmartlicError({
        code: 'INPUT',
        message: 'a cluster needs a name and a customer',
        action: 'pass both',
      });
    }
    const { job, result } = await this.deps.jobs.run(
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
        const customer = await repos.customers.upsert({ name: input.customer.trim() });
        const added = await repos.clusters.upsert({
          customerId: customer.id,
          name,
          type: input.type,
          version: input.version.trim(),
          publisherAddress: input.publisherAddress.trim(),
          adminUsername: input.adminUsername.trim(),
          adminPassword: input.adminPassword,
          licensing: licensingModelFor(v.version),
        });
        await job.entity(added.id);
        return added;
      },
      (c) =>
        c.licensing === 'PLM'
          ? `${c.name} added; ${c.version} licenses through PLM (not smart licensing).`
          : `${c.name} added.`,
    );
    return { job, cluster: result };
  }

  async list(filter: { customer?: string; va?: string } = {}): Promise<ClusterSummary[]> {
    const { repos } = this.deps;
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
      });
    }
    return out;
  }

  /** Finds a cluster by name (and customer when the name is not unique). */
  async resolve(ref: ClusterRef): Promise<{ cluster: Cluster; customer: Customer }> {
    const { repos } = this.deps;
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

  // ------------------------------------------------------------------ assignment

  /**
   * Assigns a cluster to a VA: SLMCT1007 when it is assigned already, SLMCT1015 / SLMCT1006
   * when its type or version cannot use smart licensing, SLM1014 when the VA has no license
   * mode yet.
   */
  async assign(
    input: ClusterRef & { va: string; requestedBy: string; status?: ClusterStatus },
  ): Promise<{ job: Job; cluster: Cluster }> {
    const { repos } = this.deps;
    const { cluster } = await this.resolve(input);
    const { job } = await this.deps.jobs.run(
      {
        jobType: 'Assign Cluster',
        entityType: 'Cluster',
        entityName: cluster.name,
        entityId: cluster.id,
        description: `Assign ${cluster.name} to ${input.va}`,
        requestedBy: input.requestedBy,
      },
      async () => {
        const { account, va } = await resolveVaRef(repos, input.va);
        await this.assignChecks(cluster, account, va);
        await repos.clusters.assign(cluster.id, va.id, input.status);
        return vaLabel(account, va);
      },
      (label) => `${cluster.name} assigned to ${label}.`,
    );
    return { job, cluster: (await repos.clusters.getById(cluster.id))! };
  }

  private async assignChecks(cluster: Cluster, account: SmartAccount, va: VirtualAccount) {
    const { repos } = this.deps;
    if (cluster.virtualAccountId !== null) {
      const current = await repos.virtualAccounts.getById(cluster.virtualAccountId);
      throw new SmartlicError({
        code: 'SLMCT1007',
        message: `${cluster.name} is already assigned to ${current ? current.name : `VA #${cluster.virtualAccountId}`}`,
        action: 'sync, and unassign it first if it should move',
      });
    }
    await this.eligibility(cluster);
    if (va.licenseMode === null) {
      throw new SmartlicError({
        code: 'SLM1014',
        message: `virtual account ${vaLabel(account, va)} has no license mode set`,
        action: `set it first: smartlic va mode ${account.domain} ${va.name} Enterprise|HCS|HCS-LE`,
      });
    }
  }

  /** SLMCT1015 / SLMCT1006; a ≤ 11.x cluster is recorded as PLM-licensed on the way. */
  private async eligibility(cluster: Cluster): Promise<void> {
    const e = checkSmartEligibility(cluster.type, cluster.version ?? '');
    if (e.ok) return;
    if (e.licensingModel === 'PLM' && cluster.licensing !== 'PLM') {
      await this.deps.repos.clusters.updateStatus(cluster.id, { licensing: 'PLM' });
    }
    throw new SmartlicError({
      code: e.code,
      message: `${cluster.name}: ${e.message}`,
      action: e.action,
      details: { licensing: e.licensingModel ?? null },
    });
  }

  /**
   * Unassigns a cluster from its VA (SLMCT1011 when it is not assigned), deregistering the
   * publisher first when it is registered.
   */
  async unassign(
    input: ClusterRef & { requestedBy: string },
  ): Promise<{ job: Job; cluster: Cluster }> {
    const { repos } = this.deps;
    const { cluster } = await this.resolve(input);
    const { job } = await this.deps.jobs.run(
      {
        jobType: 'Unassign Cluster',
        entityType: 'Cluster',
        entityName: cluster.name,
        entityId: cluster.id,
        description: `Unassign ${cluster.name} from its virtual account`,
        requestedBy: input.requestedBy,
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
          await this.doDeregister(cluster);
        }
        await repos.clusters.unassign(cluster.id, 'Deregistered');
      },
      () => `${cluster.name} unassigned.`,
    );
    return { job, cluster: (await repos.clusters.getById(cluster.id))! };
  }

  // ------------------------------------------------------------------ registration

  /**
   * The HCM-F registration workflow for one cluster: set the app's license mode and
   * transport, get or create a valid token, register the publisher (force when it was
   * registered before), then read the status back and require `Registered`.
   */
  async register(input: RegisterInput): Promise<{ job: Job; cluster: Cluster }> {
    const { repos } = this.deps;
    let { cluster } = await this.resolve(input);
    if (input.va && cluster.virtualAccountId === null) {
      await this.assign({
        cluster: cluster.name,
        customer: input.customer ?? (await repos.customers.getById(cluster.customerId))?.name,
        va: input.va,
        requestedBy: input.requestedBy,
        ...(input.auto ? { status: 'Auto Registration Inprogress' as const } : {}),
      });
      cluster = (await repos.clusters.getById(cluster.id))!;
    }
    const auto = input.auto === true;
    const { job } = await this.deps.jobs.run(
      {
        jobType: auto ? 'Auto Register Cluster' : 'Register Cluster',
        entityType: 'Cluster',
        entityName: cluster.name,
        entityId: cluster.id,
        description: `Register ${cluster.type} cluster ${cluster.name}${input.va ? ` to ${input.va}` : ''}`,
        requestedBy: input.requestedBy,
        details: { force: input.force === true, exportControlled: input.exportControlled === true },
      },
      (h) => this.doRegister(cluster, input, h),
      (r) => r,
    );
    return { job, cluster: (await repos.clusters.getById(cluster.id))! };
  }

  private async doRegister(cluster: Cluster, input: RegisterInput, h: JobHandle): Promise<string> {
    const { repos, clock } = this.deps;
    const auto = input.auto === true;
    await this.eligibility(cluster);
    if (input.va && cluster.virtualAccountId !== null) {
      const want = await resolveVaRef(repos, input.va);
      if (want.va.id !== cluster.virtualAccountId) {
        const current = await repos.virtualAccounts.getById(cluster.virtualAccountId);
        throw new SmartlicError({
          code: 'SLMCT1007',
          message: `${cluster.name} is already assigned to ${current?.name ?? 'another VA'}, not ${input.va}`,
          action: 'unassign it first to move it, or register it where it is',
        });
      }
    }
    if (cluster.virtualAccountId === null) {
      throw new SmartlicError({
        code: 'SLMCT1011',
        message: `${cluster.name} is not assigned to a virtual account`,
        action: 'assign it first (`smartlic cluster assign`), or pass --va <domain>/<va>',
      });
    }
    const va = await repos.virtualAccounts.getById(cluster.virtualAccountId);
    const account = va && (await repos.smartAccounts.getById(va.smartAccountId));
    if (!va || !account) throw notFound(`the VA of ${cluster.name}`, 'sync, then retry');
    if (va.licenseMode === null) {
      throw new SmartlicError({
        code: 'SLM1014',
        message: `virtual account ${vaLabel(account, va)} has no license mode set`,
        action: `set it first: smartlic va mode ${account.domain} ${va.name} Enterprise|HCS|HCS-LE`,
      });
    }
    if (auto)
      await repos.clusters.updateStatus(cluster.id, { status: 'Auto Registration Inprogress' });
    try {
      const uc = await this.deps.ucFor(cluster);
      await h.progress('Reading the current smart licensing status');
      const before = await uc.getStatus();
      const wasRegistered =
        isRegistered(before.registration.status) ||
        before.registration.status === 'Registration Expired' ||
        cluster.registeredAt !== null ||
        isRegistered(cluster.registrationStatus);
      const registeredNow = isRegistered(before.registration.status);

      await h.progress(`Setting the license mode to ${va.licenseMode}`);
      await uc.setLicenseMode(va.licenseMode);

      const transport = await this.deps.virtualAccounts.effectiveTransport(account, va);
      if (registeredNow) {
        // The application refuses transport changes while registered (CAA1041).
        await h.progress('Transport left unchanged: the product is registered');
      } else {
        await h.progress(`Setting the transport to ${describeTransport(transport)}`);
        await uc.setTransport(ucTransport(transport));
      }

      await h.progress('Getting a registration token');
      const tok = await this.deps.tokens.getOrCreateValid(account, va, {
        exportControlled: input.exportControlled === true,
        requestedBy: input.requestedBy,
      });
      const force = input.force === true || wasRegistered;
      await h.progress(`Registering the publisher${force ? ' (force)' : ''}`);
      await uc.register(tok.value, force);

      await h.progress('Reading the status back');
      const after = await uc.getStatus();
      const now = clock.now();
      await repos.clusters.updateStatus(cluster.id, {
        ...statusPatch(after, cluster, now),
        transportMode: transport.mode,
        transportUrl:
          transport.mode === 'Satellite'
            ? (transport.satelliteUrl ?? null)
            : transport.mode === 'Proxy'
              ? `${transport.proxyHost ?? ''}:${transport.proxyPort ?? ''}`
              : null,
        licenseMode: va.licenseMode,
        licensing: 'Smart',
      });
      await this.storeUsage(cluster.id, after, now);
      if (!isRegistered(after.registration.status)) {
        throw new SmartlicError({
          code: 'CAA1081',
          message: `${cluster.name} reports "${after.registration.status}" after registering${after.registration.registrationFailedReason ? ` (${after.registration.registrationFailedReason})` : ''}`,
          action: "check the application's smart licensing page and its transport, then retry",
        });
      }
      // The product names where it registered; a token of another VA would put it there.
      const reportedVa = after.registration.virtualAccount?.trim();
      if (reportedVa && reportedVa !== va.name) {
        throw new SmartlicError({
          code: 'CAA1081',
          message: `${cluster.name} registered to virtual account "${reportedVa}", not to ${vaLabel(account, va)}`,
          action: `deregister it (smartlic cluster deregister ${cluster.name}), sync, and register again`,
        });
      }
      await repos.clusters.updateStatus(cluster.id, {
        status: auto ? 'Auto Registered' : 'Manually Registered',
        registeredAt: now,
      });
      return `Registered to ${vaLabel(account, va)} with token ${tok.created ? 'created now' : 'on file'}; authorization ${after.authorization.status}.`;
    } catch (e) {
      const err = toSmartlicError(e);
      await repos.clusters.updateStatus(cluster.id, {
        status: auto ? 'Auto Registration Failed' : 'Manual Registration Failed',
      });
      if (err.code === 'CAA1048') {
        // HCM-F's advice for this one: a sync refreshes the VA's tokens.
        throw new SmartlicError({
          code: err.code,
          message: err.message,
          action: 'Sync with CSSM, which refreshes tokens (`smartlic sync`), then register again.',
          cause: err,
          ...(err.details ? { details: err.details } : {}),
        });
      }
      throw err;
    }
  }

  private async storeUsage(clusterId: number, s: SmartLicenseStatus, at: Date): Promise<void> {
    await this.deps.repos.clusters.replaceLicenseUsage(clusterId, clusterUsage(s), at);
  }

  async deregister(
    input: ClusterRef & { requestedBy: string },
  ): Promise<{ job: Job; cluster: Cluster }> {
    const { cluster } = await this.resolve(input);
    const { job } = await this.deps.jobs.run(
      {
        jobType: 'Deregister Cluster',
        entityType: 'Cluster',
        entityName: cluster.name,
        entityId: cluster.id,
        description: `Deregister ${cluster.name} from smart licensing`,
        requestedBy: input.requestedBy,
      },
      () => this.doDeregister(cluster),
      () => `${cluster.name} deregistered.`,
    );
    return { job, cluster: (await this.deps.repos.clusters.getById(cluster.id))! };
  }

  private async doDeregister(cluster: Cluster): Promise<void> {
    const { repos, clock } = this.deps;
    try {
      const uc = await this.deps.ucFor(cluster);
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
      await repos.clusters.updateStatus(cluster.id, { status: 'Deregistered' });
    } catch (e) {
      await repos.clusters.updateStatus(cluster.id, { status: 'Deregistration Failed' });
      throw e;
    }
  }

  async renewAuthorization(input: ClusterRef & { requestedBy: string }) {
    return this.renew(input, 'authorization');
  }

  async renewRegistration(input: ClusterRef & { requestedBy: string }) {
    return this.renew(input, 'registration');
  }

  private async renew(
    input: ClusterRef & { requestedBy: string },
    what: 'authorization' | 'registration',
  ): Promise<{ job: Job; cluster: Cluster }> {
    const { repos, clock } = this.deps;
    const { cluster } = await this.resolve(input);
    const { job } = await this.deps.jobs.run(
      {
        jobType: what === 'authorization' ? 'Renew Authorization' : 'Renew Registration',
        entityType: 'Cluster',
        entityName: cluster.name,
        entityId: cluster.id,
        description: `Renew the ${what === 'authorization' ? 'authorization' : 'registration (ID certificate)'} of ${cluster.name}`,
        requestedBy: input.requestedBy,
      },
      async () => {
        const uc = await this.deps.ucFor(cluster);
        if (what === 'authorization') await uc.renewAuthorization();
        else await uc.renewRegistration();
        const after = await uc.getStatus();
        const now = clock.now();
        const failed =
          what === 'authorization'
            ? after.authorization.lastCommunicationStatus
            : after.registration.lastRenewalStatus;
        await repos.clusters.updateStatus(cluster.id, statusPatch(after, cluster, now));
        await this.storeUsage(cluster.id, after, now);
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
        return what === 'authorization' ? after.authorization.status : after.registration.status;
      },
      (s) => `${cluster.name}: ${what} renewed (${s}).`,
    );
    return { job, cluster: (await repos.clusters.getById(cluster.id))! };
  }

  // ------------------------------------------------------------------ auto-registration

  /**
   * Chooses the Smart Account (and optionally a new operational VA) for auto-registration.
   * Changing the operational VA first deregisters and unassigns the clusters that were
   * auto-registered to the old one, then auto-registers them to the new one (DOMAIN §7.4).
   * Manually registered clusters stay where they are.
   */
  async configureAutoRegistration(input: {
    domain: string;
    operationalVa?: string;
    requestedBy: string;
  }): Promise<{ job: Job; va: VirtualAccount; moved: string[]; report?: AutoRegistrationReport }> {
    const { repos } = this.deps;
    const account = await resolveAccount(repos, input.domain);
    const current = await repos.virtualAccounts.getOperational(account.id);
    const moving: Cluster[] = [];
    const target = input.operationalVa
      ? (await resolveVa(repos, account.domain, input.operationalVa)).va
      : current;
    // Refuse before anything moves: every registration into a VA without a mode fails.
    if (target && target.licenseMode === null) {
      throw new SmartlicError({
        code: 'SLM1014',
        message: `virtual account ${vaLabel(account, target)} has no license mode set; clusters cannot auto-register to it`,
        action: `set its mode first: smartlic va mode ${account.domain} ${target.name} HCS|Enterprise`,
      });
    }
    if (target && current) {
      if (target.id !== current.id) {
        for (const c of await repos.clusters.list({ virtualAccountId: current.id })) {
          if (c.status !== null && AUTO_STATUSES.has(c.status)) moving.push(c);
        }
      }
    }
    for (const c of moving) {
      const customer = await repos.customers.getById(c.customerId);
      await repos.clusters.updateStatus(c.id, { status: 'Auto Deregistration InProgress' });
      await this.unassign({
        cluster: c.name,
        ...(customer ? { customer: customer.name } : {}),
        requestedBy: input.requestedBy,
      });
      // Unassigned with no status: the next auto-registration run picks it up.
      await repos.clusters.updateStatus(c.id, { status: null });
    }
    const { job, va } = await this.deps.virtualAccounts.recordAutoRegistrationTarget(input);
    const out: { job: Job; va: VirtualAccount; moved: string[]; report?: AutoRegistrationReport } =
      {
        job,
        va,
        moved: moving.map((c) => c.name),
      };
    if (moving.length > 0) out.report = await this.autoRegister({ requestedBy: input.requestedBy });
    return out;
  }

  /**
   * Auto-registration (DOMAIN §7.4): new clusters (unassigned, never handled, 12.x+, CUCM/CUC/
   * CER) go to the operational VA of the configured Smart Account; clusters whose
   * auto-registration failed are retried. Run after every sync.
   */
  async autoRegister(opts: {
    requestedBy: string;
    /** Run only when this is the auto-registration account (the sync of that account). */
    forDomain?: string;
  }): Promise<AutoRegistrationReport> {
    // Two syncs finishing together must not register the same cluster twice.
    const running = this.autoRun;
    if (running) return running;
    const run = this.autoRegisterOnce(opts).finally(() => {
      this.autoRun = undefined;
    });
    this.autoRun = run;
    return run;
  }

  private autoRun: Promise<AutoRegistrationReport> | undefined;

  private async autoRegisterOnce(opts: {
    requestedBy: string;
    forDomain?: string;
  }): Promise<AutoRegistrationReport> {
    const { repos } = this.deps;
    const report: AutoRegistrationReport = {
      configured: false,
      registered: [],
      failed: [],
      skipped: [],
    };
    const settings = await this.deps.virtualAccounts.autoRegistrationSettings();
    if (!settings) return report;
    if (opts.forDomain !== undefined && opts.forDomain !== settings.smartAccountDomain) {
      return report;
    }
    const account = await resolveAccount(repos, settings.smartAccountDomain).catch(() => undefined);
    const va = account && (await repos.virtualAccounts.getOperational(account.id));
    if (!account || !va) return report;
    report.configured = true;
    report.virtualAccount = vaLabel(account, va);
    const candidates: Cluster[] = [];
    for (const c of await repos.clusters.list()) {
      const retry = c.status === 'Auto Registration Failed';
      if (c.virtualAccountId === null && (c.status === null || retry)) {
        const e = checkSmartEligibility(c.type, c.version ?? '');
        if (!e.ok) {
          if (e.licensingModel === 'PLM' && c.licensing !== 'PLM') {
            await repos.clusters.updateStatus(c.id, { licensing: 'PLM' });
          }
          report.skipped.push({ cluster: c.name, reason: `${e.code}: ${e.message}` });
          continue;
        }
        candidates.push(c);
      } else if (retry && c.virtualAccountId === va.id) {
        candidates.push(c);
      }
    }
    for (const c of candidates) {
      const customer = await repos.customers.getById(c.customerId);
      try {
        await this.register({
          cluster: c.name,
          ...(customer ? { customer: customer.name } : {}),
          ...(c.virtualAccountId === null ? { va: vaLabel(account, va) } : {}),
          requestedBy: opts.requestedBy,
          auto: true,
        });
        report.registered.push(c.name);
      } catch (e) {
        const err = toSmartlicError(e instanceof JobFailedError ? e.error : e);
        // A failed assign leaves the cluster unassigned: mark it so the next sync retries it.
        await repos.clusters.updateStatus(c.id, { status: 'Auto Registration Failed' });
        report.failed.push({ cluster: c.name, code: err.code, message: err.message });
        this.log.warn('auto-registration failed', { cluster: c.name, code: err.code });
      }
    }
    return report;
  }
}
