/**
 * Every write is a job (DOMAIN §7.5): the runner records it InProgress as it starts it (it
 * queues nothing, so it never stores Queued), and it ends Completed or Failed with Cisco's
 * error code and a recommended action; an audit entry names who asked. A failure never loses the error: it is on the job and rethrown to the caller.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Clock } from '../clock.ts';
import { SmartlicError, toSmartlicError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { AuditRepository, Job, JobsRepository } from '../store/index.ts';
import type { AccountLeases, AccountRef } from './account-lease.ts';
import { describeRunner, processRunner, type RunnerIdentity } from './runner.ts';

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
  /**
   * The first job started inside this one's work becomes this job (one row, this job's
   * `requestedBy`, the inner job's type, entity and error): a chat write that wraps a
   * service's job is then one job. Off for work that starts several jobs (sync of all).
   */
  adoptNested?: boolean;
  /**
   * The smart account this write changes: the job holds the account's lease while it runs, so
   * that it and a sync or another write of the account (in this process, another one, or
   * another instance on the database) never run at once. A function when the account is only
   * known once the job runs (a cluster's VA is looked up inside it, its errors recorded on the
   * job); undefined from it: no account (the job then fails on its own rules).
   */
  account?: AccountRef | (() => Promise<AccountRef | undefined>);
}

/** The job whose work is running, for a job started inside it to adopt. */
interface Running {
  id: number;
  adoptable: boolean;
  /** The adopting job's summary, for the row's status information when it completes. */
  summary?: string;
}
const running = new AsyncLocalStorage<Running>();

export interface JobHandle {
  readonly id: number;
  /** Updates the job's status information while it runs. */
  progress(info: string): Promise<void>;
  /** Records the entity's id once the job has created it (e.g. Add Cluster). */
  entity(id: number): Promise<void>;
  /**
   * Marks the job Completed with `summary` through `jobs`, a repository on the caller's own
   * write transaction: the job's end commits with the data it wrote (no window where the data
   * is there and the job still runs) and costs no statement and commit of its own. The runner
   * then does not complete it again. Absent on a job adopted by an outer one (the outer job
   * completes the row).
   */
  completeIn?(jobs: JobsRepository, summary: string): Promise<void>;
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
  /** Who runs the jobs; default this process. */
  runner?: RunnerIdentity;
  /** The account leases a job with `account` holds (none: jobs take no lease). */
  accountLeases?: AccountLeases;
  /** How long such a job waits for a sync of its account (then SYNC_BUSY); default 60 s. */
  accountWaitMs?: number;
}

export class JobRunner {
  readonly runner: RunnerIdentity;

  constructor(private readonly deps: JobRunnerDeps) {
    this.runner = deps.runner ?? processRunner();
  }

  /** The account leases this runner's jobs hold (a sync run by it holds the same ones). */
  get accountLeases(): AccountLeases | undefined {
    return this.deps.accountLeases;
  }

  /** How long a job waits for a sync of its account before SYNC_BUSY. */
  get accountWaitMs(): number {
    return this.deps.accountWaitMs ?? 60_000;
  }

  /**
   * Closes as Failed ("interrupted") every unfinished job whose process no longer runs (a
   * crash, `kill -9`, Ctrl-C), optionally only of one type and entity. Returns them.
   */
  async closeOrphaned(filter: { jobType?: string; entityName?: string } = {}): Promise<Job[]> {
    const out: Job[] = [];
    for (const j of await this.deps.jobs.listUnfinished(filter)) {
      if (this.runner.alive(j.runner)) continue;
      out.push(
        await this.deps.jobs.fail(j.id, {
          errorCode: 'INTERRUPTED',
          statusInformation: `interrupted: ${describeRunner(j.runner)} ended before the job did`,
          recommendedAction:
            'sync the account to see where things stand, then run the job again if it is still needed',
        }),
      );
    }
    if (out.length > 0) {
      this.deps.logger.warn('closed jobs left unfinished by a process that ended', {
        jobs: out.map((j) => j.id),
      });
    }
    return out;
  }

