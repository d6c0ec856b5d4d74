/**
 * What `register` would do to one cluster, worked out before anything changes, by the same rules
 * the registration workflow applies (registration.ts): the product's own status, the license
 * mode decision (no interface sets a mode), the transport it would set, the token it would use
 * and whether the publisher is registered now. Read-only: it sends only the status read.
 *
 * A dry run foresees every refusal the run would give, by the same checks in the same order:
 * the type and version (SLMCT1015 / SLMCT1006: 11.x and below license through PLM), another VA
 * than the one assigned (SLMCT1007), the VA's rules (SLM1014, VA_ORDERED, SLMCT1006 for
 * HCS-LE), the product's status read, the license mode (MODE_CHANGE_NEEDED), and a product
 * registered now without force (ALREADY_REGISTERED). The first refusal is `blockedBy`.
 */
import { SmartlicError, toSmartlicError } from '../../errors.ts';
import type { LicenseMode } from '../../store/index.ts';
import { resolveVaRef } from '../virtual-accounts.service.ts';
import { resolveCluster } from './inventory.ts';
import { checkSmartEligibility } from '../../domain/versions.ts';
import { checkVaForCluster, licenseModeDecision } from './rules.ts';
import type { ClusterRef, ClustersServiceDeps } from './types.ts';

export interface RegistrationPlan {
  /** The steps in order, in words an operator reads. */
  steps: string[];
  /** The product reports it is registered now (a re-registration needs force). */
  registeredNow: boolean;
  /** `<domain>/<va>` the cluster would register to. */
  vaLabel: string;
  /** Why the registration would be refused, when it would be (the job records it). */
  blockedBy: SmartlicError | null;
}

const MODES: readonly LicenseMode[] = ['Enterprise', 'HCS', 'HCS-LE'];
const DAY = 86_400_000;

