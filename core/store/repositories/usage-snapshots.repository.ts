import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { Database } from '../schema.ts';
import { date, iso } from './mapping.ts';

export interface UsagePoint {
  licenseType: string;
  quantity: number;
  inUse: number;
  available: number;
  shortage?: number;
}

export interface UsageSnapshot extends Required<UsagePoint> {
  takenAt: Date;
  virtualAccountId: number;
}

export interface UsageSeriesQuery {
  virtualAccountId: number;
  licenseType?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** Usage history for trends: one row per (VA, license type) per sync. */
export class UsageSnapshotsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  async append(
    virtualAccountId: number,
    points: readonly UsagePoint[],
    takenAt: Date = this.clock.now(),
  ): Promise<void> {
    if (points.length === 0) return;
    await this.db
      .insertInto('usage_snapshots')
      .values(
        points.map((p) => ({
          taken_at: iso(takenAt),
          virtual_account_id: virtualAccountId,
          license_type: p.licenseType,
          quantity: p.quantity,
          in_use: p.inUse,
          available: p.available,
          shortage: p.shortage ?? 0,
        })),
      )
      .execute();
  }

  /**
   * `append` for many VAs in one statement (a sync appends one snapshot per VA; a Smart
   * Account can have dozens). Rows go in the order given.
   */
  async appendMany(
    entries: readonly { virtualAccountId: number; points: readonly UsagePoint[] }[],
    takenAt: Date = this.clock.now(),
  ): Promise<void> {
    const rows = entries.flatMap((e) =>
      e.points.map((p) => [
        e.virtualAccountId,
        p.licenseType,
        p.quantity,
        p.inUse,
        p.available,
        p.shortage ?? 0,
      ]),
    );
    if (rows.length === 0) return;
    await sql`insert into usage_snapshots
        (taken_at, virtual_account_id, license_type, quantity, in_use, available, shortage)
      select ${iso(takenAt)}, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4,
        value ->> 5
      from json_each(${JSON.stringify(rows)})`.execute(this.db);
  }

  /** Oldest first. */
  async series(q: UsageSeriesQuery): Promise<UsageSnapshot[]> {
    let s = this.db
      .selectFrom('usage_snapshots')
      .selectAll()
      .where('virtual_account_id', '=', q.virtualAccountId);
    if (q.licenseType !== undefined) s = s.where('license_type', '=', q.licenseType);
    if (q.from !== undefined) s = s.where('taken_at', '>=', iso(q.from));
    if (q.to !== undefined) s = s.where('taken_at', '<', iso(q.to));
    const rows = await s.orderBy('taken_at').orderBy('license_type').orderBy('id').execute();
    return rows.map((r) => ({
      takenAt: date(r.taken_at),
      virtualAccountId: r.virtual_account_id,
      licenseType: r.license_type,
      quantity: r.quantity,
      inUse: r.in_use,
      available: r.available,
      shortage: r.shortage,
    }));
  }

  /** Deletes snapshots older than `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    const r = await this.db
      .deleteFrom('usage_snapshots')
      .where('taken_at', '<', iso(before))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
