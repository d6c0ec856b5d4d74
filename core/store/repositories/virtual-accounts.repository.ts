import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { Database, LicenseMode, VirtualAccountRole, VirtualAccountsTable } from '../schema.ts';
import { atomically, bool, date, defined, inTransaction, iso, sqlBool } from './mapping.ts';

export interface VirtualAccount {
  id: number;
  smartAccountId: number;
  name: string;
  description: string | null;
  isDefault: boolean;
  commerceAccessLevel: string | null;
  licenseMode: LicenseMode | null;
  role: VirtualAccountRole | null;
  createdAt: Date;
  updatedAt: Date;
  /** CSSM stopped listing it at this sync (null: listed); the operator's settings are kept. */
  missingSince: Date | null;
  /** Consecutive syncs whose VA list lacked it. */
  missingSyncs: number;
}

/** What CSSM tells about a VA. License mode and role are ours and are set separately. */
export interface VirtualAccountInput {
  name: string;
  description?: string | null;
  isDefault?: boolean;
  commerceAccessLevel?: string | null;
}

export function toVirtualAccount(r: Selectable<VirtualAccountsTable>): VirtualAccount {
  return {
    id: r.id,
    smartAccountId: r.smart_account_id,
    name: r.name,
    description: r.description,
    isDefault: bool(r.is_default),
    commerceAccessLevel: r.commerce_access_level,
    licenseMode: r.license_mode,
    role: r.role,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    missingSince: r.missing_since === null ? null : date(r.missing_since),
    missingSyncs: r.missing_syncs,
  };
}

/** One VA's new settings in a bulk change; a field left out stays as stored. */
export interface VirtualAccountSettingsChange {
  id: number;
  licenseMode?: LicenseMode;
  role?: VirtualAccountRole | null;
}

/** VA ids per statement: under SQLite's bound-parameter limit and PostgreSQL's. */
const IDS_PER_STATEMENT = 10_000;

