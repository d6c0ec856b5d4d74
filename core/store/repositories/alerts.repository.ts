import { sql, type Kysely, type Selectable } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type {
  AlertCandidate,
  AlertEntityKind,
  AlertFacts,
  AlertSeverity,
} from '../../domain/alerts.ts';
import { severityRank } from '../../domain/alerts.ts';
import { differs as differsSql } from '../dialect.ts';
import type { SecretBox } from '../crypto.ts';
import type {
  AlertEventKind,
  AlertEventsTable,
  AlertMutesTable,
  AlertState,
  AlertsTable,
  Database,
} from '../schema.ts';
import {
  atomically,
  date,
  dateOrNull,
  iso,
  isoOrNull,
  jsonOrNull,
  parseJsonObject,
} from './mapping.ts';

/** How an alert is silenced: by itself, or by a mute of its rule on its entity. */
export interface AlertMuteInfo {
  by: 'alert' | 'rule';
  until: Date;
  reason: string | null;
  mutedBy: string | null;
  /** The rule mute's id (`by: 'rule'`). */
  muteId?: number;
}

/** A stored alert: what the rule said last, plus its lifecycle. */
export interface Alert {
  id: number;
  rule: string;
  dedupeKey: string;
  severity: AlertSeverity;
  state: AlertState;
  entity: { kind: AlertEntityKind; id: string; name: string };
  /** `sa:<id>` or `global`: the evaluation that owns it. */
  scope: string;
  smartAccountId: number | null;
  customer: { id: number; name: string } | null;
  title: string;
  facts: AlertFacts;
  action: string | null;
  dueAt: Date | null;
  /** When the condition was first seen in its current open stretch (reset by a reopen). */
  firstSeen: Date;
  /** Last evaluation that saw it. */
  lastSeen: Date;
  /** Last change of severity, title or facts (null: none since it opened). */
  changedAt: Date | null;
  resolvedAt: Date | null;
  /** Evaluations that saw the condition since it (re)opened. */
  evaluations: number;
  /** The mute in force at the time of reading, if any (an expired mute reads as null). */
  mute: AlertMuteInfo | null;
}

/** A mute by rule and entity. */
export interface AlertRuleMute {
  id: number;
  rule: string;
  entityKind: string;
  entityId: string;
  until: Date;
  reason: string | null;
  createdBy: string | null;
  createdAt: Date;
}

export interface AlertHistoryEntry {
  id: number;
  alertId: number;
  at: Date;
  kind: AlertEventKind;
  severity: AlertSeverity;
  title: string;
  facts: AlertFacts;
  actor: string | null;
}

export interface AlertListFilter {
  /** Default 'open'. */
  state?: AlertState | 'all';
  /** This severity or worse. */
  minSeverity?: AlertSeverity;
  /** Customer name (exact) or id. */
  customer?: string | number;
  smartAccountId?: number;
  rule?: string;
  entityKind?: AlertEntityKind;
  entityId?: string;
  scope?: string;
  /** Default true; false leaves out alerts muted now. */
  includeMuted?: boolean;
  limit?: number;
}

/** What one evaluation changed, for the event port. `previous` is the row before the change. */
export interface AlertApplyResult {
  opened: Alert[];
  /** Opened again after having resolved. */
  reopened: Alert[];
  changed: { alert: Alert; previous: Alert; changes: ('severity' | 'title' | 'facts')[] }[];
  resolved: Alert[];
  /** Still holding with nothing new: only last seen and the evaluation count moved. */
  unchanged: number;
}

export interface AlertCounter {
  key: string;
  count: number;
  since: Date;
  lastAt: Date;
  detail: string | null;
}

