// Real: SyncScheduler over real node-cron, and SingleFlight. Faked: the scheduled work (a
// function that counts calls and waits on a promise the test controls) and the logger sink.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.ts';
import { SyncScheduler } from '../../core/services/scheduler.ts';
import { SingleFlight } from '../../core/services/single-flight.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('SyncScheduler', () => {
  it('refuses an invalid cron expression with CONFIG and the setting to fix', () => {
    expect(
      () =>
        new SyncScheduler({
          cron: 'every day',
          timezone: 'UTC',
          run: async () => {},
          logger: createLogger(),
        }),
    ).toThrow(
      expect.objectContaining({
        code: 'CONFIG',
        action: expect.stringContaining('SMARTLIC_SYNC_CRON'),
      }),
    );
  });

  it('computes the next run in the configured time zone', async () => {
    const s = new SyncScheduler({
      cron: '0 3 * * *',
      timezone: 'Europe/Berlin',
      run: async () => {},
      logger: createLogger(),
    });
    s.start();
    try {
      const next = s.nextRun()!;
      // 03:00 in Berlin is 01:00 or 02:00 UTC depending on daylight saving time.
      expect([1, 2]).toContain(next.getUTCHours());
      expect(next.getUTCMinutes()).toBe(0);
      expect(next.getTime()).toBeGreaterThan(Date.now());
      expect(next.getTime() - Date.now()).toBeLessThanOrEqual(25 * 3_600_000);
    } finally {
      await s.stop();
    }
  });

  it('never runs two rounds at once, and logs a failing round instead of throwing', async () => {
    const lines: string[] = [];
    let calls = 0;
    const gate = deferred();
    const s = new SyncScheduler({
      cron: '0 3 * * *',
      timezone: 'UTC',
      logger: createLogger({ write: (l) => lines.push(l) }),
      run: async () => {
        calls++;
        await gate.promise;
        throw new Error('CSSM down');
      },
    });
    const a = s.tick();
    const b = s.tick();
    gate.resolve();
    await Promise.all([a, b]);
    expect(calls).toBe(1);
    expect(lines.join('\n')).toContain('scheduled sync round failed');
    await s.tick();
    expect(calls).toBe(2);
  });
  it("node-cron's own warnings (an overlap it blocked) reach the product's log as JSON", async () => {
    const lines: string[] = [];
    const gate = deferred();
    let calls = 0;
    const s = new SyncScheduler({
      cron: '* * * * * *', // every second: the second beat finds the first still running
      timezone: 'UTC',
      logger: createLogger({ write: (l) => lines.push(l) }),
      run: async () => {
        calls++;
        await gate.promise;
      },
    });
    s.start();
    try {
      // Waits for the event (node-cron's warning in our sink), bounded so a failure ends.
      for (let i = 0; i < 100 && !lines.some((l) => l.includes('node-cron')); i++)
        await new Promise((r) => setTimeout(r, 50));
      const cron = lines.filter((l) => l.includes('node-cron'));
      expect(cron.length).toBeGreaterThan(0);
      const parsed = JSON.parse(cron[0]!) as { msg: string; scheduler: string };
      expect(parsed.msg).toMatch(/^node-cron: task still running/);
      expect(parsed.scheduler).toBe('sync');
      expect(calls).toBe(1);
    } finally {
      gate.resolve();
      await s.stop();
    }
  });
});

describe('SingleFlight', () => {
  it('joins a second caller for the same key and runs other keys independently', async () => {
    const f = new SingleFlight<string, number>();
    const gate = deferred();
    let runs = 0;
    const work = async () => {
      runs++;
      await gate.promise;
      return runs;
    };
    const a = f.run('acme', work);
    const b = f.run('acme', work);
    const c = f.run('globex', () => Promise.resolve(42));
    expect(a.joined).toBe(false);
    expect(b.joined).toBe(true);
    expect(c.joined).toBe(false);
    expect(f.isRunning('acme')).toBe(true);
    gate.resolve();
    expect(await a.promise).toBe(1);
    expect(await b.promise).toBe(1);
    expect(await c.promise).toBe(42);
    expect(f.isRunning('acme')).toBe(false);
    // After it settles, the next call runs again.
    const d = f.run('acme', work);
    expect(d.joined).toBe(false);
    expect(await d.promise).toBe(2);
  });

  it('releases the key when the run fails', async () => {
    const f = new SingleFlight<string, number>();
    await expect(f.run('k', () => Promise.reject(new Error('boom'))).promise).rejects.toThrow(
      'boom',
    );
    expect(f.isRunning('k')).toBe(false);
  });
});
