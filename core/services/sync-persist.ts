/**
 * The write of a sync: everything read, in ONE SQLite transaction per account (the caller
 * opens it), with a usage snapshot per VA and license type. What the operator set is never
 * deleted because a listing lacked it: a VA CSSM no longer lists is marked missing and keeps
 * its settings; only `sync.removeMissingAfterSyncs` agreeing syncs remove it.
 */
import type { CssmLicense, CssmToken, CssmVirtualAccount } from '../cssm/cssm.dto.ts';
import { findLicenseType } from '../domain/catalog.ts';
import {
  hashSecret,
  type ClusterStatusPatch,
  type DeviceInput,
  type LicenseInput,
  type LicenseSubstitution,
  type Repositories,
  type SmartAccount,
  type UsagePoint,
} from '../store/index.ts';
import type { LicenseDetailType } from '../store/schema.ts';
import { clusterUsage, readFailurePatch, statusPatch } from './cluster-status.ts';
import { cerStatusPatches } from './clusters/cer-state.ts';
import { shortageOf } from '../domain/compliance.ts';
import type { Fetched } from './sync-fetch.ts';
import { parseState, type SyncState } from './sync-incremental.ts';
import type { SyncContext, SyncOutcome } from './sync-types.ts';
import { tokenFacts } from './token-policy.ts';

