/**
 * Sync (DOMAIN §7.8, ARCHITECTURE data flow 1): for one provisioned account, read SAs/VAs,
 * licenses (with details and substitutions), tokens, devices and the smart-license status of
 * every assigned cluster, then write all of it in ONE SQLite transaction with a usage snapshot
 * per VA and license type. A failed or interrupted sync leaves the previous data whole and
 * says why on the account (`last_sync_status` / `last_sync_error`) and on its job.
 *
 * Every network read happens before the transaction opens: better-sqlite3 has one connection,
 * and holding it across network waits would stall every other reader of the database.
 *
 * Incremental: CSSM has no ETag or modified-since, so nothing can be skipped blindly. What we
 * do instead:
 * - The VA list and the license answer (all VAs, one paged call, the configured page size)
 *   are read every time; they are the change detector. Their sha256 is kept on the account.
 * - Tokens (one request per VA) and devices (paged) are re-read only when that fingerprint
 *   changed, the previous sync failed, a full sync is asked for, or the last full read is older
 *   than `deepReadMaxAgeMs` (a device's contact date or a token made by hand in CSSM does not
 *   show in the licenses, so they are re-read at least that often).
 * - A cluster's status is read only when it is due: never read, a renewal/communication
 *   attempt or expiry it announced has passed, or the last read is older than
 *   `clusterStatusMaxAgeMs` (CUCM recounts usage every 6 hours, DOMAIN §5).
 * - The OAuth token of the previous sync is reused while valid (ClientFactory caches it).
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { SmartlicError, toSmartlicError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { CssmDevice, CssmLicense, CssmToken, CssmVirtualAccount } from '../cssm/cssm.dto.ts';
import { findLicenseType } from '../domain/catalog.ts';
import type { SmartLicenseStatus } from '../uc/status.ts';
import {
  transaction,
  type Cluster,
  type ClusterStatusPatch,
  type DeviceInput,
  type LicenseInput,
  type LicenseSubstitution,
  type RegistrationToken,
  type Repositories,
  type SmartAccount,
  type UsagePoint,
} from '../store/index.ts';
import type { Database, LicenseDetailType, TokenStatus } from '../store/schema.ts';
import type { Kysely } from 'kysely';
import type { SecretBox } from '../store/crypto.ts';
import {
  accountKey,
  type ClientFactory,
  type CssmHandle,
  type SatelliteStatus,
} from './clients.ts';
import { JobFailedError, type JobHandle, type JobRunner } from './jobs.service.ts';
import { SingleFlight } from './single-flight.ts';
import { clusterUsage, readFailurePatch, statusPatch } from './cluster-status.ts';
import { DAY_MS } from '../domain/lifecycle.ts';
import { shortageOf } from '../domain/compliance.ts';

import { satelliteSyncOverdue } from '../domain/compliance.ts';
export { SATELLITE_SYNC_OVERDUE_DAYS, satelliteSyncOverdue } from '../domain/compliance.ts';

export type SyncPhase =
  | 'connect'
  | 'virtual-accounts'
  | 'licenses'
  | 'tokens'
  | 'devices'
  | 'clusters'
  | 'token-refresh'
  | 'write'
  | 'done';

export interface SyncProgress {
  accountId: number;
  domain: string;
  phase: SyncPhase;
  /** Units done / total within the phase (requests or clusters); 0/0 when not countable. */
  done: number;
  total: number;
}

export interface SyncOptions {
  /** Who asked: `cli:<user>`, `scheduler`, `slack:U123`, … */
  requestedBy: string;
  /** Read everything, whatever the fingerprint and timers say. */
  full?: boolean;
  onProgress?: (p: SyncProgress) => void;
  correlationId?: string;
}

export interface SyncCounts {
  virtualAccounts: number;
  licenses: number;
  tokens: number;
  devices: number;
  /** Clusters assigned to the account's VAs. */
  clusters: number;
  /** Of those, read from their publisher in this sync. */
  clustersRead: number;
  tokensRefreshed: number;
  snapshots: number;
}

export interface SyncErrorInfo {
  code: string;
  message: string;
  action?: string;
}

