/**
 * Sync benchmark (`node --import tsx test/bench/sync.bench.ts`, or `npm run bench sync`).
 *
 * The emulator at `--scale 1000` (1000 customers: 20 cloud Smart Accounts, 10 satellites with
 * 200 local accounts, ~10 000 clusters) with 50 ms injected latency on every request. Every
 * account is provisioned and every smart-licensed cluster put in the database first (not
 * timed). Then:
 *   1. a full sync of every account: wall time, requests, and the ratio to the lower bound
 *      max over HTTP lanes of (requests on the lane × latency ÷ concurrency limit);
 *   2. the fetches alone: every request of a full sync (the same reads, the same concurrency
 *      limits), nothing checked, written or evaluated — the measured network bound the full
 *      sync is held to (target ≤ 1.3×);
 *   3. a re-sync with nothing changed (incremental), against the full sync;
 *   4. for contrast, a sequential client (1 request per host, 1 account at a time), cut short
 *      by a time cap and extrapolated.
 *
 * Each phase also prints this process's CPU time (user + system: the machine is shared, so wall
 * time alone says little), CPU per request, the bytes this process wrote to disk
 * (/proc/self/io write_bytes: the database and its WAL) and the usage rows added, with the
 * load average.
 *
 * Environment: BENCH_SCALE (1000), BENCH_LATENCY_MS (50), BENCH_CONCURRENCY (per host, 32),
 * BENCH_PARSE_INLINE (1: parse the reads' answers on the event loop, not on a parse thread),
 * BENCH_ACCOUNTS (accounts in parallel, 32), BENCH_SEQ_CAP_S (30), BENCH_FULL_ONLY (1: the full
 * sync alone, for profiling and comparing), BENCH_SQL_PROFILE (1: SQLite time by statement; a
 * path ending in .json: also every statement's runs and time written there, per phase, last wins),
 * BENCH_CPU_PROF (a directory:
 * each timed phase writes its own V8 CPU profile there, `<phase>.cpuprofile`, so a re-sync's
 * profile is not drowned in the full sync's). BENCH_DUMP (a file: every table's rows, in id order, written
 * there at the end, encrypted columns left out since each run has its own key; two runs'
 * dumps compare the data a change of the sync's code writes, `diff a b`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { setup, seedClusters, type Fixture } from '../integration/sync-fixture.ts';
import { createServices, type Services } from '../../core/services/index.ts';
import type { SyncOutcome } from '../../core/services/index.ts';
import { fetchAccount } from '../../core/services/sync-fetch.ts';
import type { SyncContext } from '../../core/services/sync-types.ts';
import type { SyncTimings } from '../../core/services/sync-types.ts';
import { describeLanes, describeTimings, laneDiff, lanes, type Lane } from './sync-lanes.ts';
import { provisionAll, spawnScaleEmulator } from './scale-lab.ts';
import { describeWallSplit, startWallSplit } from './wall-clock.ts';
import { useParseThread } from '../../bin/cli/parse-thread.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1000);
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 50);
const CONC = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 32);
const SEQ_CAP_S = Number(process.env.BENCH_SEQ_CAP_S ?? 30);
const FULL_ONLY = process.env.BENCH_FULL_ONLY === '1';
const PROF_DIR = process.env.BENCH_CPU_PROF;
const DUMP = process.env.BENCH_DUMP;

/**
 * BENCH_SQL_PROFILE: times every better-sqlite3 statement run (all / get / run / iterate) by its
 * SQL text, so a phase can print which statements its SQLite time went to. Wraps the methods of
 * better-sqlite3's own Statement prototype (this process only); the statements still run.
 */
