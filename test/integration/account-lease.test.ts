// The account lease across instances (issue 24): a write of an account and a sync of it never
// run at once, on one store shared by several processes; a crashed holder's lease expires; a
// holder that lost its lease writes nothing late (fencing epoch).
// Real: SQLite files in a temp directory and PostgreSQL at SMARTLIC_TEST_PG (the repository
// cases run on both; skipped on PostgreSQL without it, and the file says so), two store handles
// on one store standing for two instances, the real migrations, SyncLeasesRepository,
// AccountLeases, JobRunner, the real SyncService and ClustersService over HTTP to the fake CSSM
// (test/fakes/fake-cssm.ts, loopback), a real child process holding a lease as if on another
// machine and killed with SIGKILL.
// Faked: the clock where a lease is aged by moving it (TestClock) instead of waiting; the child's
// host name (its runner id names another machine, so its pid cannot be checked from here, as on
// a real second machine); CSSM (the fake answers, held where a test needs a sync paused).
// Covers core/store/repositories/sync-leases.repository.ts, core/services/account-lease.ts, the
// account of the cluster writes (core/services/clusters/*.ts) and the fenced write of
// core/services/sync.service.ts.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock, systemClock } from '../../core/clock.ts';
import { loadConfig } from '../../core/config.ts';
import { createLogger } from '../../core/log.ts';
import { AccountLeases } from '../../core/services/account-lease.ts';
import type { JobFailedError } from '../../core/services/jobs.service.ts';
import { createServices } from '../../core/services/index.ts';
import { processRunner, type RunnerIdentity } from '../../core/services/runner.ts';
import {
  SecretBox,
  SyncLeasesRepository,
  createRepositories,
  migrateToLatest,
  openDatabase,
  type StoreHandle,
} from '../../core/store/index.ts';
import { inTransaction } from '../../core/store/repositories/mapping.ts';
import { rejection } from '../support/helpers.ts';
import { openTestStore, reopenTestStore, storeKinds } from '../support/pg.ts';
import { fakeSetup, type FakeFixture } from './fake-cssm-fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-acct-lease-'));
const quiet = createLogger({ level: 'silent' });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A runner on another machine: its pid means nothing here, so only the lease's expiry frees it. */
const elsewhere = (id: string): RunnerIdentity => ({
  id: `other-machine|4242|${id}`,
  alive: () => true,
});

