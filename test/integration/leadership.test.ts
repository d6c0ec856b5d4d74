// Real: SQLite files in a temp directory, migrated by the real migrations; two connections
// (openDatabase twice) on one file stand for two instances; LeaderLeasesRepository, the
// LeaseLeadership election and the fenced NotificationsRepository; a real child process that
// holds an account's sync lease and is killed with SIGKILL.
// Faked: the clock (TestClock: a lease is aged by moving it, not by waiting), and the election's
// heartbeat timer (tick() is called by hand, so each step is one heartbeat).
// Covers core/services/leadership.ts, core/store/repositories/leader-leases.repository.ts, the
// fence in notifications.repository.ts, and sync-leases.repository.ts across processes.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import { createLogger } from '../../core/log.ts';
import { LEADERSHIP, LeaseLeadership, worstFailoverMs } from '../../core/services/leadership.ts';
import { AccountLeases } from '../../core/services/account-lease.ts';
import { JobRunner, type JobFailedError } from '../../core/services/jobs.service.ts';
import { processRunner } from '../../core/services/runner.ts';
import {
  LeaderLeasesRepository,
  NotificationsRepository,
  SyncLeasesRepository,
  migrateToLatest,
  openDatabase,
  type DatabaseHandle,
} from '../../core/store/index.ts';
import { rejection } from '../support/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-leader-'));
const file = join(dir, 'shared.db');
const clock = new TestClock('2026-12-07T10:00:00Z');
const quiet = createLogger({ level: 'silent' });
const storeUrl = new URL('../../core/store/index.ts', import.meta.url).href;

/** Runs ESM code (which may import .ts) in a child node and resolves with its stdout. */
function runTs(code: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('close', (c) => (c === 0 ? resolve(out) : reject(new Error(`exit ${c}: ${err}`)))),
  );
}
let a: DatabaseHandle;
let b: DatabaseHandle;

beforeAll(async () => {
  a = openDatabase({ path: file, clock });
  await migrateToLatest(a.db);
  b = openDatabase({ path: file, clock });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the lease row', () => {
  it('acquire, renew, expire and take over with a larger epoch; a stale fence refuses the write', async () => {
    const ra = new LeaderLeasesRepository(a.db, undefined, clock);
    const rb = new LeaderLeasesRepository(b.db, undefined, clock);
    const name = 'lease-test';
    const first = await ra.tryAcquire(name, 'A', 15_000);
    expect(first?.epoch).toBe(1);
    // B cannot take a live lease, and A's own second try does not start a new tenure.
    expect(await rb.tryAcquire(name, 'B', 15_000)).toBeUndefined();
    expect(await ra.tryAcquire(name, 'A', 15_000)).toBeUndefined();

    clock.advance({ seconds: 10 });
    expect(await ra.renew(name, 'A', 1, 15_000)).toBe(true);
    expect(await rb.renew(name, 'B', 1, 15_000)).toBe(false);
    clock.advance({ seconds: 10 });
    // 20 s after acquiring, 10 s after the renewal: still A's.
    expect(await rb.tryAcquire(name, 'B', 15_000)).toBeUndefined();

    clock.advance({ seconds: 6 });
    const second = await rb.tryAcquire(name, 'B', 15_000);
    expect(second).toMatchObject({ holder: 'B', epoch: 2 });
    expect(await ra.renew(name, 'A', 1, 15_000)).toBe(false);

    // A (epoch 1) writes late, fenced: refused, nothing of the transaction kept.
    const stale = ra.fence(name, 1);
    const notifyA = new NotificationsRepository(a.db, undefined, clock).fenced(stale);
    const err = await rejection(notifyA.advanceCursor('notify:slack', 42));
    expect(err.code).toBe('FENCED');
    expect(err.message).toContain('epoch 2 leads now');
    const notifyB = new NotificationsRepository(b.db, undefined, clock);
    expect(await notifyB.cursor('notify:slack')).toBe(0);
    // B's own fence lets the write through.
    await notifyB.fenced(rb.fence(name, 2)).advanceCursor('notify:slack', 42);
    expect(await notifyB.cursor('notify:slack')).toBe(42);

    // A clean release lets the next one in at once, with the next epoch.
    await rb.release(name, 'B', 2);
    expect(await ra.tryAcquire(name, 'A', 15_000)).toMatchObject({ holder: 'A', epoch: 3 });
    // bump (the advisory election's winner) always starts a new tenure.
    expect((await rb.bump(name, 'B', 15_000)).epoch).toBe(4);
  });

  it('four processes racing for an expired lease at the same instant: exactly one wins', async () => {
    // Processes, not connections: better-sqlite3 waits for a lock synchronously, so two
    // connections in one thread would wait on each other; real instances are processes.
    const name = 'race';
    await new LeaderLeasesRepository(a.db).tryAcquire(name, 'old', 1);
    const at = Date.now() + 1500;
    const code = (id: string) => `
      const { openDatabase, LeaderLeasesRepository } = await import(${JSON.stringify(storeUrl)});
      const h = openDatabase({ path: ${JSON.stringify(file)} });
      const repo = new LeaderLeasesRepository(h.db);
      while (Date.now() < ${at}) await new Promise((r) => setTimeout(r, 1));
      const won = await repo.tryAcquire(${JSON.stringify(name)}, ${JSON.stringify(id)}, 60000);
      process.stdout.write(JSON.stringify(won ? { id: ${JSON.stringify(id)}, epoch: won.epoch } : null));
      await h.close();
    `;
    const outs = await Promise.all(['P1', 'P2', 'P3', 'P4'].map((id) => runTs(code(id))));
    const wins = outs.map((o) => JSON.parse(o) as { id: string; epoch: number } | null);
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(wins.find(Boolean)?.epoch).toBe(2);
    expect((await new LeaderLeasesRepository(a.db).read(name))?.holder).toBe(
      wins.find(Boolean)?.id,
    );
  }, 30_000);
});