export class VirtualAccountsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Runs `fn` in one transaction (joining the caller's when there is one) with this repository
   * bound to it: a bulk change checks what it changes and writes it in the same transaction.
   */
  transaction<T>(
    fn: (repo: VirtualAccountsRepository, trx: Kysely<Database>) => Promise<T>,
  ): Promise<T> {
    return atomically(this.db, (trx) =>
      fn(new VirtualAccountsRepository(trx, this.secrets, this.clock), trx),
    );
  }

  /** How many clusters are assigned to each of `ids` (a VA without any is absent). */
  async assignedClusterCounts(ids: readonly number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
      const part = ids.slice(i, i + IDS_PER_STATEMENT);
      const rows = await this.db
        .selectFrom('clusters')
        .select((eb) => ['virtual_account_id as id', eb.fn.countAll<number>().as('n')])
        .where('virtual_account_id', 'in', part)
        .groupBy('virtual_account_id')
        .execute();
      for (const r of rows) if (r.id !== null) out.set(r.id, Number(r.n));
    }
    return out;
  }

  /**
   * Sets the license modes and roles of many VAs in a few statements (one per value and
   * chunk of ids, instead of one committed statement per VA). Whether each may change is the
   * service's rule; call it inside `transaction` with that check.
   */
  async applySettings(changes: readonly VirtualAccountSettingsChange[]): Promise<void> {
    const now = iso(this.clock.now());
    const byMode = new Map<LicenseMode, number[]>();
    const byRole = new Map<VirtualAccountRole | null, number[]>();
    for (const c of changes) {
      if (c.licenseMode !== undefined) {
        const l = byMode.get(c.licenseMode) ?? [];
        byMode.set(c.licenseMode, l);
        l.push(c.id);
      }
      if (c.role !== undefined) {
        const l = byRole.get(c.role) ?? [];
        byRole.set(c.role, l);
        l.push(c.id);
      }
    }
    for (const [mode, ids] of byMode) {
      for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
        await this.db
          .updateTable('virtual_accounts')
          .set({ license_mode: mode, updated_at: now })
          .where('id', 'in', ids.slice(i, i + IDS_PER_STATEMENT))
          .execute();
      }
    }
    for (const [role, ids] of byRole) {
      for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
        await this.db
          .updateTable('virtual_accounts')
          .set({ role, updated_at: now })
          .where('id', 'in', ids.slice(i, i + IDS_PER_STATEMENT))
          .execute();
      }
    }
  }

  /**
   * Inserts or updates by (SA, name); keeps license mode and role. CSSM listing the VA again
   * ends its missing mark (and brings a removed one back).
   */
  async upsert(smartAccountId: number, input: VirtualAccountInput): Promise<VirtualAccount> {
    const now = iso(this.clock.now());
    const changes = {
      ...defined({
        description: input.description,
        is_default: input.isDefault === undefined ? undefined : sqlBool(input.isDefault),
        commerce_access_level: input.commerceAccessLevel,
      }),
      missing_since: null,
      missing_syncs: 0,
      removed_at: null,
    };
    const row = await this.db
      .insertInto('virtual_accounts')
      .values({
        smart_account_id: smartAccountId,
        name: input.name,
        is_default: 0,
        ...changes,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['smart_account_id', 'name']).doUpdateSet({ ...changes, updated_at: now }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toVirtualAccount(row);
  }

  async getById(id: number): Promise<VirtualAccount | undefined> {
    const row = await this.db
      .selectFrom('virtual_accounts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toVirtualAccount(row);
  }

  async getByName(smartAccountId: number, name: string): Promise<VirtualAccount | undefined> {
    const row = await this.db
      .selectFrom('virtual_accounts')
      .selectAll()
      .where('smart_account_id', '=', smartAccountId)
      .where('name', '=', name)
      .where('removed_at', 'is', null)
      .executeTakeFirst();
    return row && toVirtualAccount(row);
  }

  async listBySmartAccount(smartAccountId: number): Promise<VirtualAccount[]> {
    const rows = await this.db
      .selectFrom('virtual_accounts')
      .selectAll()
      .where('smart_account_id', '=', smartAccountId)
      .where('removed_at', 'is', null)
      .orderBy('name')
      .execute();
    return rows.map(toVirtualAccount);
  }

  async listAll(): Promise<VirtualAccount[]> {
    const rows = await this.db
      .selectFrom('virtual_accounts')
      .selectAll()
      .where('removed_at', 'is', null)
      .orderBy('smart_account_id')
      .orderBy('name')
      .execute();
    return rows.map(toVirtualAccount);
  }

  /** Stores the mode only; whether it may change (no cluster assigned) is the service's rule. */
  async setLicenseMode(id: number, mode: LicenseMode | null): Promise<void> {
    await this.db
      .updateTable('virtual_accounts')
      .set({ license_mode: mode, updated_at: iso(this.clock.now()) })
      .where('id', '=', id)
      .execute();
  }

  async setRole(id: number, role: VirtualAccountRole | null): Promise<void> {
    await this.db
      .updateTable('virtual_accounts')
      .set({ role, updated_at: iso(this.clock.now()) })
      .where('id', '=', id)
      .execute();
  }

  /** The operational VA of an SA (auto-registration target), if one is marked. */
  async getOperational(smartAccountId: number): Promise<VirtualAccount | undefined> {
    const row = await this.db
      .selectFrom('virtual_accounts')
      .selectAll()
      .where('smart_account_id', '=', smartAccountId)
      .where('role', '=', 'operational')
      .where('removed_at', 'is', null)
      .orderBy('name')
      .executeTakeFirst();
    return row && toVirtualAccount(row);
  }

  /**
   * Marks the SA's VAs whose names are not in `listedNames` as missing: since `now` (or the
   * earlier sync that first missed them), one more consecutive miss. Nothing is deleted and
   * the operator's settings stay. Returns the missing VAs after the update.
   */
  async markMissing(
    smartAccountId: number,
    listedNames: readonly string[],
    now: Date,
  ): Promise<VirtualAccount[]> {
    const at = iso(now);
    let q = this.db
      .updateTable('virtual_accounts')
      .set((eb) => ({
        missing_since: eb.fn.coalesce('missing_since', eb.val(at)),
        missing_syncs: eb('missing_syncs', '+', 1),
      }))
      .where('smart_account_id', '=', smartAccountId)
      .where('removed_at', 'is', null);
    if (listedNames.length > 0) q = q.where('name', 'not in', [...listedNames]);
    const rows = await q.returningAll().execute();
    return rows.map(toVirtualAccount).sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Removes a VA: its licenses, tokens and devices go, assigned clusters become unassigned,
   * and the row stays (marked removed) so its usage history stays. A later listing that
   * names it again brings it back (without the removed data).
   */
  async remove(id: number, now: Date): Promise<void> {
    // One transaction (or the caller's): a VA is removed entirely or not at all.
    const body = async (db: Kysely<Database>) => {
      await db.deleteFrom('licenses').where('virtual_account_id', '=', id).execute();
      await db.deleteFrom('license_substitutions').where('virtual_account_id', '=', id).execute();
      await db.deleteFrom('registration_tokens').where('virtual_account_id', '=', id).execute();
      await db.deleteFrom('devices').where('virtual_account_id', '=', id).execute();
      await db
        .updateTable('clusters')
        .set({ virtual_account_id: null })
        .where('virtual_account_id', '=', id)
        .execute();
      await db
        .updateTable('virtual_accounts')
        .set({ removed_at: iso(now), role: null, updated_at: iso(now) })
        .where('id', '=', id)
        .execute();
    };
    if (this.db.isTransaction) await body(this.db);
    else await inTransaction(this.db, body);
  }

  /**
   * Deletes the SA's VAs whose names are not in `keepNames` (gone from CSSM); their licenses,
   * tokens, devices and snapshots go by cascade, assigned clusters become unassigned.
   * Returns the deleted names.
   */
  async deleteMissing(smartAccountId: number, keepNames: readonly string[]): Promise<string[]> {
    let q = this.db.deleteFrom('virtual_accounts').where('smart_account_id', '=', smartAccountId);
    if (keepNames.length > 0) q = q.where('name', 'not in', [...keepNames]);
    const rows = await q.returning('name').execute();
    return rows.map((r) => r.name).sort();
  }
}
