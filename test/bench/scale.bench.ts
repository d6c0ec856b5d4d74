/**
 * The product at the size of a large estate, end to end (`node --import tsx
 * test/bench/scale.bench.ts`, or `npm run bench scale`; issue 23: emulator scale 10000, about
 * 100,000 clusters). Real: the emulator CLI in a child process (`smartlic emulator --scale N`),
 * HTTP on 127.0.0.1 with injected latency, a SQLite file, the provisioning, sync and alert
 * services, and `status` through the command layer as chat and the terminal run it. Faked:
 * nothing; the site build is measured by test/bench/site.bench.ts.
 *
 * Figures, each with its wall time, this process's CPU, the load average and both processes'
 * memory (RSS now and peak; smartlic's peak is the step's own where Linux lets it be reset):
 *   1. emulator ready (spawn to its ready line);
 *   2. provisioning every account (token + reads per account, 16 at a time, no latency);
 *   3. storing the lab's inventory through the product's path, as `start` does it: the VA
 *      roles and license modes, then every customer and cluster (publisher node, assignment)
 *      in one bulk import (`cluster import`'s path: bin/cli/lab-import.ts);
 *   4. the first full sync at BENCH_LATENCY_MS per request (wall split: run / waiting for a
 *      CPU / idle, per process; HTTP lanes; account steps), with its alert evaluation (the
 *      afterSync hooks), and the open alerts by rule after it;
 *   5. `status` (cold, then again).
 * "First answer" = 2 + 3 + 4: what a user with this estate waits before `status` can answer.
 *
 * Environment: BENCH_SCALE (10000), BENCH_LATENCY_MS (50), BENCH_CONCURRENCY (per host, 32),
 * BENCH_ACCOUNTS (accounts in parallel, 32), BENCH_STORE_ONLY=1 (stop after storing).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { CommandLayer, defaultRegistry, type Actor } from '../../bot/commands/index.ts';
import { silentLogger } from '../../core/log.ts';
import type { SyncTimings } from '../../core/services/sync-types.ts';
import { setup, type Fixture } from '../integration/sync-fixture.ts';
import { applyLabVaSettings, importLabClusters, labInventory } from '../../bin/cli/lab-import.ts';
import { provisionAll, spawnScaleEmulator } from './scale-lab.ts';
import { describeLanes, describeTimings, laneDiff, lanes } from './sync-lanes.ts';
import { describeWallSplit, startWallSplit } from './wall-clock.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 10_000);
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 50);
const CONC = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 32);
/** BENCH_STORE_ONLY=1: stop after storing (and a second, unchanged import); no sync. */
const STORE_ONLY = process.env.BENCH_STORE_ONLY === '1';

