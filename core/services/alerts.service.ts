/**
 * The alert lifecycle (issue 9, docs/alerts.md): after every sync, the rules run over the
 * scopes that sync covered (its Smart Account, and `global`), the store opens, changes and
 * resolves alerts of those scopes only, and the changes go out on the `AlertEvents` port
 * once committed. Mutes, listing and the counters the rules need live here too.
 *
 * Evaluations run one at a time (a queue in this process) and each writes in one
 * transaction, so two accounts syncing at once neither lose nor duplicate an alert; the
 * store's upsert on the unique dedupe key keeps that true across processes as well.
 */
import { createTask } from 'node-cron';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { SmartlicError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { evaluateAlerts } from '../domain/alert-rules.ts';
import {
  accountScope,
  isAlertSeverity,
  type AlertCandidate,
  type AlertScope,
  type AlertSeverity,
  type AlertThresholds,
} from '../domain/alerts.ts';
import type { Repositories } from '../store/index.ts';
import {
  AlertsRepository,
  type Alert,
  type AlertApplyResult,
  type AlertListFilter,
  type AlertRuleMute,
} from '../store/repositories/alerts.repository.ts';
import type { Database } from '../store/schema.ts';
import { AlertEvents, type AlertEvent } from './alert-events.ts';
import { gatherAlertStates, unreadableKey } from './alert-state.ts';
import { attachRebalanceFacts, RebalancePlanCache } from '../reports/rebalance.ts';
import type { SyncOutcome } from './sync.service.ts';
import { quietSync } from './sync-incremental.ts';

const HOUR_MS = 3_600_000;

/**
 * How long the alerts of an account whose sync changed nothing may go without a fresh
 * evaluation: the rules that depend on the clock alone (days left, a deadline passed) are at
 * worst this late, as with the hourly periodic evaluation (`alerts.evaluateCron`).
 */
export const QUIET_RECHECK_MS = HOUR_MS;

/** What this process last saw when it evaluated a scope; decides whether a quiet sync may skip it. */
interface LastEvaluation {
  /** Clock time of the evaluation (ms). */
  at: number;
  /** A sync-failing alert held: the next successful sync resolves it, so it must not skip. */
  syncFailing: boolean;
  /** Highest job id then: a later job other than a sync is an operator's (or auto-registration's) write. */
  jobsMark: number;
}

/**
 * The longest gap between two runs of a cron schedule (over its next runs), for "no
 * successful sync for more than twice the schedule". 24 h when it cannot be worked out.
 */
export function scheduleIntervalMs(cron: string, timezone: string): number {
  try {
    const task = createTask(cron, () => undefined, { timezone, name: 'smartlic-interval-probe' });
    try {
      const runs = task.getNextRuns(10);
      let gap = 0;
      for (let i = 1; i < runs.length; i++)
        gap = Math.max(gap, runs[i]!.getTime() - runs[i - 1]!.getTime());
      return gap > 0 ? gap : 24 * HOUR_MS;
    } finally {
      void task.destroy();
    }
  } catch {
    return 24 * HOUR_MS;
  }
}

/** The rules' thresholds from the configuration. */
export function alertThresholds(config: Config): AlertThresholds {
  const a = config.alerts;
  const interval = scheduleIntervalMs(config.sync.cron, config.sync.timezone);
  return {
    authorizationDays: a.authorizationDays,
    registrationDays: a.registrationDays,
    evaluationDays: a.evaluationDays,
    termLicenseDays: a.termLicenseDays,
    tokenDays: a.tokenDays,
    overageCriticalDays: a.overageCriticalDays,
    forecastDays: a.forecastDays,
    forecastWarningDays: a.forecastWarningDays,
    unreachableSyncs: a.unreachableSyncs,
    unreachableDays: a.unreachableDays,
    satelliteUpcomingDays: a.satelliteUpcomingDays,
    satelliteSyncDays: a.satelliteSyncDays,
    satelliteRemovalDays: a.satelliteRemovalDays,
    satelliteCriticalBeforeRemovalDays: a.satelliteCriticalBeforeRemovalDays,
    syncFailures: a.syncFailures,
    syncStaleMs: a.syncStaleHours !== undefined ? a.syncStaleHours * HOUR_MS : 2 * interval,
    vaMissingSyncs: a.vaMissingSyncs,
    vaMissingCriticalSyncsLeft: a.vaMissingCriticalSyncsLeft,
    localAccountInstancesWarn: a.localAccountInstancesWarn,
    removeMissingAfterSyncs: config.sync.removeMissingAfterSyncs,
    syncIntervalMs: interval,
  };
}

/** Parses `30m`, `12h`, `7d`, `2w` into milliseconds; INPUT error otherwise. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d{1,5})\s*(m|min|h|d|w)\s*$/i.exec(text);
  const unit = m?.[2]?.toLowerCase();
  const n = m ? Number(m[1]) : NaN;
  const per =
    unit === 'm' || unit === 'min'
      ? 60_000
      : unit === 'h'
        ? HOUR_MS
        : unit === 'd'
          ? 24 * HOUR_MS
          : unit === 'w'
            ? 7 * 24 * HOUR_MS
            : NaN;
  const out = n * per;
  if (!Number.isFinite(out) || out <= 0) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `"${text}" is not a duration`,
      action: 'give a number and a unit: 30m, 12h, 7d or 2w',
    });
  }
  if (out > 366 * 24 * HOUR_MS) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `a mute of "${text}" is longer than a year`,
      action: 'mute for a year at most, and look again then',
    });
  }
  return out;
}

export interface AlertServiceDeps {
  db: Kysely<Database>;
  repos: Repositories;
  clock: Clock;
  logger: Logger;
  config: Config;
  events?: AlertEvents;
}

/** What one evaluation of one scope did. */
export interface AlertEvaluation {
  scope: AlertScope;
  at: Date;
  opened: number;
  changed: number;
  resolved: number;
  unchanged: number;
  /** Open alerts of the scope after the evaluation. */
  open: number;
  /** Of the whole batch the scope was evaluated in. */
  durationMs: number;
}

export class AlertService {
  readonly events: AlertEvents;
  /** Scopes asked for and not yet evaluated, with who waits for them. */
  private readonly pending = new Map<
    AlertScope,
    { resolve: (e: AlertEvaluation) => void; reject: (e: unknown) => void }[]
  >();
  private worker: Promise<void> | undefined;
  private thresholdsCache: AlertThresholds | undefined;
  private readonly last = new Map<AlertScope, LastEvaluation>();
  /** Each account's last rebalance plan: planned again only when its inputs change. */
  readonly rebalancePlans = new RebalancePlanCache();

  constructor(private readonly d: AlertServiceDeps) {
    this.events = d.events ?? new AlertEvents(d.logger.child({ component: 'alerts' }));
  }

  get thresholds(): AlertThresholds {
    return (this.thresholdsCache ??= alertThresholds(this.d.config));
  }

  /**
   * The afterSync hook: records which clusters the sync could not read (a completed sync
   * only), then evaluates the account's scope and `global`. Never throws: a failure is logged.
   */
  async afterSync(
    outcome: SyncOutcome,
    opts: { force?: boolean } = {},
  ): Promise<AlertEvaluation[]> {
    if (!this.d.config.alerts.enabled) return [];
    try {
      // A sync that changed nothing the rules read (sync-incremental.ts `quietSync`) needs no
      // evaluation while the last one is recent and nothing else wrote since: the work then
      // grows with what changed, not with the estate.
      const scope = accountScope(outcome.accountId);
      if (!opts.force && quietSync(outcome) && (await this.stillCurrent(scope))) return [];
      if (outcome.status === 'Completed') await this.recordClusterReads(outcome);
      return await this.evaluate([scope, 'global']);
    } catch (e) {
      this.d.logger.error('alert evaluation after sync failed', {
        error: e,
        account: outcome.domain,
      });
      return [];
    }
  }

  /**
   * The afterSyncRun hook: `global` once, when every sync of the run was quiet (any other
   * took `global` along in its own evaluation) and its last evaluation is not current.
   * Never throws.
   */
  async afterSyncRun(outcomes: readonly SyncOutcome[]): Promise<void> {
    if (!this.d.config.alerts.enabled || !outcomes.every(quietSync)) return;
    try {
      if (await this.stillCurrent('global')) return;
      await this.evaluate(['global']);
    } catch (e) {
      this.d.logger.error('alert evaluation after a sync run failed', { error: e });
    }
  }

  /**
   * Whether the scope's last evaluation in this process still stands for a sync that changed
   * nothing: within QUIET_RECHECK_MS of the clock, no sync-failing alert then, and no job
   * other than a sync started since (operators' writes and auto-registration run as jobs).
   */
  private async stillCurrent(scope: AlertScope): Promise<boolean> {
    const last = this.last.get(scope);
    if (!last || last.syncFailing) return false;
    if (this.d.clock.now().getTime() - last.at >= QUIET_RECHECK_MS) return false;
    const other = await this.d.db
      .selectFrom('jobs')
      .select('id')
      .where('id', '>', last.jobsMark)
      .where('job_type', '<>', 'Sync')
      .limit(1)
      .executeTakeFirst();
    return other === undefined;
  }

  /** Evaluates every account's scope and `global` (at start, or when asked). */
  async evaluateAll(): Promise<AlertEvaluation[]> {
    const accounts = await this.d.repos.smartAccounts.list();
    return this.evaluate([...accounts.map((a) => accountScope(a.id)), 'global']);
  }

  /**
   * Evaluates the given scopes. Evaluations never overlap: scopes asked for while one runs
   * wait for it and are then evaluated together (after a full sync, the accounts that finished
   * meanwhile go in one batch: the same few queries and one transaction for all of them).
   */
  evaluate(scopes: readonly AlertScope[]): Promise<AlertEvaluation[]> {
    const waits = [...new Set(scopes)].map(
      (scope) =>
        new Promise<AlertEvaluation>((resolve, reject) => {
          const list = this.pending.get(scope) ?? [];
          list.push({ resolve, reject });
          this.pending.set(scope, list);
        }),
    );
    this.kick();
    return Promise.all(waits);
  }

  private kick(): void {
    if (this.worker) return;
    this.worker = (async () => {
      while (this.pending.size > 0) {
        const batch = new Map(this.pending);
        this.pending.clear();
        try {
          const results = await this.evaluateBatch([...batch.keys()]);
          for (const [scope, waiters] of batch)
            for (const w of waiters) w.resolve(results.get(scope)!);
        } catch (e) {
          for (const waiters of batch.values()) for (const w of waiters) w.reject(e);
        }
      }
    })().finally(() => {
      this.worker = undefined;
      if (this.pending.size > 0) this.kick();
    });
  }

  private async evaluateBatch(scopes: AlertScope[]): Promise<Map<AlertScope, AlertEvaluation>> {
    const t0 = performance.now();
    const at = this.d.clock.now();
    // Read before the state: a job started meanwhile is then after the mark, never lost.
    const mark = await this.d.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    const states = await gatherAlertStates(this.d.db, scopes, {
      now: at,
      termWithinDays: Math.max(...this.thresholds.termLicenseDays),
    });
    const candidates = new Map<AlertScope, AlertCandidate[]>();
    for (const [scope, state] of states)
      candidates.set(scope, evaluateAlerts(state, this.thresholds));
    for (const [scope, list] of candidates) {
      this.last.set(scope, {
        at: at.getTime(),
        syncFailing: list.some((c) => c.rule === 'sync-failing'),
        jobsMark: Number(mark?.id ?? 0),
      });
    }
    // A shortage alert carries the transfers that would cover it (issue 25); a planner failure
    // costs the alert its proposal, never the evaluation.
    try {
      // The growth the plan counts is the trend the state already read (one read, one truth).
      const slopes = new Map<number, { licenseType: string; perDay: number | null }[]>();
      const seen = new Set<string>();
      for (const state of states.values()) {
        for (const f of state.forecasts) {
          const key = `${f.va.id}\u0000${f.licenseType}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const list = slopes.get(f.va.id) ?? [];
          list.push({ licenseType: f.licenseType, perDay: f.trendPerDay });
          slopes.set(f.va.id, list);
        }
      }
      await attachRebalanceFacts(this.d.db, [...candidates.values()].flat(), {
        now: at,
        horizonDays: this.thresholds.forecastDays,
        slopes,
        cache: this.rebalancePlans,
      });
    } catch (e) {
      this.d.logger.error('rebalance proposal for shortage alerts failed', { error: e });
    }
    // One transaction for every scope of the batch (applyMany opens it).
    const applied = await new AlertsRepository(this.d.db, undefined, this.d.clock).applyMany(
      candidates,
      at,
    );
    const durationMs = Math.round(performance.now() - t0);
    const results = new Map<AlertScope, AlertEvaluation>();
    const events: AlertEvent[] = [];
    for (const [scope, r] of applied) {
      events.push(...toEvents(r, at, scope));
      results.set(scope, {
        scope,
        at,
        opened: r.opened.length + r.reopened.length,
        changed: r.changed.length,
        resolved: r.resolved.length,
        unchanged: r.unchanged,
        open: candidates.get(scope)!.length,
        durationMs,
      });
    }
    await this.events.publish(events);
    this.d.logger.debug('alerts evaluated', {
      scopes: scopes.length,
      durationMs,
      events: events.length,
      at: at.toISOString(),
    });
    return results;
  }

  /**
   * Counts, per cluster, the syncs in a row that could not read it: a cluster the sync read
   * (status read at or after the sync started) starts again at zero; one it failed on counts
   * one more. Clusters the sync did not try keep their count.
   */
  private async recordClusterReads(outcome: SyncOutcome): Promise<void> {
    const { db, repos } = this.d;
    const vaIds = (await repos.virtualAccounts.listBySmartAccount(outcome.accountId)).map(
      (v) => v.id,
    );
    if (vaIds.length === 0) return;
    const rows = await db
      .selectFrom('clusters')
      .select(['id', 'name', 'last_status_read_at'])
      .where('virtual_account_id', 'in', vaIds)
      .execute();
    const failedByName = new Map(outcome.clusterErrors.map((e) => [e.cluster, e]));
    const started = outcome.startedAt.toISOString();
    const bump: { key: string; detail: string }[] = [];
    const reset: string[] = [];
    for (const r of rows) {
      const err = failedByName.get(r.name);
      if (err) bump.push({ key: unreadableKey(r.id), detail: `${err.code}: ${err.message}` });
      else if (r.last_status_read_at !== null && r.last_status_read_at >= started)
        reset.push(unreadableKey(r.id));
    }
    if (bump.length > 0 || reset.length > 0)
      await repos.alerts.updateCounters(bump, reset, this.d.clock.now());
  }

  /** Stored alerts by filter (default: open ones, muted included and marked). */
  list(filter: AlertListFilter = {}): Promise<Alert[]> {
    return this.d.repos.alerts.list(filter, this.d.clock.now());
  }

  /** One alert by id; NOT_FOUND when there is none. */
  async get(id: number): Promise<Alert> {
    const a = await this.d.repos.alerts.getById(id, this.d.clock.now());
    if (!a) throw notFound(id);
    return a;
  }

  /**
   * Mutes one alert for `forMs`, or (`rule: true`) its rule on its entity, which also covers
   * alerts of that rule on that entity that open later.
   */
  async mute(
    id: number,
    m: { forMs: number; reason?: string; by: string; rule?: boolean },
  ): Promise<{ alert: Alert; ruleMute?: AlertRuleMute }> {
    const now = this.d.clock.now();
    const until = new Date(now.getTime() + m.forMs);
    const alert = await this.get(id);
    if (m.rule) {
      const ruleMute = await this.d.repos.alerts.muteRule(
        {
          rule: alert.rule,
          entityKind: alert.entity.kind,
          entityId: alert.entity.id,
          until,
          reason: m.reason ?? null,
          by: m.by,
        },
        now,
      );
      return { alert: await this.get(id), ruleMute };
    }
    const muted = await this.d.repos.alerts.muteAlert(
      id,
      { until, reason: m.reason ?? null, by: m.by },
      now,
    );
    if (!muted) throw notFound(id);
    return { alert: muted };
  }

  /** Ends the alert's mute and any rule mute covering it. */
  async unmute(id: number, by: string): Promise<Alert> {
    const a = await this.d.repos.alerts.unmuteAlert(id, by, this.d.clock.now());
    if (!a) throw notFound(id);
    return this.get(id);
  }

  /** Open alerts per Smart Account and severity (the Smart Account Summary's Alerts column). */
  countsBySmartAccount(): Promise<Map<number, Record<AlertSeverity | 'muted', number>>> {
    return this.d.repos.alerts.countOpenBySmartAccount(this.d.clock.now());
  }

  /** Waits for every evaluation queued so far. */
  async drain(): Promise<void> {
    while (this.worker) await this.worker;
  }
}

function notFound(id: number): SmartlicError {
  return new SmartlicError({
    code: 'NOT_FOUND',
    message: `no alert ${id}`,
    action: 'list them with `alerts --all` and use the number in its id column',
  });
}

/** The events of one applied evaluation, in the order opened, changed, resolved. */
export function toEvents(r: AlertApplyResult, at: Date, scope: string): AlertEvent[] {
  const base = { at, scope };
  return [
    ...r.opened.map((alert): AlertEvent => ({
      ...base,
      kind: 'opened',
      alert,
      reopened: false,
      changes: [],
      muted: alert.mute !== null,
    })),
    ...r.reopened.map((alert): AlertEvent => ({
      ...base,
      kind: 'opened',
      alert,
      reopened: true,
      changes: [],
      muted: alert.mute !== null,
    })),
    ...r.changed.map((c): AlertEvent => ({
      ...base,
      kind: 'changed',
      alert: c.alert,
      previous: c.previous,
      reopened: false,
      changes: c.changes,
      muted: c.alert.mute !== null,
    })),
    ...r.resolved.map((alert): AlertEvent => ({
      ...base,
      kind: 'resolved',
      alert,
      reopened: false,
      changes: [],
      muted: alert.mute !== null,
    })),
  ];
}

export { isAlertSeverity };
