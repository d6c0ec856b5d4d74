/**
 * Which of several instances on one database leads (issue 24). Every instance serves chat,
 * /healthz, /metrics and reads; only the leader runs the scheduler, the periodic alert
 * evaluation and alert delivery. Three elections behind one interface:
 *
 * - `single`: one instance per database (the file instance lock keeps it so); it always leads.
 * - `lease`: a row in `leader_leases` with a heartbeat. The leader renews it every
 *   `heartbeatMs`; the others try to take it every `heartbeatMs` and can once it is `ttlMs`
 *   old. Works wherever the store works: several processes on one SQLite file, PostgreSQL,
 *   PostgreSQL behind PgBouncer in transaction mode. With the defaults (TTL 15 s, heartbeat
 *   5 s) a killed leader is replaced within TTL + heartbeat = 20 s.
 * - `advisory` (leadership-advisory.ts): a PostgreSQL session advisory lock on a dedicated
 *   connection; the epoch row is bumped when it wins.
 *
 * Each tenure has an epoch that only grows; leader-only writes carry it (`fence()`), checked
 * in their own transaction, so a deposed leader that has not noticed yet writes nothing.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { LeaderLease, LeaderLeasesRepository, WriteFence } from '../store/index.ts';

export type Election = 'single' | 'lease' | 'advisory';

/** The one leadership smartlic elects. */
export const LEADERSHIP = 'smartlic';

export interface LeadershipStatus {
  election: Election;
  /** This instance. */
  instanceId: string;
  leader: boolean;
  /** This instance's tenure, while it leads. */
  epoch: number | null;
  since: Date | null;
  /** Who leads according to the database (any instance); null when nobody ever led. */
  current: Pick<LeaderLease, 'holder' | 'epoch' | 'since' | 'heartbeatAt' | 'expiresAt'> | null;
}

export interface Leadership {
  readonly election: Election;
  readonly instanceId: string;
  /** Begins to campaign (the first attempt is made before this resolves). */
  start(): Promise<void>;
  /** Stops campaigning; a leader steps down and gives its lease up for the next one. */
  stop(): Promise<void>;
  isLeader(): boolean;
  /** The fence leader-only writes carry; undefined while not leading (or `single`). */
  fence(): WriteFence | undefined;
  /** Called with true when this instance becomes leader and false when it stops leading. */
  onChange(fn: (leader: boolean) => void): () => void;
  status(): Promise<LeadershipStatus>;
}