const out = (s: string) => process.stdout.write(`${s}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** RSS now and its peak (VmHWM), MB, of a process (self or a pid); 0 without /proc. */
function memory(pid: number | 'self'): { rss: number; peak: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

let emulatorPid = 0;
const mem = () => {
  const a = memory('self');
  const mine = `RSS smartlic ${a.rss.toFixed(0)} MB (peak ${a.peak.toFixed(0)})`;
  if (!emulatorPid) return mine;
  const b = memory(emulatorPid);
  return `${mine}, emulator ${b.rss.toFixed(0)} MB (peak ${b.peak.toFixed(0)})`;
};

/** Resets this process's peak RSS (Linux: `5` to clear_refs), so each step's peak is its own. */
function resetPeak(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux, or not allowed: the peak is then the process's since it started.
  }
}

async function step<T>(label: string, run: () => Promise<T>): Promise<{ r: T; ms: number }> {
  resetPeak();
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  const r = await run();
  const ms = performance.now() - t;
  const c = process.cpuUsage(cpu0);
  out(
    `${label}: ${secs(ms)} wall, ${secs((c.user + c.system) / 1000)} CPU, load ${load()}; ${mem()}`,
  );
  return { r, ms };
}

async function openAlerts(fx: Fixture): Promise<string> {
  const rows = await fx.h.db
    .selectFrom('alerts')
    .select(['rule', 'severity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', '=', 'open')
    .groupBy(['rule', 'severity'])
    .orderBy('rule')
    .execute();
  return rows.map((r) => `${r.rule}/${r.severity} ${Number(r.n)}`).join(', ') || 'none';
}

async function main(): Promise<void> {
  out(
    `scale bench: scale ${SCALE}, latency ${LATENCY} ms, ${CONC} requests per host, ${ACCOUNTS} accounts at a time; load ${load()}`,
  );
  const { r: emu } = await step('emulator ready', () => spawnScaleEmulator(SCALE));
  emulatorPid = emu.pid;
  const fx = await setup({
    external: emu,
    config: {
      http: { concurrencyPerHost: CONC, pageSize: 1000, timeoutMs: 60_000 },
      sync: { accountConcurrency: ACCOUNTS },
      log: { level: 'error' },
    },
  });
  try {
    const prov = await step('provisioning', () => provisionAll(fx));
    out(`  ${prov.r} accounts`);
    const deps = { services: fx.services, repos: fx.repos, logger: silentLogger };
    const inventory = await labInventory(emu);
    const vaSettings = await step('VA roles and license modes', () =>
      applyLabVaSettings(deps, inventory),
    );
    const imported = await step('storing clusters (bulk import)', () =>
      importLabClusters(deps, inventory),
    );
    const r = imported.r;
    out(
      `  ${r.rows} clusters: ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.assigned} assigned, ${r.leftUnassigned} left unassigned (target: accounts and clusters stored within 60 s)`,
    );
    const store = { ms: vaSettings.ms + imported.ms };
    if (STORE_ONLY) {
      const again = await step('the same import again (every row unchanged)', () =>
        importLabClusters(deps, inventory),
      );
      out(`  ${again.r.unchanged} unchanged, ${again.r.added + again.r.updated} written`);
      out(`stored (provisioning + VA settings + import): ${secs(prov.ms + store.ms)}`);
      return;
    }

    await fx.faults({ latencyMs: LATENCY, scope: 'all' });
    const before = lanes(fx.services);
    const steps: SyncTimings[] = [];
    const onTimings = (t: SyncTimings) => steps.push(t);
    fx.services.sync.events.on('timings', onTimings);
    const split = startWallSplit(emulatorPid);
    const c0 = fx.services.clients.counters();
    const sync = await step(`first full sync (${LATENCY} ms per request)`, () =>
      fx.services.sync.syncAll({ requestedBy: 'bench', full: true }),
    );
    const wall = split();
    fx.services.sync.events.off('timings', onTimings);
    await fx.faults(null);
    const requests = fx.services.clients.counters().requests - c0.requests;
    const failed = sync.r.filter((o) => o.status === 'Failed');
    const clustersRead = sync.r.reduce((n, o) => n + o.counts.clustersRead, 0);
    out(
      `  ${sync.r.length} accounts, ${failed.length} failed${failed[0] ? ` (first: ${failed[0].error?.code} ${failed[0].error?.message})` : ''}, ${clustersRead} clusters read, ${requests} requests`,
    );
    const perLane = laneDiff(before, lanes(fx.services));
    let bound = 0;
    for (const [, { c, limit }] of perLane) bound = Math.max(bound, (c.requests * LATENCY) / limit);
    out(`  network bound (busiest lane) ${secs(bound)}: ratio ${(sync.ms / bound).toFixed(2)}×`);
    for (const l of describeWallSplit(wall)) out(l);
    for (const l of describeLanes(perLane, sync.ms, LATENCY)) out(l);
    for (const l of describeTimings(steps, sync.ms, ACCOUNTS)) out(l);
    out(`  open alerts after it: ${await openAlerts(fx)}`);
    const first = prov.ms + store.ms + sync.ms;
    out(`first answer (provisioning + storing + first full sync): ${secs(first)} (target 180 s)`);

    const layer = new CommandLayer(
      {
        db: fx.h.db,
        services: fx.services,
        repos: fx.repos,
        clock: fx.clock,
        logger: silentLogger,
        config: fx.config,
      },
      defaultRegistry(),
    );
    const viewer: Actor = { platform: 'slack', userId: 'UBENCH', channelId: 'CBENCH' };
    for (const label of ['status (first)', 'status (again)']) {
      await step(label, async () => {
        const o = await layer.execute('status', viewer);
        if (o.reply.status === 'error') throw new Error(`status: ${o.reply.title}`);
      });
    }
    await step('alert evaluation of every scope, nothing changed', () =>
      fx.services.alerts.evaluateAll(),
    );
  } finally {
    await fx.faults(null).catch(() => undefined);
    await fx.close();
  }
}

await main();
