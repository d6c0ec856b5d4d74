/**
 * `buildSite`: the static site from the store (the SQLite file, or PostgreSQL when `dbUrl` is
 * set). Opens the database read-only, asks core's
 * read models for everything the pages show (site/lib/data.ts), hands that to Astro as one JSON
 * file, builds into a temporary directory beside the output, and only then swaps it in: a
 * failed build leaves the last good site in place. The site never writes the database.
 */
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  SmartlicError,
  normalizeSiteBase,
  store,
  systemClock,
  type Clock,
} from '../../core/index.ts';
import { loadSiteData } from './data.ts';
import { pagedTable, rowsFile } from './paging.ts';
import { LIST_PAGES, rowsFileHref } from './paths.ts';
import type { SiteData } from './types.ts';

/** The Astro project (site/). */
export const SITE_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface BuildSiteOptions {
  dbPath: string;
  /** postgres://… (db.url): the store is PostgreSQL and `dbPath` is not read. */
  dbUrl?: string | undefined;
  outDir: string;
  clock?: Clock;
  /** Astro's log level; the CLI passes 'error' unless asked for more. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /**
   * Astro processes rendering at once, each a share of the pages (default: one per CPU, at
   * most 4; one for small sites).
   */
  processes?: number;
  /** Rows per page of a long list (the Cluster Summary); default 500. */
  listPageSize?: number;
  /** The sub-directory the site is hosted under (`/smartlic/`); default `/`, the web root. */
  base?: string;
  /** Environment of the Astro process (bin/ passes its own); telemetry is always off. */
  env: NodeJS.ProcessEnv;
}

export interface BuildSiteResult {
  outDir: string;
  pages: number;
  ms: number;
  dataAsOf: string | null;
  missing: string[];
  /** Time spent reading the database and in Astro. */
  readMs: number;
  astroMs: number;
}

/** Reads the database (read-only) into the site's view data; `url` names a PostgreSQL store. */
export async function readSiteData(
  dbPath: string,
  clock: Clock = systemClock,
  url?: string,
): Promise<{ data: SiteData; workbooks: () => Promise<Map<string, Buffer>> }> {
  if (url === undefined && !existsSync(dbPath)) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `database ${dbPath} does not exist`,
      action: 'run a sync first (smartlic start --once) or pass --db FILE',
    });
  }
  // The password of a URL never reaches a message.
  const name = url === undefined ? dbPath : store.redactDatabaseUrl(url);
  const h = await store.openStore({ path: dbPath, url, readonly: true, clock });
  try {
    const pending = await store.pendingMigrations(h.db);
    if (pending.length > 0) {
      throw new SmartlicError({
        code: 'DB',
        message: `database ${name} is not migrated (${pending.length} migration(s) pending)`,
        action: 'run `smartlic db migrate`, then build again',
      });
    }
    return await loadSiteData(h.db, clock);
  } finally {
    await h.close();
  }
}

