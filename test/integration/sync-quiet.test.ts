// A re-sync that changed nothing does work in proportion to what changed (issue 23): no alert
// re-evaluation of a quiet account while its last evaluation stands, retention once per sync
// run, the clusters' rows read only when a status read is due — and "last synced" still moves.
// Covers core/services/alerts.service.ts (afterSync, afterSyncRun, stillCurrent),
// core/services/sync-incremental.ts (quietSync), core/services/sync.service.ts (afterSyncRun
// hooks) and core/services/sync-fetch.ts (listSyncTimers).
// Real: the emulator over loopback HTTP (and its admin API to change what CSSM answers),
// SQLite in a temp file, every service. Faked: time (a TestClock kept equal to the emulator's
// frozen clock; moved alone by an hour where the test says so).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietSync } from '../../core/services/sync-incremental.ts';
import type { SyncOutcome } from '../../core/services/index.ts';
import { provisionCloud, seedClusters, setup, type Fixture } from './sync-fixture.ts';

let fx: Fixture;
let domain: string;
let accountId: number;
const runs: (readonly SyncOutcome[])[] = [];

beforeAll(async () => {
  fx = await setup({ config: { http: { maxRetries: 0 } } });
  fx.services.hooks.afterSyncRun.push((o) => void runs.push(o));
  const p = await provisionCloud(fx, 0);
  domain = p.account.domain;
  accountId = p.account.id;
  await fx.services.sync.syncAll({ requestedBy: 'test' });
  await seedClusters(fx);
  // Reads every seeded cluster and evaluates the account: the state the quiet syncs start from.
  await fx.services.sync.syncAll({ requestedBy: 'test', full: true });
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

/** Evaluations recorded on the account's open alerts: grows by one per alert per evaluation. */
async function evaluations(): Promise<number> {
  const r = await fx.h.db
    .selectFrom('alerts')
    .select((eb) => eb.fn.sum<number>('evaluations').as('n'))
    .where('scope', '=', `sa:${accountId}`)
    .where('state', '=', 'open')
    .executeTakeFirstOrThrow();
  return Number(r.n ?? 0);
}

describe('a re-sync with nothing changed', () => {
  it('is quiet: no alert evaluation, yet the account says when it was last synced', async () => {
    expect(await evaluations()).toBeGreaterThan(0);
    const before = await evaluations();
    fx.clock.advance({ minutes: 5 });
    const o = await fx.services.sync.syncAccount(domain, { requestedBy: 'test' });
    expect(o.status).toBe('Completed');
    expect(quietSync(o)).toBe(true);
    expect(o.changed).toBe(false);
    expect(o.counts.clustersRead).toBe(0);
    expect(o.counts.clusters).toBeGreaterThan(0);
    expect(await evaluations()).toBe(before);
    const sa = await fx.repos.smartAccounts.getById(accountId);
    expect(sa?.lastSyncAt?.getTime()).toBe(fx.clock.now().getTime());
    expect(sa?.lastSyncStatus).toBe('Success');
  });

  it('is evaluated again once its last evaluation is an hour old', async () => {
    const before = await evaluations();
    fx.clock.advance({ minutes: 61 });
    const o = await fx.services.sync.syncAccount(domain, { requestedBy: 'test' });
    expect(quietSync(o)).toBe(true);
    expect(await evaluations()).toBeGreaterThan(before);
  });

  it('is evaluated again after a job other than a sync (an operator wrote something)', async () => {
    const quiet = await evaluations();
    await fx.services.sync.syncAccount(domain, { requestedBy: 'test' });
    expect(await evaluations()).toBe(quiet);
    const job = await fx.repos.jobs.create({
      jobType: 'Set License Mode',
      entityType: 'Virtual Account',
      entityName: `${domain}/test`,
      requestedBy: 'test',
      description: 'an operator write between two syncs',
    });
    expect(job.id).toBeGreaterThan(0);
    await fx.services.sync.syncAccount(domain, { requestedBy: 'test' });
    expect(await evaluations()).toBeGreaterThan(quiet);
  });

  it('is not quiet when CSSM answers differently, and is evaluated', async () => {
    const st = await fx.state();
    const cluster = st.clusters.find(
      (c) => c.pool?.via === 'cloud' && c.pool.smartAccount === domain,
    );
    expect(cluster).toBeDefined();
    const before = await evaluations();
    await fx.admin(`clusters/${cluster!.name}`, { demand: { UCM_Enhanced: 7 } }, 'PATCH');
    const o = await fx.services.sync.syncAccount(domain, { requestedBy: 'test' });
    expect(o.status).toBe('Completed');
    expect(o.changed).toBe(true);
    expect(quietSync(o)).toBe(false);
    expect(await evaluations()).toBeGreaterThan(before);
  });
});

describe('run hooks', () => {
  it('run once per sync run: once for syncAll with every outcome, once for a lone account', async () => {
    runs.length = 0;
    const all = await fx.services.sync.syncAll({ requestedBy: 'test' });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toHaveLength(all.length);
    await fx.services.sync.syncAccount(domain, { requestedBy: 'test' });
    expect(runs).toHaveLength(2);
    expect(runs[1]).toHaveLength(1);
  });
});
