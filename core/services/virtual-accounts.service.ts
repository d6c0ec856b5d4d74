/**
 * Virtual account settings that live only in smartlic (DOMAIN §1, §7.2, §7.4): the license mode
 * of a VA, the transport (Direct / Proxy / Satellite) of a VA or a whole account, and which VA
 * of which account auto-registration targets. Each change is a job; each is refused while a
 * cluster is assigned, as HCM-F refuses it.
 */
import { SmartlicError } from '../errors.ts';
import type {
  LicenseMode,
  Repositories,
  SmartAccount,
  TransportMode,
  VirtualAccount,
  VirtualAccountRole,
} from '../store/index.ts';
import type { Job } from '../store/index.ts';
import type { Clock } from '../clock.ts';
import type { JobRunner } from './jobs.service.ts';
import type { AccountRef, HeldAccountLease } from './account-lease.ts';

export const LICENSE_MODES: readonly LicenseMode[] = ['Enterprise', 'HCS', 'HCS-LE'];
export const TRANSPORT_MODES: readonly TransportMode[] = ['Direct', 'Proxy', 'Satellite'];

/** Transport as smartlic applies it to a cluster: the mode and where it points. */
export interface TransportSettings {
  mode: TransportMode;
  proxyHost?: string;
  proxyPort?: number;
  /** Satellite registration URL, `https://<fqdn>/SmartTransport` (DOMAIN §3). */
  satelliteUrl?: string;
}

/** Where a VA's effective transport came from. */
export interface EffectiveTransport extends TransportSettings {
  source: 'virtual-account' | 'account';
}

export interface AutoRegistrationSettings {
  /** The Smart Account whose operational VA receives new clusters. */
  smartAccountDomain: string;
}

const AUTO_REG_KEY = 'auto_registration';
const vaTransportKey = (vaId: number) => `transport:va:${vaId}`;

/** `<domain>/<va>`: how jobs and messages name a VA. */
export function vaLabel(account: Pick<SmartAccount, 'domain'>, va: Pick<VirtualAccount, 'name'>) {
  return `${account.domain}/${va.name}`;
}

export function notFound(what: string, action: string): SmartlicError {
  return new SmartlicError({ code: 'NOT_FOUND', message: `${what} does not exist`, action });
}

export async function resolveAccount(repos: Repositories, domain: string): Promise<SmartAccount> {
  const a = await repos.smartAccounts.getByDomain(domain);
  if (!a) {
    throw notFound(
      `Smart Account ${domain}`,
      'check the domain with `smartlic account list`, or provision it with `smartlic account add`',
    );
  }
  return a;
}

export async function resolveVa(
  repos: Repositories,
  domain: string,
  vaName: string,
): Promise<{ account: SmartAccount; va: VirtualAccount }> {
  const account = await resolveAccount(repos, domain);
  const va = await repos.virtualAccounts.getByName(account.id, vaName);
  if (!va) {
    throw notFound(
      `virtual account ${vaName} in ${domain}`,
      'sync the account (`smartlic sync`) to pull its virtual accounts, and check the name',
    );
  }
  return { account, va };
}

/**
 * Finds a VA from `<domain>/<va>` or a bare VA name (which must then be unique across
 * accounts).
 */
export async function resolveVaRef(
  repos: Repositories,
  ref: string,
): Promise<{ account: SmartAccount; va: VirtualAccount }> {
  // A domain never holds "/"; a VA name may: split at the first one.
  const slash = ref.indexOf('/');
  if (slash > 0) return resolveVa(repos, ref.slice(0, slash), ref.slice(slash + 1));
  const all = (await repos.virtualAccounts.listAll()).filter((v) => v.name === ref);
  if (all.length === 0) {
    throw notFound(`virtual account ${ref}`, 'sync, and check the name (`<domain>/<va>` form)');
  }
  if (all.length > 1) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `virtual account name ${ref} exists in ${all.length} accounts`,
      action: 'name it as <domain>/<va>',
    });
  }
  const va = all[0]!;
  const account = await repos.smartAccounts.getById(va.smartAccountId);
  if (!account) throw notFound(`the account of VA ${ref}`, 'sync again');
  return { account, va };
}

