/**
 * Sync (DOMAIN §7.8, ARCHITECTURE data flow 1), the orchestration: for one provisioned
 * account, take the account's lease (one process at a time), record the job, then read
 * (sync-fetch.ts), check (sync-guard.ts), refresh tokens (sync-tokens.ts) and write all of it
 * in ONE SQLite transaction (sync-persist.ts). A failed or interrupted sync leaves the
 * previous data whole and says why on the account (`last_sync_status` / `last_sync_error`)
 * and on its job. What may be skipped is sync-incremental.ts's business.
 */
import { EventEmitter } from 'node:events';
import { SmartlicError, toSmartlicError } from '../errors.ts';
import { transaction, type SmartAccount } from '../store/index.ts';
import { DAY_MS } from '../domain/lifecycle.ts';
import { recordSafely } from '../metrics.ts';
import { JobFailedError, type JobHandle } from './jobs.service.ts';
import { SingleFlight } from './single-flight.ts';
import { describeRunner } from './runner.ts';
import { AccountLeases, heldAccountLease } from './account-lease.ts';
import { fetchAccount } from './sync-fetch.ts';
import { guard } from './sync-guard.ts';
import { write } from './sync-persist.ts';
import { refreshTokens } from './sync-tokens.ts';
import type {
  Emit,
  SyncContext,
  SyncOptions,
  SyncOutcome,
  SyncPhase,
  SyncProgress,
  SyncServiceDeps,
  SyncTimings,
} from './sync-types.ts';

export * from './sync-types.ts';
export { fingerprint } from './sync-incremental.ts';
export { toLicenseInputs } from './sync-persist.ts';

export class SyncService {
  /**
   * `progress` (SyncProgress) and `synced` (SyncOutcome) events for the CLI and chat;
   * `timings` (SyncTimings) when an account's sync ends.
   */
  readonly events = new EventEmitter();
  private readonly flight = new SingleFlight<number, SyncOutcome>();
  private readonly ctx: SyncContext;
  private readonly clusterStatusMaxAgeMs: number;
  /** The leases its syncs hold: the job runner's (one holder space with the writes). */
  private readonly leases: AccountLeases;

  constructor(private readonly d: SyncServiceDeps) {
    this.leases =
      d.jobs.accountLeases ??
      new AccountLeases({ repo: d.repos.syncLeases, runner: d.jobs.runner, logger: d.logger });
    this.clusterStatusMaxAgeMs = d.clusterStatusMaxAgeMs ?? 6 * 3_600_000;
    this.ctx = {
      ...d,
      deepReadMaxAgeMs: d.deepReadMaxAgeMs ?? DAY_MS,
      clusterStatusMaxAgeMs: this.clusterStatusMaxAgeMs,
    };
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
    const outcome = await this.syncOne(account, opts);
    // A caller that joined a sync in flight leaves the run's hooks to the one that started it.
    if (!outcome.joined) await this.afterRun([outcome]);
    return outcome;
  }

