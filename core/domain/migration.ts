/**
 * Migration planner (DOMAIN §7 Migrations): for one cluster, the ordered steps to move between
 * Enterprise and HCS license mode or from PLM (classic PAK licensing) to smart licensing, what
 * blocks it, and the effect on the target virtual account's allocation. A plan only: nothing is
 * changed.
 */
import {
  allocate,
  type AllocationResult,
  type Entitlement,
  type LicenseRequest,
} from './allocation.ts';
import type { LicenseTypeId, RequestMode } from './catalog.ts';
import {
  checkSmartEligibility,
  hcsLeSupported,
  isSmartLicensingAppType,
  licensingModelFor,
  tryParseUcVersion,
} from './versions.ts';

export type LicenseMode = 'Enterprise' | 'HCS' | 'HCS-LE';
export type MigrationTarget = 'HCS' | 'Enterprise' | 'Smart';

/** COP files Cisco names for mode changes on clusters below 12.x [doc]. */
export const COP_FILES = {
  HCS: { file: 'ciscocm.HCSMode_P0029-2.cop.sgn', laterName: 'ciscocm.HCSMode_v4.cop.sgn' },
  Enterprise: {
    file: 'ciscocm.EnterpriseMode_P0030-2.cop.sgn',
    laterName: 'ciscocm.EnterpriseMode_v4.cop.sgn',
  },
} as const;

export interface ClusterFacts {
  name: string;
  /** CUCM, CUC or CER; anything else is reported (SLMCT1015). */
  type: string;
  version: string;
  /** The mode the product reported; `unknown` when it never did (nothing is guessed). */
  licenseMode: LicenseMode | 'unknown';
  /** Registered to CSSM or a satellite now. */
  registered: boolean;
  /** The VA the cluster is assigned to now, if any. */
  virtualAccount?: string;
  /** Whether a standalone or co-resident PLM serves this cluster (below 12.x). */
  hasPlm?: boolean;
  /** License demand as the application counts it (Enterprise type ids). */
  demand: { type: LicenseTypeId; count: number }[];
}

export interface TargetVirtualAccount {
  name: string;
  /** The VA's license mode in smartlic (CSSM has no such field); undefined = not set. */
  licenseMode?: LicenseMode;
  /** Clusters other than this one assigned to the VA. */
  assignedClusters: number;
  entitlements: Entitlement[];
  /** Demand of every other product drawing on the VA. */
  otherRequests: LicenseRequest[];
}

export type StepTarget = 'publisher' | 'plm' | 'cssm' | 'smartlic' | 'lrp';

export interface MigrationStep {
  order: number;
  /** Machine-readable action name, stable across releases. */
  action: string;
  title: string;
  detail: string;
  on: StepTarget;
  requiresReboot: boolean;
  requiresToken: boolean;
}

export interface MigrationBlocker {
  code: string;
  message: string;
  action: string;
}

export interface AllocationEffect {
  virtualAccount: string;
  before: AllocationResult;
  after: AllocationResult;
  /** Shortages after the change minus those before, per type (only increases). */
  newShortages: { type: LicenseTypeId; quantity: number }[];
  /** Shortages that the change removes. */
  resolvedShortages: { type: LicenseTypeId; quantity: number }[];
}

export interface MigrationPlan {
  cluster: string;
  target: MigrationTarget;
  from: {
    licenseMode: LicenseMode | 'unknown';
    licensing: 'PLM' | 'Smart' | 'unknown';
    version: string;
  };
  /** False when a blocker stops the plan; the steps then show what would follow once cleared. */
  feasible: boolean;
  /** True when the cluster is already where the target puts it. */
  nothingToDo: boolean;
  blockers: MigrationBlocker[];
  steps: MigrationStep[];
  notes: string[];
  allocation?: AllocationEffect;
}

export interface PlanOptions {
  /** For PLM → Smart: the release the cluster will be upgraded to (must be 12.x or later). */
  targetVersion?: string;
  /** The VA the cluster will draw on after the change (for the allocation effect and mode rules). */
  targetVa?: TargetVirtualAccount;
  /** For mode changes on 12.x+: HCS-LE instead of HCS (gone from 14(1)SU1 / 12.5(1)SU7). */
  hcsLe?: boolean;
}

