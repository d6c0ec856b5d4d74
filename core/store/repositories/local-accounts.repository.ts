import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { Database, LocalAccountsTable, SatelliteSyncMode } from '../schema.ts';
import { date, dateOrNull, defined, iso, isoOrNull } from './mapping.ts';

/** An account on a CSSM On-Prem satellite (DOMAIN §1, §3). */
export interface LocalAccount {
  id: number;
  name: string;
  smartAccountId: number | null;
  satelliteHost: string;
  syncMode: SatelliteSyncMode;
  lastCssmSyncAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface LocalAccountInput {
  name: string;
  satelliteHost: string;
  smartAccountId?: number | null;
  syncMode?: SatelliteSyncMode;
  lastCssmSyncAt?: Date | null;
}

function toLocalAccount(r: Selectable<LocalAccountsTable>): LocalAccount {
  return {
    id: r.id,
    name: r.name,
    smartAccountId: r.smart_account_id,
    satelliteHost: r.satellite_host,
    syncMode: r.sync_mode,
    lastCssmSyncAt: dateOrNull(r.last_cssm_sync_at),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

export class LocalAccountsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Inserts or updates by (satellite host, name). */
  async upsert(input: LocalAccountInput): Promise<LocalAccount> {
    const now = iso(this.clock.now());
    const changes = defined({
      smart_account_id: input.smartAccountId,
      sync_mode: input.syncMode,
      last_cssm_sync_at:
        input.lastCssmSyncAt === undefined ? undefined : isoOrNull(input.lastCssmSyncAt),
    });
    const row = await this.db
      .insertInto('local_accounts')
      .values({
        name: input.name,
        satellite_host: input.satelliteHost,
        sync_mode: 'connected',
        ...changes,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['satellite_host', 'name']).doUpdateSet({ ...changes, updated_at: now }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toLocalAccount(row);
  }

  async list(filter: { satelliteHost?: string } = {}): Promise<LocalAccount[]> {
    let q = this.db
      .selectFrom('local_accounts')
      .selectAll()
      .orderBy('satellite_host')
      .orderBy('name');
    if (filter.satelliteHost !== undefined)
      q = q.where('satellite_host', '=', filter.satelliteHost);
    return (await q.execute()).map(toLocalAccount);
  }

  async getBySmartAccount(smartAccountId: number): Promise<LocalAccount | undefined> {
    const row = await this.db
      .selectFrom('local_accounts')
      .selectAll()
      .where('smart_account_id', '=', smartAccountId)
      .executeTakeFirst();
    return row && toLocalAccount(row);
  }

  async setLastCssmSync(id: number, at: Date): Promise<void> {
    await this.db
      .updateTable('local_accounts')
      .set({ last_cssm_sync_at: iso(at), updated_at: iso(this.clock.now()) })
      .where('id', '=', id)
      .execute();
  }
}