  /** syncAccount without the run hooks: syncAll runs them once for all its accounts. */
  private async syncOne(account: number | string, opts: SyncOptions): Promise<SyncOutcome> {
    const sa = await this.findAccount(account);
    // Asked from inside a write that holds the account (a transfer's re-read): run under that
    // lease. Joining a sync in flight here would wait for the lease this caller holds.
    if (heldAccountLease(sa.id)) return this.runSync(sa, opts);
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
        out[i] = await this.syncOne(accounts[i]!.id, opts);
      }
    };
    const n = Math.min(this.d.config.sync.accountConcurrency, accounts.length);
    await Promise.all(Array.from({ length: n }, worker));
    await this.afterRun(out.filter((o) => !o.joined));
    return out;
  }

  private async afterRun(outcomes: readonly SyncOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    for (const hook of this.d.afterSyncRun ?? []) {
      try {
        await hook(outcomes);
      } catch (e) {
        this.d.logger.warn('afterSyncRun hook failed', { component: 'sync', error: e });
      }
    }
  }

  /** Waits for every sync in flight (shutdown). */
  drain(): Promise<void> {
    return this.flight.drain();
  }

  private observe(o: SyncOutcome): void {
    recordSafely(this.d.metrics, {
      kind: 'sync',
      source: o.source,
      status: o.status,
      ms: o.durationMs,
    });
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
    // Made when something is to be logged (rarely): a child logger per sync is measurable.
    const log = () => logger.child({ component: 'sync', account: sa.domain });
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
      missing: [],
      removed: [],
      unknownVaRecords: [],
    };
    // Another process (the scheduler of `smartlic start`, another `smartlic sync`, another
    // instance) or a write of this account may hold its lease: wait for it within
    // sync.lockWaitMs, else say so.
    const timings: SyncTimings = {
      accountId: sa.id,
      domain: sa.domain,
      lease: 0,
      fetch: 0,
      check: 0,
      tokens: 0,
      write: 0,
      hooks: 0,
      total: 0,
    };
    const held = await this.leases.tryHold(
      { id: sa.id, domain: sa.domain },
      this.d.config.sync.lockWaitMs,
      async (lease) => {
        timings.lease = performance.now() - t0;
        // Jobs of this account's syncs left InProgress by a process that died.
        await jobs.closeOrphaned({ jobType: 'Sync', entityName: sa.domain });
        await this.runLeased(sa, opts, outcome, emit, timings);
        if (lease.lost && outcome.status !== 'Failed') {
          // Written before the lease was lost (the fence let the write through): the data is
          // whole, but another holder may have run beside the end of it.
          log().warn('the account lease was taken over while this sync ran', {
            epoch: lease.tenure.epoch,
          });
        }
      },
      () => emit('connect'),
    );
    if ('busy' in held) {
      outcome.status = 'Failed';
      outcome.error = {
        code: 'SYNC_BUSY',
        message: `${sa.domain} is being synced or changed by ${describeRunner(held.busy)}; waited ${Math.round(this.d.config.sync.lockWaitMs / 1000)} s for it`,
        action:
          'wait for that sync or write to finish (see `smartlic jobs`), or raise sync.lockWaitMs to wait longer',
      };
      outcome.finishedAt = clock.now();
      outcome.durationMs = Math.round(performance.now() - t0);
      this.observe(outcome);
      emit('done', 1, 1);
      return outcome;
    }
    outcome.finishedAt = clock.now();
    outcome.durationMs = Math.round(performance.now() - t0);
    outcome.requests = clients.counters().requests - req0;
    this.observe(outcome);
    emit('done', 1, 1);
    this.events.emit('synced', outcome);
    const h0 = performance.now();
    for (const hook of this.d.afterSync) {
      try {
        await hook(outcome);
      } catch (e) {
        log().warn('afterSync hook failed', { error: e });
      }
    }
    timings.hooks = performance.now() - h0;
    timings.total = performance.now() - t0;
    this.events.emit('timings', timings);
    return outcome;
  }

  private async runLeased(
    sa: SmartAccount,
    opts: SyncOptions,
    outcome: SyncOutcome,
    emit: Emit,
    timings: SyncTimings,
  ): Promise<void> {
    const { clock, jobs } = this.d;
    const log = () => this.d.logger.child({ component: 'sync', account: sa.domain });
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
      (job) => syncBody(this.ctx, sa, opts, job, outcome, emit, timings),
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
        log().error('cannot record the failed sync on the account', { error: e2 });
      }
    }
  }
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
  if (o.missing.length > 0) {
    parts.push(
      `missing in CSSM (kept): ${o.missing
        .map((m) => `${m.name} since ${m.since.toISOString().slice(0, 10)}`)
        .join(', ')}`,
    );
  }
  if (o.removed.length > 0) parts.push(`removed (gone from CSSM): ${o.removed.join(', ')}`);
  if (o.unknownVaRecords.length > 0) {
    parts.push(
      `records naming a VA CSSM did not list: ${o.unknownVaRecords
        .map((u) => `${u.count} ${u.kind}(s) of ${u.virtualAccount}`)
        .join(', ')}`,
    );
  }
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

/** One account's sync once the lease and the job are held: read, check, refresh, write. */
async function syncBody(
  d: SyncContext,
  sa: SmartAccount,
  opts: SyncOptions,
  job: JobHandle,
  outcome: SyncOutcome,
  emit: Emit,
  timings: SyncTimings,
): Promise<void> {
  let t = performance.now();
  const lap = () => {
    const was = t;
    t = performance.now();
    return t - was;
  };
  const { cssm, key, fetched, print, deepDue, now } = await fetchAccount(
    d,
    sa,
    opts,
    job,
    outcome,
    emit,
  );
  timings.fetch = lap();
  await guard(d, sa, fetched, opts, outcome);
  timings.check = lap();

  emit('token-refresh');
  const created = await refreshTokens(d, sa, cssm, key, fetched, now);
  outcome.counts.tokensRefreshed = created.length;
  timings.tokens = lap();

  emit('write');
  // The lease taken for this sync: checked in the write's own transaction, so a sync that was
  // paused past its lease while another took the account over writes nothing stale.
  const lease = heldAccountLease(sa.id);
  await transaction(
    d.db,
    d.secrets,
    async (r) => {
      if (lease) await r.syncLeases.assertHeld(lease.tenure);
      await write(d, r, sa, fetched, created, outcome, now, print, deepDue);
      // The job ends in the same commit as what it wrote (its summary counts are final here).
      await job.completeIn?.(r.jobs, summarize(outcome));
    },
    d.clock,
  );
  timings.write = lap();
}
