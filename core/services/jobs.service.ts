/**
 * Every write is a job (DOMAIN §7.5): it is recorded Queued, runs InProgress, and ends
 * Completed or Failed with Cisco's error code and a recommended action; an audit entry names
 * who asked. A failure never loses the error: it is on the job and rethrown to the caller.
 */
import type { Clock } from '../clock.ts';
import { toSmartlicError, type SmartlicError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { AuditRepository, Job, JobsRepository } from '../store/index.ts';

export interface JobSpec {
  /** e.g. `Sync`, `Register Cluster`, `Create Token`, `Set License Mode`. */
  jobType: string;
  /** e.g. `Smart Account`, `Virtual Account`, `Cluster`. */
  entityType: string;
  entityName: string;
  /** The entity's id where it has one (a cluster's id): jobs are joined to clusters by it. */
  entityId?: number;
  description?: string;
  /** Who asked: `cli:<user>`, `slack:U123`, `scheduler`, … */
  requestedBy: string;
  correlationId?: string;
  /** Extra audit details (never secrets; the audit repository redacts secret-looking keys). */
  details?: Record<string, unknown>;
}

export interface JobHandle {
  readonly id: number;
  /** Updates the job's status information while it runs. */
  progress(info: string): Promise<void>;
  /** Records the entity's id once the job has created it (e.g. Add Cluster). */
  entity(id: number): Promise<void>;
}

export class JobFailedError extends Error {
  constructor(
    readonly job: Job,
    readonly error: SmartlicError,
  ) {
    super(error.message, { cause: error });
    this.name = 'JobFailedError';
  }
}

export interface JobRunnerDeps {
  jobs: JobsRepository;
  audit: AuditRepository;
  clock: Clock;
  logger: Logger;
}

export class JobRunner {
  constructor(private readonly deps: JobRunnerDeps) {}

  /**
   * Records and runs one job. Resolves with the job as completed and `fn`'s result; on failure
   * records the SmartlicError's code, message and action on the job and rethrows it.
   */
  run<T>(
    spec: JobSpec,
    fn: (job: JobHandle) => Promise<T>,
    summarize?: (result: T) => string,
  ): Promise<{ job: Job; result: T }> {
    return this.start(spec, fn, summarize).done;
  }

  /**
   * Records the job and starts it without waiting: the caller can answer with the job id at
   * once (chat) and follow up when `done` settles.
   */
  start<T>(
    spec: JobSpec,
    fn: (job: JobHandle) => Promise<T>,
    summarize?: (result: T) => string,
  ): { jobId: Promise<number>; done: Promise<{ job: Job; result: T }> } {
    const { jobs, audit, logger } = this.deps;
    const created = jobs.create({
      jobType: spec.jobType,
      entityType: spec.entityType,
      entityName: spec.entityName,
      entityId: spec.entityId ?? null,
      description: spec.description ?? null,
      requestedBy: spec.requestedBy,
      correlationId: spec.correlationId ?? null,
      initiatedAt: this.deps.clock.now(),
    });
    const done = (async () => {
      const job = await created;
      await audit.append({
        actor: spec.requestedBy,
        action: spec.jobType,
        entityType: spec.entityType,
        entityId: spec.entityName,
        details: { description: spec.description, ...spec.details },
        jobId: job.id,
      });
      await jobs.start(job.id);
      const log = logger.child({ jobId: job.id, jobType: spec.jobType, entity: spec.entityName });
      const handle: JobHandle = {
        id: job.id,
        progress: async (info) => {
          await jobs.progress(job.id, info);
        },
        entity: async (id) => {
          await jobs.setEntityId(job.id, id);
        },
      };
      let result: T;
      try {
        result = await fn(handle);
      } catch (e) {
        const err = toSmartlicError(e);
        const failed = await jobs.fail(job.id, {
          errorCode: err.code,
          statusInformation: err.message,
          recommendedAction: err.action ?? null,
        });
        log.warn('job failed', { code: err.code, error: err.message });
        throw new JobFailedError(failed, err);
      }
      const completed = await jobs.complete(job.id, summarize ? summarize(result) : 'Successful.');
      log.debug('job completed');
      return { job: completed, result };
    })();
    const jobId = created.then((j) => j.id);
    // Callers may await only one of the two (a failed create rejects both): never let the
    // other become an unhandled rejection that ends the process.
    jobId.catch(() => undefined);
    done.catch(() => undefined);
    return { jobId, done };
  }
}
