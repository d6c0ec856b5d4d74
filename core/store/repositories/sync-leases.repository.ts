import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import { SmartlicError } from '../../errors.ts';
import type { SecretBox } from '../crypto.ts';
import type { Database } from '../schema.ts';
import { atomically, iso } from './mapping.ts';

/** What the holder of an account's lease has: the tenure it may write with. */
export interface AccountLeaseTenure {
  smartAccountId: number;
  holder: string;
  epoch: number;
}

/** Either the lease was taken (`held`) or a live other holder has it (`busy`). */
export type AccountLeaseAttempt =
  { held: AccountLeaseTenure; tookOverFrom?: string } | { busy: string };

/** The error a write of a lease holder that lost its lease fails with (nothing of it written). */
export function accountFencedError(
  smartAccountId: number,
  epoch: number,
  current: { holder: string; epoch: number } | undefined,
): SmartlicError {
  return new SmartlicError({
    code: 'FENCED',
    message: `this process held the lease of account #${smartAccountId} with epoch ${epoch}, but ${current ? `${current.holder} holds it now (epoch ${current.epoch})` : 'it was released'}: the late write was refused`,
    action:
      'nothing was written; the lease ran out while this process was paused or cut off from the database. Run it again (sync the account first to see where it stands)',
    details: { smartAccountId, epoch, ...(current ? { current: current.epoch } : {}) },
  });
}

/**
 * One row per account being synced or written, held by one holder at a time: a sync and a write
 * of one account (in one process, in two, or on two instances of one database) never run at
 * once. The holder renews its lease while it holds it (`renew`); a lease not renewed within its
 * TTL — its holder crashed on another machine, or froze — may be taken over, and so may a lease
 * whose holder's process is known to be dead (same host). Every new holder adds one to the
 * row's epoch; `check` inside a write's transaction refuses a holder whose epoch is no longer
 * the row's. Every change is one transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: the store's
 * transaction lock), so two contenders never both win.
 */
export class SyncLeasesRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Takes the account's lease for `holder` for `ttlMs` unless a live other holder has it. A
   * holder is live while its lease has not expired and `alive(holder)` says its process runs.
   * `holder`'s own row is kept (same epoch) and extended.
   */
  async take(
    smartAccountId: number,
    holder: string,
    alive: (holder: string) => boolean,
    ttlMs: number,
  ): Promise<AccountLeaseAttempt> {
    return atomically(this.db, async (trx) => {
      const now = this.clock.now();
      const until = iso(new Date(now.getTime() + ttlMs));
      const row = await trx
        .selectFrom('sync_leases')
        .select(['holder', 'epoch', 'expires_at'])
        .where('smart_account_id', '=', smartAccountId)
        .executeTakeFirst();
      if (!row) {
        await trx
          .insertInto('sync_leases')
          .values({
            smart_account_id: smartAccountId,
            holder,
            acquired_at: iso(now),
            epoch: 1,
            expires_at: until,
          })
          .execute();
        return { held: { smartAccountId, holder, epoch: 1 } };
      }
      const epoch = Number(row.epoch);
      if (row.holder === holder) {
        await trx
          .updateTable('sync_leases')
          .set({ expires_at: until })
          .where('smart_account_id', '=', smartAccountId)
          .execute();
        return { held: { smartAccountId, holder, epoch } };
      }
      // A row of before 0016 has no expiry: its holder's process decides alone.
      const expired = row.expires_at !== null && row.expires_at <= iso(now);
      if (!expired && alive(row.holder)) return { busy: row.holder };
      await trx
        .updateTable('sync_leases')
        .set({ holder, acquired_at: iso(now), epoch: epoch + 1, expires_at: until })
        .where('smart_account_id', '=', smartAccountId)
        .execute();
      return { held: { smartAccountId, holder, epoch: epoch + 1 }, tookOverFrom: row.holder };
    });
  }

  /**
   * `take` with the older answer: undefined when taken, else the live holder. The lease lasts
   * `ttlMs` (default a day: a caller that does not renew keeps its lease as long as its process
   * lives, as before leases expired).
   */
  async acquire(
    smartAccountId: number,
    holder: string,
    alive: (holder: string) => boolean,
    ttlMs = 86_400_000,
  ): Promise<string | undefined> {
    const r = await this.take(smartAccountId, holder, alive, ttlMs);
    return 'busy' in r ? r.busy : undefined;
  }

  /** Extends the lease of tenure `t` by `ttlMs`; false when it is no longer `t`'s. */
  async renew(t: AccountLeaseTenure, ttlMs: number): Promise<boolean> {
    const until = iso(new Date(this.clock.now().getTime() + ttlMs));
    const r = await this.db
      .updateTable('sync_leases')
      .set({ expires_at: until })
      .where('smart_account_id', '=', t.smartAccountId)
      .where('holder', '=', t.holder)
      .where('epoch', '=', t.epoch)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * Throws FENCED unless tenure `t` still holds the account; run inside the write's own
   * transaction. An UPDATE, not a SELECT: on PostgreSQL it keeps the row locked until the write
   * commits, so a takeover cannot slip in between the check and the write; on SQLite the
   * transaction holds the write lock from its BEGIN IMMEDIATE.
   */
  async check(trx: Kysely<Database>, t: AccountLeaseTenure): Promise<void> {
    const r = await trx
      .updateTable('sync_leases')
      .set((eb) => ({ epoch: eb.ref('epoch') }))
      .where('smart_account_id', '=', t.smartAccountId)
      .where('holder', '=', t.holder)
      .where('epoch', '=', t.epoch)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) return;
    const cur = await trx
      .selectFrom('sync_leases')
      .select(['holder', 'epoch'])
      .where('smart_account_id', '=', t.smartAccountId)
      .executeTakeFirst();
    throw accountFencedError(
      t.smartAccountId,
      t.epoch,
      cur ? { holder: cur.holder, epoch: Number(cur.epoch) } : undefined,
    );
  }

  /** `check` on this repository's own connection (a repository made on a transaction). */
  async assertHeld(t: AccountLeaseTenure): Promise<void> {
    await this.check(this.db, t);
  }

  /** The lease as stored (for status and tests). */
  async read(
    smartAccountId: number,
  ): Promise<{ holder: string; epoch: number; expiresAt: Date | null } | undefined> {
    const r = await this.db
      .selectFrom('sync_leases')
      .select(['holder', 'epoch', 'expires_at'])
      .where('smart_account_id', '=', smartAccountId)
      .executeTakeFirst();
    return (
      r && {
        holder: r.holder,
        epoch: Number(r.epoch),
        expiresAt: r.expires_at === null ? null : new Date(r.expires_at),
      }
    );
  }

  /**
   * Gives the lease up. The row stays (expired at once, holder kept) so that the epoch keeps
   * growing: a deleted row would start again at 1, and an old holder's fence could match.
   */
  async release(smartAccountId: number, holder: string): Promise<void> {
    await this.db
      .updateTable('sync_leases')
      .set({ expires_at: iso(new Date(this.clock.now().getTime() - 1)) })
      .where('smart_account_id', '=', smartAccountId)
      .where('holder', '=', holder)
      .execute();
  }
}
