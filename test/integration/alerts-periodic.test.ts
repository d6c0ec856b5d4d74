// Periodic alert evaluation (issue 9): the time-based rules hold between syncs.
// Real: the alert service, the periodic scheduler (SyncScheduler over node-cron; its round is
// run with tick(), as node-cron would at the hour), the sync service and its CSSM client over
// loopback HTTP, SQLite in a temp file. Faked: CSSM (test/fakes/fake-cssm.ts) and the smartlic
// clock (a TestClock advanced by hand: a fixed clock, no sync running in between).
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.ts';
import { alertEvaluationScheduler } from '../../core/services/scheduler.ts';
import { fakeSetup, type FakeFixture } from './fake-cssm-fixture.ts';

let fx: FakeFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe('periodic alert evaluation', () => {
  it('"no successful sync for twice the schedule" opens with no sync running, and resolves after one', async () => {
    // Daily schedule: stale after 48 h without a successful sync.
    fx = await fakeSetup({ config: { sync: { cron: '0 3 * * *' } } });
    const f = fx;
    const first = await f.services.sync.syncAccount(f.account.id, { requestedBy: 'test' });
    expect(first.status).toBe('Completed');
    let cssmCalls = 0;
    f.cssm.intercept(() => {
      cssmCalls++;
      return false;
    });
    const periodic = alertEvaluationScheduler({
      cron: f.config.alerts.evaluateCron,
      enabled: true,
      timezone: 'UTC',
      evaluateAll: () => f.services.alerts.evaluateAll(),
      logger: createLogger({ write: () => {} }),
    })!;
    expect(periodic).toBeDefined();
    const staleAlerts = async () =>
      (await f.services.alerts.list({ rule: 'sync-failing' })).map((a) => [a.severity, a.title]);

    // 47 h later: within twice the schedule, nothing.
    f.clock.advance({ hours: 47 });
    await periodic.tick();
    expect(await staleAlerts()).toEqual([]);
    // 49 h after the last success, still no sync: the periodic round opens it.
    f.clock.advance({ hours: 2 });
    await periodic.tick();
    expect(await staleAlerts()).toEqual([
      ['critical', 'No successful sync of fake.example.com for 2 days'],
    ]);
    // The periodic round asked nothing of CSSM.
    expect(cssmCalls).toBe(0);

    // A sync succeeds: the alert resolves.
    const ok = await f.services.sync.syncAccount(f.account.id, { requestedBy: 'test' });
    expect(ok.status).toBe('Completed');
    expect(cssmCalls).toBeGreaterThan(0);
    expect(await staleAlerts()).toEqual([]);
    const [resolved] = await f.services.alerts.list({ rule: 'sync-failing', state: 'all' });
    expect(resolved?.state).toBe('resolved');
  });

  it('is off with alerts.evaluateCron null or alerts disabled; an invalid schedule is refused', () => {
    const base = {
      timezone: 'UTC',
      evaluateAll: () => Promise.resolve([]),
      logger: createLogger({ write: () => {} }),
    };
    expect(alertEvaluationScheduler({ ...base, cron: null, enabled: true })).toBeUndefined();
    expect(
      alertEvaluationScheduler({ ...base, cron: '0 * * * *', enabled: false }),
    ).toBeUndefined();
    expect(() => alertEvaluationScheduler({ ...base, cron: 'hourly', enabled: true })).toThrow(
      expect.objectContaining({
        code: 'CONFIG',
        action: expect.stringContaining('alerts.evaluateCron'),
      }),
    );
  });
});