export async function write(
  d: SyncContext,
  r: Repositories,
  sa: SmartAccount,
  f: Fetched,
  created: { vaName: string; token: CssmToken }[],
  outcome: SyncOutcome,
  now: Date,
  fp: string,
  deep: boolean,
): Promise<void> {
  // Whether this write changed anything a page or read model shows of the account (its
  // `data_version`, which the site's incremental build trusts): CSSM data rewritten, tokens or
  // devices re-read, a VA missing or removed, a cluster's status or usage written. Not: the
  // sync's own time, its incremental state, a usage point repeated ("the same again at t");
  // the readers that show those read them whole. A re-read is counted as a change even when it
  // found the same rows: proving "the same" would cost what the re-read saved.
  let shown = false;
  if (f.accountInfo) {
    shown = true;
    await r.smartAccounts.upsert({
      domain: sa.domain,
      name: sa.name === sa.domain ? f.accountInfo.name : sa.name,
      type: f.accountInfo.type,
      status: f.accountInfo.status,
    });
  }
  // An unchanged VA list and license answer (same fingerprint) need no rewrite: only the
  // usage snapshot is appended. vaIds holds the VAs CSSM listed, and only those.
  const unchanged = !outcome.changed;
  if (!unchanged) shown = true;
  const vaIds = new Map<string, number>();
  const listed = new Set(f.vas.map((v) => v.name));
  if (unchanged) {
    for (const v of f.storedVas ?? (await r.virtualAccounts.listBySmartAccount(sa.id))) {
      if (listed.has(v.name) && v.missingSince === null) vaIds.set(v.name, v.id);
    }
  }
  if (!unchanged || f.vas.some((v) => !vaIds.has(v.name))) {
    for (const v of f.vas) {
      const row = await r.virtualAccounts.upsert(sa.id, {
        name: v.name,
        description: v.description ?? null,
        isDefault: v.isDefault,
        commerceAccessLevel: v.commerceAccessLevel ?? null,
      });
      vaIds.set(v.name, row.id);
    }
  }
  // A VA the list lacks keeps everything (operator settings, licenses, tokens, devices) and
  // is marked missing; only N consecutive agreeing syncs remove it, its history kept.
  const missing = await r.virtualAccounts.markMissing(sa.id, [...listed], now);
  if (missing.length > 0) shown = true;
  const removeAfter = d.config.sync.removeMissingAfterSyncs;
  for (const v of missing) {
    if (removeAfter > 0 && v.missingSyncs >= removeAfter) {
      await r.virtualAccounts.remove(v.id, now);
      outcome.removed.push(v.name);
    } else {
      outcome.missing.push({ name: v.name, since: v.missingSince ?? now, syncs: v.missingSyncs });
    }
  }
  outcome.counts.virtualAccounts = f.vas.length;

  // Licenses, substitutions and the usage snapshot, per VA.
  const byVa = groupByVa(f.licenses, f.vas, (l) => l.virtualAccount);
  const snapshots: { virtualAccountId: number; points: UsagePoint[] }[] = [];
  // Every VA's licenses in one replace (a handful of statements for the whole account).
  const replaced: {
    virtualAccountId: number;
    licenses: LicenseInput[];
    substitutions: LicenseSubstitution[];
  }[] = [];
  for (const [name, id] of vaIds) {
    const { licenses, substitutions } = toLicenseInputs(byVa.get(name) ?? []);
    if (!unchanged) replaced.push({ virtualAccountId: id, licenses, substitutions });
    const points: UsagePoint[] = licenses.map((l) => ({
      licenseType: l.licenseType,
      quantity: l.quantity,
      inUse: l.inUse,
      available: l.available,
      shortage: shortageOf(l),
    }));
    snapshots.push({ virtualAccountId: id, points });
    outcome.counts.licenses += licenses.length;
    outcome.counts.snapshots += points.length;
  }
  await r.licenses.replaceForVirtualAccounts(replaced);
  await r.usageSnapshots.record(snapshots, now);

  // Tokens: what CSSM listed, plus the ones this sync created.
  const storeToken = async (vaId: number, t: CssmToken) => {
    const facts = tokenFacts(t, now);
    await r.tokens.store({
      virtualAccountId: vaId,
      token: t.token,
      description: t.description ?? null,
      expiresAt: t.expirationDate,
      exportControlled: facts.exportControlled,
      createdBy: t.createdBy ?? null,
      status: facts.status,
    });
  };
  if (created.length > 0 || f.tokens) shown = true;
  for (const c of created) {
    const id = vaIds.get(c.vaName);
    if (id !== undefined) await storeToken(id, c.token);
  }
  if (f.tokens) {
    for (const [name, list] of f.tokens) {
      const id = vaIds.get(name);
      if (id === undefined) continue;
      for (const t of list) await storeToken(id, t);
      // Tokens CSSM no longer lists for the VA (revoked or removed in the portal) are marked
      // gone; the ones this sync just created count as listed.
      const listed = [...list, ...created.filter((c) => c.vaName === name).map((c) => c.token)];
      await r.tokens.markGone(
        id,
        listed.map((t) => hashSecret(t.token)),
        now,
      );
    }
  }
  if ((await r.tokens.markExpired(now)) > 0) shown = true;
  const prevText =
    'syncStateText' in f ? f.syncStateText : await r.smartAccounts.getSyncState(sa.id);
  const prev = parseState(prevText);
  if (!f.tokens && created.length === 0 && prev?.tokens !== undefined) {
    outcome.counts.tokens = prev.tokens;
  } else {
    outcome.counts.tokens = await r.tokens.countActiveBySmartAccount(sa.id);
  }

  // Devices, grouped by VA; a device without a VA name belongs to the only VA, if one.
  if (f.devices) {
    shown = true;
    const groups = new Map<number, Map<string, DeviceInput>>();
    for (const id of vaIds.values()) groups.set(id, new Map());
    for (const [name, list] of groupByVa(f.devices, f.vas, (d) => d.virtualAccount)) {
      const id = vaIds.get(name);
      if (id === undefined) continue;
      for (const dv of list)
        groups.get(id)!.set(`${dv.udiPid}|${dv.udiSerialNumber}`, {
          instanceName: dv.instanceName ?? `${dv.udiPid}:${dv.udiSerialNumber}`,
          productTag: dv.productTagName ?? null,
          udiPid: dv.udiPid,
          udiSerial: dv.udiSerialNumber,
          registrationStatus: dv.registrationStatus ?? null,
          authorizationStatus: dv.authorizationStatus ?? null,
          lastContactAt: dv.lastContactDate,
        });
    }
    for (const [id, m] of groups) {
      await r.devices.replaceForVirtualAccount(id, [...m.values()]);
      outcome.counts.devices += m.size;
    }
  } else if (prev?.devices !== undefined) {
    outcome.counts.devices = prev.devices;
  } else {
    for (const id of vaIds.values()) {
      outcome.counts.devices += (await r.devices.listByVirtualAccount(id)).length;
    }
  }

  // Clusters read in this sync, all in one statement each for status and usage.
  const patches: { id: number; patch: ClusterStatusPatch }[] = [];
  const usage: { clusterId: number; usage: ReturnType<typeof clusterUsage> }[] = [];
  for (const [clusterId, st] of f.clusterStatus) {
    const prev = f.clusters.get(clusterId);
    if (!prev) continue;
    patches.push({ id: clusterId, patch: statusPatch(st, prev, now) });
    usage.push({ clusterId, usage: clusterUsage(st) });
  }
  for (const e of outcome.clusterErrors) {
    if (e.clusterId !== undefined)
      patches.push({ id: e.clusterId, patch: readFailurePatch(e, now) });
  }
  if (patches.length > 0 || usage.length > 0) shown = true;
  await r.clusters.updateStatusMany(patches);
  await r.clusters.replaceLicenseUsageMany(usage, now);
  // Emergency Responder: what CSSM's device list (just stored) shows for its instance.
  // Re-derived only when the device list was read again (an unchanged one changes nothing).
  if (f.devices) {
    const cers = await r.clusters.list({ smartAccountId: sa.id, type: 'CER' });
    const cer = await cerStatusPatches(r, cers, now);
    await r.clusters.updateStatusMany(cer);
    outcome.counts.clustersRead += cer.length;
  }

  // Satellite: its link to CSSM.
  if (sa.source === 'satellite' && sa.localAccountName) {
    // Keyed by (host, name): keep the host the account was provisioned with.
    const existing = f.storedLocalAccount
      ? f.storedLocalAccount.row
      : await r.localAccounts.getBySmartAccount(sa.id);
    const host =
      existing?.satelliteHost ??
      sa.satelliteHost ??
      f.satellite?.host ??
      hostOf(sa.apiBase) ??
      'satellite';
    // Unchanged (the usual re-sync: the status was not even asked): nothing to write.
    const same =
      existing !== undefined &&
      existing.name === sa.localAccountName &&
      existing.satelliteHost === host &&
      (!f.satellite?.syncMode || existing.syncMode === f.satellite.syncMode) &&
      (!f.satellite ||
        (existing.lastCssmSyncAt?.getTime() ?? null) === (f.satellite.lastSync?.getTime() ?? null));
    if (!same) {
      shown = true;
      await r.localAccounts.upsert({
        name: sa.localAccountName,
        satelliteHost: host,
        smartAccountId: sa.id,
        ...(f.satellite?.syncMode ? { syncMode: f.satellite.syncMode } : {}),
        ...(f.satellite ? { lastCssmSyncAt: f.satellite.lastSync } : {}),
      });
    }
  }

  const fullRead = deep || (f.tokens !== undefined && f.devices !== undefined);
  const next: SyncState = {
    v: 1,
    fingerprint: fp,
    deepReadAt: fullRead ? now.toISOString() : (prev?.deepReadAt ?? now.toISOString()),
    tokens: outcome.counts.tokens,
    devices: outcome.counts.devices,
  };
  const nextText = JSON.stringify(next);
  if (nextText !== prevText) await r.smartAccounts.setSyncState(sa.id, nextText);
  await r.smartAccounts.updateSyncStatus(sa.id, {
    at: now,
    status: 'Success',
    error: null,
    dataChanged: shown,
  });
}

