/**
 * Keeps the whole-estate read models computed ahead of the asks (issue 23). It watches the
 * data version (readModelVersion: a few aggregates, cheap) and, when it moved or the last
 * answers are getting old, computes every model again on one read snapshot and one `now`, and
 * publishes the snapshots (to the fed read caches of the command workers, read-cache.ts).
 *
 * It runs in a thread of its own (bin/cli/read-model-worker.ts): a recomputation reads every
 * cluster synchronously, and no command should wait behind it. Its work is bounded:
 *   - coalesced: versions written while it computes are caught by the next round, once;
 *   - settled: when the version moved, a round waits until it has stood still for `settleMs`
 *     (a sync writes a new version every few tens of ms: 220 of them in a full sync at scale
 *     1000), or until the data has been moving for `maxLagMs` since the last round. During a
 *     sync that is one round per `maxLagMs` instead of one per round length, and one right
 *     after it ends; the replies meanwhile say "as of" (issue 23: answers during a sync were
 *     slow because this thread took half a core of two for rounds nobody read);
 *   - a pause after each round at least as long as the round took, so during a sync (a new
 *     version every few tens of ms) it takes at most half a core and answers stay a few seconds
 *     behind, said as "as of" by the reply;
 *   - only while asked: when nobody asked for `idleAfterMs`, a new version waits for the next
 *     ask (which is served the last snapshot, labelled, and wakes it).
 */
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { inReadSnapshot } from '../store/read-snapshot.ts';
import type { ReportDb } from './common.ts';
import { READ_CACHE_BUCKET_MS, readModelVersion, type ReadModelSnapshot } from './read-cache.ts';

export interface ReadModelRefresherOptions {
  db: ReportDb;
  clock: Clock;
  /** Every model as of `now`, read through `db` (a read snapshot). */
  compute: (db: ReportDb, now: Date) => Promise<Record<string, unknown>>;
  /** Called with each model of a round, after the whole round is computed. */
  publish: (snapshot: ReadModelSnapshot) => void;
  logger?: Logger;
  /** How often the version is read (ms). */
  pollMs?: number;
  /**
   * Age (ms, by the clock) at which a round runs although nothing was written: below the
   * caches' maxAgeMs, so that answers stay current between writes.
   */
  refreshAgeMs?: number;
  /** Least pause between two rounds (ms, wall); the pause is also at least the last round's length. */
  minGapMs?: number;
  /** No ask for this long (ms, by the clock): no round until the next ask. */
  idleAfterMs?: number;
  /** The version must stand still this long (ms, wall) before a round computes it. */
  settleMs?: number;
  /** …unless it has been moving this long (ms, wall) since the last round: a round then. */
  maxLagMs?: number;
}

export interface RefresherStats {
  rounds: number;
  lastRoundMs: number;
  /** The version and instant of the last round's snapshots. */
  version: string | undefined;
  at: Date | undefined;
}

export class ReadModelRefresher {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private lastAskAt: number;
  private lastEnd = -Infinity;
  readonly stats: RefresherStats = { rounds: 0, lastRoundMs: 0, version: undefined, at: undefined };
  private readonly pollMs: number;
  private readonly refreshAgeMs: number;
  private readonly minGapMs: number;
  private readonly idleAfterMs: number;
  private readonly settleMs: number;
  private readonly maxLagMs: number;
  /** The last version seen moving, when it was first seen, and when the data started moving. */
  private moving: { version: string; seenAt: number; since: number } | undefined;

  constructor(private readonly o: ReadModelRefresherOptions) {
    this.pollMs = o.pollMs ?? 250;
    this.refreshAgeMs = o.refreshAgeMs ?? READ_CACHE_BUCKET_MS - 10_000;
    this.minGapMs = o.minGapMs ?? 500;
    this.idleAfterMs = o.idleAfterMs ?? 10 * 60_000;
    this.settleMs = o.settleMs ?? 1_000;
    this.maxLagMs = o.maxLagMs ?? 10_000;
    // Asked as it starts: the first round runs at once (the bot has just started).
    this.lastAskAt = o.clock.now().getTime();
  }

  /** Someone asked for a model: keep the models warm (and run a round soon if one is due). */
  asked(): void {
    const idle = this.isIdle();
    this.lastAskAt = this.o.clock.now().getTime();
    if (idle) this.schedule(0);
  }

  private isIdle(): boolean {
    return this.o.clock.now().getTime() - this.lastAskAt >= this.idleAfterMs;
  }

  start(): void {
    this.schedule(0);
  }

  /** Stops polling and waits for a round under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running) return;
      this.running = this.tick()
        .catch((e: unknown) =>
          this.o.logger?.error('read models: a refresh failed; the last answers stay', {
            error: e instanceof Error ? e.message : String(e),
          }),
        )
        .finally(() => {
          this.running = undefined;
          this.schedule(this.pollMs);
        });
    }, ms);
  }

  /** Whether a round is due now: data moved or answers ageing, asked lately, pause over. */
  private async due(): Promise<boolean> {
    const gap = Math.max(this.minGapMs, this.stats.lastRoundMs);
    if (performance.now() - this.lastEnd < gap) return false;
    if (this.stats.version === undefined || this.stats.at === undefined) return true;
    if (this.isIdle()) return false;
    const age = this.o.clock.now().getTime() - this.stats.at.getTime();
    if (age >= this.refreshAgeMs || age < 0) return true;
    const version = await readModelVersion(this.o.db);
    if (version === this.stats.version) {
      this.moving = undefined;
      return false;
    }
    const t = performance.now();
    if (this.moving?.version !== version)
      this.moving = { version, seenAt: t, since: this.moving?.since ?? t };
    return t - this.moving.seenAt >= this.settleMs || t - this.moving.since >= this.maxLagMs;
  }

  private async tick(): Promise<void> {
    if (!(await this.due())) return;
    await this.round();
  }

  /** One round: the version and every model on one read snapshot, then published. */
  async round(): Promise<void> {
    const t0 = performance.now();
    const now = this.o.clock.now();
    const { version, models } = await inReadSnapshot(this.o.db, async (snap) => ({
      version: await readModelVersion(snap),
      models: await this.o.compute(snap, now),
    }));
    for (const [key, value] of Object.entries(models))
      this.o.publish({ key, value, version, at: now });
    this.lastEnd = performance.now();
    this.stats.rounds++;
    this.stats.lastRoundMs = this.lastEnd - t0;
    this.stats.version = version;
    this.stats.at = now;
    // What moved during the round is a new movement: it settles (or lags) from now.
    this.moving = undefined;
  }
}
