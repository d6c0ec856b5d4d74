/**
 * Whole-estate chat answers (`node --import tsx test/bench/chat-reads.bench.ts`, or `npm run
 * bench chat-reads`): `status`, `clusters`, `clusters --failed` and `alerts` with no filter,
 * through the real command layer (registry, handlers, the read-model cache of
 * core/reports/read-cache.ts), as a chat user asks them.
 *
 * The database is built the real way, not timed: the emulator at `--scale` BENCH_SCALE (1000)
 * in its own process, every account provisioned, every smart-licensed cluster stored, one full
 * sync (no injected latency), so alerts are evaluated. Then, per command:
 *   - uncached: the read model(s) behind the answer computed directly, BENCH_COLD (5) times;
 *   - repeated: BENCH_N (50) asks with nothing written between them (the cache's case);
 *   - with writes: BENCH_N asks, one account re-synced before every BENCH_WRITE_EVERY-th (10)
 *     ask, so that share of the answers is recomputed on a new data version.
 * Printed: p50 / p99 / max per case, the cache's hits and misses, and the load average (the
 * machine is shared: wall times follow it). Target: answer p99 ≤ 500 ms.
 */
import { loadavg } from 'node:os';
import { CommandLayer, defaultRegistry, type Actor } from '../../bot/commands/index.ts';
import { silentLogger } from '../../core/log.ts';
import * as reports from '../../core/reports/index.ts';
import { seedClusters, setup } from '../integration/sync-fixture.ts';
import { provisionAll, spawnScaleEmulator } from './scale-lab.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1000);
const N = Number(process.env.BENCH_N ?? 50);
const COLD = Number(process.env.BENCH_COLD ?? 5);
const WRITE_EVERY = Number(process.env.BENCH_WRITE_EVERY ?? 10);
const out = (s: string) => process.stdout.write(`${s}\n`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

function pct(ms: number[], p: number): number {
  const s = [...ms].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}
const fmt = (ms: number[]) =>
  `p50 ${pct(ms, 50).toFixed(1)} ms, p99 ${pct(ms, 99).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms (n ${ms.length})`;

async function main(): Promise<void> {
  out(`chat whole-estate reads: scale ${SCALE}, ${N} asks per case, load ${load()}`);
  const t0 = performance.now();
  const fx = await setup({
    external: await spawnScaleEmulator(SCALE),
    config: {
      http: { concurrencyPerHost: 32, pageSize: 1000, timeoutMs: 60_000 },
      sync: { accountConcurrency: 32 },
      log: { level: 'error' },
    },
  });
  try {
    const accounts = await provisionAll(fx);
    const clusters = await seedClusters(fx);
    const synced = await fx.services.sync.syncAll({ requestedBy: 'bench', full: true });
    const alerts = (await fx.services.alerts.list()).length;
    out(
      `database: ${accounts} accounts, ${clusters} clusters, ${alerts} open alerts, ${synced.filter((o) => o.status === 'Completed').length} synced, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
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
    const cache = reports.readCache(fx.h.db);
    const domains = (await fx.repos.smartAccounts.list()).map((a) => a.domain);
    const direct: Record<string, () => Promise<unknown>> = {
      status: () => reports.statusOverview(fx.h.db, { now: fx.clock.now() }),
      clusters: () => reports.clusterSummary(fx.h.db, { now: fx.clock.now() }),
      'clusters --failed': () =>
        reports.clusterSummary(fx.h.db, { now: fx.clock.now(), filter: { failed: true } }),
      alerts: () => fx.services.alerts.list({ state: 'open', includeMuted: false }),
    };
    let synced1 = 0;
    for (const [command, compute] of Object.entries(direct)) {
      const cold: number[] = [];
      for (let i = 0; i < COLD; i++) {
        const t = performance.now();
        await compute();
        cold.push(performance.now() - t);
      }
      const ask = async () => {
        const t = performance.now();
        const o = await layer.execute(command, viewer);
        const ms = performance.now() - t;
        if (o.reply.status === 'error') throw new Error(`${command}: ${o.reply.title}`);
        return ms;
      };
      const h0 = { ...cache.stats };
      const repeated: number[] = [];
      for (let i = 0; i < N; i++) repeated.push(await ask());
      const h1 = { ...cache.stats };
      const withWrites: number[] = [];
      for (let i = 0; i < N; i++) {
        if (i % WRITE_EVERY === 0) {
          // A write between asks: one account's re-sync moves its "last synced".
          await fx.services.sync.syncAccount(domains[synced1++ % domains.length]!, {
            requestedBy: 'bench',
          });
        }
        withWrites.push(await ask());
      }
      const h2 = { ...cache.stats };
      out(`${command}:`);
      out(`  uncached read model    ${fmt(cold)}`);
      out(
        `  repeated asks          ${fmt(repeated)}; cache ${h1.hits - h0.hits} hits, ${h1.misses - h0.misses} misses`,
      );
      out(
        `  a sync every ${WRITE_EVERY} asks   ${fmt(withWrites)}; cache ${h2.hits - h1.hits} hits, ${h2.misses - h1.misses} misses`,
      );
      out(`  load ${load()}`);
    }
  } finally {
    await fx.close();
  }
}

await main();
