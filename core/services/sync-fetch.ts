/**
 * The reads of a sync, all before the write transaction opens (better-sqlite3 has one
 * connection; holding it across network waits would stall every reader): SAs, VAs, licenses,
 * tokens, devices from CSSM or the satellite, and the smart-license status of each assigned
 * cluster that is due. What does not depend on another answer runs at once; the HttpClient's
 * per-host limit keeps it polite.
 */
import { toSmartlicError } from '../errors.ts';
import type { CssmDevice, CssmLicense, CssmToken, CssmVirtualAccount } from '../cssm/cssm.dto.ts';
import type { SmartLicenseStatus } from '../uc/status.ts';
import type { Cluster, LocalAccount, SmartAccount, VirtualAccount } from '../store/index.ts';
import { accountKey, type CssmHandle, type SatelliteStatus } from './clients.ts';
import type { JobHandle } from './jobs.service.ts';
import { clusterDue, deepReadDue, fingerprint, parseState } from './sync-incremental.ts';
import {
  satelliteSyncOverdue,
  type SyncContext,
  type SyncOptions,
  type SyncOutcome,
  type SyncPhase,
} from './sync-types.ts';

export interface Fetched {
  vas: CssmVirtualAccount[];
  licenses: CssmLicense[];
  /** By VA name; absent when tokens were not read. */
  tokens: Map<string, CssmToken[]> | undefined;
  devices: CssmDevice[] | undefined;
  clusterStatus: Map<number, SmartLicenseStatus>;
  /** The clusters due a status read, as they were before this sync, by id. */
  clusters: Map<number, Cluster>;
  /** Clusters assigned to each of the account's VAs, by VA id (VAs without any absent). */
  assignedByVa: Map<number, number>;
  satellite: SatelliteStatus | undefined;
  /**
   * The account's stored VAs, once read before the write (refreshTokens reads them): only
   * syncs add, rename or remove a VA, and this account's sync lease keeps the others out.
   */
  storedVas?: VirtualAccount[];
  /**
   * What the write would read again, read once here (the lease keeps other writers out until
   * the write commits): the account's incremental state as stored, and, for a satellite
   * account whose link was looked up, its stored local account (`row` undefined: none).
   */
  syncStateText?: string | undefined;
  storedLocalAccount?: { row: LocalAccount | undefined };
  accountInfo: { name: string; type: 'CUSTOMER' | 'HOLDING'; status: string } | undefined;
}

export interface FetchResult {
  cssm: CssmHandle;
  /** The account key in API paths. */
  key: string;
  fetched: Fetched;
  /** Fingerprint of this VA list and license answer. */
  print: string;
  deepDue: boolean;
  now: Date;
}

