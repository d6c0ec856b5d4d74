/**
 * `buildSite`: the static site from the store (the SQLite file, or PostgreSQL when `dbUrl` is
 * set), read-only through core's read models (site/lib/data.ts). The pages are rendered in this
 * process through the site's server bundle, compiled once per version of the site's sources
 * (site/lib/bundle.ts): each page is one request with its data as locals, written as soon as it
 * is rendered, so the estate's pages are never held together.
 *
 * Only what changed is written. Every page is recorded with the hash of its data in a manifest
 * kept beside the output (`manifestPath`); an entity page whose key (site/lib/data.ts) did not
 * move is not even read. A page's bytes depend on its data alone: every page but the Overview
 * leaves "data as of … built …" to the site's one stamp file (`stamp.js`, site/src/data.ts `Stamp`), so an
 * unchanged page is the file already in place, kept as it is.
 *
 * The changed files are first written to a staging directory beside the output; only when all
 * are there are they renamed into the site, one by one (entity pages first, then the list pages,
 * the overview and the stamp last), so a failed build leaves the last good site in place, and a
 * reader never sees a page link to one not yet written. A first build, or one that cannot
 * compare with the last (another store, other sources, `full`), writes a whole tree and swaps it
 * in. The site never writes the database.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import {
  SmartlicError,
  normalizeSiteBase,
  store,
  systemClock,
  type Clock,
} from '../../core/index.ts';
import type { Entry, PageLocals, Stamp } from '../src/data.ts';
import { showDate } from '../src/scripts/format.ts';
import { SITE_ROOT, siteBundle, type SiteBundle } from './bundle.ts';
import { ENTITY_KINDS, streamSiteData, type SiteDataStream } from './data.ts';
import { pagedTable, rowsFile, splitList } from './paging.ts';
import { LIST_PAGES, listPageHref, rowsFileHref } from './paths.ts';
import type { SiteData } from './types.ts';

export { SITE_ROOT } from './bundle.ts';

export interface BuildSiteOptions {
  dbPath: string;
  /** postgres://… (db.url): the store is PostgreSQL and `dbPath` is not read. */
  dbUrl?: string | undefined;
  outDir: string;
  clock?: Clock;
  /** Astro's log level (when the pages' bundle must be compiled); the CLI passes 'error'. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Rows per page of a long list (the Cluster Summary); default 500. */
  listPageSize?: number;
  /** The sub-directory the site is hosted under (`/smartlic/`); default `/`, the web root. */
  base?: string;
  /** Render every page, even those whose data did not change since the last build. */
  full?: boolean;
  /** Environment of the Astro process that compiles the bundle (bin/ passes its own). */
  env: NodeJS.ProcessEnv;
  /** Where the compiled bundles are kept (site/lib/bundle.ts `BUNDLES_DIR`); tests give their own. */
  bundleDir?: string;
  /** The Astro project; default site/ (a test gives a copy whose pages it changes). */
  siteRoot?: string;
}

export interface BuildSiteResult {
  outDir: string;
  pages: number;
  /** Pages rendered; the others were kept as they were (their data unchanged). */
  rendered: number;
  /** Entity pages whose data was read (the others' keys said they had not changed). */
  read: number;
  /** Files written into the site (pages, rows files, downloads, assets, the stamp). */
  written: number;
  ms: number;
  dataAsOf: string | null;
  missing: string[];
  /** Time spent reading the database and rendering (the two interleave: pages are streamed). */
  readMs: number;
  /** Time spent rendering pages (the bundle's compilation, when it was needed, included). */
  astroMs: number;
  /**
   * Milliseconds from the start at which each step ended (context, lists, entities, …), and the
   * build process's CPU milliseconds in each (`contextCpu`, …).
   */
  phases: Record<string, number>;
}