describe('LeaseLeadership', () => {
  it('one leads, the other takes over once the lease is TTL old, the deposed one stands down', async () => {
    const timings = { ttlMs: 15_000, heartbeatMs: 5_000 };
    expect(worstFailoverMs(timings)).toBe(20_000);
    const mk = (h: DatabaseHandle, id: string) =>
      new LeaseLeadership({
        instanceId: id,
        leases: new LeaderLeasesRepository(h.db, undefined, clock),
        clock,
        logger: quiet,
        ...timings,
      });
    const one = mk(a, 'one');
    const two = mk(b, 'two');
    const changes: string[] = [];
    one.onChange((l) => changes.push(`one:${l}`));
    two.onChange((l) => changes.push(`two:${l}`));
    await one.tick();
    await two.tick();
    expect(one.isLeader()).toBe(true);
    expect(two.isLeader()).toBe(false);
    expect(two.fence()).toBeUndefined();
    const s = await two.status();
    expect(s.current).toMatchObject({ holder: 'one' });
    const e1 = one.fence()!.epoch;

    // "one" keeps beating: "two" never leads.
    for (let i = 0; i < 5; i++) {
      clock.advance({ ms: timings.heartbeatMs });
      await one.tick();
      await two.tick();
    }
    expect(two.isLeader()).toBe(false);

    // "one" freezes (no more beats): within TTL + one heartbeat "two" leads.
    let waited = 0;
    while (!two.isLeader() && waited <= worstFailoverMs(timings)) {
      clock.advance({ ms: timings.heartbeatMs });
      waited += timings.heartbeatMs;
      await two.tick();
    }
    expect(two.isLeader()).toBe(true);
    expect(waited).toBeLessThanOrEqual(worstFailoverMs(timings));
    expect(two.fence()!.epoch).toBe(e1 + 1);
    // "one" wakes up: its renewal fails, it stands down; its fence is refused meanwhile.
    await one.tick();
    expect(one.isLeader()).toBe(false);
    expect(changes).toEqual(['one:true', 'two:true', 'one:false']);

    // A clean stop hands over without waiting for the TTL.
    await two.stop();
    await one.tick();
    expect(one.isLeader()).toBe(true);
    await one.stop();
    expect((await new LeaderLeasesRepository(a.db).read(LEADERSHIP))?.epoch).toBe(e1 + 2);
  });
});

describe('the sync lease across processes', () => {
  it('another process holding an account is seen as busy, a chat write on it waits and refuses (SYNC_BUSY); once it is killed both go ahead', async () => {
    // The account row the lease points to.
    const { createRepositories, SecretBox } = await import('../../core/store/index.ts');
    const repos = createRepositories(a.db, new SecretBox(Buffer.alloc(32, 7)), clock);
    const sa = await repos.smartAccounts.upsert({ domain: 'cross.example.com', name: 'Cross' });
    const code = `
      const { openDatabase, SyncLeasesRepository } = await import(${JSON.stringify(storeUrl)});
      const { processRunner } = await import(${JSON.stringify(new URL('../../core/services/runner.ts', import.meta.url).href)});
      const h = openDatabase({ path: ${JSON.stringify(file)} });
      const me = processRunner();
      const busy = await new SyncLeasesRepository(h.db).acquire(${sa.id}, me.id, (x) => me.alive(x));
      process.stdout.write(busy === undefined ? 'held\\n' : 'busy\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const said = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
        child.once('exit', (c) => reject(new Error(`child exited ${c}`)));
      });
      expect(said).toBe('held');
      const me = processRunner();
      const leases = new SyncLeasesRepository(b.db, undefined, clock);
      const holder = await leases.acquire(sa.id, me.id, (x) => me.alive(x));
      expect(holder).toMatch(new RegExp(`\\|${child.pid}\\|`));

      // A chat write on this account (a job naming it) waits for the other process's lease,
      // then gives up with SYNC_BUSY without running.
      const runner = new JobRunner({
        jobs: repos.jobs,
        audit: repos.audit,
        clock,
        logger: quiet,
        runner: me,
        accountLeases: new AccountLeases({ repo: leases, runner: me, logger: quiet }),
        accountWaitMs: 400,
      });
      let ran = 0;
      const write = () =>
        runner.run(
          {
            jobType: 'Create Token',
            entityType: 'Virtual Account',
            entityName: 'cross.example.com/VA',
            requestedBy: 'slack:U1',
            account: { id: sa.id, domain: sa.domain },
          },
          async () => {
            ran++;
            // While the write runs, the account is held: a sync cannot take it.
            return leases.acquire(sa.id, 'other-host|1|x', () => true);
          },
        );
      const busy = await write().then(
        () => undefined,
        (e: unknown) => e as JobFailedError,
      );
      expect(busy?.error.code).toBe('SYNC_BUSY');
      expect(busy?.error.message).toContain(`process ${child.pid} on`);
      expect(ran).toBe(0);

      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const done = await write();
      expect(ran).toBe(1);
      // The write's own holder: this process's runner and the number of the hold.
      expect(done.result?.startsWith(`${runner.runner.id}|`)).toBe(true);
      // Released when the write ended.
      expect(await leases.acquire(sa.id, me.id, (x) => me.alive(x))).toBeUndefined();
      await leases.release(sa.id, me.id);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
