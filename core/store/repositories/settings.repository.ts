import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { Database } from '../schema.ts';
import { iso } from './mapping.ts';

/** Small key/value facts the app keeps about itself (not configuration: that is config.ts). */
export class SettingsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', key)
      .executeTakeFirst();
    return row?.value;
  }

  async set(key: string, value: string): Promise<void> {
    const updated_at = iso(this.clock.now());
    await this.db
      .insertInto('settings')
      .values({ key, value, updated_at })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at }))
      .execute();
  }

  async getJson(key: string): Promise<unknown> {
    const v = await this.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as unknown);
  }

  async setJson(key: string, value: unknown): Promise<void> {
    await this.set(key, JSON.stringify(value));
  }

  async delete(key: string): Promise<boolean> {
    const r = await this.db.deleteFrom('settings').where('key', '=', key).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async all(): Promise<Record<string, string>> {
    const rows = await this.db.selectFrom('settings').selectAll().orderBy('key').execute();
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }
}