/** The ordered steps and effects of moving one cluster to `target`; pure, changes nothing. */
export function planClusterMigration(
  cluster: ClusterFacts,
  target: MigrationTarget,
  opts: PlanOptions = {},
): MigrationPlan {
  const blockers: MigrationBlocker[] = [];
  const notes: string[] = [];
  const steps: Omit<MigrationStep, 'order'>[] = [];
  const parsed = tryParseUcVersion(cluster.version);
  const licensing = parsed.ok ? licensingModelFor(parsed.version) : 'unknown';
  const plan = (nothingToDo = false): MigrationPlan => ({
    cluster: cluster.name,
    target,
    from: { licenseMode: cluster.licenseMode, licensing, version: cluster.version },
    feasible: blockers.length === 0,
    nothingToDo,
    blockers,
    steps: steps.map((s, i) => ({ ...s, order: i + 1 })),
    notes,
    ...(opts.targetVa ? { allocation: allocationEffect(cluster, target, licensing, opts) } : {}),
  });

  if (!isSmartLicensingAppType(cluster.type)) {
    blockers.push({
      code: 'SLMCT1015',
      message: `${cluster.name}: application type "${cluster.type}" is not supported for smart licensing`,
      action:
        'only Unified CM (CUCM), Unity Connection (CUC) and Emergency Responder (CER) can be migrated',
    });
    return plan();
  }
  if (!parsed.ok) {
    blockers.push({
      code: 'SLMCT1006',
      message: parsed.error.message,
      action: 'correct the cluster version, then sync',
    });
    return plan();
  }

  if (target === 'Smart') {
    planPlmToSmart(cluster, licensing, opts, steps, blockers, notes);
    return plan(licensing === 'Smart' && cluster.registered);
  }

  const wanted: LicenseMode = target === 'HCS' && opts.hcsLe ? 'HCS-LE' : target;
  if (cluster.licenseMode === wanted) {
    notes.push(`${cluster.name} is already in ${wanted} mode.`);
    return plan(true);
  }
  if (wanted === 'HCS-LE' && !hcsLeSupported(parsed.version)) {
    blockers.push({
      code: 'SLMCT1006',
      message: `${cluster.name} runs ${cluster.version}: HCS-LE mode is gone from CUCM 14(1)SU1 and 12.5(1)SU7`,
      action: 'migrate to HCS mode instead',
    });
  }

  if (licensing === 'PLM') {
    const cop = COP_FILES[target === 'HCS' ? 'HCS' : 'Enterprise'];
    steps.push({
      action: 'backup',
      title: 'Back up the cluster',
      detail: `Take a DRS backup of ${cluster.name} before changing its license mode.`,
      on: 'publisher',
      requiresReboot: false,
      requiresToken: false,
    });
    steps.push({
      action: 'install-cop',
      title: `Install ${cop.file} on the publisher`,
      detail: `Install ${cop.file} (later guides name it ${cop.laterName}) on the publisher of ${cluster.name} from the OS administration page or the CLI; restart the publisher as the COP file's readme asks.`,
      on: 'publisher',
      requiresReboot: true,
      requiresToken: false,
    });
    if (cluster.hasPlm) {
      steps.push({
        action: 'install-cop-plm',
        title: `Install ${cop.file} on the Prime License Manager`,
        detail: 'The standalone or co-resident PLM serving this cluster needs the same COP file.',
        on: 'plm',
        requiresReboot: true,
        requiresToken: false,
      });
    }
    steps.push({
      action: 'verify-plm',
      title: 'Synchronise PLM and check the license mode',
      detail: `Run a license synchronisation in PLM and confirm ${cluster.name} reports ${target} mode.`,
      on: 'plm',
      requiresReboot: false,
      requiresToken: false,
    });
    notes.push(
      `${cluster.name} (${cluster.version}) is licensed through PLM; smart licensing needs 12.x or later (plan target "Smart").`,
    );
    return plan();
  }

  // 12.x and later: licenses need no migration (DOMAIN §6 rule 5).
  notes.push(
    'No license migration is needed on 12.x and later: Flex Hosted licenses serve Enterprise- and HCS-mode applications, and dual parenting lets Enterprise-mode applications draw the mapped HCS licenses.',
  );
  vaModeSteps(cluster, wanted, opts.targetVa, steps, blockers);
  steps.push({
    action: 'set-app-mode',
    title: `Set ${cluster.name} to ${wanted} mode`,
    detail:
      cluster.licenseMode === 'Enterprise'
        ? 'Switching from Enterprise mode restarts the publisher (auto-registration does the same).'
        : cluster.licenseMode === 'unknown'
          ? 'The product has not reported its license mode yet (a sync reads it): if it is in Enterprise mode, the switch restarts the publisher.'
          : 'The publisher applies the new license mode.',
    on: 'publisher',
    requiresReboot: cluster.licenseMode === 'Enterprise' || cluster.licenseMode === 'unknown',
    requiresToken: false,
  });
  registerSteps(cluster, steps);
  return plan();
}