export async function planRegistration(
  deps: ClustersServiceDeps,
  ref: ClusterRef,
  opts: { va?: string; force: boolean; exportControlled: boolean },
): Promise<RegistrationPlan> {
  const { repos } = deps;
  const { cluster } = await resolveCluster(deps, ref);
  const steps: string[] = [];
  let blockedBy: SmartlicError | null = null;
  const refuse = (e: SmartlicError, step: string): void => {
    blockedBy ??= e;
    steps.push(`${step}: refused — ${e.code}: ${e.message}; ${e.action}`);
  };
  // The run checks the type and version first and stops there: nothing reaches the product.
  const eligible = checkSmartEligibility(cluster.type, cluster.version ?? '');
  if (!eligible.ok) {
    refuse(
      new SmartlicError({
        code: eligible.code,
        message: `${cluster.name}: ${eligible.message}`,
        action: eligible.action,
        details: { licensing: eligible.licensingModel ?? null },
      }),
      'type and version',
    );
  }
  let vaId = cluster.virtualAccountId;
  if (vaId === null) {
    if (!opts.va) {
      throw new SmartlicError({
        code: 'SLMCT1011',
        message: `${cluster.name} is not assigned to a virtual account`,
        action: 'assign it first (`smartlic cluster assign`), or pass --va <domain>/<va>',
      });
    }
    const target = await resolveVaRef(repos, opts.va);
    vaId = target.va.id;
    steps.push(`assign ${cluster.name} to ${target.account.domain}/${target.va.name}`);
  }
  const va = await repos.virtualAccounts.getById(vaId);
  const account = va && (await repos.smartAccounts.getById(va.smartAccountId));
  if (!va || !account) {
    throw new SmartlicError({
      code: 'NOT_FOUND',
      message: `the virtual account of ${cluster.name} is gone`,
      action: 'sync, then retry',
    });
  }
  const label = `${account.domain}/${va.name}`;
  if (opts.va && cluster.virtualAccountId !== null) {
    const want = await resolveVaRef(repos, opts.va);
    if (want.va.id !== cluster.virtualAccountId) {
      refuse(
        new SmartlicError({
          code: 'SLMCT1007',
          message: `${cluster.name} is already assigned to ${va.name}, not ${opts.va}`,
          action: 'unassign it first to move it, or register it where it is',
        }),
        'virtual account',
      );
    }
  }
  try {
    const operational =
      va.role === 'ordered' ? await repos.virtualAccounts.getOperational(account.id) : undefined;
    checkVaForCluster(cluster, account, va, operational ?? undefined);
  } catch (e) {
    const err = toSmartlicError(e);
    // The run checks SLM1014 here, before the product; the step says it below, with the mode.
    if (err.code === 'SLM1014') blockedBy ??= err;
    else refuse(err, `virtual account ${label}`);
  }
  let registeredNow = false;
  let wasRegistered = cluster.registeredAt !== null || cluster.registrationStatus === 'Registered';
  let productMode: LicenseMode | null = null;
  // No client is made for a release without smart licensing: the run never gets that far.
  const uc = eligible.ok ? await deps.ucFor(cluster) : undefined;
  const fromProduct = uc ? uc.statusSource === 'product' : cluster.type !== 'CER';
  if (!uc) {
    steps.unshift('the product is not asked: the run stops at its type and version');
  } else if (uc.statusSource === 'product') {
    try {
      const st = await uc.getStatus();
      const m = st.licenseMode?.trim().toLowerCase();
      productMode = MODES.find((x) => x.toLowerCase() === m) ?? null;
      registeredNow = st.registration.status === 'Registered';
      wasRegistered ||= registeredNow || st.registration.status === 'Registration Expired';
      steps.unshift(
        `the product reports: registration ${st.registration.status}${st.registration.virtualAccount ? ` (to ${st.registration.virtualAccount})` : ''}, license mode ${productMode ?? 'not shown by its entitlements'}`,
      );
      if (registeredNow && !opts.force) {
        // `cluster register` without --force stops here rather than re-register.
        blockedBy ??= new SmartlicError({
          code: 'ALREADY_REGISTERED',
          message: `${cluster.name} is registered now (to ${label}); nothing would be changed`,
          action: 'pass --force to re-register it (a new registration with a token), or leave it',
        });
      }
    } catch (e) {
      // The run's first step on the product is this same read: it would stop there too.
      const err = toSmartlicError(e);
      blockedBy ??= err;
      steps.unshift(
        `the product's status could not be read: refused — ${err.code}: ${err.message}; ${err.action ?? 'check the product, then retry'}`,
      );
    }
  } else {
    steps.unshift(
      'Emergency Responder reports nothing itself: its state will come from CSSM’s device list',
    );
  }
  if (va.licenseMode === null) {
    blockedBy ??= new SmartlicError({
      code: 'SLM1014',
      message: `${label} has no license mode`,
      action: 'set it with `smartlic va mode`',
    });
    steps.push('license mode: the VA has none (SLM1014: set it with `smartlic va mode`)');
  } else {
    const d = licenseModeDecision(cluster, productMode, va.licenseMode);
    if (d.kind === 'same') steps.push(`license mode: ${va.licenseMode} on both sides`);
    else if (d.kind === 'change-needed') {
      blockedBy ??= d.error;
      steps.push(`license mode: refused — ${d.error.message}; ${d.error.action}`);
    } else steps.push(`license mode: ${d.note}`);
  }
  const t = await deps.virtualAccounts.effectiveTransport(account, va);
  steps.push(
    !fromProduct
      ? `transport: not set (Emergency Responder has no interface for it); it should be ${t.mode}`
      : registeredNow
        ? 'transport: left unchanged (the product is registered; it refuses changes then)'
        : `transport: set to ${t.mode}${t.mode === 'Proxy' ? ` ${t.proxyHost ?? ''}:${t.proxyPort ?? ''}` : t.mode === 'Satellite' ? ` ${t.satelliteUrl ?? ''}` : ''}`,
  );
  const tok = await repos.tokens.findValid(va.id, {
    exportControlled: opts.exportControlled,
    minRemainingMs: DAY,
  });
  const kind = opts.exportControlled ? 'Allowed' : 'Not Allowed';
  steps.push(
    tok
      ? `token: use token ${tok.token.id} on file (${kind})`
      : `token: create one in ${label} (${kind})`,
  );
  steps.push(
    wasRegistered
      ? `register the publisher again (it ${registeredNow ? 'is registered now' : 'was registered before'})`
      : 'register the publisher',
  );
  steps.push(
    fromProduct
      ? 'read the status back and require Registered'
      : 'look the product instance up in CSSM’s device list',
  );
  return { steps, registeredNow, vaLabel: label, blockedBy };
}
