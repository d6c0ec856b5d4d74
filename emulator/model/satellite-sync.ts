/**
 * CSSM On-Prem satellites' link to the cloud: what a sync carries each way (the usage of its
 * local accounts up, the VA's entitlements down), connected-mode schedules and "synchronize
 * now", and the disconnected mode's request and answer files.
 */
import type { LicenseRequest } from '../../core/domain/allocation.ts';
import { DAY, iso, parseTime } from '../util/time.ts';
import { counts, requestsOf } from './allocation-view.ts';
import { deviceView } from './products.ts';
import { RETRY_MS, SATELLITE_CLOUD_TOKEN_MS, SCHEDULE_MS, SYNC_OVERDUE_MS } from './timers.ts';
import type { DeviceView, LicenseLine, LocalAccount, Satellite, SyncedUsage } from './types.ts';
import type { World } from './world.ts';
import { WorldError } from './world-error.ts';

export interface SyncRequestFile {
  format: string;
  satellite: string;
  requestId: string;
  createdAt: string;
  accounts: { localAccount: string; requests: LicenseRequest[]; devices: DeviceView[] }[];
}

export interface SyncAnswerFile {
  format: string;
  satellite: string;
  requestId: string;
  accounts: { localAccount: string; licenses: Omit<LicenseLine, 'id'>[] }[];
}

export function usageSnapshot(w: World, la: LocalAccount, at: number): SyncedUsage {
  const requests: LicenseRequest[] = [];
  const devices: DeviceView[] = [];
  for (const c of la.products) {
    if (!counts(c)) continue;
    requests.push(...requestsOf(c));
    devices.push(deviceView(w, c));
  }
  return { at, requests, devices };
}

/** The state of a satellite's link to CSSM, as its own API shows it. */
export function satelliteStatus(w: World, s: Satellite, now = w.now()) {
  return {
    name: s.name,
    host: s.host,
    version: s.version,
    transportUrl: `https://${s.host}/SmartTransport`,
    syncMode: s.mode,
    schedule: s.mode === 'connected' ? s.schedule : null,
    lastSync: s.lastSync === null ? null : iso(s.lastSync),
    daysSinceLastSync: s.lastSync === null ? null : Math.floor((now - s.lastSync) / DAY),
    syncOverdue: s.lastSync === null || now - s.lastSync >= SYNC_OVERDUE_MS,
    lastSyncAttempt: s.lastSyncAttempt === null ? null : iso(s.lastSyncAttempt),
    lastSyncStatus: s.lastSyncStatus,
    lastSyncError: s.lastSyncError,
    nextSync: s.mode === 'connected' ? iso(s.nextSyncAt) : null,
    cloudTokenExpires:
      s.cloudTokenIssuedAt === null ? null : iso(s.cloudTokenIssuedAt + SATELLITE_CLOUD_TOKEN_MS),
    pendingExportId: s.pendingExportId,
    reachable: !w.unreachable.satellite,
    localAccounts: [...s.localAccounts.values()].map((la) => ({
      name: la.name,
      smartAccount: la.saDomain,
      virtualAccount: la.vaName,
      lastSync: la.syncedAt === null ? null : iso(la.syncedAt),
    })),
  };
}

function syncFailure(w: World, s: Satellite, at: number, manual: boolean): string | null {
  if (w.unreachable.satellite) return 'The satellite is unreachable.';
  if (w.unreachable.cloud) return 'Cisco Smart Software Manager is unreachable.';
  if (
    !manual &&
    (s.cloudTokenIssuedAt === null || at >= s.cloudTokenIssuedAt + SATELLITE_CLOUD_TOKEN_MS)
  ) {
    return 'The access token towards Cisco Smart Software Manager has expired; synchronize manually.';
  }
  return null;
}

export function applySync(w: World, s: Satellite, at: number): void {
  for (const la of s.localAccounts.values()) {
    const va = w.vaOf(la);
    va.satelliteUsage.set(la.name, usageSnapshot(w, la, at));
    la.syncedLicenses = va.licenses.map((l) => ({ ...l }));
    la.syncedAt = at;
    w.invalidate(va);
    w.invalidate(la);
  }
  s.lastSync = at;
  s.lastSyncAttempt = at;
  s.lastSyncStatus = 'SUCCEEDED';
  s.lastSyncError = null;
}

