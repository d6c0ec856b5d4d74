import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { Database } from '../schema.ts';
import { jsonInt, jsonRows, jsonText, perDialect } from '../dialect.ts';
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
    const d = this.db;
    await sql`insert into usage_snapshots
        (taken_at, virtual_account_id, smart_account_domain, virtual_account_name, license_type,
         quantity, in_use, available, shortage)
      select ${iso(takenAt)}, ${jsonInt(d, 'j.value', 0)}, sa.domain, va.name,
        ${jsonText(d, 'j.value', 1)}, ${jsonInt(d, 'j.value', 2)}, ${jsonInt(d, 'j.value', 3)},
        ${jsonInt(d, 'j.value', 4)}, ${jsonInt(d, 'j.value', 5)}
      from ${jsonRows(d, JSON.stringify(rows), 'j')}
      left join virtual_accounts va on va.id = ${jsonInt(d, 'j.value', 0)}
      left join smart_accounts sa on sa.id = va.smart_account_id
      order by j.key`.execute(d);
  }

  /**
   * What a sync writes: for each VA, its snapshot rows when its usage changed since its latest
   * rows (a value, a license type more or fewer, the VA or Smart Account renamed), else one
   * `usage_repeats` row saying "the same again at takenAt". Readers see the same points either
   * way (the `usage_points` view); a re-sync that changed nothing writes a row per VA instead of
   * a row per VA and license type, each in a different page of the series index.
   */
  async record(
    entries: readonly { virtualAccountId: number; points: readonly UsagePoint[] }[],
    takenAt: Date = this.clock.now(),
  ): Promise<{ rows: number; repeats: number }> {
    const withPoints = entries.filter((e) => e.points.length > 0);
    if (withPoints.length === 0) return { rows: 0, repeats: 0 };
    const latest = await this.latestRows(withPoints);
    const changed: typeof withPoints = [];
    const repeats: { va: number; first: number; last: number }[] = [];
    for (const e of withPoints) {
      const block = sameBlock(e.points, latest.get(e.virtualAccountId));
      if (block) repeats.push({ va: e.virtualAccountId, ...block });
      else changed.push(e);
    }
    await this.appendMany(changed, takenAt);
    if (repeats.length > 0) {
      const d = this.db;
      const json = JSON.stringify(repeats.map((r) => [r.va, r.first, r.last]));
      await sql`insert into usage_repeats (virtual_account_id, taken_at, first_id, last_id)
        select ${jsonInt(d, 'j.value', 0)}, ${iso(takenAt)}, ${jsonInt(d, 'j.value', 1)},
          ${jsonInt(d, 'j.value', 2)}
        from ${jsonRows(d, json, 'j')}
        order by j.key`.execute(d);
    }
    return { rows: changed.reduce((n, e) => n + e.points.length, 0), repeats: repeats.length };
  }

  /**
   * The latest stored row of each (VA, license type) given, with the SA domain and VA name the
   * VA has now: one statement, one index seek per series.
   */
  private async latestRows(
    entries: readonly { virtualAccountId: number; points: readonly UsagePoint[] }[],
  ): Promise<Map<number, LatestRow[]>> {
    const keys = entries.flatMap((e) => e.points.map((p) => [e.virtualAccountId, p.licenseType]));
    const { rows } = await sql<LatestRow>`
      select s.id, s.virtual_account_id as va, s.taken_at, s.license_type, s.quantity, s.in_use,
        s.available, s.shortage, s.smart_account_domain as domain, s.virtual_account_name as name,
        sa.domain as domain_now, va.name as name_now
      from ${jsonRows(this.db, JSON.stringify(keys), 'j')}
      join usage_snapshots s on s.id = (
        select x.id from usage_snapshots x
        where x.virtual_account_id = ${jsonInt(this.db, 'j.value', 0)}
          and x.license_type = ${jsonText(this.db, 'j.value', 1)}
        order by x.taken_at desc, x.id desc limit 1)
      left join virtual_accounts va on va.id = s.virtual_account_id
      left join smart_accounts sa on sa.id = va.smart_account_id`.execute(this.db);
    const by = new Map<number, LatestRow[]>();
    for (const r of rows) {
      const list = by.get(r.va);
      if (list) list.push(r);
      else by.set(r.va, [r]);
    }
    return by;
  }

  /** Oldest first (the stored rows and the repeats, as every reader sees them). */
  async series(q: UsageSeriesQuery): Promise<UsageSnapshot[]> {
    let s = this.db
      .selectFrom('usage_points')
      .selectAll()
      .where('virtual_account_id', '=', q.virtualAccountId);
    if (q.licenseType !== undefined) s = s.where('license_type', '=', q.licenseType);
    if (q.from !== undefined) s = s.where('taken_at', '>=', iso(q.from));
    if (q.to !== undefined) s = s.where('taken_at', '<', iso(q.to));
    const rows = await s.orderBy('taken_at').orderBy('license_type').orderBy('ord').execute();
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
   * Retention: of the points taken before `before`, keeps one a day per (VA, license type),
   * the day's last, and deletes the rest (a sync every few minutes would otherwise grow the
   * table without bound while trends need only a point a day). Days are UTC. Returns how many
   * rows went. Repeats older than `before` are first made rows (only each VA's last of a day:
   * the others would be thinned at once), and the repeats still newer than `before` are
   * pointed at the newest copy of what they repeat, which thinning keeps.
   */
  async thin(before: Date): Promise<number> {
    const at = iso(before);
    const old = await this.db
      .selectFrom('usage_repeats')
      .select(['id', 'virtual_account_id', 'taken_at', 'first_id', 'last_id'])
      .where('taken_at', '<', at)
      .orderBy('virtual_account_id')
      .orderBy('taken_at')
      .orderBy('id')
      .execute();
    if (old.length > 0) {
      const lastOfDay = new Map<string, (typeof old)[number]>();
      for (const r of old) lastOfDay.set(`${r.virtual_account_id}|${r.taken_at.slice(0, 10)}`, r);
      // Oldest first, so each copy's ids grow with its time; the newest copy of a block wins.
      const copies = [...lastOfDay.values()].sort(
        (a, b) => a.taken_at.localeCompare(b.taken_at) || a.id - b.id,
      );
      const newest = new Map<string, { first: number; last: number }>();
      for (const r of copies) {
        const { rows } = await sql<{ first: number; last: number }>`
          insert into usage_snapshots (taken_at, virtual_account_id, smart_account_domain,
            virtual_account_name, license_type, quantity, in_use, available, shortage)
          select ${r.taken_at}, virtual_account_id, smart_account_domain, virtual_account_name,
            license_type, quantity, in_use, available, shortage
          from usage_snapshots where id between ${r.first_id} and ${r.last_id} order by id
          returning id as first, id as last`.execute(this.db);
        if (rows.length === 0) continue;
        newest.set(`${r.first_id}|${r.last_id}`, {
          first: Math.min(...rows.map((x) => x.first)),
          last: Math.max(...rows.map((x) => x.last)),
        });
      }
      await this.db.deleteFrom('usage_repeats').where('taken_at', '<', at).execute();
      for (const [key, to] of newest) {
        const [first, last] = key.split('|').map(Number) as [number, number];
        await this.db
          .updateTable('usage_repeats')
          .set({ first_id: to.first, last_id: to.last })
          .where('first_id', '=', first)
          .where('last_id', '=', last)
          .execute();
      }
    }
    // The day's last by time, then id (a row copied from a repeat has a higher id than rows
    // taken later that day).
    const r = await sql`delete from usage_snapshots
      where taken_at < ${at}
        and id not in (
          select ${perDialect(this.db, {
            sqlite: sql`cast(substr(max(taken_at || printf('%020d', id)), -20) as integer)`,
            postgres: sql`cast(right(max(taken_at || lpad(id::text, 20, '0')), 20) as bigint)`,
          })}
          from usage_snapshots
          where taken_at < ${at}
          group by virtual_account_id, license_type, substr(taken_at, 1, 10)
        )`.execute(this.db);
    return Number(r.numAffectedRows ?? 0n);
  }

  /** Deletes snapshots older than `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    await this.db.deleteFrom('usage_repeats').where('taken_at', '<', iso(before)).execute();
    const r = await this.db
      .deleteFrom('usage_snapshots')
      .where('taken_at', '<', iso(before))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

interface LatestRow {
  id: number;
  va: number;
  taken_at: string;
  license_type: string;
  quantity: number;
  in_use: number;
  available: number;
  shortage: number;
  domain: string | null;
  name: string | null;
  domain_now: string | null;
  name_now: string | null;
}

/**
 * The id range of the VA's latest rows when `points` are exactly them again: one row per
 * point with the same values, all of one sync (same time, contiguous ids, nothing else in the
 * range), under the same SA domain and VA name. Otherwise undefined: the points become rows.
 */
function sameBlock(
  points: readonly UsagePoint[],
  latest: readonly LatestRow[] | undefined,
): { first: number; last: number } | undefined {
  if (!latest || latest.length !== points.length) return undefined;
  const byType = new Map(latest.map((r) => [r.license_type, r]));
  if (byType.size !== points.length) return undefined;
  let first = Infinity;
  let last = -Infinity;
  const at = latest[0]!.taken_at;
  for (const p of points) {
    const r = byType.get(p.licenseType);
    if (
      !r ||
      r.taken_at !== at ||
      r.quantity !== p.quantity ||
      r.in_use !== p.inUse ||
      r.available !== p.available ||
      r.shortage !== (p.shortage ?? 0) ||
      r.domain !== r.domain_now ||
      r.name !== r.name_now
    )
      return undefined;
    first = Math.min(first, r.id);
    last = Math.max(last, r.id);
  }
  return last - first + 1 === points.length ? { first, last } : undefined;
}