export async function fetchAccount(
  d: SyncContext,
  sa: SmartAccount,
  opts: SyncOptions,
  job: JobHandle,
  outcome: SyncOutcome,
  emit: (phase: SyncPhase, done?: number, total?: number) => void,
): Promise<FetchResult> {
  const { repos, clients, clock } = d;
  const now = clock.now();
  emit('connect');
  const key = accountKey(sa);
  const cssm = await clients.cssmForAccount(sa, repos);

  const stateText = await repos.smartAccounts.getSyncState(sa.id);
  const state = parseState(stateText);
  const deepDue = deepReadDue(sa, state, opts.full === true, now, d.deepReadMaxAgeMs);

  // Which clusters are due is decided on their timers alone and only the due ones are read
  // whole, so a re-sync with nothing due builds no cluster row.
  const timers = await repos.clusters.listSyncTimers(sa.id);
  // Emergency Responder has no status call (DOMAIN §4): its state comes from the device
  // list (sync-persist.ts), not from a read of the product.
  const readable = timers.filter((c) => c.type !== 'CER');
  const dueIds = readable
    .filter((c) => deepDue || clusterDue(c, now, d.clusterStatusMaxAgeMs))
    .map((c) => c.id);
  const clusters =
    dueIds.length === 0
      ? []
      : dueIds.length === timers.length
        ? await repos.clusters.list({ smartAccountId: sa.id })
        : await repos.clusters.list({ smartAccountId: sa.id, ids: dueIds });
  const due = clusters;
  const assignedByVa = new Map<number, number>();
  for (const c of timers) {
    if (c.virtualAccountId !== null)
      assignedByVa.set(c.virtualAccountId, (assignedByVa.get(c.virtualAccountId) ?? 0) + 1);
  }
  outcome.counts.clusters = timers.length;

  // Everything below that does not depend on another answer runs at once; the HttpClient's
  // per-host limit keeps it polite.
  const vaP = (async () => {
    emit('virtual-accounts');
    return sa.source === 'satellite'
      ? cssm.client.listVirtualAccounts(key)
      : cssm.client.listVirtualAccounts(key, sa.type);
  })();
  const licP = (async () => {
    emit('licenses');
    return cssm.client.listLicenses(key, []);
  })();
  const readTokens = async (vas: CssmVirtualAccount[]) => {
    let done = 0;
    emit('tokens', 0, vas.length);
    const pairs = await Promise.all(
      vas.map(async (v) => {
        const t = await cssm.client.listTokens(key, v.name);
        emit('tokens', ++done, vas.length);
        return [v.name, t] as const;
      }),
    );
    return new Map(pairs);
  };
  const readDevices = async () => {
    emit('devices');
    return cssm.client.listDevices(key);
  };
  const accountInfoP =
    deepDue && sa.source === 'cssm' ? readAccountInfo(cssm, sa) : Promise.resolve(undefined);
  const satP =
    sa.source === 'satellite'
      ? satelliteState(d, sa, cssm, now, deepDue, outcome, (row) => (localRef = { row }))
      : Promise.resolve(undefined);
  const clusterP = readClusters(d, sa, due, outcome, emit);
  let localRef: Fetched['storedLocalAccount'];

  // Computed once (it hashes the whole license answer): here or after the reads below.
  let fp: string | undefined;
  let tokensP: Promise<Map<string, CssmToken[]> | undefined>;
  let devicesP: Promise<CssmDevice[] | undefined>;
  if (deepDue) {
    tokensP = vaP.then(readTokens);
    devicesP = readDevices();
  } else {
    // Decide from the change detector: only an unchanged account skips tokens and devices.
    const changedP = Promise.all([vaP, licP]).then(([vas, lic]) => {
      fp = fingerprint(vas, lic);
      return fp !== state?.fingerprint;
    });
    tokensP = changedP.then(async (ch) => (ch ? readTokens(await vaP) : undefined));
    devicesP = changedP.then((ch) => (ch ? readDevices() : undefined));
  }
  // Settle all before failing, so no request is left running into a closed sync.
  const settled = await Promise.allSettled([
    vaP,
    licP,
    tokensP,
    devicesP,
    accountInfoP,
    satP,
    clusterP,
  ]);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const fetched: Fetched = {
    vas: await vaP,
    licenses: await licP,
    tokens: await tokensP,
    devices: await devicesP,
    clusterStatus: await clusterP,
    clusters: new Map(clusters.map((c) => [c.id, c])),
    assignedByVa,
    satellite: await satP,
    accountInfo: await accountInfoP,
    syncStateText: stateText,
    ...(localRef ? { storedLocalAccount: localRef } : {}),
  };
  const print = fp ?? fingerprint(fetched.vas, fetched.licenses);
  outcome.changed = print !== state?.fingerprint;
  if (!fetched.tokens) outcome.skipped.push('tokens');
  if (!fetched.devices) outcome.skipped.push('devices');
  if (due.length < readable.length) {
    outcome.skipped.push(`${readable.length - due.length} cluster status read(s) (not due)`);
  }
  // Only a write with something to write takes long enough for `jobs` to show this line; a
  // quiet one (nothing changed, nothing read beyond the change detector) ends within
  // milliseconds and its job goes straight to its summary.
  const quiet =
    !outcome.changed &&
    !fetched.tokens &&
    !fetched.devices &&
    fetched.clusterStatus.size === 0 &&
    outcome.clusterErrors.length === 0;
  if (!quiet) {
    await job.progress(
      `read ${fetched.vas.length} VA(s), ${fetched.licenses.length} license record(s); writing`,
    );
  }
  if (fetched.satellite) {
    const last = fetched.satellite.lastSync;
    outcome.satellite = {
      lastSync: last,
      overdue: satelliteSyncOverdue(last, now),
      ...(fetched.satellite.syncMode ? { syncMode: fetched.satellite.syncMode } : {}),
    };
  }
  return { cssm, key, fetched, print, deepDue, now };
}