export interface SyncOutcome {
  accountId: number;
  domain: string;
  name: string;
  source: 'cssm' | 'satellite';
  status: 'Completed' | 'Failed';
  jobId: number | null;
  /** True when this call joined a sync of the same account already running. */
  joined: boolean;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  /** HTTP attempts during this sync (shared counters: overlapping syncs blur it). */
  requests: number;
  /** Whether the VA list or license answer differed from the previous sync. */
  changed: boolean;
  /** What incremental sync left out, in words (`devices`, `tokens`, `3 cluster status reads`). */
  skipped: string[];
  counts: SyncCounts;
  /** Clusters whose status could not be read (the sync still completes; old status kept). */
  clusterErrors: { cluster: string; clusterId?: number; code: string; message: string }[];
  satellite?: { lastSync: Date | null; overdue: boolean; syncMode?: string };
  error?: SyncErrorInfo;
}

export type AfterSyncHook = (outcome: SyncOutcome) => Promise<void> | void;

export interface SyncServiceDeps {
  db: Kysely<Database>;
  secrets: SecretBox;
  repos: Repositories;
  clock: Clock;
  logger: Logger;
  config: Config;
  clients: ClientFactory;
  jobs: JobRunner;
  /** Run after every account sync, success or failure; errors are logged, never thrown. */
  afterSync: AfterSyncHook[];
  /** Longest time tokens and devices go unread when nothing else changed. Default 24 h. */
  deepReadMaxAgeMs?: number;
  /** Longest time a cluster's status goes unread. Default 6 h (CUCM usage recount). */
  clusterStatusMaxAgeMs?: number;
}

interface SyncState {
  v: 1;
  fingerprint: string;
  deepReadAt: string;
  /** Counts of the last sync, reported again when tokens/devices are not re-read. */
  tokens?: number;
  devices?: number;
}

interface Fetched {
  vas: CssmVirtualAccount[];
  licenses: CssmLicense[];
  /** By VA name; absent when tokens were not read. */
  tokens: Map<string, CssmToken[]> | undefined;
  devices: CssmDevice[] | undefined;
  clusterStatus: Map<number, SmartLicenseStatus>;
  /** The clusters as they were before this sync, by id. */
  clusters: Map<number, Cluster>;
  satellite: SatelliteStatus | undefined;
  accountInfo: { name: string; type: 'CUSTOMER' | 'HOLDING'; status: string } | undefined;
}

export class SyncService {
  /** `progress` (SyncProgress) and `synced` (SyncOutcome) events for the CLI and chat. */
  readonly events = new EventEmitter();
  private readonly flight = new SingleFlight<number, SyncOutcome>();
  private readonly deepReadMaxAgeMs: number;
  private readonly clusterStatusMaxAgeMs: number;

  constructor(private readonly d: SyncServiceDeps) {
    this.deepReadMaxAgeMs = d.deepReadMaxAgeMs ?? DAY_MS;
    this.clusterStatusMaxAgeMs = d.clusterStatusMaxAgeMs ?? 6 * 3_600_000;
  }

  /** Whether a sync of the account is running now. */
  isRunning(accountId: number): boolean {
    return this.flight.isRunning(accountId);
  }

  /**
   * Syncs one account (by id or domain). Never two at once per account: a second caller joins
   * the sync in flight and gets its outcome (`joined: true`). Resolves with a Failed outcome
   * when the sync fails; rejects only when the account does not exist.
   */
  async syncAccount(account: number | string, opts: SyncOptions): Promise<SyncOutcome> {
    const sa = await this.findAccount(account);
    const { promise, joined } = this.flight.run(sa.id, () => this.runSync(sa, opts));
    if (joined && opts.onProgress) {
      const fn = opts.onProgress;
      const listener = (p: SyncProgress) => {
        if (p.accountId === sa.id) fn(p);
      };
      this.events.on('progress', listener);
      void promise.finally(() => this.events.off('progress', listener)).catch(() => undefined);
    }
    const outcome = await promise;
    return joined ? { ...outcome, joined: true } : outcome;
  }