/** What the next build compares with: each file's data hash, and what makes hashes comparable. */
interface Manifest {
  version: 3;
  /** The store the pages were read from (keys are comparable only within one store). */
  source: string;
  /** The site's code (its pages, components, scripts, data loaders) and Astro's version. */
  code: string;
  base: string;
  listPageSize: number;
  /** Output file (below the site root) → hash of what it was written from. */
  pages: Record<string, string>;
  /**
   * Output file → the page's key (site/lib/data.ts `EntityItem.key`, hashed): a page whose key
   * is unchanged is not even read.
   */
  keys: Record<string, string>;
}

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
function siteCode(root: string): string {
  const h = createHash('sha256');
  const astro = JSON.parse(
    readFileSync(join(SITE_ROOT, '..', 'node_modules', 'astro', 'package.json'), 'utf8'),
  ) as { version: string };
  h.update(astro.version);
  for (const dir of ['src', 'lib']) {
    const files = readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort();
    for (const f of files) h.update(relative(root, f)).update(readFileSync(f));
  }
  return h.digest('base64url');
}

function readManifest(outDir: string): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(manifestPath(outDir), 'utf8')) as Manifest;
    return m.version === 3 && existsSync(outDir) ? m : undefined;
  } catch {
    // No manifest (first build) or an unreadable one: every page is rendered.
    return undefined;
  }
}

/** The last site is not what its manifest says (a page to keep is missing). */
class StaleSiteError extends Error {}

export async function buildSite(opts: BuildSiteOptions): Promise<BuildSiteResult> {
  try {
    return await buildOnce(opts);
  } catch (e) {
    // A page to keep is gone from the last site: render every page instead.
    if (!opts.full && e instanceof SmartlicError && e.cause instanceof StaleSiteError) {
      return buildOnce({ ...opts, full: true });
    }
    throw e;
  }
}

/** The stamp file: this build's "data as of" and time, shown by the pages that leave it to it. */
function stampScript(data: SiteData): string {
  const s = {
    asOf: data.dataAsOf ?? '',
    asOfText: data.dataAsOf ? showDate(data.dataAsOf) : 'never synced',
    built: data.builtAt,
    builtText: showDate(data.builtAt),
  };
  return `// Written by every site build (site/lib/build.ts): when the data was read and the site built,
// for the pages whose header leaves it to this file (their own bytes then change only with their data).
(function () {
  var s = ${JSON.stringify(s)};
  function set(sel, iso, text) {
    document.querySelectorAll(sel).forEach(function (t) {
      if (t.tagName === 'TIME') t.dateTime = iso;
      t.textContent = text;
    });
  }
  set('[data-stamp="asof"] > time', s.asOf, s.asOfText);
  set('[data-stamp="built"] > time', s.built, s.builtText);
  set('[data-stamp="footer"]', s.asOf, s.asOfText);
})();
`;
}

