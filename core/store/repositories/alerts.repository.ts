import { sql, type Kysely, type Selectable } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { AlertSeverity, AlertState, AlertsTable, Database } from '../schema.ts';
import { date, dateOrNull, iso, isoOrNull, jsonOrNull, parseJsonObject } from './mapping.ts';

export interface Alert {
  id: number;
  rule: string;
  entityType: string;
  entityId: string;
  severity: AlertSeverity;
  state: AlertState;
  firstSeen: Date;
  lastSeen: Date;
  resolvedAt: Date | null;
  mutedUntil: Date | null;
  dedupeKey: string;
  message: string;
  details: Record<string, unknown>;
}

export interface AlertInput {
  rule: string;
  entityType: string;
  entityId: string;
  severity: AlertSeverity;
  message: string;
  /** One alert per key: the same condition on the same entity. */
  dedupeKey: string;
  details?: Record<string, unknown>;
  at?: Date;
}

/** What an upsert did, so notify/ knows whether to post, update, or stay quiet. */
export type AlertChange = 'opened' | 'reopened' | 'updated';

function toAlert(r: Selectable<AlertsTable>): Alert {
  return {
    id: r.id,
    rule: r.rule,
    entityType: r.entity_type,
    entityId: r.entity_id,
    severity: r.severity,
    state: r.state,
    firstSeen: date(r.first_seen),
    lastSeen: date(r.last_seen),
    resolvedAt: dateOrNull(r.resolved_at),
    mutedUntil: dateOrNull(r.muted_until),
    dedupeKey: r.dedupe_key,
    message: r.message,
    details: parseJsonObject(r.details),
  };
}

export class AlertsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Records that a condition holds now. New key → opened; a resolved alert → reopened (new
   * first_seen); open or muted → updated (last_seen, severity, message, details; a mute
   * stays until it ends).
   */
  async upsert(a: AlertInput): Promise<{ alert: Alert; change: AlertChange }> {
    // No read-then-write: two syncs may raise the same alert at once. Each step below is one
    // statement keyed by the unique dedupe key, so whichever runs second sees the first's row.
    const at = iso(a.at ?? this.clock.now());
    const common = {
      rule: a.rule,
      entity_type: a.entityType,
      entity_id: a.entityId,
      severity: a.severity,
      message: a.message,
      details: jsonOrNull(a.details),
      last_seen: at,
    };
    const inserted = await this.db
      .insertInto('alerts')
      .values({ ...common, dedupe_key: a.dedupeKey, state: 'open', first_seen: at })
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { alert: toAlert(inserted), change: 'opened' };
    const reopened = await this.db
      .updateTable('alerts')
      .set({ ...common, state: 'open', first_seen: at, resolved_at: null, muted_until: null })
      .where('dedupe_key', '=', a.dedupeKey)
      .where('state', '=', 'resolved')
      .returningAll()
      .executeTakeFirst();
    if (reopened) return { alert: toAlert(reopened), change: 'reopened' };
    const row = await this.db
      .updateTable('alerts')
      .set({
        ...common,
        // A mute that has run out ends here; one still running stays until it ends. (SQL
        // reads the old row on the right-hand side of every SET.)
        state: sql<AlertState>`case when state = 'muted' and muted_until <= ${at} then 'open' else state end`,
        muted_until: sql<
          string | null
        >`case when state = 'muted' and muted_until <= ${at} then null else muted_until end`,
      })
      .where('dedupe_key', '=', a.dedupeKey)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { alert: toAlert(row), change: 'updated' };
  }

  /** Resolves an open or muted alert; undefined when there was none to resolve. */
  async resolve(dedupeKey: string, at: Date = this.clock.now()): Promise<Alert | undefined> {
    const row = await this.db
      .updateTable('alerts')
      .set({ state: 'resolved', resolved_at: iso(at), muted_until: null })
      .where('dedupe_key', '=', dedupeKey)
      .where('state', '!=', 'resolved')
      .returningAll()
      .executeTakeFirst();
    return row && toAlert(row);
  }

  /**
   * Resolves every unresolved alert of `rules` whose key is not in `stillFiring` (the rule
   * evaluation no longer sees it). Returns the resolved alerts.
   */
  async resolveMissing(
    rules: readonly string[],
    stillFiring: readonly string[],
    at: Date = this.clock.now(),
  ): Promise<Alert[]> {
    if (rules.length === 0) return [];
    let q = this.db
      .updateTable('alerts')
      .set({ state: 'resolved', resolved_at: iso(at), muted_until: null })
      .where('rule', 'in', [...rules])
      .where('state', '!=', 'resolved');
    if (stillFiring.length > 0) q = q.where('dedupe_key', 'not in', [...stillFiring]);
    return (await q.returningAll().execute()).map(toAlert);
  }

  /** Mutes an unresolved alert until `until` (null = until resolved). */
  async mute(dedupeKey: string, until: Date | null): Promise<Alert | undefined> {
    const row = await this.db
      .updateTable('alerts')
      .set({ state: 'muted', muted_until: isoOrNull(until) })
      .where('dedupe_key', '=', dedupeKey)
      .where('state', '!=', 'resolved')
      .returningAll()
      .executeTakeFirst();
    return row && toAlert(row);
  }

  async getByDedupeKey(dedupeKey: string): Promise<Alert | undefined> {
    const row = await this.db
      .selectFrom('alerts')
      .selectAll()
      .where('dedupe_key', '=', dedupeKey)
      .executeTakeFirst();
    return row && toAlert(row);
  }

  /** Open alerts (not muted, not resolved), most severe then oldest first. */
  async listOpen(
    filter: { entityType?: string; entityId?: string; includeMuted?: boolean } = {},
  ): Promise<Alert[]> {
    let q = this.db
      .selectFrom('alerts')
      .selectAll()
      .where('state', 'in', filter.includeMuted === true ? ['open', 'muted'] : ['open']);
    if (filter.entityType !== undefined) q = q.where('entity_type', '=', filter.entityType);
    if (filter.entityId !== undefined) q = q.where('entity_id', '=', filter.entityId);
    const rows = await q
      .orderBy((eb) =>
        eb.case('severity').when('critical').then(0).when('warning').then(1).else(2).end(),
      )
      .orderBy('first_seen')
      .orderBy('id')
      .execute();
    return rows.map(toAlert);
  }
}