  /**
   * Syncs every provisioned account, `config.sync.accountConcurrency` at a time. Outcomes come
   * back in the order of `smartAccounts.list()`.
   */
  async syncAll(opts: SyncOptions): Promise<SyncOutcome[]> {
    const accounts = await this.d.repos.smartAccounts.list();
    const out: SyncOutcome[] = new Array<SyncOutcome>(accounts.length);
    // Largest first, by the cluster status reads each account is expected to make: started
    // last, a big account would run alone at the end with the other slots idle; started
    // first, the small ones fill in around it. (An estimate: the sync itself decides.)
    const total = await this.d.repos.clusters.countBySmartAccount();
    const due = opts.full
      ? total
      : await this.d.repos.clusters.countStatusDueBySmartAccount(
          this.d.clock.now(),
          this.clusterStatusMaxAgeMs,
        );
    const size = (a: SmartAccount) => (a.lastSyncStatus === 'Success' ? due : total).get(a.id) ?? 0;
    const order = accounts
      .map((a, i) => ({ i, n: size(a) }))
      .sort((a, b) => b.n - a.n || a.i - b.i)
      .map((x) => x.i);
    let next = 0;
    const worker = async () => {
      for (;;) {
        const k = next++;
        if (k >= order.length) return;
        const i = order[k]!;
        out[i] = await this.syncAccount(accounts[i]!.id, opts);
      }
    };
    const n = Math.min(this.d.config.sync.accountConcurrency, accounts.length);
    await Promise.all(Array.from({ length: n }, worker));
    return out;
  }

  /** Waits for every sync in flight (shutdown). */
  drain(): Promise<void> {
    return this.flight.drain();
  }

  private async findAccount(key: number | string): Promise<SmartAccount> {
    const sa =
      typeof key === 'number'
        ? await this.d.repos.smartAccounts.getById(key)
        : await this.d.repos.smartAccounts.getByDomain(key);
    if (!sa) {
      throw new SmartlicError({
        code: 'NOT_FOUND',
        message: `no provisioned Smart Account ${String(key)}`,
        action:
          'list accounts with `smartlic account list`, or provision it with `smartlic account add`',
      });
    }
    return sa;
  }

  private async runSync(sa: SmartAccount, opts: SyncOptions): Promise<SyncOutcome> {
    const { clock, clients, jobs, logger } = this.d;
    const startedAt = clock.now();
    const t0 = performance.now();
    const req0 = clients.counters().requests;
    const log = logger.child({ component: 'sync', account: sa.domain });
    const emit = (phase: SyncPhase, done = 0, total = 0) => {
      const p: SyncProgress = { accountId: sa.id, domain: sa.domain, phase, done, total };
      opts.onProgress?.(p);
      this.events.emit('progress', p);
    };
    const outcome: SyncOutcome = {
      accountId: sa.id,
      domain: sa.domain,
      name: sa.name,
      source: sa.source,
      status: 'Completed',
      jobId: null,
      joined: false,
      startedAt,
      finishedAt: startedAt,
      durationMs: 0,
      requests: 0,
      changed: false,
      skipped: [],
      counts: {
        virtualAccounts: 0,
        licenses: 0,
        tokens: 0,
        devices: 0,
        clusters: 0,
        clustersRead: 0,
        tokensRefreshed: 0,
        snapshots: 0,
      },
      clusterErrors: [],
    };
    const started = jobs.start(
      {
        jobType: 'Sync',
        entityType: 'Smart Account',
        entityName: sa.domain,
        entityId: sa.id,
        description: `Sync ${sa.source === 'satellite' ? 'satellite local account' : 'Smart Account'} ${sa.domain}${opts.full ? ' (full)' : ''}`,
        requestedBy: opts.requestedBy,
        ...(opts.correlationId ? { correlationId: opts.correlationId } : {}),
      },
      (job) => this.syncBody(sa, opts, job, outcome, emit),
      () => summarize(outcome),
    );
    try {
      outcome.jobId = await started.jobId;
      await started.done;
    } catch (e) {
      const err = e instanceof JobFailedError ? e.error : toSmartlicError(e);
      outcome.status = 'Failed';
      outcome.error = {
        code: err.code,
        message: err.message,
        ...(err.action ? { action: err.action } : {}),
      };
      // The error itself (with its stack) for --debug; not enumerable, so JSON never shows it.
      Object.defineProperty(outcome, 'cause', { value: err, enumerable: false });
      try {
        await this.d.repos.smartAccounts.updateSyncStatus(sa.id, {
          at: clock.now(),
          status: 'Failed',
          error: err.toLine(),
        });
      } catch (e2) {
        log.error('cannot record the failed sync on the account', { error: e2 });
      }
    }
    outcome.finishedAt = clock.now();
    outcome.durationMs = Math.round(performance.now() - t0);
    outcome.requests = clients.counters().requests - req0;
    emit('done', 1, 1);
    this.events.emit('synced', outcome);
    for (const hook of this.d.afterSync) {
      try {
        await hook(outcome);
      } catch (e) {
        log.warn('afterSync hook failed', { error: e });
      }
    }
    return outcome;
  }