/**
 * The satellite's last sync with CSSM. "Sync overdue" depends only on that time being more
 * than 30 days old, and the satellite's real last sync is never older than the one stored:
 * while the stored one is within 30 days the flag cannot change, so an incremental sync
 * skips the request (the date shown may lag until the next deep read, at most a day).
 */
export async function satelliteState(
  d: SyncContext,
  sa: SmartAccount,
  cssm: CssmHandle,
  now: Date,
  deep: boolean,
  outcome: SyncOutcome,
  seen?: (stored: LocalAccount | undefined) => void,
): Promise<SatelliteStatus | undefined> {
  if (!deep) {
    const known = await d.repos.localAccounts.getBySmartAccount(sa.id);
    seen?.(known);
    const last = known?.lastCssmSyncAt;
    if (known && last && !satelliteSyncOverdue(last, now)) {
      outcome.skipped.push('satellite status');
      return { lastSync: last, syncMode: known.syncMode, host: known.satelliteHost };
    }
  }
  return cssm.satelliteStatus();
}

export async function readAccountInfo(
  cssm: CssmHandle,
  sa: SmartAccount,
): Promise<Fetched['accountInfo']> {
  const hits = await cssm.client.searchAccounts({ domain: sa.domain, type: sa.type });
  const hit = hits.find((h) => h.domain.toLowerCase() === sa.domain.toLowerCase());
  if (!hit) return undefined;
  return {
    name: hit.name,
    type: hit.type === 'HOLDING' ? 'HOLDING' : 'CUSTOMER',
    status: hit.status,
  };
}

export async function readClusters(
  d: SyncContext,
  sa: SmartAccount,
  due: Cluster[],
  outcome: SyncOutcome,
  emit: (phase: SyncPhase, done?: number, total?: number) => void,
): Promise<Map<number, SmartLicenseStatus>> {
  const out = new Map<number, SmartLicenseStatus>();
  if (due.length === 0) return out;
  // One query for the account, not one per cluster: hundreds of queries queued at once on
  // the single SQLite connection cost more in waiting for it than in running.
  const creds = await d.repos.clusters.listAdminCredentials(sa.id, new Set(due.map((c) => c.id)));
  // Smaller accounts' reads go first on a busy publisher host (shortest job first): a few
  // reads queued behind a big account's hundreds would hold the small account's sync slot
  // for the whole time, while it could finish and let the next account start. The big
  // account loses nothing, as the host stays busy with its reads all the same.
  const priority = due.length;
  let done = 0;
  emit('clusters', 0, due.length);
  await Promise.all(
    due.map(async (c) => {
      try {
        const uc = d.clients.ucWithCredentials(c, creds.get(c.id), { priority });
        if (uc.statusSource === 'product') out.set(c.id, await uc.getStatus());
      } catch (e) {
        const err = toSmartlicError(e, 'UC1020');
        outcome.clusterErrors.push({
          cluster: c.name,
          clusterId: c.id,
          code: err.code,
          message: err.message,
        });
      } finally {
        emit('clusters', ++done, due.length);
      }
    }),
  );
  outcome.counts.clustersRead = out.size;
  return out;
}