export function scheduledSync(w: World, s: Satellite, at: number): void {
  const fail = syncFailure(w, s, at, false);
  if (fail) {
    s.lastSyncAttempt = at;
    s.lastSyncStatus = 'FAILED';
    s.lastSyncError = fail;
    s.nextSyncAt = at + RETRY_MS;
    return;
  }
  applySync(w, s, at);
  s.nextSyncAt = at + SCHEDULE_MS[s.schedule];
  w.flush(at);
}

/** "Synchronize now" in connected mode: also renews the satellite's CSSM token. */
export function syncNow(w: World, s: Satellite): void {
  if (s.mode !== 'connected') {
    throw new WorldError(409, 'The satellite is in disconnected mode: synchronize with a file.');
  }
  const now = w.now();
  const fail = syncFailure(w, s, now, true);
  if (fail) {
    s.lastSyncAttempt = now;
    s.lastSyncStatus = 'FAILED';
    s.lastSyncError = fail;
    throw new WorldError(503, fail);
  }
  s.cloudTokenIssuedAt = now;
  applySync(w, s, now);
  s.nextSyncAt = now + SCHEDULE_MS[s.schedule];
  w.settle(now);
}

export function setSyncMode(
  w: World,
  s: Satellite,
  mode: 'connected' | 'disconnected',
  schedule?: Satellite['schedule'],
): void {
  s.mode = mode;
  if (schedule) s.schedule = schedule;
  s.nextSyncAt = w.now() + SCHEDULE_MS[s.schedule];
  w.recomputeNextDue();
}

/** Disconnected mode, step 1: the request file the operator uploads to CSSM. */
export function exportSyncFile(w: World, s: Satellite) {
  const now = w.now();
  const id = `${s.name}-${now}-${w.nextExportSeq()}`;
  s.pendingExportId = id;
  return {
    format: 'smartlic-emulator-sync-request/1',
    satellite: s.name,
    requestId: id,
    createdAt: iso(now),
    accounts: [...s.localAccounts.values()].map((la) => {
      const u = usageSnapshot(w, la, now);
      return {
        localAccount: la.name,
        smartAccount: la.saDomain,
        virtualAccount: la.vaName,
        requests: u.requests,
        devices: u.devices,
      };
    }),
  };
}

/** Disconnected mode, step 2 (cloud side): takes the request file, answers with entitlements. */
export function importSyncRequest(w: World, file: SyncRequestFile) {
  const s = w.satellites.get(file.satellite);
  if (!s) throw new WorldError(404, `Unknown satellite: ${file.satellite}`);
  const now = w.now();
  const answers = file.accounts.map((a) => {
    const la = s.localAccounts.get(a.localAccount);
    if (!la) throw new WorldError(400, `Unknown local account in file: ${a.localAccount}`);
    const va = w.vaOf(la);
    va.satelliteUsage.set(la.name, {
      at: parseTime(file.createdAt),
      requests: a.requests,
      devices: a.devices,
    });
    w.invalidate(va);
    return {
      localAccount: la.name,
      licenses: va.licenses.map((l) => ({ ...l })),
    };
  });
  w.settle(now);
  return {
    format: 'smartlic-emulator-sync-answer/1',
    satellite: s.name,
    requestId: file.requestId,
    answeredAt: iso(now),
    accounts: answers,
  };
}

/** Disconnected mode, step 3: the answer file imported back into the satellite. */
export function importSyncAnswer(w: World, s: Satellite, file: SyncAnswerFile): void {
  if (file.satellite !== s.name || file.requestId !== s.pendingExportId) {
    throw new WorldError(400, 'The answer file does not match the last exported request file.');
  }
  const now = w.now();
  for (const a of file.accounts) {
    const la = s.localAccounts.get(a.localAccount);
    if (!la) continue;
    la.syncedLicenses = a.licenses.map((l) => ({ ...l, id: w.nextLineId() }));
    la.syncedAt = now;
    w.invalidate(la);
  }
  s.lastSync = now;
  s.lastSyncAttempt = now;
  s.lastSyncStatus = 'SUCCEEDED';
  s.lastSyncError = null;
  s.cloudTokenIssuedAt = now;
  s.pendingExportId = null;
  w.settle(now);
}