export async function buildSite(opts: BuildSiteOptions): Promise<BuildSiteResult> {
  const t0 = performance.now();
  const outDir = resolve(opts.outDir);
  const base = normalizeSiteBase(opts.base ?? '/');
  if (base === null) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `site base "${opts.base}" is not a path such as /smartlic/`,
      action:
        'give letters, digits, . _ ~ - between slashes (site.base or --base), or / for the web root',
    });
  }
  const { data, workbooks } = await readSiteData(resolve(opts.dbPath), opts.clock, opts.dbUrl);
  if (opts.listPageSize !== undefined) {
    if (!Number.isInteger(opts.listPageSize) || opts.listPageSize < 1) {
      throw new SmartlicError({
        code: 'INPUT',
        message: `list page size ${opts.listPageSize} is not a whole number of rows`,
        action: 'give 1 or more',
      });
    }
    data.listPageSize = opts.listPageSize;
  }
  const readMs = performance.now() - t0;
  let astroMs = 0;
  const parent = dirname(outDir);
  mkdirSync(parent, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'smartlic-site-'));
  // Astro renders from a server bundle it writes into its output directory, which imports
  // packages by name: the build must happen where node_modules resolves (inside site/).
  const building = mkdtempSync(join(SITE_ROOT, '.build-'));
  const pagesToWrite =
    9 +
    data.accountPages.length +
    data.vaPages.length +
    data.customerPages.length +
    data.clusterPages.length;
  const count = Math.max(
    1,
    opts.processes ?? Math.min(4, availableParallelism(), Math.ceil(pagesToWrite / 500)),
  );
  const shards = Array.from({ length: count }, (_, i) => (i === 0 ? building : `${building}-${i}`));
  let staging = building;
  let pages = 0;
  try {
    const dataFile = join(work, 'site-data.json');
    writeFileSync(dataFile, JSON.stringify(data));
    const ta = performance.now();
    const astro = Promise.all(
      shards.map((dir, index) =>
        runAstro(
          {
            root: SITE_ROOT,
            outDir: dir,
            cacheDir: join(work, `cache-${index}`),
            dataFile,
            logLevel: opts.logLevel ?? 'error',
            shard: { index, count },
            base,
          },
          opts.env,
        ),
      ),
    ).then(() => (astroMs = performance.now() - ta));
    // The workbooks are written while Astro renders (it does not need them).
    const [books] = await settle(workbooks(), astro);
    for (const dir of shards.slice(1)) mergeInto(dir, building);
    mkdirSync(join(building, 'reports'), { recursive: true });
    for (const d of data.downloads) {
      const book = books.get(d.file);
      writeFileSync(
        join(building, 'reports', d.file),
        book ?? (d.binary ? Buffer.from(d.content, 'base64') : d.content),
      );
    }
    // The rows file of every list split into pages (what its filters and CSV download read).
    for (const [slug, key] of LIST_PAGES) {
      const t = pagedTable(data[key], data.listPageSize);
      if (!t) continue;
      const file = join(building, ...rowsFileHref(slug, t.id).split('/').filter(Boolean));
      writeFileSync(file, JSON.stringify(rowsFile(t, base)));
    }
    pages = countPages(building);
    staging = moveNextTo(building, outDir);
    swapInto(staging, outDir);
  } catch (e) {
    for (const dir of shards) rmSync(dir, { recursive: true, force: true });
    if (staging !== building) rmSync(staging, { recursive: true, force: true });
    if (e instanceof SmartlicError) throw e;
    // Out of room while writing the site: say the disk is full, where, and what to free.
    if (store.isNoSpace(e)) {
      throw store.diskFullError((e as { path?: string }).path ?? outDir, e, 'the site file');
    }
    throw new SmartlicError({
      code: 'SITE_BUILD',
      message: `site build failed: ${e instanceof Error ? e.message : String(e)}`,
      action: 'the last good site was left in place; run with --debug for the details',
      cause: e,
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return {
    outDir,
    pages,
    ms: performance.now() - t0,
    dataAsOf: data.dataAsOf,
    missing: data.missing,
    readMs,
    astroMs,
  };
}

/** Both results, or the first failure once both have finished (no half-written output left). */
async function settle<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/** Moves every file of `from` that `to` lacks into `to` (shared assets are identical), then removes `from`. */
function mergeInto(from: string, to: string): void {
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) {
      if (existsSync(dst)) mergeInto(src, dst);
      else renameSync(src, dst);
    } else if (!existsSync(dst)) renameSync(src, dst);
  }
  rmSync(from, { recursive: true, force: true });
}

/** One Astro build in a child process (site/lib/astro-build.mjs); rejects with its stderr. */
function runAstro(o: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<void> {
  const script = join(SITE_ROOT, 'lib', 'astro-build.mjs');
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [script, JSON.stringify(o)], {
      cwd: SITE_ROOT,
      env: { ...env, ASTRO_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stdout.on('data', (c: Buffer) => process.stderr.write(c));
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      if (o.logLevel === 'info' || o.logLevel === 'debug') process.stderr.write(c);
    });
    child.once('error', fail);
    child.once('exit', (code, signal) => {
      if (code === 0) ok();
      else
        fail(
          new Error(
            `astro build ${signal ? `killed by ${signal}` : `exited with ${code}`}: ${err.trim().split('\n').slice(0, 12).join('\n')}`,
          ),
        );
    });
  });
}

function countPages(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.html')) n++;
  }
  return n;
}

/** Moves the fresh build beside `outDir` (same file system, so the swap is a rename). */
function moveNextTo(built: string, outDir: string): string {
  const target = `${dirname(outDir)}/.${basename(outDir)}.new-${process.pid}-${Date.now()}`;
  try {
    renameSync(built, target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    cpSync(built, target, { recursive: true });
    rmSync(built, { recursive: true, force: true });
  }
  return target;
}

/** Puts `staging` where `outDir` is; the old site is removed only once the new one is there. */
function swapInto(staging: string, outDir: string): void {
  const old = `${staging}.old`;
  const hadOld = existsSync(outDir);
  if (hadOld) renameSync(outDir, old);
  try {
    renameSync(staging, outDir);
  } catch (e) {
    if (hadOld) renameSync(old, outDir);
    throw e;
  }
  if (hadOld) rmSync(old, { recursive: true, force: true });
}