/**
 * Records by the listed VA they name; a record without a VA name belongs to the only VA, if
 * there is one. Records naming a VA the list lacks are left out (the guard reports them).
 */
export function groupByVa<T>(
  records: readonly T[],
  vas: CssmVirtualAccount[],
  vaOf: (r: T) => string | undefined,
): Map<string, T[]> {
  const listed = new Set(vas.map((v) => v.name));
  const sole = soleVa(vas);
  const out = new Map<string, T[]>();
  for (const rec of records) {
    const named = vaOf(rec);
    const name = named ? (listed.has(named) ? named : undefined) : sole;
    if (name === undefined) continue;
    (out.get(name) ?? out.set(name, []).get(name)!).push(rec);
  }
  return out;
}

function soleVa(vas: CssmVirtualAccount[]): string | undefined {
  return vas.length === 1 ? vas[0]!.name : undefined;
}

function hostOf(url: string | null): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

const DETAIL_TYPES = new Set<LicenseDetailType>(['TERM', 'PERPETUAL', 'DEMO', 'STANDARD']);

/** CSSM license records → rows; records with the same license name are merged. */
export function toLicenseInputs(records: CssmLicense[]): {
  licenses: LicenseInput[];
  substitutions: LicenseSubstitution[];
} {
  const byType = new Map<string, LicenseInput & { details: LicenseInput['details'] & object }>();
  const substitutions: LicenseSubstitution[] = [];
  for (const l of records) {
    const type = findLicenseType(l.license)?.id ?? l.license;
    const details = l.details.map((dt) => ({
      licenseType: DETAIL_TYPES.has(dt.licenseType.toUpperCase() as LicenseDetailType)
        ? (dt.licenseType.toUpperCase() as LicenseDetailType)
        : 'STANDARD',
      quantity: dt.quantity,
      startDate: dt.startDate,
      endDate: dt.endDate,
      subscriptionId: dt.subscriptionId ?? null,
      status: dt.status ?? 'ACTIVE',
    }));
    const prev = byType.get(type);
    if (prev) {
      prev.quantity += l.quantity;
      prev.inUse += l.inUse;
      prev.available += l.available;
      prev.reserved = (prev.reserved ?? 0) + l.reserved;
      prev.pendingQuantity = (prev.pendingQuantity ?? 0) + l.pendingQuantity;
      prev.details = [...prev.details, ...details];
    } else {
      byType.set(type, {
        licenseType: type,
        displayName: l.license,
        quantity: l.quantity,
        inUse: l.inUse,
        available: l.available,
        reserved: l.reserved,
        pendingQuantity: l.pendingQuantity,
        status: l.status,
        billingType: l.billingType === 'USAGE' ? 'USAGE' : 'PREPAID',
        isPortable: l.isPortable,
        details,
      });
    }
    for (const s of l.substitutions) {
      substitutions.push({
        licenseName: s.licenseName,
        substitutedLicense: s.substitutedLicense,
        quantity: s.substitutedQuantity,
        substitutionType: s.substitutionType ?? null,
      });
    }
  }
  return { licenses: [...byType.values()], substitutions };
}
