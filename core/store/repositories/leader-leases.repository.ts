import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import { SmartlicError } from '../../errors.ts';
import type { SecretBox } from '../crypto.ts';
import type { Database } from '../schema.ts';
import { atomically, date, iso } from './mapping.ts';

/** The row of one leadership as stored. */
export interface LeaderLease {
  name: string;
  holder: string;
  epoch: number;
  since: Date;
  heartbeatAt: Date;
  expiresAt: Date;
}

/**
 * What a leader-only write carries: the epoch it was elected with, checked inside the write's
 * own transaction. `check` throws FENCED when a newer leader has been elected since.
 */
export interface WriteFence {
  readonly name: string;
  readonly epoch: number;
  check(trx: Kysely<Database>): Promise<void>;
}

/** The error a deposed leader's late write fails with (nothing of it is written). */
export function fencedError(
  name: string,
  epoch: number,
  current: number | undefined,
): SmartlicError {
  return new SmartlicError({
    code: 'FENCED',
    message: `this instance was elected leader with epoch ${epoch}, but ${current === undefined ? 'the leadership row is gone' : `epoch ${current} leads now`}: the leader-only write was refused`,
    action:
      'nothing to do: another instance leads and does this work; this one stands down (see /healthz "leader")',
    details: { name, epoch, ...(current === undefined ? {} : { current }) },
  });
}

const toLease = (r: {
  name: string;
  holder: string;
  epoch: number;
  since: string;
  heartbeat_at: string;
  expires_at: string;
}): LeaderLease => ({
  name: r.name,
  holder: r.holder,
  epoch: Number(r.epoch),
  since: date(r.since),
  heartbeatAt: date(r.heartbeat_at),
  expiresAt: date(r.expires_at),
});

/**
 * The leadership rows (0015-leader-lease). Every change is one conditional statement (compare
 * and set on the epoch or the expiry), so two contenders on SQLite (one writer at a time) or on
 * PostgreSQL (the second UPDATE waits for the first's row lock, then re-reads the row) never
 * both win. Times are ISO text from the Clock; instances' clocks must agree to well within the
 * lease's TTL (NTP does).
 */
export class LeaderLeasesRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  async read(name: string): Promise<LeaderLease | undefined> {
    const r = await this.db
      .selectFrom('leader_leases')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return r && toLease(r);
  }

  /**
   * Takes the leadership for `holder` when nobody holds it or the holder's lease ran out;
   * every takeover adds one to the epoch. Undefined when a live lease is someone else's (or
   * this holder's own earlier tenure still runs: renew that instead).
   */
  async tryAcquire(name: string, holder: string, ttlMs: number): Promise<LeaderLease | undefined> {
    const now = this.clock.now();
    const t = iso(now);
    const until = iso(new Date(now.getTime() + ttlMs));
    return atomically(this.db, async (trx) => {
      const inserted = await trx
        .insertInto('leader_leases')
        .values({ name, holder, epoch: 1, since: t, heartbeat_at: t, expires_at: until })
        .onConflict((oc) => oc.column('name').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return this.read1(trx, name);
      const won = await trx
        .updateTable('leader_leases')
        .set((eb) => ({
          holder,
          epoch: eb('epoch', '+', 1),
          since: t,
          heartbeat_at: t,
          expires_at: until,
        }))
        .where('name', '=', name)
        .where('expires_at', '<', t)
        .executeTakeFirst();
      if (Number(won.numUpdatedRows) !== 1) return undefined;
      return this.read1(trx, name);
    });
  }

  /** Extends `holder`'s lease of tenure `epoch`; false when it is no longer theirs. */
  async renew(name: string, holder: string, epoch: number, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const r = await this.db
      .updateTable('leader_leases')
      .set({ heartbeat_at: iso(now), expires_at: iso(new Date(now.getTime() + ttlMs)) })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .where('epoch', '=', epoch)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * Starts a new tenure for `holder` whatever the row says: for an election decided elsewhere
   * (the PostgreSQL advisory lock), which only needs the epoch to grow for fencing.
   */
  async bump(name: string, holder: string, ttlMs: number): Promise<LeaderLease> {
    const now = this.clock.now();
    const t = iso(now);
    const until = iso(new Date(now.getTime() + ttlMs));
    return atomically(this.db, async (trx) => {
      await trx
        .insertInto('leader_leases')
        .values({ name, holder, epoch: 1, since: t, heartbeat_at: t, expires_at: until })
        .onConflict((oc) =>
          oc.column('name').doUpdateSet((eb) => ({
            holder,
            epoch: eb('leader_leases.epoch', '+', 1),
            since: t,
            heartbeat_at: t,
            expires_at: until,
          })),
        )
        .execute();
      return this.read1(trx, name);
    });
  }

  /** Gives the lease up at once (a clean stop), so that another instance need not wait the TTL. */
  async release(name: string, holder: string, epoch: number): Promise<void> {
    const t = iso(new Date(this.clock.now().getTime() - 1));
    await this.db
      .updateTable('leader_leases')
      .set({ expires_at: t })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .where('epoch', '=', epoch)
      .execute();
  }

  /** The fence of tenure `epoch` of the leadership `name` (see WriteFence). */
  fence(name: string, epoch: number): WriteFence {
    return {
      name,
      epoch,
      check: async (trx) => {
        // An UPDATE, not a SELECT: on PostgreSQL it holds the row lock until the write's
        // transaction ends, so a takeover (which updates the same row) waits for it and cannot
        // slip in between the check and the write; on SQLite the transaction holds the write
        // lock from its BEGIN IMMEDIATE.
        const r = await trx
          .updateTable('leader_leases')
          .set((eb) => ({ epoch: eb.ref('epoch') }))
          .where('name', '=', name)
          .where('epoch', '=', epoch)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 1) return;
        const cur = await trx
          .selectFrom('leader_leases')
          .select('epoch')
          .where('name', '=', name)
          .executeTakeFirst();
        throw fencedError(name, epoch, cur ? Number(cur.epoch) : undefined);
      },
    };
  }

  private async read1(trx: Kysely<Database>, name: string): Promise<LeaderLease> {
    const r = await trx
      .selectFrom('leader_leases')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    return toLease(r);
  }
}