describe.each(storeKinds())('the account lease row (%s)', (kind) => {
  const clock = new TestClock('2026-12-07T10:00:00Z');
  let a: StoreHandle;
  let b: StoreHandle;
  let accountId: number;
  beforeEach(async () => {
    a = await openTestStore(kind, { path: join(dir, `row-${Date.now()}.db`), clock });
    await migrateToLatest(a.db);
    b = await reopenTestStore(a, clock);
    const repos = createRepositories(a.db, new SecretBox(Buffer.alloc(32, 3)), clock);
    accountId = (await repos.smartAccounts.upsert({ domain: 'row.example.com', name: 'Row' })).id;
  });
  afterEach(async () => {
    await b?.close();
    await a?.close();
  });

  it('a live lease is busy, a renewed one stays, an expired one is taken over with the next epoch, and the old holder is fenced', async () => {
    const ra = new SyncLeasesRepository(a.db, undefined, clock);
    const rb = new SyncLeasesRepository(b.db, undefined, clock);
    const alive = () => true; // both "on other machines": only the expiry decides
    const first = await ra.take(accountId, 'A|1|x|1', alive, 30_000);
    expect(first).toEqual({ held: { smartAccountId: accountId, holder: 'A|1|x|1', epoch: 1 } });
    const tA = 'held' in first ? first.held : undefined;
    expect(await rb.take(accountId, 'B|2|y|1', alive, 30_000)).toEqual({ busy: 'A|1|x|1' });

    // A beats every 10 s: after 60 s it is still A's.
    for (let i = 0; i < 6; i++) {
      clock.advance({ seconds: 10 });
      expect(await ra.renew(tA!, 30_000)).toBe(true);
      expect(await rb.take(accountId, 'B|2|y|1', alive, 30_000)).toEqual({ busy: 'A|1|x|1' });
    }

    // A stops beating (crashed, frozen): 30 s later B takes over, epoch 2.
    clock.advance({ seconds: 29 });
    expect(await rb.take(accountId, 'B|2|y|1', alive, 30_000)).toEqual({ busy: 'A|1|x|1' });
    clock.advance({ seconds: 2 });
    const second = await rb.take(accountId, 'B|2|y|1', alive, 30_000);
    expect(second).toEqual({
      held: { smartAccountId: accountId, holder: 'B|2|y|1', epoch: 2 },
      tookOverFrom: 'A|1|x|1',
    });
    // A wakes up: its renewal fails and its write is refused, nothing of it kept.
    expect(await ra.renew(tA!, 30_000)).toBe(false);
    const late = await rejection(
      inTransaction(a.db, async (trx) => {
        await trx
          .updateTable('smart_accounts')
          .set({ name: 'written late by A' })
          .where('id', '=', accountId)
          .execute();
        await new SyncLeasesRepository(trx, undefined, clock).assertHeld(tA!);
      }),
    );
    expect(late.code).toBe('FENCED');
    expect(late.message).toContain('B|2|y|1 holds it now (epoch 2)');
    const row = await b.db
      .selectFrom('smart_accounts')
      .select('name')
      .where('id', '=', accountId)
      .executeTakeFirstOrThrow();
    expect(row.name).toBe('Row');
    // B's own fence lets its write through.
    await inTransaction(b.db, (trx) =>
      new SyncLeasesRepository(trx, undefined, clock).assertHeld(
        'held' in second ? second.held : tA!,
      ),
    );

    // A clean release lets the next one in at once, and the epoch keeps growing (the row stays).
    await rb.release(accountId, 'B|2|y|1');
    const third = await ra.take(accountId, 'A|1|x|2', alive, 30_000);
    expect('held' in third && third.held.epoch).toBe(3);
  });

  it('a holder on this host whose process is gone is taken over at once, whatever its expiry', async () => {
    const me = processRunner();
    const ra = new SyncLeasesRepository(a.db, undefined, clock);
    // pid 2^22 + 7 runs nowhere (Linux pids stop at 2^22).
    const dead = `${me.id.split('|')[0]}|4194311|dead|1`;
    await ra.take(accountId, dead, () => true, 600_000);
    const r = await new SyncLeasesRepository(b.db, undefined, clock).take(
      accountId,
      `${me.id}|1`,
      (h) => me.alive(h),
      30_000,
    );
    expect(r).toMatchObject({ held: { epoch: 2 }, tookOverFrom: dead });
  });
});

