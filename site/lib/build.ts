/**
 * `buildSite`: the static site from the store (the SQLite file, or PostgreSQL when `dbUrl` is
 * set). One Astro process bundles the pages once and starts while the database is read
 * (read-only, through core's read models: site/lib/data.ts); the entity pages are streamed to
 * a file one at a time, each with the hash of its data, so neither process holds the estate's
 * pages. A page whose hash matches the last build's (kept beside the output, see
 * `manifestPath`) is not rendered again: it is copied from the last site with the header and
 * footer of this build. Astro builds into a directory beside the output which is only then
 * swapped in: a failed build leaves the last good site in place. The site never writes the
 * database.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  SmartlicError,
  normalizeSiteBase,
  store,
  systemClock,
  type Clock,
} from '../../core/index.ts';
import { ENTITY_KINDS, streamSiteData, type SiteDataStream } from './data.ts';
import { pagedTable, rowsFile, splitList } from './paging.ts';
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
  /** Rows per page of a long list (the Cluster Summary); default 500. */
  listPageSize?: number;
  /** The sub-directory the site is hosted under (`/smartlic/`); default `/`, the web root. */
  base?: string;
  /** Render every page, even those whose data did not change since the last build. */
  full?: boolean;
  /** Environment of the Astro process (bin/ passes its own); telemetry is always off. */
  env: NodeJS.ProcessEnv;
}

export interface BuildSiteResult {
  outDir: string;
  pages: number;
  /** Pages Astro rendered; the others were copied from the last build (their data unchanged). */
  rendered: number;
  /**
   * Entity pages whose data was read (the others' keys said they had not changed: not read,
   * copied).
   */
  read: number;
  ms: number;
  dataAsOf: string | null;
  missing: string[];
  /** Time spent reading the database and in Astro (the two overlap: Astro bundles meanwhile). */
  readMs: number;
  astroMs: number;
  /**
   * Milliseconds from the start at which each step ended (context, lists, entities, …), and the
   * build process's CPU milliseconds in each (`contextCpu`, …; the Astro process not counted).
   */
  phases: Record<string, number>;
}

/** What the next build compares with: each page's data hash, and what makes hashes comparable. */
interface Manifest {
  version: 2;
  /** The store the pages were read from (keys are comparable only within one store). */
  source: string;
  /** The site's code (its pages, components, scripts) and Astro's version. */
  code: string;
  base: string;
  listPageSize: number;
  /** The header and footer every page carries (data as of, built at), as this build wrote them. */
  stamps: [string, string];
  /** Output file (below the site root) → hash of the data it was rendered from. */
  pages: Record<string, string>;
  /**
   * Output file → the page's key (site/lib/data.ts `EntityItem.key`, hashed): a page whose key
   * is unchanged is not even read.
   */
  keys: Record<string, string>;
}

/** The build's record of page hashes: beside the output, so it is never served with the site. */
export function manifestPath(outDir: string): string {
  return join(dirname(outDir), `.${basename(outDir)}.site-build.json`);
}

/** Opens the store read-only and checks its schema; the caller closes it. */
async function openSiteStore(dbPath: string, clock: Clock, url?: string) {
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
  } catch (e) {
    await h.close();
    throw e;
  }
  return h;
}

/** Reads the database (read-only) into the site's view data; `url` names a PostgreSQL store. */
export async function readSiteData(
  dbPath: string,
  clock: Clock = systemClock,
  url?: string,
): Promise<{ data: SiteData; workbooks: () => Promise<Map<string, Buffer>> }> {
  const h = await openSiteStore(dbPath, clock, url);
  try {
    const s = await streamSiteData(h.db, clock);
    for await (const { kind, page } of s.pages()) if (page) s.data[kind].push(page);
    return { data: s.data, workbooks: s.workbooks };
  } finally {
    await h.close();
  }
}

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('base64url');

/** Output file of a page address below the site root (`clusters/12-x` → `clusters/12-x/index.html`). */
const pageFile = (slug: string | undefined): string => (slug ? `${slug}/index.html` : 'index.html');

/** The site's source (site/src, site/lib) and Astro's version: a change re-renders every page. */
function siteCode(): string {
  const h = createHash('sha256');
  const astro = JSON.parse(
    readFileSync(join(SITE_ROOT, '..', 'node_modules', 'astro', 'package.json'), 'utf8'),
  ) as { version: string };
  h.update(astro.version);
  for (const dir of ['src', 'lib']) {
    const files = readdirSync(join(SITE_ROOT, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort();
    for (const f of files) h.update(relative(SITE_ROOT, f)).update(readFileSync(f));
  }
  return h.digest('base64url');
}

function readManifest(outDir: string): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(manifestPath(outDir), 'utf8')) as Manifest;
    return m.version === 2 && existsSync(outDir) ? m : undefined;
  } catch {
    // No manifest (first build) or an unreadable one: every page is rendered.
    return undefined;
  }
}

