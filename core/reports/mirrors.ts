/**
 * A satellite's mirror of a cloud VA. A satellite local account holds the licenses of the CSSM
 * VA it syncs with, so when smartlic syncs both (the cloud Smart Account and the satellite),
 * the same licenses are listed twice. Totals across VAs count them once: the cloud VA's rows,
 * CSSM's own count [design: the satellite does not say which VA it mirrors over its API, so
 * the link is the VA name — a satellite VA mirrors the one cloud VA of the same name; with
 * none or several of that name it is counted as a VA of its own].
 */
import { sql, type RawBuilder } from 'kysely';
import { vaLabel, type ReportDb } from './common.ts';

export interface SatelliteMirror {
  /** The satellite local account's VA (its licenses are not added again). */
  satelliteVaId: number;
  satellite: string;
  /** The cloud VA whose licenses count. */
  cloudVaId: number;
  cloud: string;
}

/** The ids of satellite VAs that mirror a cloud VA, as a parenthesized subquery (one rule for every total). */
export function mirrorVaIds(): RawBuilder<number> {
  return sql<number>`(select v.id from virtual_accounts v
    join smart_accounts s on s.id = v.smart_account_id
    where s.source = 'satellite' and v.removed_at is null and (
      select count(*) from virtual_accounts c
      join smart_accounts cs on cs.id = c.smart_account_id
      where cs.source <> 'satellite' and c.removed_at is null and c.name = v.name
    ) = 1)`;
}

/** Every satellite VA that mirrors a cloud VA, by satellite label. */
export async function satelliteMirrors(db: ReportDb): Promise<SatelliteMirror[]> {
  const rows = await db
    .selectFrom('virtual_accounts as v')
    .innerJoin('smart_accounts as s', 's.id', 'v.smart_account_id')
    .innerJoin('virtual_accounts as c', 'c.name', 'v.name')
    .innerJoin('smart_accounts as cs', 'cs.id', 'c.smart_account_id')
    .select([
      'v.id as satelliteVaId',
      'v.name as name',
      's.domain as satelliteDomain',
      'c.id as cloudVaId',
      'cs.domain as cloudDomain',
    ])
    .where('s.source', '=', 'satellite')
    .where('cs.source', '<>', 'satellite')
    .where('v.removed_at', 'is', null)
    .where('c.removed_at', 'is', null)
    .where('v.id', 'in', mirrorVaIds())
    .orderBy('s.domain')
    .orderBy('v.name')
    .execute();
  return rows.map((r) => ({
    satelliteVaId: r.satelliteVaId,
    satellite: vaLabel(r.satelliteDomain, r.name),
    cloudVaId: r.cloudVaId,
    cloud: vaLabel(r.cloudDomain, r.name),
  }));
}