describe('AccountLeases in one process (SQLite file)', () => {
  let h: StoreHandle;
  let repo: SyncLeasesRepository;
  let accountId: number;
  beforeEach(async () => {
    h = openDatabase({ path: join(dir, `svc-${Date.now()}.db`) });
    await migrateToLatest(h.db);
    const repos = createRepositories(h.db, new SecretBox(Buffer.alloc(32, 3)), systemClock);
    accountId = (await repos.smartAccounts.upsert({ domain: 'svc.example.com', name: 'Svc' })).id;
    repo = new SyncLeasesRepository(h.db);
  });
  afterEach(async () => h?.close());

  it('two holds of one process exclude each other; a hold inside a hold of the same account reuses it; the heartbeat keeps it past its TTL', async () => {
    const runner = processRunner();
    const leases = new AccountLeases({ repo, runner, logger: quiet, ttlMs: 600, retryMs: 50 });
    const account = { id: accountId, domain: 'svc.example.com' };
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let innerEpoch = 0;
    const outer = leases.hold(account, 'Register Cluster', 5_000, async (l) => {
      // Nested (a registration creating a token): the same lease, not a wait for itself.
      await leases.hold(account, 'Create Token', 0, (inner) => {
        innerEpoch = inner.tenure.epoch;
        return Promise.resolve();
      });
      await gate;
      return l.tenure.epoch;
    });
    await new Promise((r) => setTimeout(r, 100));
    // Another write of this same process waits, then gives up: it is not let in because it
    // runs in the same process (each hold is a holder of its own).
    const busy = await rejection(
      leases.hold(account, 'Assign Cluster', 200, () => Promise.resolve(1)),
    );
    expect(busy.code).toBe('SYNC_BUSY');
    expect(busy.message).toContain(`smartlic process ${process.pid} on`);
    expect(busy.message).toContain('before Assign Cluster');
    // Held for 3 TTLs: the heartbeat renewed it, nobody took it over.
    await new Promise((r) => setTimeout(r, 1_800));
    expect(
      await new SyncLeasesRepository(h.db).take(accountId, 'x|1|y|1', () => true, 600),
    ).toMatchObject({ busy: expect.stringContaining(runner.id) as unknown });
    release();
    const epoch = await outer;
    expect(innerEpoch).toBe(epoch);
    // Released: the next one takes it without waiting.
    expect(
      await leases.hold(account, 'Assign Cluster', 0, (l) => Promise.resolve(l.tenure.epoch)),
    ).toBe(epoch + 1);
  });

  it('a hold whose lease was taken over while it ran (its process paused past the TTL) ends FENCED, not done', async () => {
    const clock = new TestClock('2026-12-07T10:00:00Z');
    const aged = new SyncLeasesRepository(h.db, undefined, clock);
    // A TTL longer than the test: only the moved clock ages the lease, never the wall clock.
    const leases = new AccountLeases({
      repo: aged,
      runner: elsewhere('paused'),
      logger: quiet,
      ttlMs: 3_000,
      retryMs: 50,
    });
    const err = await rejection(
      leases.hold(
        { id: accountId, domain: 'svc.example.com' },
        'Deregister Cluster',
        0,
        async () => {
          clock.advance({ seconds: 10 });
          const other = await aged.take(accountId, 'other|1|z|1', () => true, 3_000);
          expect(other).toMatchObject({ held: { epoch: 2 } });
          // The next heartbeat (every TTL / 3) finds it taken over.
          await new Promise((r) => setTimeout(r, 1_500));
        },
      ),
    );
    expect(err.code).toBe('FENCED');
    expect(err.message).toContain(
      'Deregister Cluster on svc.example.com ran past its account lease',
    );
    // The lease stays the new holder's: the fenced one's release did not drop it.
    expect((await aged.read(accountId))?.holder).toBe('other|1|z|1');
  });
});