/** The header's "data as of … built …" and the footer of a rendered page. */
function stampsOf(html: string): [string, string] | undefined {
  const head = /<p class="asof">[\s\S]*?<\/p>/.exec(html)?.[0];
  const foot = html.match(/<footer class="site-footer">[\s\S]*?<\/footer>/g)?.at(-1);
  return head && foot ? [head, foot] : undefined;
}

/** The last site is not what its manifest says (a page missing or changed by hand). */
class StaleSiteError extends Error {}

export async function buildSite(opts: BuildSiteOptions): Promise<BuildSiteResult> {
  try {
    return await buildOnce(opts);
  } catch (e) {
    // Copying from the last site failed: render every page instead.
    if (!opts.full && e instanceof SmartlicError && e.cause instanceof StaleSiteError) {
      return buildOnce({ ...opts, full: true });
    }
    throw e;
  }
}

async function buildOnce(opts: BuildSiteOptions): Promise<BuildSiteResult> {
  const t0 = performance.now();
  const outDir = resolve(opts.outDir);
  const clock = opts.clock ?? systemClock;
  const base = normalizeSiteBase(opts.base ?? '/');
  if (base === null) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `site base "${opts.base}" is not a path such as /smartlic/`,
      action:
        'give letters, digits, . _ ~ - between slashes (site.base or --base), or / for the web root',
    });
  }
  if (opts.listPageSize !== undefined) {
    if (!Number.isInteger(opts.listPageSize) || opts.listPageSize < 1) {
      throw new SmartlicError({
        code: 'INPUT',
        message: `list page size ${opts.listPageSize} is not a whole number of rows`,
        action: 'give 1 or more',
      });
    }
  }
  const dbPath = resolve(opts.dbPath);
  const source = opts.dbUrl === undefined ? dbPath : store.redactDatabaseUrl(opts.dbUrl);
  if (opts.dbUrl === undefined && !existsSync(dbPath)) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `database ${dbPath} does not exist`,
      action: 'run a sync first (smartlic start --once) or pass --db FILE',
    });
  }
  const code = siteCode();
  const prev = opts.full ? undefined : readManifest(outDir);
  mkdirSync(dirname(outDir), { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'smartlic-site-'));
  // Astro renders from a server bundle it writes into its output directory, which imports
  // packages by name: the build must happen where node_modules resolves (inside site/).
  const building = mkdtempSync(join(SITE_ROOT, '.build-'));
  let staging = building;
  let pages = 0;
  let rendered = 0;
  let read = 0;
  let readMs = 0;
  let astroMs = 0;
  let data: SiteData | undefined;
  // Where the time goes, for the bench: wall ms from the start at the end of each step, and
  // this process's CPU ms spent in it (`<step>Cpu`; on a shared machine wall time says little).
  const phases: Record<string, number> = {};
  let cpu = process.cpuUsage();
  const mark = (name: string) => {
    phases[name] = Math.round(performance.now() - t0);
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    phases[`${name}Cpu`] = Math.round((used.user + used.system) / 1000);
  };
  // Astro starts now: it bundles the pages while the database is read, then waits for the
  // data (the `ready` file).
  const ta = performance.now();
  const astro = runAstro(
    {
      root: SITE_ROOT,
      outDir: building,
      cacheDir: join(work, 'cache'),
      dataDir: work,
      logLevel: opts.logLevel ?? 'error',
      base,
    },
    opts.env,
  );
  astro.promise.catch(() => {}); // awaited below; a failure before then is not unhandled
  try {
    const h = await openSiteStore(dbPath, clock, opts.dbUrl);
    let s: SiteDataStream;
    let next: Manifest;
    try {
      s = await streamSiteData(h.db, clock);
      mark('context');
      data = s.data;
      if (opts.listPageSize !== undefined) data.listPageSize = opts.listPageSize;
      const comparable =
        prev !== undefined &&
        prev.source === source &&
        prev.code === code &&
        prev.base === base &&
        prev.listPageSize === data.listPageSize;
      next = {
        version: 2,
        source,
        code,
        base,
        listPageSize: data.listPageSize,
        stamps: ['', ''],
        pages: {},
        keys: {},
      };
      const changed = (file: string, hash: string): boolean => {
        next.pages[file] = hash;
        return !comparable || prev.pages[file] !== hash;
      };
      // The list pages (each part of a list split into pages is a page of its own).
      const lists: string[] = [];
      for (const [slug, key] of LIST_PAGES) {
        const extra = key === 'reports' ? JSON.stringify(data.downloads) : '';
        for (const p of splitList(slug, data[key], data.listPageSize)) {
          const hash = sha(JSON.stringify([p.page, p.n, p.of]) + extra);
          if (changed(pageFile(p.slug), hash)) lists.push(p.slug ?? '');
        }
      }
      mark('lists');
      // The entity pages, streamed: a changed page's data goes to pages.jsonl, and Astro gets
      // where it is (offset, length); an unchanged page is only remembered. A page whose key
      // is the last build's is not read at all (its data hash carries over).
      const active = new Map<string, string>(ENTITY_KINDS);
      const entities: [string, string, number, number][] = [];
      const reuse = (path: string, key: string): boolean => {
        const file = pageFile(path.replace(/\/$/, ''));
        return comparable && prev.keys[file] === sha(key) && prev.pages[file] !== undefined;
      };
      const fd = openSync(join(work, 'pages.jsonl'), 'w');
      try {
        let offset = 0;
        for await (const { kind, path, key, page } of s.pages(comparable ? reuse : undefined)) {
          const slug = path.replace(/\/$/, '');
          const file = pageFile(slug);
          if (key !== undefined) next.keys[file] = sha(key);
          if (!page) {
            next.pages[file] = prev!.pages[file]!;
            continue;
          }
          read++;
          const json = Buffer.from(`${JSON.stringify(page)}\n`);
          if (!changed(file, sha(json))) continue;
          writeSync(fd, json);
          entities.push([slug, active.get(kind)!, offset, json.length - 1]);
          offset += json.length;
        }
      } finally {
        closeSync(fd);
      }
      writeFileSync(join(work, 'site-data.json'), JSON.stringify(data));
      writeFileSync(join(work, 'render.json'), JSON.stringify({ lists, entities }));
      // The signal Astro waits for: written last, in one rename.
      writeFileSync(join(work, 'ready.tmp'), '1');
      renameSync(join(work, 'ready.tmp'), join(work, 'ready'));
      rendered = lists.length + entities.length + 1; // + the what-if page, always rendered
    } finally {
      await h.close();
    }
    readMs = performance.now() - t0;
    mark('entities');
    // The workbooks are written while Astro renders (it does not need them).
    const [books] = await settle(
      s.workbooks().finally(() => mark('workbooks')),
      astro.promise,
    );
    astroMs = performance.now() - ta;
    mark('astro');
    // This build's header and footer, from the page Astro always renders.
    const stamps = stampsOf(readFileSync(join(building, 'whatif', 'index.html'), 'utf8'));
    if (!stamps) throw new Error('the what-if page has no "data as of" header or footer');
    next.stamps = stamps;
    if (prev) {
      for (const file of Object.keys(next.pages)) {
        const target = join(building, file);
        if (existsSync(target)) continue;
        copyRestamped(join(outDir, file), target, prev.stamps, stamps);
      }
    }
    mark('copy');
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
    // The manifest goes first: should the swap fail, the next build finds a manifest that
    // does not match the site in place and renders whatever differs (see copyRestamped).
    writeFileSync(manifestPath(outDir), JSON.stringify(next));
    swapInto(staging, outDir);
    mark('swap');
  } catch (e) {
    astro.kill();
    await astro.promise.catch(() => {});
    rmSync(building, { recursive: true, force: true });
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
    rendered,
    read,
    ms: performance.now() - t0,
    dataAsOf: data.dataAsOf,
    missing: data.missing,
    readMs,
    astroMs,
    phases,
  };
}