export function parseLicenseMode(s: string): LicenseMode {
  const m = LICENSE_MODES.find((x) => x.toLowerCase() === s.trim().toLowerCase());
  if (!m) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `unknown license mode "${s}"`,
      action: `use one of ${LICENSE_MODES.join(', ')}`,
    });
  }
  return m;
}

export function parseTransportMode(s: string): TransportMode {
  const m = TRANSPORT_MODES.find((x) => x.toLowerCase() === s.trim().toLowerCase());
  if (!m) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `unknown transport mode "${s}"`,
      action: `use one of ${TRANSPORT_MODES.join(', ')}`,
    });
  }
  return m;
}

/** Checks the fields each mode needs (CAA1040 for bad proxy details). */
export function validateTransport(t: TransportSettings): TransportSettings {
  if (t.mode === 'Proxy') {
    if (!t.proxyHost || !/^[A-Za-z0-9.-]+$/.test(t.proxyHost)) {
      throw new SmartlicError({
        code: 'CAA1040',
        message: `invalid proxy details: proxy host "${t.proxyHost ?? ''}" is not a host name or address`,
        action: 'give the proxy host (no scheme, no credentials) and port',
      });
    }
    if (!Number.isInteger(t.proxyPort) || t.proxyPort! < 1 || t.proxyPort! > 65535) {
      throw new SmartlicError({
        code: 'CAA1040',
        message: `invalid proxy details: port "${String(t.proxyPort)}" is not 1–65535`,
        action: 'give the proxy port',
      });
    }
    return { mode: 'Proxy', proxyHost: t.proxyHost, proxyPort: t.proxyPort! };
  }
  if (t.mode === 'Satellite') {
    // UC apps register to https://<fqdn>/SmartTransport (DOMAIN §3); nothing else works.
    if (
      !t.satelliteUrl ||
      !/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/SmartTransport\/?$/.test(t.satelliteUrl)
    ) {
      throw new SmartlicError({
        code: 'INPUT',
        message: `a Satellite transport needs the satellite's registration URL https://<fqdn>/SmartTransport (got "${(t.satelliteUrl ?? '').replace(/\/\/[^/@]*@/, '//…@')}")`,
        action: 'give it as https://<satellite fqdn>/SmartTransport',
      });
    }
    return { mode: 'Satellite', satelliteUrl: t.satelliteUrl };
  }
  return { mode: 'Direct' };
}

export interface VirtualAccountsServiceDeps {
  repos: Repositories;
  jobs: JobRunner;
  clock: Clock;
}

export interface RemoveVirtualAccountInput {
  domain: string;
  va: string;
  requestedBy: string;
}

/** What removing a VA takes away (its usage snapshots, the history, stay). */
export interface VirtualAccountRemoval {
  job: Job;
  va: VirtualAccount;
  licenses: number;
  tokens: number;
  devices: number;
  /** CSSM listed it at the last sync: the next sync brings it back (without what was removed). */
  stillListed: boolean;
}

export interface SetLicenseModeInput {
  domain: string;
  va: string;
  mode: LicenseMode;
  requestedBy: string;
}

export interface SetTransportInput {
  domain: string;
  /** Omit for the account-wide transport (every VA without its own). */
  va?: string;
  transport: TransportSettings;
  requestedBy: string;
}

/** One VA's settings in a bulk change (`applySettings`); a field left out is not changed. */
export interface VaSettingsRow {
  domain: string;
  va: string;
  /** Any case, as `va mode` takes it. */
  mode?: string;
  role?: 'ordered' | 'operational';
}

