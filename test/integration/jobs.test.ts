// Real: JobRunner over the real JobsRepository and AuditRepository on an in-memory SQLite
// database with the real migrations. Faked: the work each job does (small functions) and time
// (a TestClock).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import { SmartlicError } from '../../core/errors.ts';
import { silentLogger } from '../../core/log.ts';
import { JobFailedError, JobRunner } from '../../core/services/jobs.service.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
  type DatabaseHandle,
  type Repositories,
} from '../../core/store/index.ts';

let h: DatabaseHandle;
let repos: Repositories;
let runner: JobRunner;
const clock = new TestClock('2026-11-28T12:00:00Z');

beforeEach(async () => {
  h = openDatabase({ path: ':memory:' });
  await migrateToLatest(h.db);
  repos = createRepositories(h.db, SecretBox.random(), clock);
  runner = new JobRunner({ jobs: repos.jobs, audit: repos.audit, clock, logger: silentLogger });
});
afterEach(async () => h.close());

const spec = {
  jobType: 'Register Cluster',
  entityType: 'Cluster',
  entityName: 'acme-cucm-01',
  description: 'Register acme-cucm-01',
  requestedBy: 'cli:alice',
};

describe('JobRunner', () => {
  it('records a completed job with HCM-F fields, its summary, progress and an audit entry', async () => {
    const { job, result } = await runner.run(
      spec,
      async (j) => {
        await j.progress('Registering the publisher');
        expect((await repos.jobs.getById(j.id))?.status).toBe('InProgress');
        expect((await repos.jobs.getById(j.id))?.statusInformation).toBe(
          'Registering the publisher',
        );
        clock.advance({ seconds: 5 });
        return 42;
      },
      (n) => `done with ${n}`,
    );
    expect(result).toBe(42);
    expect(job).toMatchObject({
      jobType: 'Register Cluster',
      entityType: 'Cluster',
      entityName: 'acme-cucm-01',
      description: 'Register acme-cucm-01',
      status: 'Completed',
      statusInformation: 'done with 42',
      requestedBy: 'cli:alice',
      errorCode: null,
    });
    expect(job.initiatedAt.toISOString()).toBe('2026-11-28T12:00:00.000Z');
    expect(job.completedAt!.getTime() - job.initiatedAt.getTime()).toBe(5000);
    const [audit] = await repos.audit.list({ entityId: 'acme-cucm-01' });
    expect(audit).toMatchObject({ actor: 'cli:alice', action: 'Register Cluster', jobId: job.id });
  });

  it('records a failure with the error code and recommended action, and rethrows it', async () => {
    const failing = runner.run(spec, () =>
      Promise.reject(
        new SmartlicError({
          code: 'CAA1048',
          message: 'registration token invalid or expired',
          action: 'Sync with CSSM, which refreshes tokens, then register again.',
        }),
      ),
    );
    const e = await failing.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(JobFailedError);
    const failed = (e as JobFailedError).job;
    expect(failed).toMatchObject({
      status: 'Failed',
      errorCode: 'CAA1048',
      statusInformation: 'registration token invalid or expired',
      recommendedAction: 'Sync with CSSM, which refreshes tokens, then register again.',
    });
    expect((await repos.jobs.list({ status: 'Failed' })).map((j) => j.id)).toEqual([failed.id]);
  });

  it('a job that cannot even be recorded rejects both promises without an unhandled rejection', async () => {
    await h.close(); // the database is gone: creating the job fails
    const started = runner.start(spec, () => Promise.resolve(1));
    await expect(started.jobId).rejects.toThrow();
    // `done` is not awaited here; an unhandled rejection would fail the test run.
    await new Promise((r) => setTimeout(r, 20));
    h = openDatabase({ path: ':memory:' }); // for afterEach
  });
});
