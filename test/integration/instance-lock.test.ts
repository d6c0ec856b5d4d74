// Real: acquireInstanceLock over the real file system (a temp directory), real pid liveness
// probes against this test process and a real child process killed with SIGKILL.
// Faked: the clock (TestClock, to age a heartbeat), the heartbeat's interval timer (vitest fake
// timers, one beat per step) and, in two cases, the host name or the liveness probe (to stand
// for a holder on another machine).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import { isSmartlicError, type SmartlicError } from '../../core/errors.ts';
import {
  acquireInstanceLock,
  instanceLockPath,
  readInstanceLock,
} from '../../core/services/instance-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const clock = new TestClock('2026-12-06T03:00:00Z');

function refusal(f: () => unknown): SmartlicError {
  try {
    f();
  } catch (e) {
    if (isSmartlicError(e)) return e;
    throw e;
  }
  throw new Error('expected INSTANCE_RUNNING, got the lock');
}

describe('instance lock', () => {
  it('a second holder on the same database is refused with the running one named; release frees it', () => {
    const db = join(dir, 'a.db');
    // The holder is another live process on this host: the parent of this test process.
    const first = acquireInstanceLock({ dbPath: db, role: 'start', clock, pid: process.ppid });
    expect(readInstanceLock(instanceLockPath(db))).toMatchObject({
      pid: process.ppid,
      role: 'start',
      since: '2026-12-06T03:00:00.000Z',
    });
    const e = refusal(() => acquireInstanceLock({ dbPath: db, role: 'serve', clock }));
    expect(e.code).toBe('INSTANCE_RUNNING');
    expect(e.message).toContain(`smartlic start already runs on ${db}: pid ${process.ppid} on `);
    expect(e.message).toContain('since 2026-12-06T03:00:00.000Z');
    expect(e.action).toMatch(/kill \d+ .*SMARTLIC_DB/);
    // Another database is independent.
    acquireInstanceLock({ dbPath: join(dir, 'other.db'), role: 'serve', clock }).release();

    first.release();
    expect(existsSync(instanceLockPath(db))).toBe(false);
    const second = acquireInstanceLock({ dbPath: db, role: 'serve', clock });
    expect(second.info.pid).toBe(process.pid);
    second.release();
    second.release(); // idempotent
  });

  it('takes over the lock of a holder killed with SIGKILL (its pid is gone on this host)', async () => {
    const db = join(dir, 'b.db');
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
    });
    const pid = child.pid!;
    acquireInstanceLock({ dbPath: db, role: 'serve', clock, pid }); // never released
    expect(refusal(() => acquireInstanceLock({ dbPath: db, role: 'start', clock })).code).toBe(
      'INSTANCE_RUNNING',
    );
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    const lock = acquireInstanceLock({ dbPath: db, role: 'start', clock });
    expect(readInstanceLock(lock.path)).toMatchObject({ pid: process.pid, role: 'start' });
    lock.release();
  });

  it('a holder on another host counts while its heartbeat is fresh, and is stale after staleMs', () => {
    const db = join(dir, 'c.db');
    const c = new TestClock('2026-12-06T03:00:00Z');
    acquireInstanceLock({ dbPath: db, role: 'serve', clock: c, host: 'other-box', pid: 4242 });
    c.advance({ seconds: 60 });
    const e = refusal(() => acquireInstanceLock({ dbPath: db, role: 'start', clock: c }));
    expect(e.message).toContain('pid 4242 on other-box');
    c.advance({ minutes: 2 });
    const lock = acquireInstanceLock({ dbPath: db, role: 'start', clock: c });
    expect(lock.info.host).not.toBe('other-box');
    lock.release();
  });

  it('the heartbeat keeps a live holder fresh', () => {
    const db = join(dir, 'd.db');
    const c = new TestClock('2026-12-06T03:00:00Z');
    // The heartbeat's interval timer is driven by hand (vitest's fake timers): one beat is one
    // step, whatever the machine's load; the file system writes stay real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const lock = acquireInstanceLock({
        dbPath: db,
        role: 'serve',
        clock: c,
        host: 'other-box',
        heartbeatMs: 20,
        staleMs: 1000,
      });
      c.advance({ seconds: 30 });
      // No beat yet: the file still carries the start, 30 s old against a 1 s staleMs.
      expect(readInstanceLock(lock.path)?.heartbeat).toBe('2026-12-06T03:00:00.000Z');
      vi.advanceTimersByTime(20);
      expect(readInstanceLock(lock.path)?.heartbeat).toBe('2026-12-06T03:00:30.000Z');
      expect(
        refusal(() =>
          acquireInstanceLock({ dbPath: db, role: 'start', clock: c, isAlive: () => false }),
        ).code,
      ).toBe('INSTANCE_RUNNING');
      lock.release();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a garbage lock file is replaced; a lock of someone else is not removed by release', () => {
    const db = join(dir, 'e.db');
    writeFileSync(instanceLockPath(db), 'not json');
    const lock = acquireInstanceLock({ dbPath: db, role: 'start', clock });
    // Someone took the file over (e.g. after deciding it was stale): release leaves theirs.
    writeFileSync(
      lock.path,
      JSON.stringify({ pid: 1, host: 'x', role: 'serve', since: 's', heartbeat: 's' }),
    );
    lock.release();
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({ host: 'x' });
  });
});
