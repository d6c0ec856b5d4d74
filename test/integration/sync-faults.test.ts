// Real: the emulator (demo scenario, frozen clock) with its fault injection (429 with
// Retry-After, 5xx, hung requests, connections dropped mid-answer) and its tally of what it
// injected (GET /__emulator/faults/tally), core/services sync over core/cssm's real HttpClient
// retries, SQLite in a temp file. Faked: the smartlic clock (TestClock kept equal to the
// emulator's). The fault generator is seeded (seed 7), so each case's outcome is known and
// asserted exactly: a complete sync that matches the emulator, reached through retries proved at
// both ends — every fault the emulator injected is one retry of that kind in the HttpClient's
// "retrying" log lines, and the emulator saw each retried request again — or a Failed job with
// the previous data untouched.
// Covers core/services/sync (syncAccount), core/cssm/http.ts (HttpClient.send's retry loop) and
// emulator/http/faults.ts (the injector and its tally).
import { afterEach, describe, expect, it } from 'vitest';
import { findLicenseType } from '../../core/domain/catalog.ts';
import type { FaultTally } from '../../emulator/http/faults.ts';
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
): Promise<{ status: 'Completed' | 'Failed'; retries: string[]; tally: FaultTally }> {
  const before = await snapshotData(f);
  f.logs.length = 0;
  await f.faults({ scope: 'cloud', seed: 7, ...faults });
  const o = await f.services.sync.syncAccount(accountId, { requestedBy: 'test', full: true });
  // Read before clearing: replacing the fault set starts a new tally.
  const tally = (await f.admin('faults/tally')) as FaultTally;
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
  return { status: o.status, retries: retried(f), tally };
}

/** How many of `retries` are of `kind`. */
const countOf = (retries: string[], kind: string): number =>
  retries.filter((k) => k === kind).length;

/**
 * The emulator injected `outcome` at least once, and the client retried every one of them as
 * `kind` (exactly as many retries of that kind as faults injected): a client that gave up, or
 * never retried, fails this even when its failure is clean. Also: the emulator decided on every
 * request of the sync, faulted and passed, and passed at least the retried ones again — the
 * retries reached the server, they are not only lines in the client's log.
 */
function expectEachFaultRetried(
  o: { retries: string[]; tally: FaultTally },
  outcome: string,
  kind: string,
): number {
  const injected = o.tally.outcomes[outcome] ?? 0;
  expect(
    injected,
    `the emulator injected no ${outcome} (seed 7): the premise is missed`,
  ).toBeGreaterThan(0);
  expect(countOf(o.retries, kind)).toBe(injected);
  const passed = o.tally.outcomes.pass ?? 0;
  expect(passed + injected + (o.tally.outcomes.outOfScope ?? 0)).toBe(o.tally.decided);
  expect(passed).toBeGreaterThanOrEqual(injected);
  return injected;
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
    expectEachFaultRetried(o, '429', '429');
  });

  it('5xx answers now and then: retried, sync completes', async () => {
    const r = await prepared();
    fx = r.fx;
    const id = r.accountId;
    const o = await completeOrUntouched(fx, id, { errorRate: 0.3, errorStatus: 503 });
    expect(o.status).toBe('Completed');
    expectEachFaultRetried(o, '503', '503');
  });

  it('hung requests time out and are retried, sync completes', async () => {
    const r = await prepared(400);
    fx = r.fx;
    const id = r.accountId;
    const o = await completeOrUntouched(fx, id, { timeoutRate: 0.15 });
    expect(o.status).toBe('Completed');
    // Each hang was timed out and retried. On a loaded machine an answer that passed may also
    // outlast the 400 ms timeout: then more timeouts than hangs, never fewer.
    const hangs = o.tally.outcomes.hang ?? 0;
    expect(hangs, 'the emulator hung no request (seed 7): the premise is missed').toBeGreaterThan(
      0,
    );
    expect(countOf(o.retries, 'timeout')).toBeGreaterThanOrEqual(hangs);
    const passed = o.tally.outcomes.pass ?? 0;
    expect(passed + hangs + (o.tally.outcomes.outOfScope ?? 0)).toBe(o.tally.decided);
  });

  it('connections dropped mid-answer are retried, sync completes', async () => {
    const r = await prepared();
    fx = r.fx;
    const id = r.accountId;
    const o = await completeOrUntouched(fx, id, { dropRate: 0.3 });
    expect(o.status).toBe('Completed');
    expectEachFaultRetried(o, 'dropMidResponse', 'reset');
  });

  it('CSSM failing every request: the job fails with CSSM1020 and the data stays as it was', async () => {
    const r = await prepared();
    fx = r.fx;
    const id = r.accountId;
    const o = await completeOrUntouched(fx, id, { errorRate: 1, errorStatus: 500 });
    expect(o.status).toBe('Failed');
    // A 500 is not retried (it may have been acted on): the first answer ends the sync.
    expect(o.retries).toEqual([]);
    // Every CSSM request the sync made got its 500 (none passed), and none came back.
    const failed = o.tally.outcomes['500'] ?? 0;
    expect(failed).toBeGreaterThan(0);
    expect(o.tally.outcomes.pass).toBeUndefined();
    expect(o.tally.decided).toBe(failed + (o.tally.outcomes.outOfScope ?? 0));
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
    // Every connection to CSSM dropped, and each request tried 1 + maxRetries (4) times before
    // the client gave up: 5 drops per request at the emulator, 4 of them retried.
    const drops = down.tally.outcomes.drop ?? 0;
    expect(drops).toBeGreaterThan(0);
    expect(drops % 5).toBe(0);
    expect(down.tally.outcomes.pass).toBeUndefined();
    expect(countOf(down.retries, 'reset')).toBe((drops / 5) * 4);
    expect((await fx.repos.smartAccounts.getById(id))!.lastSyncError).toMatch(/^CSSM1005: /);
    const o = await fx.services.sync.syncAccount(id, { requestedBy: 'test' });
    expect(o.status).toBe('Completed');
    // After a failure the next sync reads everything again.
    expect(o.skipped.filter((s) => s === 'tokens' || s === 'devices')).toEqual([]);
  });
});