  /** Runs `fn` holding the lease of `spec.account` (waiting for a sync of it within the wait). */
  private async leased<T>(spec: JobSpec, fn: () => Promise<T>): Promise<T> {
    const leases = this.deps.accountLeases;
    if (!leases || !spec.account) return fn();
    const account = typeof spec.account === 'function' ? await spec.account() : spec.account;
    if (!account) return fn();
    return leases.hold(account, spec.jobType, this.deps.accountWaitMs ?? 60_000, () => fn());
  }

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
    const outer = running.getStore();
    if (outer?.adoptable) {
      outer.adoptable = false;
      return this.adopted(outer, spec, fn, summarize);
    }
    const now = this.deps.clock.now();
    // Recorded running at once (one statement): nothing waits between its record and its start.
    const created = jobs.create({
      jobType: spec.jobType,
      entityType: spec.entityType,
      entityName: spec.entityName,
      entityId: spec.entityId ?? null,
      description: spec.description ?? null,
      requestedBy: spec.requestedBy,
      correlationId: spec.correlationId ?? null,
      initiatedAt: now,
      startedAt: now,
      runner: this.runner.id,
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
      const log = logger.child({ jobId: job.id, jobType: spec.jobType, entity: spec.entityName });
      const handle: JobHandle = {
        id: job.id,
        progress: async (info) => {
          await jobs.progress(job.id, info);
        },
        entity: async (id) => {
          await jobs.setEntityId(job.id, id);
        },
        completeIn: async (trxJobs, summary) => {
          completedIn = await trxJobs.complete(job.id, summary);
        },
      };
      // Set by completeIn; trusted once `fn` returned (its transaction then committed).
      let completedIn: Job | undefined;
      let result: T;
      const self: Running = { id: job.id, adoptable: spec.adoptNested === true };
      try {
        result = await running.run(self, () => this.leased(spec, () => fn(handle)));
      } catch (e) {
        // Failed in a job it adopted: that recorded Cisco's code and action on this very row.
        if (e instanceof JobFailedError && e.job.id === job.id) throw e;
        // A nested job's failure carries its SmartlicError (not INTERNAL).
        const err = e instanceof JobFailedError ? e.error : toSmartlicError(e);
        const failed = await jobs.fail(job.id, {
          errorCode: err.code,
          statusInformation: err.message,
          recommendedAction: err.action ?? null,
        });
        log.warn('job failed', { code: err.code, error: err.message });
        throw new JobFailedError(failed, err);
      }
      const completed =
        completedIn ??
        (await jobs.complete(
          job.id,
          summarize ? summarize(result) : (self.summary ?? 'Successful.'),
        ));
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

  /** Runs a job inside the row of the job that started it (see `JobSpec.adoptNested`). */
  private adopted<T>(
    outer: Running,
    spec: JobSpec,
    fn: (job: JobHandle) => Promise<T>,
    summarize?: (result: T) => string,
  ): { jobId: Promise<number>; done: Promise<{ job: Job; result: T }> } {
    const { jobs, audit, logger } = this.deps;
    const id = outer.id;
    const done = (async () => {
      await jobs.adopt(id, {
        jobType: spec.jobType,
        entityType: spec.entityType,
        entityName: spec.entityName,
        entityId: spec.entityId ?? null,
        description: spec.description ?? null,
      });
      // The audit names the action the service performed (`Remove Virtual Account`), whichever
      // face started it: an auditor looks for the action, not for the command that wrapped it.
      await audit.append({
        actor: spec.requestedBy,
        action: spec.jobType,
        entityType: spec.entityType,
        entityId: spec.entityName,
        details: { description: spec.description, ...spec.details },
        jobId: id,
      });
      const log = logger.child({ jobId: id, jobType: spec.jobType, entity: spec.entityName });
      const handle: JobHandle = {
        id,
        progress: async (info) => {
          await jobs.progress(id, info);
        },
        entity: async (eid) => {
          await jobs.setEntityId(id, eid);
        },
      };
      let result: T;
      try {
        result = await running.run({ id, adoptable: false }, () =>
          this.leased(spec, () => fn(handle)),
        );
      } catch (e) {
        const err = e instanceof JobFailedError ? e.error : toSmartlicError(e);
        const failed = await jobs.fail(id, {
          errorCode: err.code,
          statusInformation: err.message,
          recommendedAction: err.action ?? null,
        });
        log.warn('job failed', { code: err.code, error: err.message });
        throw new JobFailedError(failed, err);
      }
      outer.summary = summarize ? summarize(result) : outer.summary;
      const job = (await jobs.getById(id))!;
      return { job, result };
    })();
    const jobId = Promise.resolve(id);
    done.catch(() => undefined);
    return { jobId, done };
  }
}