/** Runs ESM code (which may import .ts) in a child node; resolves with the child. */
function child(code: string) {
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('a crashed holder on another machine (real kill -9)', () => {
  it('its lease holds while it beats, and runs out TTL after the kill; the next holder has the next epoch and the dead one is fenced', async () => {
    const file = join(dir, 'kill.db');
    const h = openDatabase({ path: file });
    await migrateToLatest(h.db);
    const repos = createRepositories(h.db, new SecretBox(Buffer.alloc(32, 3)), systemClock);
    const sa = await repos.smartAccounts.upsert({ domain: 'kill.example.com', name: 'Kill' });
    const ttlMs = 1_500;
    const url = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
    const code = `
      const { openDatabase, SyncLeasesRepository } = await import(${url('../../core/store/index.ts')});
      const { AccountLeases } = await import(${url('../../core/services/account-lease.ts')});
      const { createLogger } = await import(${url('../../core/log.ts')});
      const h = openDatabase({ path: ${JSON.stringify(file)} });
      const leases = new AccountLeases({
        repo: new SyncLeasesRepository(h.db),
        runner: { id: 'other-machine|4242|crash', alive: () => true },
        logger: createLogger({ level: 'silent' }),
        ttlMs: ${ttlMs},
      });
      await leases.tryHold({ id: ${sa.id}, domain: 'kill.example.com' }, 0, async (l) => {
        process.stdout.write(JSON.stringify(l.tenure) + '\\n');
        // A server keeps its event loop alive with its listeners; the heartbeat alone does not.
        setInterval(() => {}, 1000);
        await new Promise(() => {});
      });
    `;
    const c = child(code);
    try {
      const tenure = await new Promise<{ holder: string; epoch: number; smartAccountId: number }>(
        (resolve, reject) => {
          let err = '';
          c.stderr.on('data', (d: Buffer) => (err += d.toString()));
          c.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString())));
          c.once('exit', (x) => reject(new Error(`child exited ${x}: ${err}`)));
        },
      );
      expect(tenure.holder).toBe('other-machine|4242|crash|1');
      const me = processRunner();
      const leases = new AccountLeases({
        repo: new SyncLeasesRepository(h.db),
        runner: me,
        logger: quiet,
        ttlMs,
        retryMs: 50,
      });
      const account = { id: sa.id, domain: sa.domain };
      // Alive and beating: busy for 2.5 TTLs (its pid cannot be checked from "here").
      const t0 = Date.now();
      while (Date.now() - t0 < 2.5 * ttlMs) {
        expect(await leases.tryHold(account, 0, () => Promise.resolve('ran'))).toEqual({
          busy: tenure.holder,
        });
        await new Promise((r) => setTimeout(r, 250));
      }
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
      const killedAt = Date.now();
      const got = await leases.hold(account, 'Sync', 20_000, (l) =>
        Promise.resolve({ epoch: l.tenure.epoch, at: Date.now() }),
      );
      // Taken once its last renewal ran out: at most the TTL after the kill, plus the
      // retries' step and the machine's load.
      const waited = got.at - killedAt;
      console.log(
        `account lease of a killed holder taken over after ${waited} ms (TTL ${ttlMs} ms)`,
      );
      expect(waited).toBeLessThan(ttlMs + 3_000);
      expect(got.epoch).toBe(tenure.epoch + 1);
      const fenced = await rejection(
        inTransaction(h.db, (trx) => new SyncLeasesRepository(trx).assertHeld(tenure)),
      );
      expect(fenced.code).toBe('FENCED');
    } finally {
      if (c.exitCode === null) c.kill('SIGKILL');
      await h.close();
    }
  }, 60_000);
});