function toAlert(r: Selectable<AlertsTable>, mute: AlertMuteInfo | null = null): Alert {
  return {
    id: r.id,
    rule: r.rule,
    dedupeKey: r.dedupe_key,
    severity: r.severity,
    state: r.state,
    entity: {
      kind: r.entity_type as AlertEntityKind,
      id: r.entity_id,
      name: r.entity_name ?? r.entity_id,
    },
    scope: r.scope,
    smartAccountId: r.smart_account_id,
    customer: r.customer_id !== null ? { id: r.customer_id, name: r.customer_name ?? '' } : null,
    title: r.message,
    facts: parseJsonObject(r.details) as AlertFacts,
    action: r.action,
    dueAt: dateOrNull(r.due_at),
    firstSeen: date(r.first_seen),
    lastSeen: date(r.last_seen),
    changedAt: dateOrNull(r.changed_at),
    resolvedAt: dateOrNull(r.resolved_at),
    evaluations: r.evaluations,
    mute,
  };
}

function toRuleMute(r: Selectable<AlertMutesTable>): AlertRuleMute {
  return {
    id: r.id,
    rule: r.rule,
    entityKind: r.entity_type,
    entityId: r.entity_id,
    until: date(r.until),
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: date(r.created_at),
  };
}

const CHUNK = 400;