/** `host:pid:random`, unless the operator named the instance (leader.instanceId). */
export function defaultInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 6)}`;
}

/** Shared bookkeeping of the elections: state, listeners, the status answer. */
export abstract class BaseLeadership implements Leadership {
  abstract readonly election: Election;
  protected leading: { epoch: number; since: Date } | undefined;
  private readonly listeners = new Set<(leader: boolean) => void>();

  constructor(
    readonly instanceId: string,
    protected readonly leases: LeaderLeasesRepository | undefined,
    protected readonly logger: Logger,
  ) {}

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;

  isLeader(): boolean {
    return this.leading !== undefined;
  }

  fence(): WriteFence | undefined {
    return this.leading && this.leases?.fence(LEADERSHIP, this.leading.epoch);
  }

  onChange(fn: (leader: boolean) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async status(): Promise<LeadershipStatus> {
    const row = await this.leases?.read(LEADERSHIP);
    return {
      election: this.election,
      instanceId: this.instanceId,
      leader: this.isLeader(),
      epoch: this.leading?.epoch ?? null,
      since: this.leading?.since ?? null,
      current: row
        ? {
            holder: row.holder,
            epoch: row.epoch,
            since: row.since,
            heartbeatAt: row.heartbeatAt,
            expiresAt: row.expiresAt,
          }
        : null,
    };
  }

  protected become(lease: { epoch: number; since: Date }): void {
    const was = this.leading !== undefined;
    this.leading = { epoch: lease.epoch, since: lease.since };
    this.logger.info('this instance leads', { instance: this.instanceId, epoch: lease.epoch });
    if (!was) this.tell(true);
  }

  protected standDown(why: string): void {
    if (!this.leading) return;
    const epoch = this.leading.epoch;
    this.leading = undefined;
    this.logger.warn('this instance no longer leads', { instance: this.instanceId, epoch, why });
    this.tell(false);
  }

  private tell(leader: boolean): void {
    for (const fn of [...this.listeners]) {
      try {
        fn(leader);
      } catch (e) {
        this.logger.error('leadership listener failed', { error: e });
      }
    }
  }
}

/** `single`: the only instance on its database leads from the start, with no fencing. */
export class SoleLeadership extends BaseLeadership {
  readonly election = 'single' as const;

  constructor(instanceId: string, clock: Clock, logger: Logger) {
    super(instanceId, undefined, logger);
    this.leading = { epoch: 0, since: clock.now() };
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

/**
 * A process that serves chat beside elected instances (`smartlic bot`) but never leads: it runs
 * no scheduler and delivers no alerts (that is the leader's work, and a second deliverer would
 * post every alert twice); its status reads who leads from the database, for /healthz and
 * /metrics. Its writes still hold the account lease like any other instance's.
 */
export class FollowerLeadership extends BaseLeadership {
  constructor(
    readonly election: Election,
    instanceId: string,
    leases: LeaderLeasesRepository,
    logger: Logger,
  ) {
    super(instanceId, leases, logger);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

export interface LeaseLeadershipOptions {
  instanceId: string;
  leases: LeaderLeasesRepository;
  clock: Clock;
  logger: Logger;
  /** A lease not renewed for this long may be taken over. */
  ttlMs: number;
  /** How often the leader renews and the others try to take over. */
  heartbeatMs: number;
}

/** `lease`: a heartbeat on a row, taken over once it is `ttlMs` old. */
export class LeaseLeadership extends BaseLeadership {
  readonly election = 'lease' as const;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  /** When the lease was last renewed, by the Clock: the leader's own view of its expiry. */
  private renewedAt = 0;

  constructor(private readonly o: LeaseLeadershipOptions) {
    super(o.instanceId, o.leases, o.logger);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    this.timer = setInterval(() => {
      if (this.ticking) return;
      this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, this.o.heartbeatMs);
    this.timer.unref();
  }

  /** One heartbeat: the leader renews, the others try to take over. Never throws. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const { leases, ttlMs, clock } = this.o;
    try {
      if (this.leading) {
        const kept = await leases.renew(LEADERSHIP, this.instanceId, this.leading.epoch, ttlMs);
        if (kept) this.renewedAt = clock.now().getTime();
        else this.standDown('another instance took the lease over');
        return;
      }
      const won = await leases.tryAcquire(LEADERSHIP, this.instanceId, ttlMs);
      if (won) {
        this.renewedAt = clock.now().getTime();
        this.become(won);
      }
    } catch (e) {
      // The database cannot be reached: once our own lease must have run out, someone else
      // may lead, so we stop leading even before we can hear of it (fencing refuses what
      // slips through meanwhile).
      this.o.logger.warn('leadership heartbeat failed', { error: e });
      if (this.leading && clock.now().getTime() - this.renewedAt >= ttlMs)
        this.standDown('could not renew the lease within its TTL');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    const held = this.leading;
    if (!held) return;
    this.standDown('stopping');
    await this.o.leases
      .release(LEADERSHIP, this.instanceId, held.epoch)
      .catch((e: unknown) => this.o.logger.warn('could not give the lease up', { error: e }));
  }
}

export interface LeadershipTimings {
  ttlMs: number;
  heartbeatMs: number;
}

/** The worst time from a leader's death to a new leader: its lease expires, then one try. */
export function worstFailoverMs(t: LeadershipTimings): number {
  return t.ttlMs + t.heartbeatMs;
}