export interface VaSettingsInput {
  settings: readonly VaSettingsRow[];
  requestedBy: string;
  /** What the settings came from (`emulator`, a file): the job and its audit name it. */
  source: string;
  /** Check and count only: nothing is written, no job is recorded. */
  dryRun?: boolean;
}

/** A setting refused, by its index in the input, with Cisco's code where one fits. */
export interface VaSettingsProblem {
  index: number;
  /** `<domain>/<va>` as given. */
  va: string;
  code: string;
  message: string;
  action: string;
}

export interface VaSettingsReport {
  settings: number;
  /** VAs whose mode or role this changes (or would, on a dry run). */
  changed: number;
  unchanged: number;
  /** Every refused setting; non-empty means nothing was written. */
  problems: VaSettingsProblem[];
  dryRun: boolean;
  /** The one job of the change (absent on a dry run, with problems, or with nothing to change). */
  job?: Job;
}

interface PlannedVaSettings {
  changes: { id: number; licenseMode?: LicenseMode; role?: VirtualAccountRole | null }[];
  /** The VAs whose change is refused while clusters are assigned, with the input index. */
  guarded: { id: number; index: number; label: string; what: 'mode' | 'ordered' }[];
  accounts: AccountRef[];
  problems: VaSettingsProblem[];
  unchanged: number;
}

export class VirtualAccountsService {
  constructor(private readonly deps: VirtualAccountsServiceDeps) {}

  /** Sets a VA's license mode; refused while any cluster is assigned to the VA. */
  async setLicenseMode(input: SetLicenseModeInput): Promise<{ job: Job; va: VirtualAccount }> {
    const { repos } = this.deps;
    const mode = parseLicenseMode(input.mode);
    const { account, va } = await resolveVa(repos, input.domain, input.va);
    const { job } = await this.deps.jobs.run(
      {
        jobType: 'Set License Mode',
        account: { id: account.id, domain: account.domain },
        entityType: 'Virtual Account',
        entityName: vaLabel(account, va),
        description: `Set license mode of ${vaLabel(account, va)} to ${mode}`,
        requestedBy: input.requestedBy,
        details: { from: va.licenseMode, to: mode },
      },
      async () => {
        const assigned = await repos.clusters.list({ virtualAccountId: va.id });
        if (assigned.length > 0 && va.licenseMode !== mode) {
          throw new SmartlicError({
            code: 'VA_CLUSTERS_ASSIGNED',
            message: `the license mode of ${vaLabel(account, va)} cannot change while ${assigned.length} cluster(s) are assigned to it (${assigned
              .slice(0, 5)
              .map((c) => c.name)
              .join(', ')}${assigned.length > 5 ? ', …' : ''})`,
            action: 'unassign its clusters first (`smartlic cluster unassign <name>`), then retry',
            details: { clusters: assigned.map((c) => c.name) },
          });
        }
        await repos.virtualAccounts.setLicenseMode(va.id, mode);
      },
      () => `License mode of ${vaLabel(account, va)} is ${mode}.`,
    );
    return { job, va: { ...va, licenseMode: mode } };
  }

