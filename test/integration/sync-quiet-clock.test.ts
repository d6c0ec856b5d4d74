// A quiet re-sync skips the alert evaluation only while no rule that reads the clock can have
// changed its answer (issue 23): when only time passed (CSSM answers the same, nothing of the
// account changed, the sync is quiet), a term license running out still opens its alert.
// Real: the emulator over loopback HTTP, SQLite in a temp file, every service (sync, alerts,
// jobs). Faked: time — smartlic's TestClock is moved alone, so CSSM (its clock frozen) answers
// exactly as before and only smartlic's "now" moves.
// Covers core/services/alerts.service.ts (afterSync, stillCurrent with QUIET_RECHECK_MS),
// core/services/sync-incremental.ts (quietSync), core/services/sync.service.ts (afterSync hooks).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietSync } from '../../core/services/sync-incremental.ts';
import { provisionCloud, setup, type Fixture } from './sync-fixture.ts';

const YEAR_MS = 366 * 86_400_000;
let fx: Fixture;
let domain: string;
let accountId: number;

beforeAll(async () => {
  // Deep reads (tokens, devices) and cluster reads far apart, and no token refresh window:
  // what makes a sync not quiet stays out, so the test sees the clock alone.
  fx = await setup({
    config: { http: { maxRetries: 0 }, sync: { tokenRefreshDays: 0 } },
    sync: { deepReadMaxAgeMs: 10 * YEAR_MS, clusterStatusMaxAgeMs: 10 * YEAR_MS },
  });
  const p = await provisionCloud(fx, 0);
  domain = p.account.domain;
  accountId = p.account.id;
  await fx.services.sync.syncAccount(domain, { requestedBy: 'test' });
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

async function openTermAlerts(): Promise<string[]> {
  const rows = await fx.h.db
    .selectFrom('alerts')
    .select(['dedupe_key', 'severity'])
    .where('scope', '=', `sa:${accountId}`)
    .where('rule', '=', 'term-license')
    .where('state', '=', 'open')
    .execute();
  return rows.map((r) => `${r.dedupe_key}|${r.severity}`).sort();
}

describe('a quiet re-sync when only time passed', () => {
  it('opens the alert of a term license that ran out meanwhile', async () => {
    // The account's term license that ends last: no alert for it yet.
    const term = await fx.h.db
      .selectFrom('license_details as d')
      .innerJoin('licenses as l', 'l.id', 'd.license_id')
      .innerJoin('virtual_accounts as v', 'v.id', 'l.virtual_account_id')
      .where('v.smart_account_id', '=', accountId)
      .where('d.license_type', '=', 'TERM')
      .where('d.end_date', 'is not', null)
      .select(['d.end_date'])
      .orderBy('d.end_date', 'desc')
      .executeTakeFirst();
    expect(term?.end_date).toBeTruthy();
    const endDay = term!.end_date!.slice(0, 10);
    const before = await openTermAlerts();
    expect(before.filter((a) => a.includes(endDay) && a.endsWith('critical'))).toEqual([]);

    // A quiet sync right away: evaluation skipped, nothing new.
    fx.clock.advance({ minutes: 5 });
    const o1 = await fx.services.sync.syncAccount(domain, { requestedBy: 'test' });
    expect(quietSync(o1)).toBe(true);
    expect(await openTermAlerts()).toEqual(before);

    // Only smartlic's clock moves, to the day after that license's end.
    const end = new Date(term!.end_date!).getTime();
    fx.clock.advance({ ms: end - fx.clock.now().getTime() + 86_400_000 });
    const o2 = await fx.services.sync.syncAccount(domain, { requestedBy: 'test' });
    expect(o2.status).toBe('Completed');
    expect(o2.changed).toBe(false);
    expect(quietSync(o2)).toBe(true);
    const after = await openTermAlerts();
    expect(after.some((a) => a.includes(endDay) && a.endsWith('critical'))).toBe(true);
  });
});