  private async syncBody(
    sa: SmartAccount,
    opts: SyncOptions,
    job: JobHandle,
    outcome: SyncOutcome,
    emit: (phase: SyncPhase, done?: number, total?: number) => void,
  ): Promise<void> {
    const { repos, clients, clock } = this.d;
    const now = clock.now();
    emit('connect');
    const key = accountKey(sa);
    const cssm = await clients.cssmForAccount(sa, repos);

    const state = parseState(await repos.smartAccounts.getSyncState(sa.id));
    const previousOk = sa.lastSyncStatus === 'Success';
    const deepDue =
      opts.full === true ||
      !state ||
      !previousOk ||
      now.getTime() - new Date(state.deepReadAt).getTime() >= this.deepReadMaxAgeMs;

    const clusters = await repos.clusters.list({ smartAccountId: sa.id });
    const due = clusters.filter((c) => deepDue || this.clusterDue(c, now));
    outcome.counts.clusters = clusters.length;

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
      deepDue && sa.source === 'cssm' ? this.readAccountInfo(cssm, sa) : Promise.resolve(undefined);
    const satP =
      sa.source === 'satellite'
        ? this.satelliteStatus(sa, cssm, now, deepDue, outcome)
        : Promise.resolve(undefined);
    const clusterP = this.readClusters(sa, due, outcome, emit);

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
      satellite: await satP,
      accountInfo: await accountInfoP,
    };
    const print = fp ?? fingerprint(fetched.vas, fetched.licenses);
    outcome.changed = print !== state?.fingerprint;
    if (!fetched.tokens) outcome.skipped.push('tokens');
    if (!fetched.devices) outcome.skipped.push('devices');
    if (due.length < clusters.length) {
      outcome.skipped.push(`${clusters.length - due.length} cluster status read(s) (not due)`);
    }
    await job.progress(
      `read ${fetched.vas.length} VA(s), ${fetched.licenses.length} license record(s); writing`,
    );
    if (fetched.satellite) {
      const last = fetched.satellite.lastSync;
      outcome.satellite = {
        lastSync: last,
        overdue: satelliteSyncOverdue(last, now),
        ...(fetched.satellite.syncMode ? { syncMode: fetched.satellite.syncMode } : {}),
      };
    }

    emit('token-refresh');
    const created = await this.refreshTokens(sa, cssm, key, fetched, now);
    outcome.counts.tokensRefreshed = created.length;