  /**
   * Sets the license modes and roles of many VAs at once: the rules of `va mode` for each (the
   * VA exists, the mode is one of Cisco's three, a mode changes only while no cluster is
   * assigned: VA_CLUSTERS_ASSIGNED), and for the roles that an ordered VA takes no cluster, so
   * a VA with clusters cannot become one. Operational VAs are marked as given (an HCS partner's
   * account may have several; auto-registration targets the one it is configured with). Every setting is checked first and every refused
   * one reported; one refused and nothing is written. Then one job (`Set Virtual Account
   * Settings`, one audit row naming the source and the counts), holding the leases of the
   * accounts it changes, and one transaction of a few multi-row statements, inside which the
   * assigned clusters are counted again. Settings equal to what is stored change nothing;
   * with nothing to change no job is recorded (a second `start` writes nothing).
   *
   * One `va mode` job per VA cost ~10 ms of CPU each (a lease, a job, its audit): 21.7 s of
   * CPU and 146 s of wall time for the VAs of emulator scale 10000.
   */
  async applySettings(input: VaSettingsInput): Promise<VaSettingsReport> {
    const { repos } = this.deps;
    const dryRun = input.dryRun === true;
    const plan = await this.planSettings(input.settings, repos.virtualAccounts);
    const base = {
      settings: input.settings.length,
      changed: plan.changes.length,
      unchanged: plan.unchanged,
      dryRun,
    };
    if (plan.problems.length > 0 || dryRun || plan.changes.length === 0) {
      return { ...base, problems: plan.problems };
    }
    const summary = `${plan.changes.length} virtual account(s) changed, ${plan.unchanged} unchanged`;
    const { job } = await this.deps.jobs.run(
      {
        jobType: 'Set Virtual Account Settings',
        entityType: 'Virtual Account',
        entityName: input.source,
        description: `Set the license mode and role of ${input.settings.length} virtual account(s) from ${input.source}`,
        requestedBy: input.requestedBy,
        details: {
          source: input.source,
          settings: input.settings.length,
          changed: plan.changes.length,
          accounts: plan.accounts.length,
        },
      },
      async (h) => {
        await h.progress(`Writing ${plan.changes.length} virtual account(s)`);
        const write = (leases: readonly HeldAccountLease[]) =>
          repos.virtualAccounts.transaction(async (tx, trx) => {
            for (const l of leases) await l.check(trx);
            // Counted again inside the transaction: a cluster assigned since the first look
            // must still stop a mode change.
            const refused = await guardAssigned(plan.guarded, tx);
            if (refused.length > 0) {
              throw new SmartlicError({
                code: 'VA_CLUSTERS_ASSIGNED',
                message: `${refused.length} virtual account(s) gained clusters while the change waited (first: ${refused[0]!.message}); nothing was written`,
                action: 'run it again',
                details: { problems: refused },
              });
            }
            await tx.applySettings(plan.changes);
          });
        const leases = this.deps.jobs.accountLeases;
        if (leases) {
          await leases.holdMany(
            plan.accounts,
            'Set Virtual Account Settings',
            this.deps.jobs.accountWaitMs,
            write,
          );
        } else {
          await write([]);
        }
      },
      () => `Virtual account settings from ${input.source}: ${summary}.`,
    );
    return { ...base, problems: [], job };
  }