const sqlTime = new Map<string, { n: number; ms: number }>();
if (process.env.BENCH_SQL_PROFILE) {
  const { default: Sqlite } = await import('better-sqlite3');
  const probe = new Sqlite(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, unknown>;
  probe.close();
  for (const m of ['all', 'get', 'run', 'iterate']) {
    const orig = proto[m] as (...a: unknown[]) => unknown;
    proto[m] = function (this: { source: string }, ...a: unknown[]) {
      const t = performance.now();
      try {
        return orig.apply(this, a);
      } finally {
        const e = sqlTime.get(this.source) ?? { n: 0, ms: 0 };
        e.n++;
        e.ms += performance.now() - t;
        sqlTime.set(this.source, e);
      }
    };
  }
}

/** The statements that took the most SQLite time since the last call (BENCH_SQL_PROFILE). */
function topSql(): string[] {
  if (sqlTime.size === 0) return [];
  const all = [...sqlTime.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const total = all.reduce((n, [, e]) => n + e.ms, 0);
  // BENCH_SQL_PROFILE=<file>.json: every statement (runs, ms), to compare two scales per call.
  if (process.env.BENCH_SQL_PROFILE?.endsWith('.json'))
    writeFileSync(process.env.BENCH_SQL_PROFILE, JSON.stringify(all, null, 1));
  sqlTime.clear();
  return [
    `  SQLite statements: ${secs(total)}, ${all.reduce((n, [, e]) => n + e.n, 0)} runs (${all.find(([q]) => q === 'commit')?.[1].n ?? 0} commits) of ${all.length} distinct statements; the costliest:`,
    ...all
      .slice(0, 12)
      .map(([q, e]) => `    ${secs(e.ms)} ${e.n}× ${q.replace(/\s+/g, ' ').slice(0, 160)}`),
  ];
}

/** Starts a CPU profile when BENCH_CPU_PROF is set; the returned stop writes it. */
async function profile(label: string): Promise<() => Promise<void>> {
  if (!PROF_DIR) return () => Promise.resolve();
  mkdirSync(PROF_DIR, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile: p } = await session.post('Profiler.stop');
    const file = join(
      PROF_DIR,
      `${label.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '')}.cpuprofile`,
    );
    writeFileSync(file, JSON.stringify(p));
    session.disconnect();
    out(`  CPU profile: ${file}`);
  };
}

const out = (s: string) => process.stdout.write(`${s}\n`);
/** The emulator's process, whose CPU and run-queue time each phase reports. */
let emulatorPid: number | undefined;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Bytes this process has written to storage (Linux); 0 where /proc is not there. */
function writtenBytes(): number {
  try {
    return Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function usageRows(fx: Fixture): Promise<{ rows: number; repeats: number }> {
  const n = async (t: 'usage_snapshots' | 'usage_repeats') =>
    Number(
      (
        await fx.h.db
          .selectFrom(t)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { rows: await n('usage_snapshots'), repeats: await n('usage_repeats') };
}

async function timed(
  services: Services,
  label: string,
  run: () => Promise<SyncOutcome[]>,
): Promise<{
  ms: number;
  cpuMs: number;
  requests: number;
  retries: number;
  lanes: Map<string, Lane>;
  outcomes: SyncOutcome[];
}> {
  const before = lanes(services);
  const steps: SyncTimings[] = [];
  const onTimings = (t: SyncTimings) => steps.push(t);
  services.sync.events.on('timings', onTimings);
  const c0 = services.clients.counters();
  const cpu0 = process.cpuUsage();
  const w0 = writtenBytes();
  topSql();
  const stopProfile = await profile(label);
  const split = startWallSplit(emulatorPid);
  const t = performance.now();
  const outcomes = await run();
  const ms = performance.now() - t;
  const wall = split();
  services.sync.events.off('timings', onTimings);
  const cpu = process.cpuUsage(cpu0);
  await stopProfile();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const written = writtenBytes() - w0;
  const c1 = services.clients.counters();
  const failed = outcomes.filter((o) => o.status === 'Failed');
  out(
    `${label}: ${outcomes.length} accounts in ${secs(ms)}, ${c1.requests - c0.requests} requests (${c1.retries - c0.retries} retries), ${failed.length} failed${failed[0] ? ` (first: ${failed[0].error?.code} ${failed[0].error?.message})` : ''}`,
  );
  const requests = c1.requests - c0.requests;
  out(
    `  CPU ${secs(cpuMs)} (${(cpuMs / Math.max(1, requests)).toFixed(2)} ms per CSSM/UC request), ${(written / 1e6).toFixed(1)} MB written, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const perLane = laneDiff(before, lanes(services));
  for (const l of describeWallSplit(wall)) out(l);
  for (const l of topSql()) out(l);
  for (const l of describeLanes(perLane, ms, LATENCY)) out(l);
  for (const l of describeTimings(steps, ms, services.deps.config.sync.accountConcurrency)) out(l);
  return {
    ms,
    cpuMs,
    requests: c1.requests - c0.requests,
    retries: c1.retries - c0.retries,
    lanes: perLane,
    outcomes,
  };
}

/**
 * The emulator in its own process (`smartlic emulator`), so its CPU work does not share this
 * process's event loop with the sync being measured.
 */

/** A full sync's reads of every account and nothing else (sync-fetch.ts), as many at a time. */
async function fetchesAlone(fx: Fixture): Promise<SyncOutcome[]> {
  const s = fx.services;
  const ctx: SyncContext = {
    db: fx.h.db,
    secrets: fx.secrets,
    repos: fx.repos,
    clock: fx.clock,
    logger: s.deps.logger,
    config: fx.config,
    clients: s.clients,
    jobs: s.jobs,
    afterSync: [],
    deepReadMaxAgeMs: 86_400_000,
    clusterStatusMaxAgeMs: 6 * 3_600_000,
  };
  const job = { id: 0, progress: () => Promise.resolve(), entity: () => Promise.resolve() };
  const accounts = await fx.repos.smartAccounts.list();
  const outcomes: SyncOutcome[] = [];
  let next = 0;
  const worker = async () => {
    for (let a = accounts[next++]; a; a = accounts[next++]) {
      const now = fx.clock.now();
      const outcome: SyncOutcome = {
        accountId: a.id,
        domain: a.domain,
        name: a.name,
        source: a.source,
        status: 'Completed',
        jobId: null,
        joined: false,
        startedAt: now,
        finishedAt: now,
        durationMs: 0,
        requests: 0,
        changed: false,
        skipped: [],
        counts: {
          virtualAccounts: 0,
          licenses: 0,
          tokens: 0,
          devices: 0,
          clusters: 0,
          clustersRead: 0,
          tokensRefreshed: 0,
          snapshots: 0,
        },
        clusterErrors: [],
        missing: [],
        removed: [],
        unknownVaRecords: [],
      };
      await fetchAccount(ctx, a, { requestedBy: 'bench', full: true }, job, outcome, () => {});
      outcomes.push(outcome);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(fx.config.sync.accountConcurrency, accounts.length) }, worker),
  );
  return outcomes;
}

/**
 * Every table's rows as lines of JSON, in rowid order (BENCH_DUMP). Left out or masked, as each
 * run has its own: encrypted columns (its own key), the emulator's port, process ids (job
 * runners, lease holders) and the migrations' wall-clock times. The accounts of a concurrent
 * sync finish in a different order each run, and so get other ids: BENCH_ACCOUNTS=1 makes the
 * ids comparable too.
 */
function dumpTables(fx: Fixture, file: string): void {
  if (fx.h.kind !== 'sqlite') throw new Error('BENCH_DUMP reads the SQLite file');
  const db = fx.h.sqlite;
  const tables = db
    .prepare("select name from sqlite_master where type = 'table' order by name")
    .pluck()
    .all() as string[];
  const lines: string[] = [];
  for (const t of tables) {
    const rows = db.prepare(`select * from "${t}" order by rowid`).all() as Record<
      string,
      unknown
    >[];
    lines.push(`# ${t}: ${rows.length} rows`);
    for (const r of rows) {
      for (const k of Object.keys(r)) if (k.endsWith('_enc') || k === 'runner') delete r[k];
      if ('satellite_port' in r) r.satellite_port = 'PORT';
      if (t === 'sync_leases') r.holder = 'HOLDER';
      if (t === 'kysely_migration') r.timestamp = 'AT';
      if (t === 'smartlic_migration_versions') r.applied_at = 'AT';
      lines.push(JSON.stringify(r).replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT'));
    }
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  out(`tables dumped to ${file}`);
}

/** Provisions the lab's accounts and stores its clusters, timed. */
async function setUpLab(fx: Fixture): Promise<void> {
  const t = performance.now();
  const accounts = await provisionAll(fx);
  const clusters = await seedClusters(fx);
  out(
    `setup: ${accounts} accounts provisioned, ${clusters} clusters stored, ${secs(performance.now() - t)}`,
  );
}

async function main(): Promise<void> {
  out(
    `sync bench: scale ${SCALE}, latency ${LATENCY} ms, ${CONC} requests per host, ${ACCOUNTS} accounts at a time`,
  );
  // As the product's processes do (bin/cli/runtime.ts): the reads' answers parsed on a second
  // thread; BENCH_PARSE_INLINE=1 parses them on the event loop, as before issue 23's change.
  const inline = process.env.BENCH_PARSE_INLINE === '1';
  const endParseThread = inline ? async () => {} : useParseThread({ startAfter: 0 });
  out(`reads parsed ${inline ? 'inline (BENCH_PARSE_INLINE=1)' : 'on a parse thread'}`);
  const t0 = performance.now();
  const emu = await spawnScaleEmulator(SCALE);
  emulatorPid = emu.pid;
  const fx = await setup({
    external: emu,
    config: {
      http: { concurrencyPerHost: CONC, pageSize: 1000, timeoutMs: 30_000 },
      sync: { accountConcurrency: ACCOUNTS },
      log: { level: 'error' },
    },
  });
  out(`emulator up in ${secs(performance.now() - t0)}`);
  try {
    await setUpLab(fx);
    await fx.faults({ latencyMs: LATENCY, scope: 'all' });

    const full = await timed(fx.services, 'full sync', () =>
      fx.services.sync.syncAll({ requestedBy: 'bench', full: true }),
    );
    const clustersRead = full.outcomes.reduce((n, o) => n + o.counts.clustersRead, 0);
    const clusterErrors = full.outcomes.reduce((n, o) => n + o.clusterErrors.length, 0);
    out(`  clusters read: ${clustersRead} (${clusterErrors} unreadable)`);
    let bound = 0;
    for (const [, { c, limit }] of full.lanes)
      bound = Math.max(bound, (c.requests * LATENCY) / limit);
    out(
      `  lower bound ${secs(bound)} = max over lanes of requests × ${LATENCY} ms ÷ ${CONC} (busiest lane); naive bound all requests/${CONC}: ${secs((full.requests * LATENCY) / CONC)}`,
    );
    out(
      `  ratio to bound: ${(full.ms / bound).toFixed(2)}× (target ≤ 1.3×), ${full.ms < 60_000 ? 'under' : 'OVER'} 60 s`,
    );

    if (FULL_ONLY) {
      if (DUMP) dumpTables(fx, DUMP);
      return;
    }
    const alone = await timed(fx.services, 'fetches alone (the measured network bound)', () =>
      fetchesAlone(fx),
    );
    out(
      `  full sync / fetches alone: ${(full.ms / alone.ms).toFixed(2)}× (target ≤ 1.3×); the fetches alone / the lane bound: ${(alone.ms / bound).toFixed(2)}×`,
    );

    const u0 = await usageRows(fx);
    const inc = await timed(fx.services, 're-sync, nothing changed', () =>
      fx.services.sync.syncAll({ requestedBy: 'bench' }),
    );
    const u1 = await usageRows(fx);
    out(
      `  usage history: ${u1.rows - u0.rows} snapshot rows and ${u1.repeats - u0.repeats} repeats written`,
    );
    if (DUMP) dumpTables(fx, DUMP);
    out(
      `  incremental / full: time ${((inc.ms / full.ms) * 100).toFixed(1)} %, CPU ${((inc.cpuMs / full.cpuMs) * 100).toFixed(1)} %, requests ${((inc.requests / full.requests) * 100).toFixed(1)} % (target ≤ 10 % in time and CPU)`,
    );

    // Sequential client: same database, one request per host and one account at a time.
    const seqConfig = {
      ...fx.config,
      http: { ...fx.config.http, concurrencyPerHost: 1 },
      sync: { ...fx.config.sync, accountConcurrency: 1 },
    };
    const seq = createServices({
      db: fx.h.db,
      secrets: fx.secrets,
      repos: fx.repos,
      clock: fx.clock,
      logger: fx.services.deps.logger,
      config: seqConfig,
    });
    try {
      const accounts = await fx.repos.smartAccounts.list();
      const deadline = performance.now() + SEQ_CAP_S * 1000;
      let done = 0;
      const r = await timed(seq, `sequential (cap ${SEQ_CAP_S} s)`, async () => {
        const res: SyncOutcome[] = [];
        for (const a of accounts) {
          if (performance.now() > deadline) break;
          res.push(await seq.sync.syncAccount(a.id, { requestedBy: 'bench', full: true }));
          done++;
        }
        return res;
      });
      const cut = done < accounts.length;
      const perReq = r.ms / Math.max(1, r.requests);
      out(
        `  ${cut ? `cut short after ${done}/${accounts.length} accounts; ` : ''}${perReq.toFixed(1)} ms per request; full run extrapolated ≈ ${secs(perReq * full.requests)} (${((perReq * full.requests) / full.ms).toFixed(1)}× the concurrent sync)`,
      );
    } finally {
      await seq.close();
    }
  } finally {
    await fx.faults(null).catch(() => undefined);
    await fx.close();
    await endParseThread();
  }
}

await main();
