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
  /** The SA domain and VA name when the snapshot was taken (the VA may be gone since). */
  smartAccountDomain: string | null;
  virtualAccountName: string | null;
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
    await this.appendMany([{ virtualAccountId, points }], takenAt);
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
    // The SA domain and VA name go with each row: the history outlives a VA's rename or removal.
    await sql`insert into usage_snapshots
        (taken_at, virtual_account_id, smart_account_domain, virtual_account_name, license_type,
         quantity, in_use, available, shortage)
      select ${iso(takenAt)}, j.value ->> 0, sa.domain, va.name, j.value ->> 1, j.value ->> 2,
        j.value ->> 3, j.value ->> 4, j.value ->> 5
      from json_each(${JSON.stringify(rows)}) j
      left join virtual_accounts va on va.id = j.value ->> 0
      left join smart_accounts sa on sa.id = va.smart_account_id
      order by j.key`.execute(this.db);
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
      smartAccountDomain: r.smart_account_domain,
      virtualAccountName: r.virtual_account_name,
      licenseType: r.license_type,
      quantity: r.quantity,
      inUse: r.in_use,
      available: r.available,
      shortage: r.shortage,
    }));
  }

  /**
   * Retention: of the snapshots taken before `before`, keeps one a day per (VA, license type),
   * the day's last, and deletes the rest (a sync every few minutes would otherwise grow the
   * table without bound while trends need only a point a day). Days are UTC. Returns how many
   * rows went.
   */
  async thin(before: Date): Promise<number> {
    const r = await sql`delete from usage_snapshots
      where taken_at < ${iso(before)}
        and id not in (
          select max(id) from usage_snapshots
          where taken_at < ${iso(before)}
          group by virtual_account_id, license_type, substr(taken_at, 1, 10)
        )`.execute(this.db);
    return Number(r.numAffectedRows ?? 0n);
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