  /** What `applySettings` would change, and every refused setting. */
  private async planSettings(
    rows: readonly VaSettingsRow[],
    vaRepo: Repositories['virtualAccounts'],
  ): Promise<PlannedVaSettings> {
    const { repos } = this.deps;
    const accounts = new Map((await repos.smartAccounts.list()).map((a) => [a.domain, a]));
    const vas = new Map<string, VirtualAccount>();
    for (const v of await repos.virtualAccounts.listAll())
      vas.set(`${v.smartAccountId}/${v.name}`, v);
    const problems: VaSettingsProblem[] = [];
    const seen = new Map<number, number>();
    const changes = new Map<number, PlannedVaSettings['changes'][number]>();
    const guarded: PlannedVaSettings['guarded'] = [];
    const touched = new Map<number, AccountRef>();
    let unchanged = 0;
    rows.forEach((row, index) => {
      const label = `${row.domain}/${row.va}`;
      const problem = (code: string, message: string, action: string) =>
        problems.push({ index, va: label, code, message, action });
      const account = accounts.get(row.domain);
      const va = account ? vas.get(`${account.id}/${row.va}`) : undefined;
      if (!account || !va) {
        const e = account
          ? notFound(
              `virtual account ${row.va} in ${row.domain}`,
              'sync the account (`smartlic sync`) to pull its virtual accounts, and check the name',
            )
          : notFound(
              `Smart Account ${row.domain}`,
              'check the domain with `smartlic account list`, or provision it with `smartlic account add`',
            );
        problem(e.code, e.message, e.action ?? '');
        return;
      }
      const first = seen.get(va.id);
      if (first !== undefined) {
        problem(
          'INPUT',
          `${label} is set twice (first at setting ${first + 1})`,
          'give each virtual account once',
        );
        return;
      }
      seen.set(va.id, index);
      let mode: LicenseMode | undefined;
      if (row.mode !== undefined) {
        try {
          mode = parseLicenseMode(row.mode);
        } catch (e) {
          if (!(e instanceof SmartlicError)) throw e;
          problem(e.code, `${label}: ${e.message}`, e.action ?? '');
          return;
        }
      }
      const change: PlannedVaSettings['changes'][number] = { id: va.id };
      if (mode !== undefined && mode !== va.licenseMode) {
        change.licenseMode = mode;
        guarded.push({ id: va.id, index, label, what: 'mode' });
      }
      if (row.role !== undefined && row.role !== va.role) {
        change.role = row.role;
        if (row.role === 'ordered') guarded.push({ id: va.id, index, label, what: 'ordered' });
      }
      if (change.licenseMode === undefined && change.role === undefined) {
        unchanged++;
        return;
      }
      changes.set(va.id, change);
      touched.set(account.id, { id: account.id, domain: account.domain });
    });
    problems.push(...(await guardAssigned(guarded, vaRepo)));
    problems.sort((a, b) => a.index - b.index);
    return {
      changes: [...changes.values()],
      guarded,
      accounts: [...touched.values()],
      problems,
      unchanged,
    };
  }

  /**
   * Sets the transport of one VA or of the whole account. Refused (CAA1041) while a cluster
   * is assigned where the change would apply: HCM-F makes you unassign first (DOMAIN §7.2).
   */
  async setTransport(input: SetTransportInput): Promise<{ job: Job }> {
    const { repos } = this.deps;
    const t = validateTransport(input.transport);
    const account = await resolveAccount(repos, input.domain);
    const va = input.va ? (await resolveVa(repos, input.domain, input.va)).va : undefined;
    const entityName = va ? vaLabel(account, va) : account.domain;
    const { job } = await this.deps.jobs.run(
      {
        jobType: 'Set Transport',
        account: { id: account.id, domain: account.domain },
        entityType: va ? 'Virtual Account' : 'Smart Account',
        entityName,
        description: `Set transport of ${entityName} to ${describeTransport(t)}`,
        requestedBy: input.requestedBy,
        details: { transport: t },
      },
      async () => {
        const assigned = await repos.clusters.list(
          va ? { virtualAccountId: va.id } : { smartAccountId: account.id },
        );
        if (assigned.length > 0) {
          throw new SmartlicError({
            code: 'CAA1041',
            message: `transport settings of ${entityName} cannot change while ${assigned.length} cluster(s) are assigned`,
            action: 'unassign (deregister) the clusters first, then change the transport settings',
            details: { clusters: assigned.map((c) => c.name) },
          });
        }
        if (va) {
          await repos.settings.setJson(vaTransportKey(va.id), t);
        } else {
          await repos.smartAccounts.upsert({
            domain: account.domain,
            transportMode: t.mode,
            proxyHost: t.proxyHost ?? null,
            proxyPort: t.proxyPort ?? null,
            ...(t.mode === 'Satellite' ? { satelliteRegistrationUrl: t.satelliteUrl ?? null } : {}),
          });
        }
      },
      () => `Transport of ${entityName} is ${describeTransport(t)}.`,
    );
    return { job };
  }

  /** The transport a cluster assigned to `va` uses: the VA's own, else the account's. */
  async effectiveTransport(account: SmartAccount, va: VirtualAccount): Promise<EffectiveTransport> {
    const own = (await this.deps.repos.settings.getJson(vaTransportKey(va.id))) as
      TransportSettings | undefined;
    if (own && typeof own === 'object' && TRANSPORT_MODES.includes(own.mode)) {
      return { ...own, source: 'virtual-account' };
    }
    return { ...accountTransport(account), source: 'account' };
  }

