import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import { SmartlicError } from '../../errors.ts';
import { redactOptional, redactText } from '../../redact.ts';
import type { SecretBox } from '../crypto.ts';
import type { Database, JobStatus, JobsTable } from '../schema.ts';
import { date, dateOrNull, iso } from './mapping.ts';

/** An HCM-F style job (DOMAIN §7.5). */
export interface Job {
  id: number;
  jobType: string;
  entityType: string;
  entityName: string;
  /** The entity's id (a cluster's id for `Cluster` jobs); null on jobs from before 0005. */
  entityId: number | null;
  description: string | null;
  initiatedAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  status: JobStatus;
  statusInformation: string | null;
  recommendedAction: string | null;
  errorCode: string | null;
  requestedBy: string | null;
  correlationId: string | null;
  /** The process that runs it (`host|pid|instance`); null for jobs from before 0003. */
  runner: string | null;
}

export interface NewJob {
  jobType: string;
  entityType: string;
  entityName: string;
  entityId?: number | null;
  description?: string | null;
  requestedBy?: string | null;
  correlationId?: string | null;
  initiatedAt?: Date;
  runner?: string | null;
  /**
   * Recorded as already running (InProgress since then) instead of Queued: one statement for
   * a job that starts as soon as it is recorded (JobRunner), not an insert and an update.
   */
  startedAt?: Date;
}

export interface JobFailure {
  /** Cisco's code where one fits (CSSM1011, CAA1048, …). */
  errorCode: string;
  statusInformation: string;
  recommendedAction?: string | null;
}

export interface JobFilter {
  status?: JobStatus;
  entityType?: string;
  entityName?: string;
  entityId?: number;
  correlationId?: string;
  since?: Date;
  /** Default 100. */
  limit?: number;
}

function toJob(r: Selectable<JobsTable>): Job {
  return {
    id: r.id,
    jobType: r.job_type,
    entityType: r.entity_type,
    entityName: r.entity_name,
    entityId: r.entity_id,
    description: r.description,
    initiatedAt: date(r.initiated_at),
    startedAt: dateOrNull(r.started_at),
    completedAt: dateOrNull(r.completed_at),
    status: r.status,
    statusInformation: r.status_information,
    recommendedAction: r.recommended_action,
    errorCode: r.error_code,
    requestedBy: r.requested_by,
    correlationId: r.correlation_id,
    runner: r.runner,
  };
}

export class JobsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Creates a job in state Queued (InProgress when `startedAt` is given). */
  async create(j: NewJob): Promise<Job> {
    const row = await this.db
      .insertInto('jobs')
      .values({
        job_type: j.jobType,
        entity_type: j.entityType,
        entity_name: j.entityName,
        entity_id: j.entityId ?? null,
        description: j.description ?? null,
        requested_by: j.requestedBy ?? null,
        correlation_id: j.correlationId ?? null,
        initiated_at: iso(j.initiatedAt ?? this.clock.now()),
        status: j.startedAt ? 'InProgress' : 'Queued',
        ...(j.startedAt ? { started_at: iso(j.startedAt) } : {}),
        runner: j.runner ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toJob(row);
  }

  async start(id: number, statusInformation?: string): Promise<Job> {
    return this.update(id, {
      status: 'InProgress',
      started_at: iso(this.clock.now()),
      ...(statusInformation === undefined
        ? {}
        : { status_information: redactText(statusInformation) }),
    });
  }

  /**
   * Status information of a running job. Leaves `started_at` alone: a progress line is not a
   * restart.
   */
  async progress(id: number, statusInformation: string): Promise<Job> {
    return this.update(id, { status: 'InProgress', status_information: statusInformation });
  }

  /**
   * A job started inside another's work takes over its row (one job per request): its type,
   * entity and description replace the wrapper's; who asked stays.
   */
  async adopt(
    id: number,
    j: {
      jobType: string;
      entityType: string;
      entityName: string;
      entityId: number | null;
      description: string | null;
    },
  ): Promise<Job> {
    return this.update(id, {
      job_type: j.jobType,
      entity_type: j.entityType,
      entity_name: j.entityName,
      ...(j.entityId !== null ? { entity_id: j.entityId } : {}),
      ...(j.description !== null ? { description: j.description } : {}),
    });
  }

  async setEntityId(id: number, entityId: number): Promise<Job> {
    return this.update(id, { entity_id: entityId });
  }

  async complete(id: number, statusInformation?: string): Promise<Job> {
    return this.update(id, {
      status: 'Completed',
      completed_at: iso(this.clock.now()),
      status_information: redactOptional(statusInformation ?? null),
      error_code: null,
      recommended_action: null,
    });
  }

  async fail(id: number, f: JobFailure): Promise<Job> {
    return this.update(id, {
      status: 'Failed',
      completed_at: iso(this.clock.now()),
      error_code: f.errorCode,
      status_information: redactText(f.statusInformation),
      recommended_action: redactOptional(f.recommendedAction ?? null),
    });
  }

  private async update(id: number, set: Partial<Omit<Selectable<JobsTable>, 'id'>>): Promise<Job> {
    const row = await this.db
      .updateTable('jobs')
      .set(set)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new SmartlicError({ code: 'NOT_FOUND', message: `job ${id} does not exist` });
    return toJob(row);
  }

  async getById(id: number): Promise<Job | undefined> {
    const row = await this.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toJob(row);
  }

  /** Newest first. */
  async list(filter: JobFilter = {}): Promise<Job[]> {
    let q = this.db.selectFrom('jobs').selectAll();
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.entityType !== undefined) q = q.where('entity_type', '=', filter.entityType);
    if (filter.entityName !== undefined) q = q.where('entity_name', '=', filter.entityName);
    if (filter.entityId !== undefined) q = q.where('entity_id', '=', filter.entityId);
    if (filter.correlationId !== undefined) {
      q = q.where('correlation_id', '=', filter.correlationId);
    }
    if (filter.since !== undefined) q = q.where('initiated_at', '>=', iso(filter.since));
    const rows = await q
      .orderBy('initiated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toJob);
  }

  /** Jobs not finished (Queued or InProgress), optionally of one type and entity. */
  async listUnfinished(filter: { jobType?: string; entityName?: string } = {}): Promise<Job[]> {
    let q = this.db.selectFrom('jobs').selectAll().where('status', 'in', ['Queued', 'InProgress']);
    if (filter.jobType !== undefined) q = q.where('job_type', '=', filter.jobType);
    if (filter.entityName !== undefined) q = q.where('entity_name', '=', filter.entityName);
    return (await q.orderBy('id').execute()).map(toJob);
  }

  listFailed(filter: Omit<JobFilter, 'status'> = {}): Promise<Job[]> {
    return this.list({ ...filter, status: 'Failed' });
  }
}
