/**
 * SQLite beside PostgreSQL (`npm run bench store`; PostgreSQL when SMARTLIC_TEST_PG is set,
 * otherwise SQLite alone and it says so).
 *
 * One emulator at `--scale` BENCH_SCALE (1000: 20 cloud Smart Accounts, 200 local accounts,
 * ~10 000 clusters) in its own process, no injected latency (the store's share is what differs),
 * then for each store in turn: every account provisioned and its clusters stored (not timed), a
 * full sync of every account, a re-sync with nothing changed, and the whole-estate read models
 * (the status overview and the Cluster Summary of every cluster). Wall time, this process's CPU
 * time and the load average are printed beside each figure (the machine is shared).
 *
 * Environment: BENCH_SCALE (1000), BENCH_ACCOUNTS (accounts in parallel, 32), BENCH_STORES
 * (e.g. `postgres`: only those).
 */
import { loadavg } from 'node:os';
import * as reports from '../../core/reports/index.ts';
import { setup, seedClusters } from '../integration/sync-fixture.ts';
import { storeKinds } from '../support/pg.ts';
import { provisionAll, spawnScaleEmulator } from './scale-lab.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1000);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 32);
const out = (s: string) => process.stdout.write(`${s}\n`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  const r = await run();
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  out(
    `  ${label}: ${(ms / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU, load ${load()}`,
  );
  return r;
}

async function main(): Promise<void> {
  const only = process.env.BENCH_STORES?.split(',');
  const kinds = storeKinds().filter((k) => !only || only.includes(k));
  out(`store bench: scale ${SCALE}, ${ACCOUNTS} accounts at a time, stores: ${kinds.join(', ')}`);
  const emu = await spawnScaleEmulator(SCALE);
  try {
    for (const kind of kinds) {
      const fx = await setup({
        // One emulator for both stores: the fixture must not stop it.
        external: { ...emu, close: () => Promise.resolve() },
        store: kind,
        config: {
          http: { concurrencyPerHost: 32, pageSize: 1000, timeoutMs: 30_000 },
          sync: { accountConcurrency: ACCOUNTS },
          log: { level: 'error' },
        },
      });
      try {
        out(`${kind}:`);
        const accounts = await provisionAll(fx);
        const clusters = await seedClusters(fx);
        out(`  setup: ${accounts} accounts, ${clusters} clusters stored`);
        const full = await timed('full sync', () =>
          fx.services.sync.syncAll({ requestedBy: 'bench', full: true }),
        );
        const failed = full.filter((o) => o.status === 'Failed');
        out(
          `    ${full.length} accounts, ${failed.length} failed${failed[0] ? ` (first: ${failed[0].error?.code} ${failed[0].error?.message})` : ''}`,
        );
        await timed('re-sync, nothing changed', () =>
          fx.services.sync.syncAll({ requestedBy: 'bench' }),
        );
        const now = fx.clock.now();
        await timed('status overview (whole estate)', () =>
          reports.statusOverview(fx.h.db, { now }),
        );
        const rows = await timed('Cluster Summary (every cluster)', () =>
          reports.clusterSummary(fx.h.db, { now }),
        );
        out(`    ${rows.length} cluster rows`);
      } finally {
        await fx.close();
      }
    }
  } finally {
    await emu.close();
  }
}

await main();