  /**
   * Records the Smart Account whose operational VA gets new clusters and marks that VA. Moves
   * no cluster: ClustersService.configureAutoRegistration does that first, then calls this.
   */
  async recordAutoRegistrationTarget(input: {
    domain: string;
    operationalVa?: string;
    requestedBy: string;
  }): Promise<{ job: Job; va: VirtualAccount }> {
    const { repos } = this.deps;
    const account = await resolveAccount(repos, input.domain);
    const { job, result } = await this.deps.jobs.run(
      {
        jobType: 'Configure Auto Registration',
        account: { id: account.id, domain: account.domain },
        entityType: 'Smart Account',
        entityName: account.domain,
        description: `Auto-register new clusters to the operational VA of ${account.domain}${input.operationalVa ? ` (${input.operationalVa})` : ''}`,
        requestedBy: input.requestedBy,
      },
      async () => {
        let va: VirtualAccount | undefined;
        if (input.operationalVa) {
          va = (await resolveVa(repos, account.domain, input.operationalVa)).va;
          const current = await repos.virtualAccounts.getOperational(account.id);
          // Clusters auto-registered to the old operational VA are moved by
          // ClustersService.configureAutoRegistration before this runs; manually registered
          // ones stay where the operator put them.
          if (current && current.id !== va.id)
            await repos.virtualAccounts.setRole(current.id, null);
          await repos.virtualAccounts.setRole(va.id, 'operational');
        } else {
          va = await repos.virtualAccounts.getOperational(account.id);
        }
        if (!va) {
          throw new SmartlicError({
            code: 'INPUT',
            message: `${account.domain} has no operational virtual account`,
            action: 'name it: --operational-va <va>',
          });
        }
        await repos.settings.setJson(AUTO_REG_KEY, {
          smartAccountDomain: account.domain,
        } satisfies AutoRegistrationSettings);
        return va;
      },
      (va) => `New clusters auto-register to ${vaLabel(account, va)}.`,
    );
    return { job, va: result };
  }

  /**
   * Removes a VA by hand (the operator's answer to a VA CSSM no longer lists): its licenses,
   * tokens and devices go, the row stays marked removed so its usage history stays. Refused
   * while clusters are assigned to it (VA_CLUSTERS_ASSIGNED) or while it is the operational VA
   * auto-registration targets (VA_AUTO_REGISTRATION_TARGET). A job, so an audit entry.
   */
  async removeVirtualAccount(input: RemoveVirtualAccountInput): Promise<VirtualAccountRemoval> {
    const { repos } = this.deps;
    const { account, va } = await resolveVa(repos, input.domain, input.va);
    const label = vaLabel(account, va);
    const { job, result } = await this.deps.jobs.run(
      {
        jobType: 'Remove Virtual Account',
        account: { id: account.id, domain: account.domain },
        entityType: 'Virtual Account',
        entityName: label,
        description: `Remove ${label} from smartlic (nothing changes in CSSM)`,
        requestedBy: input.requestedBy,
        details: {
          missingSince: va.missingSince ? va.missingSince.toISOString() : null,
          missingSyncs: va.missingSyncs,
          licenseMode: va.licenseMode,
          role: va.role,
        },
      },
      async () => {
        const assigned = await repos.clusters.list({ virtualAccountId: va.id });
        if (assigned.length > 0) {
          throw new SmartlicError({
            code: 'VA_CLUSTERS_ASSIGNED',
            message: `${label} cannot be removed while ${assigned.length} cluster(s) are assigned to it (${assigned
              .slice(0, 5)
              .map((c) => c.name)
              .join(', ')}${assigned.length > 5 ? ', …' : ''})`,
            action:
              'move them to another VA (`smartlic cluster assign <name> <sa>/<va>`) or unassign them (`smartlic cluster unassign <name>`), then retry',
            details: { clusters: assigned.map((c) => c.name) },
          });
        }
        const auto = await this.autoRegistrationSettings();
        if (va.role === 'operational' && auto?.smartAccountDomain === account.domain) {
          throw new SmartlicError({
            code: 'VA_AUTO_REGISTRATION_TARGET',
            message: `${label} is the operational VA that auto-registration of new clusters targets`,
            action: `point auto-registration at another VA first (\`smartlic cluster auto-register --sa ${account.domain} --operational-va <va>\`), then retry`,
          });
        }
        const counts = {
          licenses: (await repos.licenses.listByVirtualAccount(va.id)).length,
          tokens: (await repos.tokens.list({ virtualAccountId: va.id })).length,
          devices: (await repos.devices.listByVirtualAccount(va.id)).length,
        };
        await repos.virtualAccounts.remove(va.id, this.deps.clock.now());
        return { ...counts, stillListed: va.missingSince === null };
      },
      (r) =>
        `${label} removed from smartlic with ${r.licenses} license line(s), ${r.tokens} token(s) and ${r.devices} device(s); its usage history stays${r.stillListed ? '. CSSM still listed it at the last sync: the next sync brings it back, empty' : ''}. Nothing changed in CSSM.`,
    );
    return { job, va, ...result };
  }

