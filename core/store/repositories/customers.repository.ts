import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { CustomersTable, Database } from '../schema.ts';
import { date, defined, iso } from './mapping.ts';

/** An HCS tenant (DOMAIN §1). */
export interface Customer {
  id: number;
  name: string;
  description: string | null;
  smartAccountId: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CustomerInput {
  name: string;
  description?: string | null;
  smartAccountId?: number | null;
}

function toCustomer(r: Selectable<CustomersTable>): Customer {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    smartAccountId: r.smart_account_id,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

export class CustomersRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Inserts or updates by name. */
  async upsert(input: CustomerInput): Promise<Customer> {
    const now = iso(this.clock.now());
    const changes = defined({
      description: input.description,
      smart_account_id: input.smartAccountId,
    });
    const row = await this.db
      .insertInto('customers')
      .values({ name: input.name, ...changes, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('name').doUpdateSet({ ...changes, updated_at: now }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toCustomer(row);
  }

  async getById(id: number): Promise<Customer | undefined> {
    const row = await this.db
      .selectFrom('customers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toCustomer(row);
  }

  async getByName(name: string): Promise<Customer | undefined> {
    const row = await this.db
      .selectFrom('customers')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toCustomer(row);
  }

  async list(filter: { smartAccountId?: number } = {}): Promise<Customer[]> {
    let q = this.db.selectFrom('customers').selectAll().orderBy('name');
    if (filter.smartAccountId !== undefined) {
      q = q.where('smart_account_id', '=', filter.smartAccountId);
    }
    return (await q.execute()).map(toCustomer);
  }

  /** Fails (foreign key) while the customer still has clusters. */
  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('customers').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}
