import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import { redact } from '../../redact.ts';
import type { SecretBox } from '../crypto.ts';
import type { AuditLogTable, Database } from '../schema.ts';
import { date, iso, jsonOrNull, parseJsonObject } from './mapping.ts';

export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  action: string;
  entityType: string | null;
  entityId: string | null;
  details: Record<string, unknown>;
  jobId: number | null;
}

export interface AuditInput {
  actor: string;
  action: string;
  entityType?: string | null;
  entityId?: string | number | null;
  details?: Record<string, unknown>;
  jobId?: number | null;
  at?: Date;
}

/** Audit details never carry a secret: the one redaction rule (core/redact.ts). */
export function redactSecrets(v: unknown): unknown {
  return redact(v);
}

function toEntry(r: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: r.id,
    at: date(r.at),
    actor: r.actor,
    action: r.action,
    entityType: r.entity_type,
    entityId: r.entity_id,
    details: parseJsonObject(r.details),
    jobId: r.job_id,
  };
}

export class AuditRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  async append(e: AuditInput): Promise<AuditEntry> {
    const row = await this.db
      .insertInto('audit_log')
      .values({
        at: iso(e.at ?? this.clock.now()),
        actor: e.actor,
        action: e.action,
        entity_type: e.entityType ?? null,
        entity_id: e.entityId === undefined || e.entityId === null ? null : String(e.entityId),
        details: jsonOrNull(e.details === undefined ? undefined : redactSecrets(e.details)),
        job_id: e.jobId ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toEntry(row);
  }

  /** Newest first. */
  async list(
    filter: {
      actor?: string;
      entityType?: string;
      entityId?: string;
      since?: Date;
      limit?: number;
    } = {},
  ): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (filter.actor !== undefined) q = q.where('actor', '=', filter.actor);
    if (filter.entityType !== undefined) q = q.where('entity_type', '=', filter.entityType);
    if (filter.entityId !== undefined) q = q.where('entity_id', '=', filter.entityId);
    if (filter.since !== undefined) q = q.where('at', '>=', iso(filter.since));
    const rows = await q
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toEntry);
  }
}