  async autoRegistrationSettings(): Promise<AutoRegistrationSettings | undefined> {
    const v = (await this.deps.repos.settings.getJson(AUTO_REG_KEY)) as
      AutoRegistrationSettings | undefined;
    return v && typeof v.smartAccountDomain === 'string' ? v : undefined;
  }
}

/** The guarded changes refused because clusters are assigned to their VA. */
async function guardAssigned(
  guarded: PlannedVaSettings['guarded'],
  vaRepo: Repositories['virtualAccounts'],
): Promise<VaSettingsProblem[]> {
  if (guarded.length === 0) return [];
  const counts = await vaRepo.assignedClusterCounts([...new Set(guarded.map((g) => g.id))]);
  const out: VaSettingsProblem[] = [];
  for (const g of guarded) {
    const n = counts.get(g.id) ?? 0;
    if (n === 0) continue;
    out.push({
      index: g.index,
      va: g.label,
      code: 'VA_CLUSTERS_ASSIGNED',
      message:
        g.what === 'mode'
          ? `the license mode of ${g.label} cannot change while ${n} cluster(s) are assigned to it`
          : `${g.label} cannot become the ordered VA while ${n} cluster(s) are assigned to it (UC apps do not consume from an ordered VA)`,
      action: 'unassign its clusters first (`smartlic cluster unassign <name>`), then retry',
    });
  }
  return out;
}

/** The account-wide transport as stored on the Smart Account. */
export function accountTransport(a: SmartAccount): TransportSettings {
  if (a.transportMode === 'Proxy') {
    return {
      mode: 'Proxy',
      ...(a.proxyHost ? { proxyHost: a.proxyHost } : {}),
      ...(a.proxyPort ? { proxyPort: a.proxyPort } : {}),
    };
  }
  if (a.transportMode === 'Satellite' || a.source === 'satellite') {
    const url =
      a.satelliteRegistrationUrl ??
      (a.satelliteHost ? `https://${a.satelliteHost}/SmartTransport` : undefined);
    return { mode: 'Satellite', ...(url ? { satelliteUrl: url } : {}) };
  }
  return { mode: 'Direct' };
}

export function describeTransport(t: TransportSettings): string {
  if (t.mode === 'Proxy') return `Proxy ${t.proxyHost ?? '?'}:${t.proxyPort ?? '?'}`;
  if (t.mode === 'Satellite') return `Satellite ${t.satelliteUrl ?? '?'}`;
  return 'Direct';
}
