/**
 * What `register` would do to one cluster, worked out before anything changes, by the same rules
 * the registration workflow applies (registration.ts): the product's own status, the license
 * mode decision (no interface sets a mode), the transport it would set, the token it would use
 * and whether the publisher is registered now. Read-only: it sends only the status read.
 */
import { SmartlicError, toSmartlicError } from '../../errors.ts';
import type { LicenseMode } from '../../store/index.ts';
import { resolveVaRef } from '../virtual-accounts.service.ts';
import { resolveCluster } from './inventory.ts';
import { licenseModeDecision } from './rules.ts';
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
  let registeredNow = false;
  let wasRegistered = cluster.registeredAt !== null || cluster.registrationStatus === 'Registered';
  let productMode: LicenseMode | null = null;
  const uc = await deps.ucFor(cluster);
  if (uc.statusSource === 'product') {
    try {
      const st = await uc.getStatus();
      const m = st.licenseMode?.trim().toLowerCase();
      productMode = MODES.find((x) => x.toLowerCase() === m) ?? null;
      registeredNow = st.registration.status === 'Registered';
      wasRegistered ||= registeredNow || st.registration.status === 'Registration Expired';
      steps.unshift(
        `the product reports: registration ${st.registration.status}${st.registration.virtualAccount ? ` (to ${st.registration.virtualAccount})` : ''}, license mode ${productMode ?? 'not reported'}`,
      );
    } catch (e) {
      steps.unshift(
        `the product's status could not be read (${toSmartlicError(e).code}); the registration will try anyway`,
      );
    }
  } else {
    steps.unshift(
      'Emergency Responder reports nothing itself: its state will come from CSSM’s device list',
    );
  }
  let blockedBy: SmartlicError | null = null;
  if (va.licenseMode === null) {
    blockedBy = new SmartlicError({
      code: 'SLM1014',
      message: `${label} has no license mode`,
      action: 'set it with `smartlic va mode`',
    });
    steps.push('license mode: the VA has none (SLM1014: set it with `smartlic va mode`)');
  } else {
    const d = licenseModeDecision(cluster, productMode, va.licenseMode);
    if (d.kind === 'same') steps.push(`license mode: ${va.licenseMode} on both sides`);
    else if (d.kind === 'change-needed') {
      blockedBy = d.error;
      steps.push(`license mode: refused — ${d.error.message}; ${d.error.action}`);
    } else steps.push(`license mode: ${d.note}`);
  }
  const t = await deps.virtualAccounts.effectiveTransport(account, va);
  steps.push(
    uc.statusSource !== 'product'
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
    uc.statusSource === 'product'
      ? 'read the status back and require Registered'
      : 'look the product instance up in CSSM’s device list',
  );
  return { steps, registeredNow, vaLabel: label, blockedBy };
}
