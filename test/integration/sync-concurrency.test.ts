// Real: separate smartlic processes (bin/smartlic.js) and service containers over one SQLite
// file, the CSSM client and HTTP over loopback, the CLI entry. Faked: CSSM (the programmable
// fake of test/fakes/fake-cssm.ts, which can hold an answer back to keep a sync running).
// What is checked: two syncs at once never fail with "database is locked"; a sync of an
// account another process syncs waits or fails with SYNC_BUSY; a sync killed with SIGKILL
// leaves a job that the next start closes as interrupted.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.ts';
import { createServices } from '../../core/services/index.ts';
import { createRepositories, openDatabase } from '../../core/store/index.ts';
import { loadConfig } from '../../core/config.ts';
import { runCli } from '../support/helpers.ts';
import { licenseRecord, type FakeWorld } from '../fakes/fake-cssm.ts';
import { defaultWorld, fakeSetup, type FakeFixture } from './fake-cssm-fixture.ts';

let fx: FakeFixture | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await fx?.close();
  fx = undefined;
});

function cliEnv(f: FakeFixture): NodeJS.ProcessEnv {
  return {
    SMARTLIC_DB: f.dbPath,
    SMARTLIC_SECRET_KEY: 'concurrency-test-passphrase',
    SMARTLIC_CSSM_TOKEN_URL: f.cssm.tokenUrl,
    SMARTLIC_CSSM_API_BASE: f.cssm.apiBase,
    SMARTLIC_CSSM_DEVICES_API_BASE: f.cssm.devicesApiBase,
    SMARTLIC_HTTP_RETRIES: '0',
    SMARTLIC_LOG_LEVEL: 'warn',
    SMARTLIC_EMULATOR: 'false',
    FAKE_SECRET: f.cssm.world.clientSecret,
  };
}

/** A fixture whose database the CLI provisioned (so child processes share its secret key). */
async function cliFixture(world?: FakeWorld): Promise<FakeFixture> {
  const f = await fakeSetup(world ? { world } : {});
  await f.h.db.deleteFrom('smart_accounts').execute();
  await f.h.db.deleteFrom('settings').execute();
  const env = cliEnv(f);
  const r = await runCli(
    [
      'account',
      'add',
      '--domain',
      f.cssm.world.domain,
      '--client-id',
      f.cssm.world.clientId,
      '--secret-env',
      'FAKE_SECRET',
      '--no-sync',
    ],
    env,
  );
  expect(r.code, r.err).toBe(0);
  return f;
}

function runChild(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['bin/smartlic.js', ...args], {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, out, err })),
  );
  return { child, done };
}