describe('a cluster write and a sync on two instances of one SQLite file', () => {
  let fx: FakeFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  /** A second instance on the same file: its own connection, services and runner. */
  function secondInstance(f: FakeFixture, lockWaitMs: number) {
    const h2 = openDatabase({ path: f.dbPath });
    const config = loadConfig({
      env: {},
      overrides: { ...f.config, sync: { ...f.config.sync, lockWaitMs } },
    });
    const repos = createRepositories(h2.db, f.secrets, f.clock);
    const services = createServices({
      db: h2.db,
      secrets: f.secrets,
      repos,
      clock: f.clock,
      logger: quiet,
      config,
    });
    return {
      repos,
      services,
      close: async () => {
        await services.close();
        await h2.close();
      },
    };
  }

  /** A sync of the first instance paused at CSSM's license answer until `go()`. */
  function pausedSync(f: FakeFixture) {
    let go: () => void = () => undefined;
    const held = new Promise<void>((r) => (go = r));
    let arrived: () => void = () => undefined;
    const atLicenses = new Promise<void>((r) => (arrived = r));
    f.cssm.intercept(async (req) => {
      if (req.path.endsWith('/licenses')) {
        arrived();
        await held;
      }
      return false;
    });
    const done = f.services.sync.syncAccount(f.account.id, { requestedBy: 'scheduler' });
    return { done, atLicenses, go };
  }

  it('an assign on instance B waits for the sync of its account on instance A (SYNC_BUSY past the wait), then runs after it', async () => {
    fx = await fakeSetup();
    const f = fx;
    // The account's VAs and a cluster to assign (one sync first, unpaused).
    expect((await f.services.sync.syncAccount(f.account.id, { requestedBy: 't' })).status).toBe(
      'Completed',
    );
    const va = (await f.repos.virtualAccounts.listBySmartAccount(f.account.id)).find(
      (v) => v.name === 'va-ops',
    )!;
    await f.repos.virtualAccounts.setLicenseMode(va.id, 'HCS');
    const customer = await f.repos.customers.upsert({ name: 'Acme' });
    const cluster = await f.repos.clusters.upsert({
      customerId: customer.id,
      name: 'acme-cucm-01',
      type: 'CUCM',
      version: '14.0.1.13900-155',
      publisherAddress: 'cucm-pub.acme.example',
    });
    const sync = pausedSync(f);
    await sync.atLicenses;
    const impatient = secondInstance(f, 300);
    const patient = secondInstance(f, 30_000);
    try {
      const assign = (s: typeof impatient) =>
        s.services.clusters.assign({
          cluster: cluster.name,
          va: `${f.account.domain}/va-ops`,
          requestedBy: 'slack:U1',
        });
      const busy = await assign(impatient).then(
        () => undefined,
        (e: unknown) => (e as JobFailedError).error,
      );
      expect(busy?.code).toBe('SYNC_BUSY');
      expect(busy?.message).toContain('before Assign Cluster');
      expect((await f.repos.clusters.getById(cluster.id))?.virtualAccountId).toBeNull();
      const failedJob = (await f.repos.jobs.list({ entityName: cluster.name }))[0];
      expect(failedJob).toMatchObject({ jobType: 'Assign Cluster', status: 'Failed' });

      const order: string[] = [];
      const waiting = assign(patient).then(() => order.push('assign'));
      void sync.done.then(() => order.push('sync'));
      await new Promise((r) => setTimeout(r, 600));
      expect(order).toEqual([]); // the assign waits while the sync holds the account
      sync.go();
      await waiting;
      expect(order).toEqual(['sync', 'assign']);
      expect((await sync.done).status).toBe('Completed');
      expect((await f.repos.clusters.getById(cluster.id))?.virtualAccountId).toBe(va.id);
    } finally {
      sync.go();
      await impatient.close();
      await patient.close();
    }
  }, 60_000);

  it('a sync paused past its lease while instance B took the account over writes nothing (FENCED)', async () => {
    fx = await fakeSetup();
    const f = fx;
    const sync = pausedSync(f);
    await sync.atLicenses;
    // The lease runs out by the clock (30 s TTL); the heartbeat's next beat is 10 s away.
    f.clock.advance({ seconds: 31 });
    const b = secondInstance(f, 0);
    try {
      // Instance B takes the account (a write of it, here its own lease) and holds it.
      const leases = new AccountLeases({
        repo: b.repos.syncLeases,
        runner: elsewhere('b'),
        logger: quiet,
      });
      let letGo: () => void = () => undefined;
      const bHolds = new Promise<void>((r) => (letGo = r));
      const taken = new Promise<number>((resolve, reject) => {
        leases
          .hold(
            { id: f.account.id, domain: f.account.domain },
            'Transfer Licenses',
            0,
            async (l) => {
              resolve(l.tenure.epoch);
              await bHolds;
            },
          )
          .catch(reject);
      });
      expect(await taken).toBe(2);
      sync.go();
      const o = await sync.done;
      expect(o.status).toBe('Failed');
      expect(o.error?.code).toBe('FENCED');
      // Nothing of the late write: the licenses it read were not stored (provisioning stored
      // the VAs only), and the account has no successful sync.
      for (const va of await f.repos.virtualAccounts.listBySmartAccount(f.account.id))
        expect(await f.repos.licenses.listByVirtualAccount(va.id)).toEqual([]);
      expect((await f.repos.smartAccounts.getById(f.account.id))?.lastSyncStatus).not.toBe(
        'Success',
      );
      letGo();
    } finally {
      sync.go();
      await b.close();
    }
  }, 60_000);
});