function vaModeSteps(
  cluster: ClusterFacts,
  wanted: LicenseMode,
  va: TargetVirtualAccount | undefined,
  steps: Omit<MigrationStep, 'order'>[],
  blockers: MigrationBlocker[],
): void {
  if (cluster.registered || cluster.virtualAccount) {
    steps.push({
      action: 'deregister',
      title: `Deregister and unassign ${cluster.name}`,
      detail: `Deregister the publisher from ${cluster.virtualAccount ?? 'its virtual account'} and unassign the cluster; a VA's license mode and transport can change only while no cluster is assigned.`,
      on: 'smartlic',
      requiresReboot: false,
      requiresToken: false,
    });
  }
  if (!va) return;
  if (va.licenseMode === wanted) return;
  if (va.assignedClusters > 0) {
    blockers.push({
      code: 'SLM1014',
      message: `VA ${va.name} is in ${va.licenseMode ?? 'no'} license mode and still has ${va.assignedClusters} other cluster(s) assigned; its mode can change only while none is assigned`,
      action: `choose a VA already in ${wanted} mode, or unassign its clusters first`,
    });
  }
  steps.push({
    action: 'set-va-mode',
    title: `Set VA ${va.name} to ${wanted} mode`,
    detail: 'smartlic keeps the license mode of a VA (CSSM has no such field).',
    on: 'smartlic',
    requiresReboot: false,
    requiresToken: false,
  });
}

function registerSteps(cluster: ClusterFacts, steps: Omit<MigrationStep, 'order'>[]): void {
  steps.push(
    {
      action: 'assign',
      title: `Assign ${cluster.name} to the target VA`,
      detail: 'Assign the cluster to the operational VA it will draw licenses from.',
      on: 'smartlic',
      requiresReboot: false,
      requiresToken: false,
    },
    {
      action: 'set-transport',
      title: 'Set the transport on the publisher',
      detail:
        'Direct, Proxy (the proxy must be set at customer and cluster level too) or Satellite.',
      on: 'publisher',
      requiresReboot: false,
      requiresToken: false,
    },
    {
      action: 'token',
      title: 'Get or create a registration token',
      detail: 'A valid token of the target VA; export-controlled when the cluster runs mixed mode.',
      on: 'cssm',
      requiresReboot: false,
      requiresToken: true,
    },
    {
      action: 'register',
      title: `Register the publisher of ${cluster.name}`,
      detail:
        'Register with the token (force when it was registered before), then read the status back.',
      on: 'publisher',
      requiresReboot: false,
      requiresToken: true,
    },
    {
      action: 'verify',
      title: 'Sync and verify authorization',
      detail: 'Sync with CSSM and check the cluster is Registered and Authorized with no shortage.',
      on: 'smartlic',
      requiresReboot: false,
      requiresToken: false,
    },
  );
}

function planPlmToSmart(
  cluster: ClusterFacts,
  licensing: 'PLM' | 'Smart' | 'unknown',
  opts: PlanOptions,
  steps: Omit<MigrationStep, 'order'>[],
  blockers: MigrationBlocker[],
  notes: string[],
): void {
  if (licensing === 'Smart') {
    if (cluster.registered) {
      notes.push(
        `${cluster.name} (${cluster.version}) already uses smart licensing and is registered.`,
      );
      return;
    }
    notes.push(
      `${cluster.name} (${cluster.version}) already runs a smart-licensing release; it only needs registering.`,
    );
    vaModeSteps(cluster, keptMode(cluster, opts.targetVa), opts.targetVa, steps, blockers);
    registerSteps(cluster, steps);
    return;
  }
  steps.push({
    action: 'convert-licenses',
    title: 'Convert classic licenses to smart entitlements',
    detail:
      'In the License Registration Portal or CSSM, convert the PAK/PLM licenses that have a smart equivalent; Cisco moves the entitlements to the customer’s smart account.',
    on: 'lrp',
    requiresReboot: false,
    requiresToken: false,
  });
  const tv = opts.targetVersion;
  if (!tv) {
    blockers.push({
      code: 'SLMCT1006',
      message: `${cluster.name} runs ${cluster.version}, licensed through PLM; smart licensing needs an upgrade to 12.x or later`,
      action: 'give the target release (e.g. --target-version 15.0.1.10000-32) to plan the upgrade',
    });
  } else {
    const ok = checkSmartEligibility(cluster.type, tv);
    if (!ok.ok) blockers.push({ code: ok.code, message: ok.message, action: ok.action });
  }
  steps.push({
    action: 'upgrade',
    title: `Upgrade ${cluster.name} to ${tv ?? 'a 12.x or later release'}`,
    detail: 'Install the smart-licensing release of the software on every node, publisher first.',
    on: 'publisher',
    requiresReboot: true,
    requiresToken: false,
  });
  vaModeSteps(
    { ...cluster, registered: false },
    keptMode(cluster, opts.targetVa),
    opts.targetVa,
    steps,
    blockers,
  );
  registerSteps(cluster, steps);
  notes.push('Until it registers, the upgraded cluster runs in its 90-day evaluation period.');
}

