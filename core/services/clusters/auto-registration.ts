/**
 * Auto-registration (DOMAIN §7.4): new clusters go to the operational VA of the configured
 * Smart Account, failures are retried at the next sync, and changing the operational VA first
 * deregisters and unassigns what was auto-registered to the old one.
 */
import { checkSmartEligibility } from '../../domain/versions.ts';
import { SmartlicError, toSmartlicError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { Cluster, Job, VirtualAccount } from '../../store/index.ts';
import { JobFailedError } from '../jobs.service.ts';
import { resolveAccount, resolveVa, vaLabel } from '../virtual-accounts.service.ts';
import { unassignCluster } from './assignment.ts';
import { registerCluster } from './registration.ts';
import { AUTO_STATUSES } from './rules.ts';
import type { AutoRegistrationReport, ClustersServiceDeps } from './types.ts';

export class AutoRegistration {
  private running: Promise<AutoRegistrationReport> | undefined;

  constructor(
    private readonly deps: ClustersServiceDeps,
    private readonly log: Logger,
  ) {}

  /**
   * Chooses the Smart Account (and optionally a new operational VA) for auto-registration.
   * Changing the operational VA first deregisters and unassigns the clusters that were
   * auto-registered to the old one, then auto-registers them to the new one (DOMAIN §7.4).
   * Manually registered clusters stay where they are.
   */
  async configure(input: {
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
        action: `set its mode first: smartlic va mode ${account.domain}/${target.name} HCS|Enterprise`,
      });
    }
    if (target && current && target.id !== current.id) {
      for (const c of await repos.clusters.list({ virtualAccountId: current.id })) {
        if (c.status !== null && AUTO_STATUSES.has(c.status)) moving.push(c);
      }
    }
    for (const c of moving) {
      const customer = await repos.customers.getById(c.customerId);
      await repos.clusters.updateStatus(c.id, { status: 'Auto Deregistration InProgress' });
      await unassignCluster(this.deps, {
        cluster: c.name,
        ...(customer ? { customer: customer.name } : {}),
        requestedBy: input.requestedBy,
      });
      // Unassigned with no status: the next auto-registration run picks it up.
      await repos.clusters.updateStatus(c.id, { status: null });
    }
    const { job, va } = await this.deps.virtualAccounts.recordAutoRegistrationTarget(input);
    const out: { job: Job; va: VirtualAccount; moved: string[]; report?: AutoRegistrationReport } =
      { job, va, moved: moving.map((c) => c.name) };
    if (moving.length > 0) out.report = await this.run({ requestedBy: input.requestedBy });
    return out;
  }

  /**
   * New clusters (unassigned, never handled, 12.x+, CUCM/CUC/CER) go to the operational VA;
   * clusters whose auto-registration failed are retried. Run after every sync.
   */
  async run(opts: {
    requestedBy: string;
    /** Run only when this is the auto-registration account (the sync of that account). */
    forDomain?: string;
  }): Promise<AutoRegistrationReport> {
    // Two syncs finishing together must not register the same cluster twice.
    if (this.running) return this.running;
    const run = this.once(opts).finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async once(opts: {
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
        await registerCluster(this.deps, {
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
