/**
 * Site build benchmark (`npm run bench site`).
 *
 * The emulator at `--scale 1000` (about 1,000 customers and 10,000 clusters) in its own
 * process; every account provisioned, every smart-licensed cluster stored, one full sync
 * (none of that timed). Then `buildSite` on that database: wall time, pages written, pages per
 * second (target: the whole build under 60 s), and the weight of the overview page before
 * compression: its HTML plus every script and stylesheet it loads, chart.js included (target
 * under 300 KB). Then the rebuilds `smartlic start` runs after a sync, on the same output: with
 * nothing changed, and after one account changed (its last sync time and one of its VAs'
 * description, as a sync of that account writes, and its data version moved as a sync moves
 * it); each says how many entity pages were read and how many pages Astro rendered
 * (target: ≤ 5 s). Every build reports its CPU (the build process and its Astro child), the
 * build process's peak RSS and the machine's load, since the machine may be shared.
 *
 * Environment: BENCH_SCALE (1000); BENCH_DB=FILE keeps the synced database there and reuses it
 * when it exists (to time builds again without the set-up).
 */
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { sql } from 'kysely';
import { store } from '../../core/index.ts';
import { buildSite, type BuildSiteResult } from '../../site/lib/build.ts';
import { seedClusters, setup } from '../integration/sync-fixture.ts';
import { provisionAll, spawnScaleEmulator } from './scale-lab.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1000);
const KEEP = process.env.BENCH_DB;
const out = (s: string) => process.stdout.write(`${s}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The overview's HTML and every same-site script / stylesheet / module it references. */
function overviewWeight(dir: string): { html: number; assets: number; files: string[] } {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const seen = new Set<string>();
  const queue = [...html.matchAll(/(?:src|href)="(\/_astro\/[^"]+\.(?:js|css))"/g)].map(
    (m) => m[1]!,
  );
  while (queue.length) {
    const p = queue.shift()!;
    if (seen.has(p)) continue;
    seen.add(p);
    const text = readFileSync(join(dir, p), 'utf8');
    for (const m of text.matchAll(/["'(]\.?\.?\/?((?:_astro\/)?[\w.~-]+\.js)["')]/g)) {
      const name = m[1]!.replace(/^_astro\//, '');
      const f = `/_astro/${name}`;
      try {
        statSync(join(dir, f));
        queue.push(f);
      } catch {
        // not a file of the build
      }
    }
  }
  let assets = 0;
  for (const f of seen) assets += statSync(join(dir, f)).size;
  return { html: Buffer.byteLength(html), assets, files: [...seen] };
}

/** CPU seconds of this process and of its waited-for children (the Astro process), Linux. */
function cpuSeconds(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // Fields 14-17 of stat (utime, stime, cutime, cstime), in clock ticks (100 a second).
  return f.slice(11, 15).reduce((n, x) => n + Number(x), 0) / 100;
}

async function timed(
  label: string,
  build: () => Promise<BuildSiteResult>,
): Promise<BuildSiteResult> {
  const c0 = cpuSeconds();
  const load = loadavg()[0]!.toFixed(1);
  const r = await build();
  out(
    `${label}: ${r.pages} pages (${r.read} entity pages read, ${r.rendered} rendered, ${r.written} files written) in ${secs(r.ms)}, CPU ${(cpuSeconds() - c0).toFixed(1)} s, reading the database ${secs(r.readMs)}, rendering ${secs(r.astroMs)} (interleaved), build process peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB, load ${load} → ${loadavg()[0]!.toFixed(1)}`,
  );
  out(
    `  steps (s from the start, [CPU s of the build process in it]): ${Object.entries(r.phases)
      .filter(([k]) => !k.endsWith('Cpu'))
      .map(
        ([k, v]) =>
          `${k} ${(v / 1000).toFixed(1)} [${((r.phases[`${k}Cpu`] ?? 0) / 1000).toFixed(1)}]`,
      )
      .join(', ')}`,
  );
  return r;
}

/** What a sync of one account writes that its pages show: its last sync, a VA's description. */
async function changeOneAccount(dbPath: string): Promise<void> {
  const h = await store.openStore({ path: dbPath });
  try {
    const va = await h.db
      .selectFrom('virtual_accounts')
      .select(['id', 'smart_account_id'])
      .orderBy('id')
      .executeTakeFirstOrThrow();
    await h.db
      .updateTable('virtual_accounts')
      .set({ description: `bench change ${Date.now()}` })
      .where('id', '=', va.id)
      .execute();
    // As a sync records its result: the account's data version moves with it.
    await h.db
      .updateTable('smart_accounts')
      .set({ last_sync_at: new Date().toISOString(), data_version: sql`data_version + 1` })
      .where('id', '=', va.smart_account_id)
      .execute();
  } finally {
    await h.close();
  }
}

async function makeDatabase(): Promise<{ dbPath: string; close(): Promise<void> }> {
  const t0 = performance.now();
  const fx = await setup({
    external: await spawnScaleEmulator(SCALE),
    config: {
      http: { concurrencyPerHost: 32, pageSize: 1000, timeoutMs: 60_000 },
      sync: { accountConcurrency: 16 },
      log: { level: 'error' },
    },
  });
  try {
    await provisionAll(fx);
    const clusters = await seedClusters(fx);
    const outcomes = await fx.services.sync.syncAll({ requestedBy: 'bench', full: true });
    const failed = outcomes.filter((o) => o.status === 'Failed').length;
    out(
      `setup: ${outcomes.length} accounts (${failed} failed), ${clusters} clusters, synced in ${secs(performance.now() - t0)} (not timed)`,
    );
    if (KEEP) copyFileSync(fx.dbPath, KEEP);
  } catch (e) {
    await fx.close();
    throw e;
  }
  return { dbPath: KEEP ?? fx.dbPath, close: () => fx.close() };
}

async function main(): Promise<void> {
  out(`site bench: scale ${SCALE}`);
  const db =
    KEEP && existsSync(KEEP) ? { dbPath: KEEP, close: async () => {} } : await makeDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'smartlic-site-bench-'));
  try {
    const outDir = join(dir, 'site');
    const build = () => buildSite({ dbPath: db.dbPath, outDir, env: process.env });
    const r = await timed('full build', build);
    const w = overviewWeight(outDir);
    out(
      `  → ${(r.pages / (r.ms / 1000)).toFixed(0)} pages/s (target: under 30 s: ${r.ms < 30_000 ? 'met' : 'MISSED'})`,
    );
    out(`  not in this build: ${r.missing.length ? r.missing.join('; ') : 'nothing'}`);
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    out(
      `overview: ${kb(w.html + w.assets)} uncompressed (HTML ${kb(w.html)}, ${w.files.length} script/style files ${kb(w.assets)}) (target < 300 KB: ${w.html + w.assets < 300 * 1024 ? 'met' : 'MISSED'})`,
    );
    const big = ['clusters', 'customers', 'jobs'].map(
      (p) => `${p}/ ${kb(statSync(join(outDir, p, 'index.html')).size)}`,
    );
    out(`  largest list pages: ${big.join(', ')}`);
    const rows = join(outDir, 'clusters', 'clusters.rows.json');
    const pagesOfClusters = existsSync(join(outDir, 'clusters', 'page'))
      ? readdirSync(join(outDir, 'clusters', 'page')).length + 1
      : 1;
    out(
      `  Cluster Summary: ${pagesOfClusters} page(s); rows file ${existsSync(rows) ? kb(statSync(rows).size) : 'none'} (read by filters, sort, search and CSV)`,
    );
    await timed('rebuild, nothing changed', build);
    // The database is changed in place: a kept BENCH_DB is changed too (a later run still works).
    await changeOneAccount(db.dbPath);
    const one = await timed('rebuild, one account changed', build);
    out(`  (target ≤ 5 s: ${one.ms <= 5000 ? 'met' : 'MISSED'})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.close();
  }
}

await main();