function requestsOf(cluster: ClusterFacts, mode: RequestMode): LicenseRequest[] {
  return cluster.demand
    .filter((d) => d.count > 0)
    .map((d) => ({ id: `${cluster.name}:${d.type}`, type: d.type, count: d.count, mode }));
}

// A mode the product never reported counts as Enterprise: that is how the app counts demand.
const modeOf = (m: LicenseMode | 'unknown'): RequestMode =>
  m === 'Enterprise' || m === 'unknown' ? 'Enterprise' : 'HCS';

/** The mode a smart-licensing step keeps: the reported one, else the target VA's. */
function keptMode(cluster: ClusterFacts, va: TargetVirtualAccount | undefined): LicenseMode {
  return cluster.licenseMode !== 'unknown'
    ? cluster.licenseMode
    : (va?.licenseMode ?? 'Enterprise');
}

function allocationEffect(
  cluster: ClusterFacts,
  target: MigrationTarget,
  licensing: 'PLM' | 'Smart' | 'unknown',
  opts: PlanOptions,
): AllocationEffect {
  const va = opts.targetVa!;
  const r = requestChange(cluster, target, licensing, va.name);
  return effectOf(va, r.before, r.after);
}

/** What one cluster asks of the VA `vaName` before and after moving to `target`. */
function requestChange(
  cluster: ClusterFacts,
  target: MigrationTarget,
  licensing: 'PLM' | 'Smart' | 'unknown',
  vaName: string,
): { before: LicenseRequest[]; after: LicenseRequest[] } {
  // Draws on the target VA now only when it is assigned there and licensed through CSSM.
  const drawsNow = licensing === 'Smart' && cluster.registered && cluster.virtualAccount === vaName;
  const before = drawsNow ? requestsOf(cluster, modeOf(cluster.licenseMode)) : [];
  const afterMode: RequestMode =
    target === 'Smart' ? modeOf(cluster.licenseMode) : target === 'HCS' ? 'HCS' : 'Enterprise';
  // A PLM cluster that only changes mode stays on PLM and draws nothing from the VA.
  const after = target !== 'Smart' && licensing === 'PLM' ? [] : requestsOf(cluster, afterMode);
  return { before, after };
}

function effectOf(
  va: TargetVirtualAccount,
  beforeReq: LicenseRequest[],
  afterReq: LicenseRequest[],
): AllocationEffect {
  const before = allocate({
    entitlements: va.entitlements,
    requests: [...va.otherRequests, ...beforeReq],
  });
  const after = allocate({
    entitlements: va.entitlements,
    requests: [...va.otherRequests, ...afterReq],
  });
  const diff = (a: AllocationResult, b: AllocationResult) => {
    const prev = new Map(a.shortages.map((s) => [s.type, s.quantity]));
    return b.shortages
      .map((s) => ({ type: s.type, quantity: s.quantity - (prev.get(s.type) ?? 0) }))
      .filter((s) => s.quantity > 0);
  };
  return {
    virtualAccount: va.name,
    before,
    after,
    newShortages: diff(before, after),
    resolvedShortages: diff(after, before),
  };
}

/**
 * The allocation effect on one VA of several clusters moving together (a customer's plan):
 * `va.otherRequests` must leave out every cluster in `changes`. Pure, like the planner.
 */
export function combinedAllocationEffect(
  va: TargetVirtualAccount,
  changes: readonly { cluster: ClusterFacts; target: MigrationTarget }[],
): AllocationEffect {
  const before: LicenseRequest[] = [];
  const after: LicenseRequest[] = [];
  for (const { cluster, target } of changes) {
    const parsed = tryParseUcVersion(cluster.version);
    const licensing = parsed.ok ? licensingModelFor(parsed.version) : 'unknown';
    const r = requestChange(cluster, target, licensing, va.name);
    before.push(...r.before);
    after.push(...r.after);
  }
  return effectOf(va, before, after);
}