async function buildOnce(opts: BuildSiteOptions): Promise<BuildSiteResult> {
  const t0 = performance.now();
  const outDir = resolve(opts.outDir);
  const clock = opts.clock ?? systemClock;
  const root = opts.siteRoot ?? SITE_ROOT;
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
  const code = siteCode(root);
  const prev = opts.full ? undefined : readManifest(outDir);
  mkdirSync(dirname(outDir), { recursive: true });
  // Where this build's files go before they are moved into the site (same file system: renames).
  const staging = join(dirname(outDir), `.${basename(outDir)}.next-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
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
  // The bundle is loaded (or compiled, when the site's sources changed) while the database is
  // read.
  const bundling = siteBundle({
    base,
    logLevel: opts.logLevel ?? 'error',
    env: opts.env,
    ...(opts.bundleDir === undefined ? {} : { dir: opts.bundleDir }),
    root,
  });
  bundling.catch(() => {}); // awaited below; a failure before then is not unhandled
  /** Files written to the staging directory, in the order they go into the site. */
  const written: string[] = [];
  const writeStaged = (file: string, content: string | Buffer) => {
    const to = join(staging, file);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, content);
    written.push(file);
  };
  let bundle: SiteBundle | undefined;
  const render = async (file: string, path: string, entry: Entry, stamp: Stamp) => {
    const ta = performance.now();
    bundle ??= await bundling;
    const locals: PageLocals = { site: data!, entry, stamp };
    writeStaged(file, await bundle.render(path, locals));
    astroMs += performance.now() - ta;
    rendered++;
  };
  let incremental = false;
  let comparable = false;
  const next: Manifest = { version: 3, source, code, base, listPageSize: 0, pages: {}, keys: {} };
  /** Records the hash of `file`: whether it must be written (it differs from the last build's). */
  const changed = (file: string, hash: string): boolean => {
    next.pages[file] = hash;
    return !comparable || prev!.pages[file] !== hash;
  };
  try {
    const h = await openSiteStore(dbPath, clock, opts.dbUrl);
    let s: SiteDataStream;
    try {
      s = await streamSiteData(h.db, clock);
      mark('context');
      data = s.data;
      if (opts.listPageSize !== undefined) data.listPageSize = opts.listPageSize;
      next.listPageSize = data.listPageSize;
      comparable =
        prev !== undefined &&
        prev.source === source &&
        prev.code === code &&
        prev.base === base &&
        prev.listPageSize === data.listPageSize;
      incremental = comparable;
      // The entity pages, streamed: each changed page is rendered and written as it comes. A
      // page whose key is the last build's is not read at all (its data hash carries over).
      const active = new Map<string, string>(ENTITY_KINDS);
      const reuse = (path: string, key: string): boolean => {
        const file = pageFile(path.replace(/\/$/, ''));
        return comparable && prev!.keys[file] === sha(key) && prev!.pages[file] !== undefined;
      };
      for await (const { kind, path, key, page } of s.pages(comparable ? reuse : undefined)) {
        const file = pageFile(path.replace(/\/$/, ''));
        if (key !== undefined) next.keys[file] = sha(key);
        if (!page) {
          next.pages[file] = prev!.pages[file]!;
          continue;
        }
        read++;
        if (!changed(file, sha(JSON.stringify(page)))) continue;
        await render(file, path, { kind: 'entity', page, active: active.get(kind)! }, 'shared');
      }
    } finally {
      await h.close();
    }
    readMs = performance.now() - t0;
    mark('entities');
    // The list pages (each part of a list split into pages is a page of its own) and the
    // what-if: like the entity pages, they leave "data as of" and "built" to the stamp file,
    // so a part of the Cluster Summary whose rows did not change is kept as it is (the
    // estate's "data as of" moves with every sync). The Overview says both in its own HTML and
    // is rendered by every build.
    for (const [slug, key] of LIST_PAGES) {
      const extra = key === 'reports' ? JSON.stringify(data.downloads) : '';
      for (const p of splitList(slug, data[key], data.listPageSize)) {
        const file = pageFile(p.slug);
        const overview = file === 'index.html';
        const hash = sha(
          JSON.stringify([p.page, p.n, p.of, overview ? [data.dataAsOf, data.builtAt] : null]) +
            extra,
        );
        if (!changed(file, hash)) continue;
        const entry: Entry = {
          kind: 'list',
          page: p.page,
          active: listPageHref(slug, 1),
          of: [p.n, p.of],
          ...(key === 'reports' ? { extra: 'reports' as const } : {}),
        };
        await render(file, p.slug ? `${p.slug}/` : '', entry, overview ? 'built' : 'shared');
      }
    }
    if (changed('whatif/index.html', sha(JSON.stringify([data.whatif])))) {
      await render('whatif/index.html', 'whatif/', { kind: 'whatif' }, 'shared');
    }
    bundle ??= await bundling;
    mark('lists');
    // The rows file of every list split into pages (what its filters and CSV download read).
    for (const [slug, key] of LIST_PAGES) {
      const t = pagedTable(data[key], data.listPageSize);
      if (!t) continue;
      const file = rowsFileHref(slug, t.id).slice(1);
      const json = JSON.stringify(rowsFile(t, base));
      if (changed(file, sha(json))) writeStaged(file, json);
    }
    // The downloads; the workbooks are written by every build (ExcelJS stamps them with the
    // time they were written, so they never compare equal).
    const books = await s.workbooks();
    for (const d of data.downloads) {
      const file = `reports/${d.file}`;
      const book = books.get(d.file);
      const content = book ?? (d.binary ? Buffer.from(d.content, 'base64') : d.content);
      if (changed(file, book ? 'workbook' : sha(content)) || book) writeStaged(file, content);
    }
    mark('workbooks');
    // The pages' scripts and styles, as the bundle built them (the same for every build of
    // these sources), and the stamp.
    for (const e of readdirSync(bundle.clientDir, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const file = relative(bundle.clientDir, join(e.parentPath, e.name));
      if (changed(file, `asset ${bundle.key}`) || !existsSync(join(outDir, file))) {
        writeStaged(file, readFileSync(join(bundle.clientDir, file)));
      }
    }
    next.pages['stamp.js'] = `stamp ${data.builtAt}`;
    writeStaged('stamp.js', stampScript(data));
    pages = Object.keys(next.pages).filter((f) => f.endsWith('.html')).length;
    mark('render');
    if (incremental) commitInPlace(staging, outDir, written, prev!, next);
    else swapInto(staging, outDir, next);
    mark('swap');
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    if (e instanceof SmartlicError) throw e;
    if (e instanceof StaleSiteError) {
      throw new SmartlicError({
        code: 'SITE_BUILD',
        message: `the last site is not what its manifest says: ${e.message}`,
        action: 'build again with --full',
        cause: e,
      });
    }
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
  }
  return {
    outDir,
    pages,
    rendered,
    read,
    written: written.length,
    ms: performance.now() - t0,
    dataAsOf: data.dataAsOf,
    missing: data.missing,
    readMs,
    astroMs,
    phases,
  };
}

/**
 * Moves the staged files into the site in place, in `written`'s order (the entity pages, then
 * the list pages, the overview and the stamp), each in one rename, and removes the files of
 * pages that are gone. The files to keep must all be there first: one missing means the site is
 * not what the manifest says, and nothing is moved.
 */
function commitInPlace(
  staging: string,
  outDir: string,
  written: string[],
  prev: Manifest,
  next: Manifest,
): void {
  const fresh = new Set(written);
  for (const file of Object.keys(next.pages)) {
    if (!fresh.has(file) && !existsSync(join(outDir, file))) {
      throw new StaleSiteError(`${join(outDir, file)} is missing`);
    }
  }
  // Should the moves stop half-way, the next build must not take a moved file for the last
  // build's: the manifest in place first forgets every file about to change.
  const during: Manifest = { ...prev, pages: { ...prev.pages }, keys: { ...prev.keys } };
  for (const file of written) {
    delete during.pages[file];
    delete during.keys[file];
  }
  writeFileSync(manifestPath(outDir), JSON.stringify(during));
  const made = new Set<string>();
  for (const file of [...written].sort((a, b) => commitRank(a) - commitRank(b))) {
    const dir = dirname(join(outDir, file));
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    renameSync(join(staging, file), join(outDir, file));
  }
  for (const file of Object.keys(prev.pages)) {
    if (next.pages[file] !== undefined) continue;
    rmSync(join(outDir, file), { force: true });
    // The page's directory, when nothing else is left in it.
    try {
      rmdirSync(dirname(join(outDir, file)));
    } catch {
      // not empty (a list page's sub-pages), or already gone
    }
  }
  writeFileSync(manifestPath(outDir), JSON.stringify(next));
  rmSync(staging, { recursive: true, force: true });
}

/**
 * The order files go into the site: the scripts and styles the pages load, the entity pages,
 * the list pages and the rest, the overview, the stamp (sort is stable: within a rank, the
 * order they were written in).
 */
function commitRank(file: string): number {
  if (file.startsWith('_astro/')) return 0;
  if (file === 'index.html') return 3;
  if (file === 'stamp.js') return 4;
  return ENTITY_DIRS.has(file.split('/')[0]!) && file.split('/').length === 3 ? 1 : 2;
}
const ENTITY_DIRS = new Set(ENTITY_KINDS.map(([, nav]) => nav.replaceAll('/', '')));

/** Puts the whole tree `staging` where `outDir` is; the old site is removed once the new one is there. */
function swapInto(staging: string, outDir: string, next: Manifest): void {
  // No manifest while the trees are swapped: should the process stop half-way, the next build
  // renders every page rather than trust a manifest that does not describe the site in place.
  rmSync(manifestPath(outDir), { force: true });
  const old = `${staging}.old`;
  const hadOld = existsSync(outDir);
  if (hadOld) renameSync(outDir, old);
  try {
    renameSync(staging, outDir);
  } catch (e) {
    if (hadOld) renameSync(old, outDir);
    throw e;
  }
  writeFileSync(manifestPath(outDir), JSON.stringify(next));
  if (hadOld) rmSync(old, { recursive: true, force: true });
}
