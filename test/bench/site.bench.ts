/**
 * Site build benchmark (`npm run bench site`).
 *
 * The emulator at `--scale 1000` (about 1,000 customers and 10,000 clusters) in its own
 * process; every account provisioned, every smart-licensed cluster stored, one full sync
 * (none of that timed). Then `buildSite` on that database: wall time, pages written, pages per
 * second (target: the whole build under 60 s), and the weight of the overview page before
 * compression: its HTML plus every script and stylesheet it loads, chart.js included (target
 * under 300 KB).
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
import { buildSite } from '../../site/lib/build.ts';
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
    const r = await buildSite({ dbPath: db.dbPath, outDir, env: process.env });
    const w = overviewWeight(outDir);
    out(
      `build: ${r.pages} pages in ${secs(r.ms)} → ${(r.pages / (r.ms / 1000)).toFixed(0)} pages/s (target: under 60 s: ${r.ms < 60_000 ? 'met' : 'MISSED'})`,
    );
    out(`  reading the database ${secs(r.readMs)}, Astro ${secs(r.astroMs)}`);
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.close();
  }
}

await main();