describe('concurrent work on one database', () => {
  it('two sync processes on one file: both complete, none "database is locked"', async () => {
    // A larger account, so that each sync's write transaction takes a while.
    const w = defaultWorld();
    w.vas = Array.from({ length: 40 }, (_, i) => ({ name: `va-${i}`, isDefault: i === 0 }));
    w.licenses = w.vas.flatMap((v) =>
      Array.from({ length: 25 }, (_, k) => licenseRecord(v.name, `License ${k}`, 100, k)),
    );
    w.devices = w.vas.flatMap((v) =>
      Array.from({ length: 20 }, (_, k) => ({
        virtualAccount: v.name,
        udiPid: 'UCM',
        udiSerialNumber: `${v.name}-${k}`,
      })),
    );
    fx = await cliFixture(w);
    const env = cliEnv(fx);
    // Synced once: the next syncs are incremental, and their write transactions begin with a
    // read (a deferred BEGIN then cannot take the write lock once the other process wrote).
    const once = await runCli(['sync', w.domain], env);
    expect(once.code, once.out + once.err).toBe(0);
    // Hold the license answers until both syncs asked (or a second passed): their writes then start together.
    let waiting: (() => void)[] = [];
    fx.cssm.intercept(async (req) => {
      if (req.path.endsWith('/licenses') && req.body.includes('"offset":0')) {
        await new Promise<void>((r) => {
          setTimeout(r, 1000);
          waiting.push(r);
          if (waiting.length === 2) {
            for (const go of waiting) go();
            waiting = [];
          }
        });
      }
      return false;
    });
    const a = runChild(['sync', fx.cssm.world.domain], env);
    const b = runChild(['sync', fx.cssm.world.domain], env);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    for (const r of [ra, rb]) {
      expect(r.code, `${r.out}\n${r.err}`).toBe(0);
      expect(r.out + r.err).not.toMatch(/database is locked|INTERNAL/);
    }
    const jobs = await fx.repos.jobs.list({ entityName: fx.cssm.world.domain });
    expect(jobs.filter((j) => j.jobType === 'Sync').map((j) => j.status)).toEqual([
      'Completed',
      'Completed',
      'Completed',
    ]);
  }, 60_000);

  it('a sync of an account another container is syncing fails with SYNC_BUSY, not INTERNAL', async () => {
    fx = await fakeSetup();
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let arrived: () => void = () => undefined;
    const atLicenses = new Promise<void>((r) => (arrived = r));
    fx.cssm.intercept(async (req) => {
      if (req.path.endsWith('/licenses')) {
        arrived();
        await held;
      }
      return false;
    });
    const first = fx.services.sync.syncAccount(fx.account.id, { requestedBy: 'a' });
    await atLicenses;
    // A second service container on its own connection to the same file: another process.
    const h2 = openDatabase({ path: fx.dbPath });
    const config = loadConfig({
      env: {},
      overrides: { ...fx.config, sync: { ...fx.config.sync, lockWaitMs: 0 } },
    });
    const repos2 = createRepositories(h2.db, fx.secrets, fx.clock);
    const s2 = createServices({
      db: h2.db,
      secrets: fx.secrets,
      repos: repos2,
      clock: fx.clock,
      logger: createLogger({ level: 'silent' }),
      config,
    });
    try {
      const busy = await s2.sync.syncAccount(fx.account.id, { requestedBy: 'b' });
      expect(busy.status).toBe('Failed');
      expect(busy.error?.code).toBe('SYNC_BUSY');
      expect(busy.error?.message).toMatch(/is being synced or changed by smartlic process \d+/);
      expect(busy.error?.action).toMatch(/sync.lockWaitMs/);
      release();
      expect((await first).status).toBe('Completed');
      // With the lease free again, the other container syncs.
      expect((await s2.sync.syncAccount(fx.account.id, { requestedBy: 'b' })).status).toBe(
        'Completed',
      );
    } finally {
      release();
      await s2.close();
      await h2.close();
    }
  });

  it('kill -9 mid-sync, then a start closes the orphaned job and the next sync runs', async () => {
    fx = await cliFixture();
    fx.cssm.intercept(async (req) => {
      // Never answer: the sync hangs with its job InProgress until it is killed.
      if (req.path.endsWith('/licenses')) await new Promise(() => undefined);
      return false;
    });
    const env = cliEnv(fx);
    const c = runChild(['sync', fx.cssm.world.domain], {
      ...env,
      SMARTLIC_HTTP_TIMEOUT_MS: '600000',
    });
    for (let i = 0; i < 200; i++) {
      const j = await fx.repos.jobs.listUnfinished({ jobType: 'Sync' });
      if (j.some((x) => x.status === 'InProgress')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    c.child.kill('SIGKILL');
    await c.done;
    const [orphan] = await fx.repos.jobs.listUnfinished({ jobType: 'Sync' });
    expect(orphan?.status).toBe('InProgress');
    fx.cssm.intercept(undefined);
    // Any command that opens the database is a start: the orphan is closed.
    const r = await runCli(['jobs', '--json'], env);
    expect(r.code, r.err).toBe(0);
    const closed = (await fx.repos.jobs.getById(orphan!.id))!;
    expect(closed.status).toBe('Failed');
    expect(closed.errorCode).toBe('INTERRUPTED');
    expect(closed.statusInformation).toMatch(/^interrupted: smartlic process \d+ on .* ended/);
    // The dead process's lease does not block the next sync.
    const next = await runCli(['sync', fx.cssm.world.domain], env);
    expect(next.code, next.out + next.err).toBe(0);
  }, 60_000);
});
