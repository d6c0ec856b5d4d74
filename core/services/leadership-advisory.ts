/**
 * `advisory`: the leader is whoever holds a PostgreSQL session advisory lock
 * (`pg_try_advisory_lock`). The lock lives as long as the session, so it is held on a
 * dedicated `pg.Client` outside any pool (a pooled connection goes back to the pool, and behind
 * PgBouncer in transaction mode a session lock is not held at all: use `lease` there). When
 * the process dies or its connection drops, PostgreSQL ends the session and frees the lock;
 * another instance takes it at its next try (every `heartbeatMs`), which bounds a failover by
 * the time PostgreSQL takes to notice a dead peer (at once for a killed process: the kernel
 * closes its socket; for a cut network, the server's tcp_keepalives_* settings) plus one try.
 *
 * Winning bumps the epoch row in `leader_leases` (through the store), so leader-only writes are
 * fenced exactly as with `lease`: a deposed leader whose connection died but who has not
 * noticed yet carries an epoch that is no longer the row's.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { SmartlicError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { LeaderLeasesRepository } from '../store/index.ts';
import { BaseLeadership, LEADERSHIP } from './leadership.ts';

/** The 64-bit advisory lock key of a leadership name (stable across versions and hosts). */
export function advisoryKey(name: string): bigint {
  return createHash('sha256').update(`smartlic:leader:${name}`).digest().readBigInt64BE(0);
}

/** The part of `pg.Client` used here (the driver is loaded only when this election runs). */
interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
  on(event: 'error' | 'end', fn: (e?: Error) => void): void;
}

export interface AdvisoryLeadershipOptions {
  instanceId: string;
  /** postgres://… of the database the store runs on. */
  connectionString: string;
  leases: LeaderLeasesRepository;
  clock: Clock;
  logger: Logger;
  /** How often a follower tries the lock and the leader checks its connection. */
  heartbeatMs: number;
  /** Informational expiry written on the epoch row (health shows it); the lock decides. */
  ttlMs: number;
}

export class AdvisoryLeadership extends BaseLeadership {
  readonly election = 'advisory' as const;
  private client: PgClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private readonly key: bigint;

  constructor(private readonly o: AdvisoryLeadershipOptions) {
    super(o.instanceId, o.leases, o.logger);
    this.key = advisoryKey(LEADERSHIP);
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

  /** The session of the lock; a dropped one is replaced at the next try. */
  private async session(): Promise<PgClient> {
    if (this.client) return this.client;
    const pg = (await import('pg')).default;
    const c = new pg.Client({
      connectionString: this.o.connectionString,
      application_name: `smartlic-leader ${this.instanceId}`.slice(0, 63),
      // A half-open connection must be noticed: keep-alives, so a cut network ends it.
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
      connectionTimeoutMillis: Math.max(2_000, this.o.heartbeatMs),
    }) as unknown as PgClient;
    const lost = (e?: Error) => {
      if (this.client !== c) return;
      this.client = undefined;
      this.standDown(`the lock's connection ended${e ? `: ${e.message}` : ''}`);
    };
    c.on('error', lost);
    c.on('end', lost);
    try {
      await c.connect();
    } catch (e) {
      await c.end().catch(() => undefined);
      throw new SmartlicError({
        code: 'DB',
        message: `cannot open the leader election's connection to PostgreSQL: ${e instanceof Error ? e.message : String(e)}`,
        action: 'check db.url (host, port, user, password) and that the server accepts connections',
        cause: e,
      });
    }
    this.client = c;
    return c;
  }

  async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const c = await this.session();
      if (this.leading) {
        // The lock is ours while the session lives; ask it something to find a dead one.
        await c.query('select 1');
        await this.o.leases.renew(LEADERSHIP, this.instanceId, this.leading.epoch, this.o.ttlMs);
        return;
      }
      const r = await c.query('select pg_try_advisory_lock($1::bigint) as won', [
        this.key.toString(),
      ]);
      if (r.rows[0]?.won !== true) return;
      try {
        this.become(await this.o.leases.bump(LEADERSHIP, this.instanceId, this.o.ttlMs));
      } catch (e) {
        // Without a new epoch this instance must not lead: give the lock back for another.
        await c.query('select pg_advisory_unlock($1::bigint)', [this.key.toString()]);
        throw e;
      }
    } catch (e) {
      this.o.logger.warn('leadership heartbeat failed', { error: e });
      if (this.leading) this.standDown('the lock connection failed');
      const c = this.client;
      this.client = undefined;
      // Ending the session frees the lock if the server still holds it for us.
      await c?.end().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    const c = this.client;
    this.client = undefined;
    const held = this.leading;
    this.standDown('stopping');
    if (held) {
      await this.o.leases
        .release(LEADERSHIP, this.instanceId, held.epoch)
        .catch((e: unknown) => this.o.logger.warn('could not mark the lease ended', { error: e }));
    }
    await c?.end().catch(() => undefined);
  }
}
