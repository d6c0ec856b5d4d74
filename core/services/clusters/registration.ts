/**
 * The registration workflow for one cluster (DOMAIN §7.4), with only the calls DOMAIN §4
 * names: read the product's status; check its license mode against the VA's (no call sets a
 * mode: a change that is really needed fails with the COP-file step); set and read back the
 * transport; get a token of the VA with the export-control choice asked for; register the
 * publisher (re-register when it is registered); read the status back and require
 * `Registered` in this VA. Emergency Responder registers through its admin form and is
 * confirmed by CSSM's device list, as it reports nothing itself.
 */
import { SmartlicError, toSmartlicError } from '../../errors.ts';
import type { Cluster, Job, LicenseMode, SmartAccount, VirtualAccount } from '../../store/index.ts';
import type {
  CerLicensingClient,
  ProductLicensingClient,
  UcTransportSettings,
} from '../../uc/uc.client.ts';
import type { JobHandle } from '../jobs.service.ts';
import { statusPatch } from '../cluster-status.ts';
import {
  describeTransport,
  notFound,
  resolveVaRef,
  vaLabel,
  type EffectiveTransport,
} from '../virtual-accounts.service.ts';
import { assignCluster, checkEligibility, checkVa } from './assignment.ts';
import { cerStatusPatch } from './cer-state.ts';
import { resolveCluster } from './inventory.ts';
import { cerInstance, leaseOfCluster, storeUsage } from './operations.ts';
import { isRegistered, licenseModeDecision, ucTransport } from './rules.ts';
import type { ClustersServiceDeps, RegisterInput } from './types.ts';

const MODES: readonly LicenseMode[] = ['Enterprise', 'HCS', 'HCS-LE'];

function reportedMode(v: string | undefined): LicenseMode | null {
  if (v === undefined) return null;
  const k = v.trim().toLowerCase();
  return MODES.find((m) => m.toLowerCase() === k) ?? null;
}

export async function registerCluster(
  deps: ClustersServiceDeps,
  input: RegisterInput,
): Promise<{ job: Job; cluster: Cluster }> {
  const { repos } = deps;
  let { cluster } = await resolveCluster(deps, input);
  if (input.va && cluster.virtualAccountId === null) {
    await assignCluster(deps, {
      cluster: cluster.name,
      customer: input.customer ?? (await repos.customers.getById(cluster.customerId))?.name,
      va: input.va,
      requestedBy: input.requestedBy,
      ...(input.auto ? { status: 'Auto Registration Inprogress' as const } : {}),
    });
    cluster = (await repos.clusters.getById(cluster.id))!;
  }
  const auto = input.auto === true;
  const { job } = await deps.jobs.run(
    {
      jobType: auto ? 'Auto Register Cluster' : 'Register Cluster',
      entityType: 'Cluster',
      entityName: cluster.name,
      entityId: cluster.id,
      description: `Register ${cluster.type} cluster ${cluster.name}${input.va ? ` to ${input.va}` : ''}`,
      requestedBy: input.requestedBy,
      details: { force: input.force === true, exportControlled: input.exportControlled === true },
      account: leaseOfCluster(deps, cluster.id),
    },
    (h) => doRegister(deps, cluster, input, h),
    (r) => r,
  );
  return { job, cluster: (await repos.clusters.getById(cluster.id))! };
}