/**
 * Copies a page of the last build whose data did not change, with this build's header and
 * footer in place of the last one's (the only bytes that differ from a fresh render).
 */
function copyRestamped(
  from: string,
  to: string,
  old: [string, string],
  stamps: [string, string],
): void {
  let html: string;
  try {
    html = readFileSync(from, 'utf8');
  } catch (e) {
    throw new StaleSiteError(`${from}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const head = html.indexOf(old[0]);
  const foot = html.lastIndexOf(old[1]);
  if (head < 0 || foot < 0 || foot < head) {
    // The last site is not what the manifest says (changed by hand, or a failed swap).
    throw new StaleSiteError(`${from} does not carry the last build's header`);
  }
  mkdirSync(dirname(to), { recursive: true });
  writeFileSync(
    to,
    html.slice(0, head) +
      stamps[0] +
      html.slice(head + old[0].length, foot) +
      stamps[1] +
      html.slice(foot + old[1].length),
  );
}

/** Both results, or the first failure once both have finished (no half-written output left). */
async function settle<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/** Heap of the Astro process, in MB. */
const ASTRO_HEAP_MB = 512;

/** One Astro build in a child process (site/lib/astro-build.mjs); rejects with its stderr. */
function runAstro(
  o: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { promise: Promise<void>; kill: () => void } {
  const script = join(SITE_ROOT, 'lib', 'astro-build.mjs');
  // V8 would let the heap grow far past what rendering needs before collecting; capped, the
  // Astro process stays about 0.5 GB (a whole scale-1000 build ran within this cap).
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${ASTRO_HEAP_MB}`, script, JSON.stringify(o)],
    {
      cwd: SITE_ROOT,
      env: { ...env, ASTRO_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const promise = new Promise<void>((ok, fail) => {
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
  return { promise, kill: () => child.kill() };
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