    emit('write');
    await transaction(
      this.d.db,
      this.d.secrets,
      (r) => this.write(r, sa, fetched, created, outcome, now, print, deepDue),
      clock,
    );
  }

  /**
   * The satellite's last sync with CSSM. "Sync overdue" depends only on that time being more
   * than 30 days old, and the satellite's real last sync is never older than the one stored:
   * while the stored one is within 30 days the flag cannot change, so an incremental sync
   * skips the request (the date shown may lag until the next deep read, at most a day).
   */
  private async satelliteStatus(
    sa: SmartAccount,
    cssm: CssmHandle,
    now: Date,
    deep: boolean,
    outcome: SyncOutcome,
  ): Promise<SatelliteStatus | undefined> {
    if (!deep) {
      const known = await this.d.repos.localAccounts.getBySmartAccount(sa.id);
      const last = known?.lastCssmSyncAt;
      if (known && last && !satelliteSyncOverdue(last, now)) {
        outcome.skipped.push('satellite status');
        return { lastSync: last, syncMode: known.syncMode, host: known.satelliteHost };
      }
    }
    return cssm.satelliteStatus();
  }

  private async readAccountInfo(
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

  private clusterDue(c: Cluster, now: Date): boolean {
    if (!c.lastStatusReadAt) return true;
    const t = now.getTime();
    if (t - c.lastStatusReadAt.getTime() >= this.clusterStatusMaxAgeMs) return true;
    for (const d of [
      c.nextCommunicationAttempt,
      c.nextRenewalAttempt,
      c.authorizationExpires,
      c.registrationExpires,
    ]) {
      if (d && d.getTime() > c.lastStatusReadAt.getTime() && d.getTime() <= t) return true;
    }
    return false;
  }

  private async readClusters(
    sa: SmartAccount,
    due: Cluster[],
    outcome: SyncOutcome,
    emit: (phase: SyncPhase, done?: number, total?: number) => void,
  ): Promise<Map<number, SmartLicenseStatus>> {
    const out = new Map<number, SmartLicenseStatus>();
    if (due.length === 0) return out;
    // One query for the account, not one per cluster: hundreds of queries queued at once on
    // the single SQLite connection cost more in waiting for it than in running.
    const creds = await this.d.repos.clusters.listAdminCredentials(
      sa.id,
      new Set(due.map((c) => c.id)),
    );
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
          const uc = this.d.clients.ucWithCredentials(c, creds.get(c.id), { priority });
          out.set(c.id, await uc.getStatus());
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

  /**
   * Creates a new token in each VA whose usable tokens all expire within
   * `config.sync.tokenRefreshDays` (DOMAIN §7.8: sync refreshes tokens when needed). A VA is a
   * candidate when it has an active token about to expire, or clusters assigned and no token.
   */
  private async refreshTokens(
    sa: SmartAccount,
    cssm: CssmHandle,
    accountKey: string,
    f: Fetched,
    now: Date,
  ): Promise<{ vaName: string; token: CssmToken }[]> {
    const { repos, config } = this.d;
    const windowEnd = now.getTime() + config.sync.tokenRefreshDays * DAY_MS;
    const stored = new Map(
      (await repos.virtualAccounts.listBySmartAccount(sa.id)).map((v) => [v.name, v]),
    );
    // What the database knows, read once for the account rather than per VA.
    const assignedByVa = await repos.clusters.countByVirtualAccountOf(sa.id);
    const storedTokens = new Map<number, RegistrationToken[]>();
    if (f.vas.some((va) => !f.tokens?.has(va.name))) {
      for (const t of await repos.tokens.listBySmartAccount(sa.id)) {
        const list = storedTokens.get(t.virtualAccountId);
        if (list) list.push(t);
        else storedTokens.set(t.virtualAccountId, [t]);
      }
    }
    // The VAs are independent of one another: their CSSM calls run at once.
    const settled = await Promise.allSettled(
      f.vas.map(async (va): Promise<{ vaName: string; token: CssmToken } | undefined> => {
        const local = stored.get(va.name);
        let tokens: { status: TokenStatus; expiresAt: Date | null; exportControlled: boolean }[];
        const cssmTokens = f.tokens?.get(va.name);
        if (cssmTokens) tokens = cssmTokens.map((t) => tokenFacts(t, now));
        else if (local) tokens = (storedTokens.get(local.id) ?? []).map(dbTokenFacts);
        else tokens = [];
        const assigned = local ? (assignedByVa.get(local.id) ?? 0) : 0;
        let need = needsRefresh(tokens, windowEnd, assigned > 0);
        if (need && !cssmTokens) {
          // Our copy may be stale (tokens skipped): ask CSSM before minting another one.
          const fresh = await cssm.client.listTokens(accountKey, va.name);
          f.tokens ??= new Map();
          f.tokens.set(va.name, fresh);
          tokens = fresh.map((t) => tokenFacts(t, now));
          need = needsRefresh(tokens, windowEnd, assigned > 0);
        }
        if (!need) return undefined;
        const exportControlled = tokens.some((t) => t.status === 'Active' && t.exportControlled);
        const token = await cssm.client.createToken(accountKey, va.name, {
          description: `smartlic refresh ${now.toISOString().slice(0, 10)}`,
          expiresAfterDays: config.sync.tokenExpiresAfterDays,
          exportControlled: exportControlled ? 'Allowed' : 'Not Allowed',
        });
        return { vaName: va.name, token };
      }),
    );
    const failed = settled.find((x) => x.status === 'rejected');
    if (failed) throw failed.reason;
    const created: { vaName: string; token: CssmToken }[] = [];
    for (const x of settled) if (x.status === 'fulfilled' && x.value) created.push(x.value);
    return created;
  }

  private async write(
    r: Repositories,
    sa: SmartAccount,
    f: Fetched,
    created: { vaName: string; token: CssmToken }[],
    outcome: SyncOutcome,
    now: Date,
    fp: string,
    deep: boolean,
  ): Promise<void> {
    if (f.accountInfo) {
      await r.smartAccounts.upsert({
        domain: sa.domain,
        name: sa.name === sa.domain ? f.accountInfo.name : sa.name,
        type: f.accountInfo.type,
        status: f.accountInfo.status,
      });
    }
    // An unchanged VA list and license answer (same fingerprint) need no rewrite: only the
    // usage snapshot is appended.
    const unchanged = !outcome.changed;
    const vaIds = new Map<string, number>();
    if (unchanged) {
      for (const v of await r.virtualAccounts.listBySmartAccount(sa.id)) vaIds.set(v.name, v.id);
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
      await r.virtualAccounts.deleteMissing(
        sa.id,
        f.vas.map((v) => v.name),
      );
    }
    outcome.counts.virtualAccounts = f.vas.length;

    // Licenses, substitutions and the usage snapshot, per VA.
    const byVa = new Map<string, CssmLicense[]>();
    for (const l of f.licenses) {
      const name = vaIds.has(l.virtualAccount) ? l.virtualAccount : soleVa(f.vas);
      if (name === undefined) continue;
      (byVa.get(name) ?? byVa.set(name, []).get(name)!).push(l);
    }
    const snapshots: { virtualAccountId: number; points: UsagePoint[] }[] = [];
    for (const [name, id] of vaIds) {
      const { licenses, substitutions } = toLicenseInputs(byVa.get(name) ?? []);
      if (!unchanged) await r.licenses.replaceForVirtualAccount(id, licenses, substitutions);
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
    await r.usageSnapshots.appendMany(snapshots, now);

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
    if (f.tokens) {
      for (const [name, list] of f.tokens) {
        const id = vaIds.get(name);
        if (id !== undefined) for (const t of list) await storeToken(id, t);
      }
    }
    for (const c of created) {
      const id = vaIds.get(c.vaName);
      if (id !== undefined) await storeToken(id, c.token);
    }
    await r.tokens.markExpired(now);
    const prev = parseState(await r.smartAccounts.getSyncState(sa.id));
    if (!f.tokens && created.length === 0 && prev?.tokens !== undefined) {
      outcome.counts.tokens = prev.tokens;
    } else {
      // vaIds are all of the account's VAs now (deleteMissing above removed the others).
      outcome.counts.tokens = await r.tokens.countActiveBySmartAccount(sa.id);
    }

    // Devices, grouped by VA; a device without a VA name belongs to the only VA, if one.
    if (f.devices) {
      const groups = new Map<number, Map<string, DeviceInput>>();
      for (const id of vaIds.values()) groups.set(id, new Map());
      for (const dv of f.devices) {
        const name =
          dv.virtualAccount && vaIds.has(dv.virtualAccount) ? dv.virtualAccount : soleVa(f.vas);
        const id = name === undefined ? undefined : vaIds.get(name);
        if (id === undefined) continue;
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
    await r.clusters.updateStatusMany(patches);
    await r.clusters.replaceLicenseUsageMany(usage, now);

    // Satellite: its link to CSSM.
    if (sa.source === 'satellite' && sa.localAccountName) {
      // Keyed by (host, name): keep the host the account was provisioned with.
      const existing = await r.localAccounts.getBySmartAccount(sa.id);
      const host =
        existing?.satelliteHost ??
        sa.satelliteHost ??
        f.satellite?.host ??
        hostOf(sa.apiBase) ??
        'satellite';
      await r.localAccounts.upsert({
        name: sa.localAccountName,
        satelliteHost: host,
        smartAccountId: sa.id,
        ...(f.satellite?.syncMode ? { syncMode: f.satellite.syncMode } : {}),
        ...(f.satellite ? { lastCssmSyncAt: f.satellite.lastSync } : {}),
      });
    }

    const fullRead = deep || (f.tokens !== undefined && f.devices !== undefined);
    const next: SyncState = {
      v: 1,
      fingerprint: fp,
      deepReadAt: fullRead ? now.toISOString() : (prev?.deepReadAt ?? now.toISOString()),
      tokens: outcome.counts.tokens,
      devices: outcome.counts.devices,
    };
    await r.smartAccounts.setSyncState(sa.id, JSON.stringify(next));
    await r.smartAccounts.updateSyncStatus(sa.id, { at: now, status: 'Success', error: null });
  }
}

// ---------------------------------------------------------------- helpers (pure)

function parseState(s: string | undefined): SyncState | undefined {
  if (!s) return undefined;
  try {
    const o = JSON.parse(s) as Partial<SyncState>;
    return o.v === 1 && typeof o.fingerprint === 'string' && typeof o.deepReadAt === 'string'
      ? (o as SyncState)
      : undefined;
  } catch {
    return undefined;
  }
}

/** sha256 of the VA list and license answer, order-independent. */
export function fingerprint(vas: CssmVirtualAccount[], licenses: CssmLicense[]): string {
  const h = createHash('sha256');
  const v = vas.map((x) =>
    JSON.stringify([x.name, x.description, x.isDefault, x.commerceAccessLevel]),
  );
  const l = licenses.map((x) => JSON.stringify(x));
  h.update(JSON.stringify([v.sort(), l.sort()]));
  return h.digest('hex');
}

/** Entitlements → usage rows; several tags of one license type (HCS mode) are added up. */
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

function tokenFacts(
  t: CssmToken,
  now: Date,
): { status: TokenStatus; expiresAt: Date | null; exportControlled: boolean } {
  const s = (t.status ?? '').toLowerCase();
  const expired = t.expirationDate !== null && t.expirationDate.getTime() <= now.getTime();
  const status: TokenStatus = s.includes('revoke')
    ? 'Revoked'
    : s.includes('expire') || expired
      ? 'Expired'
      : 'Active';
  return {
    status,
    expiresAt: t.expirationDate,
    exportControlled: /^allowed$/i.test((t.exportControlled ?? '').trim()),
  };
}

function dbTokenFacts(t: RegistrationToken) {
  return { status: t.status, expiresAt: t.expiresAt, exportControlled: t.exportControlled };
}

function needsRefresh(
  tokens: { status: TokenStatus; expiresAt: Date | null }[],
  windowEnd: number,
  hasClusters: boolean,
): boolean {
  const active = tokens.filter((t) => t.status === 'Active');
  const lasting = active.some((t) => t.expiresAt === null || t.expiresAt.getTime() > windowEnd);
  if (lasting) return false;
  return active.length > 0 || hasClusters;
}

function summarize(o: SyncOutcome): string {
  const c = o.counts;
  const parts = [
    `${c.virtualAccounts} VA(s), ${c.licenses} license type(s), ${c.tokens} active token(s), ${c.devices} device(s)`,
    `${c.clustersRead}/${c.clusters} cluster status read(s)`,
  ];
  if (o.satellite?.overdue) {
    parts.push(
      `satellite sync overdue (last CSSM sync ${o.satellite.lastSync?.toISOString().slice(0, 10) ?? 'never'})`,
    );
  }
  if (c.tokensRefreshed > 0) parts.push(`${c.tokensRefreshed} token(s) refreshed`);
  if (o.skipped.length > 0) parts.push(`skipped: ${o.skipped.join(', ')}`);
  if (o.clusterErrors.length > 0) {
    parts.push(
      `${o.clusterErrors.length} cluster(s) unreadable: ${o.clusterErrors
        .slice(0, 3)
        .map((e) => `${e.cluster} (${e.code})`)
        .join(', ')}`,
    );
  }
  return `Synced: ${parts.join('; ')}.`;
}