async function doRegister(
  deps: ClustersServiceDeps,
  cluster: Cluster,
  input: RegisterInput,
  h: JobHandle,
): Promise<string> {
  const { repos } = deps;
  const auto = input.auto === true;
  await checkEligibility(deps, cluster);
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
  await checkVa(deps, cluster, account, va);
  const vaMode = va.licenseMode!;
  if (auto)
    await repos.clusters.updateStatus(cluster.id, { status: 'Auto Registration Inprogress' });
  try {
    const uc = await deps.ucFor(cluster);
    const transport = await deps.virtualAccounts.effectiveTransport(account, va);
    const message =
      uc.statusSource === 'product'
        ? await registerProduct(deps, uc, { cluster, account, va, vaMode, transport, input, h })
        : await registerCer(deps, uc, { cluster, account, va, vaMode, transport, input, h });
    await repos.clusters.updateStatus(cluster.id, {
      status: auto ? 'Auto Registered' : 'Manually Registered',
      registeredAt: deps.clock.now(),
    });
    return message;
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

interface Step {
  cluster: Cluster;
  account: SmartAccount;
  va: VirtualAccount;
  vaMode: LicenseMode;
  transport: EffectiveTransport;
  input: RegisterInput;
  h: JobHandle;
}

function transportColumns(t: EffectiveTransport) {
  return {
    transportMode: t.mode,
    transportUrl:
      t.mode === 'Satellite'
        ? (t.satelliteUrl ?? null)
        : t.mode === 'Proxy'
          ? `${t.proxyHost ?? ''}:${t.proxyPort ?? ''}`
          : null,
  };
}

function sameTransport(want: UcTransportSettings, got: UcTransportSettings): boolean {
  if (want.mode !== got.mode) return false;
  if (want.mode === 1) return (want.url ?? '') === (got.url ?? '');
  if (want.mode === 2)
    return (want.httpHost ?? '') === (got.httpHost ?? '') && want.httpPort === got.httpPort;
  return true;
}

async function token(deps: ClustersServiceDeps, s: Step) {
  await s.h.progress('Getting a registration token');
  return deps.tokens.getOrCreateValid(s.account, s.va, {
    exportControlled: s.input.exportControlled === true,
    requestedBy: s.input.requestedBy,
  });
}

async function registerProduct(
  deps: ClustersServiceDeps,
  uc: ProductLicensingClient,
  s: Step,
): Promise<string> {
  const { repos, clock } = deps;
  const { cluster, account, va, h } = s;
  await h.progress('Reading the current smart licensing status');
  const before = await uc.getStatus();
  const registeredNow = isRegistered(before.registration.status);
  const wasRegistered =
    registeredNow ||
    before.registration.status === 'Registration Expired' ||
    cluster.registeredAt !== null ||
    isRegistered(cluster.registrationStatus);

  const productMode = reportedMode(before.licenseMode);
  const mode = licenseModeDecision(cluster, productMode, s.vaMode);
  if (mode.kind === 'change-needed') throw mode.error;
  await h.progress(mode.kind === 'same' ? `License mode ${s.vaMode}, as the VA's` : mode.note);

  if (registeredNow) {
    // The application refuses transport changes while registered (CAA1041).
    await h.progress('Transport left unchanged: the product is registered');
  } else {
    const want = ucTransport(s.transport);
    await h.progress(`Setting the transport to ${describeTransport(s.transport)}`);
    await uc.setTransport(want);
    const got = await uc.getTransport();
    if (!sameTransport(want, got)) {
      throw new SmartlicError({
        code: 'CAA1041',
        message: `${cluster.name} reports transport mode ${got.mode} after it was set to ${want.mode}`,
        action: "check the application's smart licensing transport settings, then retry",
      });
    }
  }

  const tok = await token(deps, s);
  if (registeredNow) {
    await h.progress('Re-registering the publisher with the new token');
    await uc.reRegister(tok.value);
  } else {
    const force = s.input.force === true || wasRegistered;
    await h.progress(`Registering the publisher${force ? ' (force)' : ''}`);
    await uc.register(tok.value, force);
  }

  await h.progress('Reading the status back');
  const after = await uc.getStatus();
  const now = clock.now();
  await repos.clusters.updateStatus(cluster.id, {
    ...statusPatch(after, cluster, now),
    ...transportColumns(s.transport),
    // The product's own mode when it reports one, else the VA's (DOMAIN §7: 12.x+ needs none).
    licenseMode: reportedMode(after.licenseMode) ?? s.vaMode,
    licensing: 'Smart',
  });
  await storeUsage(deps, cluster.id, after, now);
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
  return `Registered to ${vaLabel(account, va)} with token ${tok.created ? 'created now' : 'on file'}; authorization ${after.authorization.status}.`;
}

async function registerCer(
  deps: ClustersServiceDeps,
  uc: CerLicensingClient,
  s: Step,
): Promise<string> {
  const { repos, clock } = deps;
  const { cluster, account, va, h } = s;
  // No interface reads or sets CER's mode or transport: say what they should be.
  await h.progress(
    `Emergency Responder has no interface for its license mode or transport: they stay as set on its admin pages (the VA is ${s.vaMode}; its transport should be ${describeTransport(s.transport)})`,
  );
  const tok = await token(deps, s);
  await h.progress('Registering through the administration form');
  await uc.register(tok.value, true);
  await h.progress("Looking for the product instance in CSSM's device list");
  const { instance, instanceName } = await cerInstance(deps, cluster, account, va);
  const now = clock.now();
  await repos.clusters.updateStatus(cluster.id, {
    ...cerStatusPatch(instance, cluster, now),
    ...transportColumns(s.transport),
    licenseMode: s.vaMode,
    licensing: 'Smart',
  });
  if (!instance || !isRegistered(instance.registrationStatus ?? 'Registered')) {
    throw new SmartlicError({
      code: 'CAA1081',
      message: `Emergency Responder ${cluster.name} took the registration form, but CSSM does not list its product instance ${instanceName} as registered in ${vaLabel(account, va)}; the result is unverified on the product, which has no status interface`,
      action:
        "check Emergency Responder's license page and its transport, then sync; CSSM may also list it under another instance name (set --publisher-hostname)",
    });
  }
  return `Registered to ${vaLabel(account, va)} with token ${tok.created ? 'created now' : 'on file'}; confirmed by CSSM's device list (${instanceName}), not by the product.`;
}
