import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { Database } from '../schema.ts';
import { atomically, iso } from './mapping.ts';

/**
 * One row per account being synced, held by one process at a time: two processes (the
 * scheduler in `smartlic start` and a `smartlic sync`) never sync one account at once.
 */
export class SyncLeasesRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Takes the account's lease for `holder` unless a live other holder has it (a dead holder's
   * lease is taken over). Returns undefined when taken, else the live holder.
   */
  async acquire(
    smartAccountId: number,
    holder: string,
    alive: (holder: string) => boolean,
  ): Promise<string | undefined> {
    return atomically(this.db, async (trx) => {
      const row = await trx
        .selectFrom('sync_leases')
        .select('holder')
        .where('smart_account_id', '=', smartAccountId)
        .executeTakeFirst();
      if (row && row.holder !== holder && alive(row.holder)) return row.holder;
      await trx
        .insertInto('sync_leases')
        .values({ smart_account_id: smartAccountId, holder, acquired_at: iso(this.clock.now()) })
        .onConflict((oc) =>
          oc.column('smart_account_id').doUpdateSet({ holder, acquired_at: iso(this.clock.now()) }),
        )
        .execute();
      return undefined;
    });
  }

  async release(smartAccountId: number, holder: string): Promise<void> {
    await this.db
      .deleteFrom('sync_leases')
      .where('smart_account_id', '=', smartAccountId)
      .where('holder', '=', holder)
      .execute();
  }
}
