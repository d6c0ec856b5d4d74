// Real: the emulator (demo scenario, frozen clock) with its fault injection (429 with
// Retry-After, 5xx, hung requests, connections dropped mid-answer), core/services sync over
// core/cssm's real HttpClient retries, SQLite in a temp file. Faked: the smartlic clock
// (TestClock kept equal to the emulator's). The fault generator is seeded (seed 7), so each case's
// outcome is known and asserted exactly: a complete sync that matches the emulator, reached
// through retries of the injected kind (counted from the HttpClient's "retrying" log lines), or
// a Failed job with the previous data untouched.
import { afterEach, describe, expect, it } from 'vitest';
import { findLicenseType } from '../../core/domain/catalog.ts';
import { provisionCloud, seedClusters, setup, snapshotData, type Fixture } from './sync-fixture.ts';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/**
 * `timeoutMs` short only where hung requests are the fault under test: elsewhere a loaded
 * machine's slow answer must not time out and add retries of another kind.
 */
async function prepared(timeoutMs = 10_000): Promise<{ fx: Fixture; accountId: number }> {
  const f = await setup({
    config: { http: { timeoutMs, maxRetries: 4, retryAfterCapMs: 1000 } },
  });
  const p = await provisionCloud(f);
  await seedClusters(f);
  const first = await f.services.sync.syncAccount(p.account.id, { requestedBy: 'test' });
  expect(first.status).toBe('Completed');
  // Change CSSM so that a complete sync would change the database.
  await f.admin('clusters/acme-cucm-01', { demand: { UCM_Enhanced: 300, UCM_CUWL: 70 } }, 'PATCH');
  return { fx: f, accountId: p.account.id };
}

/** What the HttpClient retried during the sync: the status (429, 503) or network error kind. */
function retried(f: Fixture): string[] {
  return f.logs
    .map((l) => JSON.parse(l) as { msg?: string; status?: number; kind?: string })
    .filter((l) => l.msg?.endsWith(', retrying'))
    .map((l) => String(l.status ?? l.kind));
}

/**
 * Runs a full sync under `faults` (seed 7). Checks the outcome it returns: complete and equal to
 * the emulator, or failed with every data row as before. Returns the outcome and the retries.
 */
async function completeOrUntouched(
  f: Fixture,
  accountId: number,
  faults: Record<string, unknown>,
): Promise<{ status: 'Completed' | 'Failed'; retries: string[] }> {
  const before = await snapshotData(f);
  f.logs.length = 0;
  await f.faults({ scope: 'cloud', seed: 7, ...faults });
  const o = await f.services.sync.syncAccount(accountId, { requestedBy: 'test', full: true });
  await f.faults(null);
  const after = await snapshotData(f);
  const account = (await f.repos.smartAccounts.getById(accountId))!;
  const job = (await f.repos.jobs.getById(o.jobId!))!;
  if (o.status === 'Failed') {
    expect(after).toEqual(before);
    expect(account.lastSyncStatus).toBe('Failed');
    expect(account.lastSyncError).toMatch(/^CSSM10\d\d: /);
    expect(job.status).toBe('Failed');
    expect(job.errorCode).toMatch(/^CSSM10\d\d$/);
    expect(job.recommendedAction).toBeTruthy();
  } else {
    expect(account.lastSyncStatus).toBe('Success');
    expect(job.status).toBe('Completed');
    const st = await f.state();
    const va = st.smartAccounts[0]!.virtualAccounts.find((v) => v.name === 'va-acme')!;
    const row = (await f.repos.virtualAccounts.getByName(accountId, 'va-acme'))!;
    const mine = await f.repos.licenses.listByVirtualAccount(row.id);
    for (const l of va.licenses) {
      const m = mine.find((x) => x.licenseType === (findLicenseType(l.license)?.id ?? l.license))!;
      expect([l.license, m.inUse, m.available]).toEqual([l.license, l.inUse, l.available]);
    }
    expect(after).not.toEqual(before);
  }
  return { status: o.status, retries: retried(f) };
}

/** Retries of the injected kind happened (the sync got through them). */
function expectRetriesOf(retries: string[], kind: string): void {
  expect(retries.filter((k) => k === kind).length).toBeGreaterThan(0);
}

describe('sync under faults', () => {
  it('a 429 storm with Retry-After: retried, sync completes', async () => {
    const r = await prepared();
    fx = r.fx;
    const id = r.accountId;
    const o = await completeOrUntouched(fx, id, {
      status429: { rate: 0.3, retryAfterSeconds: 1 },
    });
    expect(o.status).toBe('Completed');
    expectRetriesOf(o.retries, '429');
  });

  it('5xx answers now and then: retried, sync completes', async () => {
    const r = await prepared();
    fx = r.fx;
    const id = r.accountId;
    const o = await completeOrUntouched(fx, id, { errorRate: 0.3, errorStatus: 503 });
    expect(o.status).toBe('Completed');
    expectRetriesOf(o.retries, '503');
  });

  it('hung requests time out and are retried, sync completes', async () => {
    const r = await prepared(400);
    fx = r.fx;
    const id = r.accountId;
    const o = await completeOrUntouched(fx, id, { timeoutRate: 0.15 });
    expect(o.status).toBe('Completed');
    expectRetriesOf(o.retries, 'timeout');
  });

  it('connections dropped mid-answer are retried, sync completes', async () => {
    const r = await prepared();
    fx = r.fx;
    const id = r.accountId;
    const o = await completeOrUntouched(fx, id, { dropRate: 0.3 });
    expect(o.status).toBe('Completed');
    expectRetriesOf(o.retries, 'reset');
  });

  it('CSSM failing every request: the job fails with CSSM1020 and the data stays as it was', async () => {
    const r = await prepared();
    fx = r.fx;
    const id = r.accountId;
    const o = await completeOrUntouched(fx, id, { errorRate: 1, errorStatus: 500 });
    expect(o.status).toBe('Failed');
    // A 500 is not retried (it may have been acted on): the first answer ends the sync.
    expect(o.retries).toEqual([]);
    const job = (
      await fx.repos.jobs.list({ entityName: fx.cloud().account, status: 'Failed' })
    )[0]!;
    expect(job.errorCode).toBe('CSSM1020');
  });

  it('CSSM unreachable: CSSM1005, previous data whole, next sync recovers', async () => {
    const r = await prepared();
    fx = r.fx;
    const id = r.accountId;
    const down = await completeOrUntouched(fx, id, { unreachable: { cloud: true } });
    expect(down.status).toBe('Failed');
    expectRetriesOf(down.retries, 'reset');
    expect((await fx.repos.smartAccounts.getById(id))!.lastSyncError).toMatch(/^CSSM1005: /);
    const o = await fx.services.sync.syncAccount(id, { requestedBy: 'test' });
    expect(o.status).toBe('Completed');
    // After a failure the next sync reads everything again.
    expect(o.skipped.filter((s) => s === 'tokens' || s === 'devices')).toEqual([]);
  });
});