function chunks<T>(xs: readonly T[], n = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Stable text of the facts: the rules build them in a fixed key order. */
function factsText(f: AlertFacts): string {
  return JSON.stringify(f);
}

export class AlertsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Stores one evaluation of `scope` at `at`, atomically: every candidate opens (new key),
   * reopens (its key had resolved), changes (severity, title or facts differ) or just counts
   * another evaluation; every open alert of `scope` whose key is not among the candidates
   * resolves. Nothing outside `scope` resolves. Upserts on the dedupe key (ON CONFLICT), so a
   * key is never stored twice whatever runs at the same time. History rows are written for
   * opened, reopened, changed and resolved.
   */
  async apply(
    scope: string,
    candidates: readonly AlertCandidate[],
    at: Date = this.clock.now(),
  ): Promise<AlertApplyResult> {
    return (await this.applyMany(new Map([[scope, candidates]]), at)).get(scope)!;
  }

  /**
   * `apply` for many scopes at once, with the same few statements whatever their number (an
   * evaluation after a full sync covers every account). A key found among the candidates of
   * any scope given does not resolve: an alert whose entity moved to another scope of the same
   * batch moves with it.
   */
  async applyMany<S extends string>(
    evaluations: ReadonlyMap<S, readonly AlertCandidate[]>,
    at: Date = this.clock.now(),
  ): Promise<Map<S, AlertApplyResult>> {
    const now = iso(at);
    return atomically(this.db, async (db) => {
      const results = new Map<S, AlertApplyResult>();
      const byKey = new Map<string, { c: AlertCandidate; scope: S }>();
      for (const [scope, list] of evaluations) {
        results.set(scope, { opened: [], reopened: [], changed: [], resolved: [], unchanged: 0 });
        for (const c of list) byKey.set(c.dedupeKey, { c, scope });
      }
      const resultOf = (scope: string) => results.get(scope as S)!;

      const openInScopes: Selectable<AlertsTable>[] = [];
      for (const part of chunks([...evaluations.keys()])) {
        openInScopes.push(
          ...(await db
            .selectFrom('alerts')
            .selectAll()
            .where('scope', 'in', part)
            .where('state', '=', 'open')
            .execute()),
        );
      }
      const existing = new Map<string, Selectable<AlertsTable>>();
      for (const r of openInScopes) existing.set(r.dedupe_key, r);
      const unknown = [...byKey.keys()].filter((k) => !existing.has(k));
      for (const part of chunks(unknown)) {
        const rows = await db
          .selectFrom('alerts')
          .selectAll()
          .where('dedupe_key', 'in', part)
          .execute();
        for (const r of rows) existing.set(r.dedupe_key, r);
      }

      // Resolve what no longer holds (the scopes evaluated only).
      const gone = openInScopes.filter((r) => !byKey.has(r.dedupe_key)).map((r) => r.id);
      for (const part of chunks(gone)) {
        const rows = await db
          .updateTable('alerts')
          .set({ state: 'resolved', resolved_at: now, last_seen: now })
          .where('id', 'in', part)
          .where('state', '=', 'open')
          .returningAll()
          .execute();
        for (const r of rows) resultOf(r.scope).resolved.push(toAlert(r));
      }

      const unchangedIds: number[] = [];
      const writes: AlertCandidate[] = [];
      for (const { c, scope } of byKey.values()) {
        const old = existing.get(c.dedupeKey);
        if (
          old &&
          old.state === 'open' &&
          old.scope === c.scope &&
          old.severity === c.severity &&
          old.message === c.title &&
          (old.details ?? '{}') === factsText(c.facts) &&
          old.action === (c.action ?? null) &&
          old.due_at === isoOrNull(c.dueAt) &&
          old.entity_name === c.entity.name &&
          old.customer_id === (c.customer?.id ?? null) &&
          old.customer_name === (c.customer?.name ?? null) &&
          old.smart_account_id === (c.smartAccount?.id ?? null)
        ) {
          unchangedIds.push(old.id);
          resultOf(scope).unchanged += 1;
        } else writes.push(c);
      }
      for (const part of chunks(unchangedIds)) {
        await db
          .updateTable('alerts')
          .set({ last_seen: now, evaluations: sql<number>`evaluations + 1` })
          .where('id', 'in', part)
          .execute();
      }
      // 19 values per row; SQLite allows 32766 parameters per statement.
      for (const part of chunks(writes, 200)) {
        const rows = await db
          .insertInto('alerts')
          .values(
            part.map((c) => ({
              rule: c.rule,
              entity_type: c.entity.kind,
              entity_id: c.entity.id,
              entity_name: c.entity.name,
              severity: c.severity,
              state: 'open' as const,
              first_seen: now,
              last_seen: now,
              resolved_at: null,
              dedupe_key: c.dedupeKey,
              message: c.title,
              details: factsText(c.facts),
              scope: c.scope,
              smart_account_id: c.smartAccount?.id ?? null,
              customer_id: c.customer?.id ?? null,
              customer_name: c.customer?.name ?? null,
              action: c.action ?? null,
              due_at: isoOrNull(c.dueAt),
              evaluations: 1,
            })),
          )
          .onConflict((oc) =>
            oc.column('dedupe_key').doUpdateSet((eb) => {
              const reopen = sql<boolean>`alerts.state = 'resolved'`;
              const d = this.db;
              const differs = sql<boolean>`(${differsSql(d, 'alerts.severity', 'excluded.severity')} OR ${differsSql(d, 'alerts.message', 'excluded.message')} OR ${differsSql(d, 'alerts.details', 'excluded.details')})`;
              return {
                rule: eb.ref('excluded.rule'),
                entity_type: eb.ref('excluded.entity_type'),
                entity_id: eb.ref('excluded.entity_id'),
                entity_name: eb.ref('excluded.entity_name'),
                severity: eb.ref('excluded.severity'),
                message: eb.ref('excluded.message'),
                details: eb.ref('excluded.details'),
                scope: eb.ref('excluded.scope'),
                smart_account_id: eb.ref('excluded.smart_account_id'),
                customer_id: eb.ref('excluded.customer_id'),
                customer_name: eb.ref('excluded.customer_name'),
                action: eb.ref('excluded.action'),
                due_at: eb.ref('excluded.due_at'),
                last_seen: eb.ref('excluded.last_seen'),
                state: sql<AlertState>`'open'`,
                resolved_at: sql<string | null>`NULL`,
                first_seen: sql<string>`CASE WHEN ${reopen} THEN excluded.first_seen ELSE alerts.first_seen END`,
                evaluations: sql<number>`CASE WHEN ${reopen} THEN 1 ELSE alerts.evaluations + 1 END`,
                changed_at: sql<
                  string | null
                >`CASE WHEN ${reopen} THEN NULL WHEN ${differs} THEN excluded.last_seen ELSE alerts.changed_at END`,
              };
            }),
          )
          .returningAll()
          .execute();
        for (const r of rows) {
          const old = existing.get(r.dedupe_key);
          const alert = toAlert(r);
          const result = resultOf(byKey.get(r.dedupe_key)!.scope);
          if (!old) result.opened.push(alert);
          else if (old.state === 'resolved') result.reopened.push(alert);
          else {
            const changes: ('severity' | 'title' | 'facts')[] = [];
            if (old.severity !== r.severity) changes.push('severity');
            if (old.message !== r.message) changes.push('title');
            if ((old.details ?? '{}') !== (r.details ?? '{}')) changes.push('facts');
            if (changes.length > 0) result.changed.push({ alert, previous: toAlert(old), changes });
            else result.unchanged += 1;
          }
        }
      }

      const all = [...results.values()];
      const history: { alert: Alert; kind: AlertEventKind }[] = [];
      for (const r of all) {
        for (const alert of r.opened) history.push({ alert, kind: 'opened' });
        for (const alert of r.reopened) history.push({ alert, kind: 'reopened' });
        for (const { alert } of r.changed) history.push({ alert, kind: 'changed' });
        for (const alert of r.resolved) history.push({ alert, kind: 'resolved' });
      }
      await this.writeHistory(db, history, now, null);

      const mutes = await this.mutesFor(
        db,
        at,
        history.map((h) => h.alert),
      );
      const withMute = (a: Alert): Alert => ({ ...a, mute: mutes(a) });
      for (const result of all) {
        result.opened = result.opened.map(withMute);
        result.reopened = result.reopened.map(withMute);
        result.changed = result.changed.map((c) => ({ ...c, alert: withMute(c.alert) }));
        result.resolved = result.resolved.map(withMute);
      }
      return results;
    });
  }

  private async writeHistory(
    db: Kysely<Database>,
    entries: readonly { alert: Alert; kind: AlertEventKind }[],
    at: string,
    actor: string | null,
  ): Promise<void> {
    for (const part of chunks(entries, 500)) {
      if (part.length === 0) continue;
      await db
        .insertInto('alert_events')
        .values(
          part.map(({ alert, kind }): Omit<AlertEventsTable, 'id'> => ({
            alert_id: alert.id,
            at,
            kind,
            severity: alert.severity,
            title: alert.title,
            facts: jsonOrNull(alert.facts),
            actor,
          })),
        )
        .execute();
    }
  }

  /** The mute lookup for `alerts` at `at`: own mute first, else a rule mute of its entity. */
  private async mutesFor(
    db: Kysely<Database>,
    at: Date,
    alerts: readonly Alert[],
  ): Promise<(a: Alert) => AlertMuteInfo | null> {
    const now = iso(at);
    const own = new Map<number, AlertMuteInfo>();
    const ids = alerts.map((a) => a.id);
    for (const part of chunks(ids)) {
      const rows = await db
        .selectFrom('alerts')
        .select(['id', 'muted_until', 'muted_reason', 'muted_by'])
        .where('id', 'in', part)
        .where('muted_until', '>', now)
        .execute();
      for (const r of rows) {
        own.set(r.id, {
          by: 'alert',
          until: date(r.muted_until!),
          reason: r.muted_reason,
          mutedBy: r.muted_by,
        });
      }
    }
    const ruleMutes = (
      await db.selectFrom('alert_mutes').selectAll().where('until', '>', now).execute()
    ).map(toRuleMute);
    const byTarget = new Map<string, AlertRuleMute>();
    for (const m of ruleMutes) {
      const k = `${m.rule}\u0000${m.entityKind}\u0000${m.entityId}`;
      const prev = byTarget.get(k);
      if (!prev || prev.until < m.until) byTarget.set(k, m);
    }
    return (a) => {
      const o = own.get(a.id);
      if (o) return o;
      const m = byTarget.get(`${a.rule}\u0000${a.entity.kind}\u0000${a.entity.id}`);
      return m
        ? { by: 'rule', until: m.until, reason: m.reason, mutedBy: m.createdBy, muteId: m.id }
        : null;
    };
  }

  async getById(id: number, at: Date = this.clock.now()): Promise<Alert | undefined> {
    const row = await this.db
      .selectFrom('alerts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const a = toAlert(row);
    return { ...a, mute: (await this.mutesFor(this.db, at, [a]))(a) };
  }

  async getByDedupeKey(key: string, at: Date = this.clock.now()): Promise<Alert | undefined> {
    const row = await this.db
      .selectFrom('alerts')
      .selectAll()
      .where('dedupe_key', '=', key)
      .executeTakeFirst();
    if (!row) return undefined;
    const a = toAlert(row);
    return { ...a, mute: (await this.mutesFor(this.db, at, [a]))(a) };
  }

  /**
   * Alerts by filter, most severe first, then the nearest deadline ("Action Due"), then the
   * oldest. Default: open ones, muted included (each says its mute).
   */
  async list(filter: AlertListFilter = {}, at: Date = this.clock.now()): Promise<Alert[]> {
    let q = this.db.selectFrom('alerts').selectAll();
    const state = filter.state ?? 'open';
    if (state !== 'all') q = q.where('state', '=', state);
    if (filter.minSeverity !== undefined) {
      const allowed = (['info', 'warning', 'critical'] as const).filter(
        (s) => severityRank(s) >= severityRank(filter.minSeverity!),
      );
      q = q.where('severity', 'in', allowed);
    }
    if (filter.customer !== undefined) {
      const c = filter.customer;
      q =
        typeof c === 'number'
          ? q.where('customer_id', '=', c)
          : q.where((eb) =>
              eb.or([
                eb('customer_name', '=', c),
                ...(/^\d+$/.test(c) ? [eb('customer_id', '=', Number(c))] : []),
              ]),
            );
    }
    if (filter.smartAccountId !== undefined)
      q = q.where('smart_account_id', '=', filter.smartAccountId);
    if (filter.rule !== undefined) q = q.where('rule', '=', filter.rule);
    if (filter.entityKind !== undefined) q = q.where('entity_type', '=', filter.entityKind);
    if (filter.entityId !== undefined) q = q.where('entity_id', '=', filter.entityId);
    if (filter.scope !== undefined) q = q.where('scope', '=', filter.scope);
    const rows = await q
      .orderBy(sql`CASE state WHEN 'open' THEN 0 ELSE 1 END`)
      .orderBy(sql`CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END`)
      .orderBy(sql`due_at IS NULL`)
      .orderBy('due_at')
      .orderBy('first_seen')
      .orderBy('id')
      .execute();
    const alerts = rows.map((r) => toAlert(r));
    const mute = await this.mutesFor(this.db, at, alerts);
    let out = alerts.map((a) => ({ ...a, mute: a.state === 'open' ? mute(a) : null }));
    if (filter.includeMuted === false) out = out.filter((a) => a.mute === null);
    return filter.limit !== undefined ? out.slice(0, filter.limit) : out;
  }

  /** Open alerts per Smart Account and severity, muted ones counted apart (summaries). */
  async countOpenBySmartAccount(
    at: Date = this.clock.now(),
  ): Promise<Map<number, Record<AlertSeverity | 'muted', number>>> {
    const open = await this.list({ state: 'open' }, at);
    const out = new Map<number, Record<AlertSeverity | 'muted', number>>();
    for (const a of open) {
      if (a.smartAccountId === null) continue;
      const c = out.get(a.smartAccountId) ?? { critical: 0, warning: 0, info: 0, muted: 0 };
      if (a.mute) c.muted += 1;
      else c[a.severity] += 1;
      out.set(a.smartAccountId, c);
    }
    return out;
  }

  /** Mutes one alert until `until` (it keeps updating; delivery holds back). */
  async muteAlert(
    id: number,
    m: { until: Date; reason?: string | null; by?: string | null },
    at: Date = this.clock.now(),
  ): Promise<Alert | undefined> {
    return atomically(this.db, async (db) => {
      const row = await db
        .updateTable('alerts')
        .set({
          muted_until: iso(m.until),
          muted_reason: m.reason ?? null,
          muted_by: m.by ?? null,
          muted_at: iso(at),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      const a = toAlert(row);
      await this.writeHistory(db, [{ alert: a, kind: 'muted' }], iso(at), m.by ?? null);
      return { ...a, mute: (await this.mutesFor(db, at, [a]))(a) };
    });
  }

  /** Ends the alert's own mute and every rule mute that covers it. */
  async unmuteAlert(
    id: number,
    by: string | null = null,
    at: Date = this.clock.now(),
  ): Promise<Alert | undefined> {
    return atomically(this.db, async (db) => {
      const row = await db
        .updateTable('alerts')
        .set({ muted_until: null, muted_reason: null, muted_by: null, muted_at: null })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      await db
        .updateTable('alert_mutes')
        .set({ until: iso(at) })
        .where('rule', '=', row.rule)
        .where('entity_type', '=', row.entity_type)
        .where('entity_id', '=', row.entity_id)
        .where('until', '>', iso(at))
        .execute();
      const a = toAlert(row);
      await this.writeHistory(db, [{ alert: a, kind: 'unmuted' }], iso(at), by);
      return a;
    });
  }

  /** Mutes a rule on an entity (every alert of it, present and future) until `until`. */
  async muteRule(
    m: {
      rule: string;
      entityKind: string;
      entityId: string;
      until: Date;
      reason?: string | null;
      by?: string | null;
    },
    at: Date = this.clock.now(),
  ): Promise<AlertRuleMute> {
    const row = await this.db
      .insertInto('alert_mutes')
      .values({
        rule: m.rule,
        entity_type: m.entityKind,
        entity_id: m.entityId,
        until: iso(m.until),
        reason: m.reason ?? null,
        created_by: m.by ?? null,
        created_at: iso(at),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRuleMute(row);
  }

  /** Rule mutes in force at `at`. */
  async listRuleMutes(at: Date = this.clock.now()): Promise<AlertRuleMute[]> {
    const rows = await this.db
      .selectFrom('alert_mutes')
      .selectAll()
      .where('until', '>', iso(at))
      .orderBy('until')
      .execute();
    return rows.map(toRuleMute);
  }

  /** The history of one alert, oldest first. */
  async history(alertId: number): Promise<AlertHistoryEntry[]> {
    const rows = await this.db
      .selectFrom('alert_events')
      .selectAll()
      .where('alert_id', '=', alertId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      alertId: r.alert_id,
      at: date(r.at),
      kind: r.kind,
      severity: r.severity,
      title: r.title,
      facts: parseJsonObject(r.facts) as AlertFacts,
      actor: r.actor,
    }));
  }

  /** Counters whose key starts with `prefix`. */
  async counters(prefix: string): Promise<Map<string, AlertCounter>> {
    const rows = await this.db
      .selectFrom('alert_counters')
      .selectAll()
      .where('key', '>=', prefix)
      .where('key', '<', `${prefix}\uffff`)
      .execute();
    return new Map(
      rows.map((r) => [
        r.key,
        {
          key: r.key,
          count: r.count,
          since: date(r.since),
          lastAt: date(r.last_at),
          detail: r.detail,
        },
      ]),
    );
  }

  /** Adds one to each counter in `bump` (starting it at 1) and deletes those in `reset`. */
  async updateCounters(
    bump: readonly { key: string; detail?: string | null }[],
    reset: readonly string[],
    at: Date = this.clock.now(),
  ): Promise<void> {
    const now = iso(at);
    await atomically(this.db, async (db) => {
      for (const part of chunks(reset)) {
        await db.deleteFrom('alert_counters').where('key', 'in', part).execute();
      }
      for (const part of chunks(bump, 500)) {
        await db
          .insertInto('alert_counters')
          .values(
            part.map((b) => ({
              key: b.key,
              count: 1,
              since: now,
              last_at: now,
              detail: b.detail ?? null,
            })),
          )
          .onConflict((oc) =>
            oc.column('key').doUpdateSet((eb) => ({
              count: sql<number>`alert_counters.count + 1`,
              last_at: eb.ref('excluded.last_at'),
              detail: eb.ref('excluded.detail'),
            })),
          )
          .execute();
      }
    });
  }
}
