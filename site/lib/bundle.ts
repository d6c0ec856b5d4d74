/**
 * The site's server bundle: the Astro pages compiled once per version of their sources and
 * rendered in this process, one page at a time, with the page's data passed as locals.
 *
 * Why: `astro build` started Vite and bundled the same server build on every site build, and
 * rendered from files the build wrote for it; the bundle changes only when the site's sources
 * (or Astro) change. It is built by site/lib/astro-build.mjs in a child process into
 * `dist/site-bundle/<key>/` (beside bin/build.js's CLI bundle; the repository's node_modules
 * resolves from there), where `key` hashes what the bundle is made of (`bundleKey`). A build
 * goes to a temporary directory renamed into place, under a lock file: builders that start at
 * the same moment (a test run, `start` and a manual `site build`) wait for one build and share
 * it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SmartlicError } from '../../core/index.ts';
import type { PageLocals } from '../src/data.ts';

/** The Astro project (site/). */
export const SITE_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where the bundles are kept (git-ignored, like the CLI bundle in dist/smartlic). */
export const BUNDLES_DIR = join(SITE_ROOT, '..', 'dist', 'site-bundle');

export interface SiteBundle {
  key: string;
  /** The bundle's directory: `server/` (imported here) and `client/` (the pages' assets). */
  dir: string;
  /** The client assets (`_astro/…`) every build copies into the site. */
  clientDir: string;
  /** The HTML of the page at `path` (below the base, e.g. `clusters/12-x/`). */
  render: (path: string, locals: PageLocals) => Promise<string>;
}

export interface BundleOptions {
  base: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Environment of the Astro process (bin/ passes its own); telemetry is always off. */
  env: NodeJS.ProcessEnv;
  /**
   * Where the bundles are kept; default `BUNDLES_DIR` (tests give their own). It must be below
   * the repository: the bundle imports Astro's packages by name, from its node_modules.
   */
  dir?: string;
  /** The Astro project; default site/ (a test gives a copy whose sources it changes). */
  root?: string;
}

function versionOf(pkg: string): string {
  const f = join(SITE_ROOT, '..', 'node_modules', pkg, 'package.json');
  return (JSON.parse(readFileSync(f, 'utf8')) as { version: string }).version;
}

/**
 * What the bundle is made of: every file of `src/`, the files of `lib/` the pages import (found
 * by name in the sources) and the two that build the bundle, Astro's and Vite's versions, and
 * the base path (baked into the pages' asset addresses). Any change makes a new bundle.
 */
export function bundleKey(base: string, root: string = SITE_ROOT): string {
  const h = createHash('sha256');
  h.update(`astro ${versionOf('astro')} vite ${versionOf('vite')} base ${base}\n`);
  const src = readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
  const lib = new Set(['astro-build.mjs', 'astro-entry.mjs']);
  for (const f of src) {
    const text = readFileSync(f);
    h.update(relative(root, f)).update('\0').update(text).update('\0');
    for (const m of text.toString('utf8').matchAll(/\/lib\/([\w.-]+\.ts)['"]/g)) lib.add(m[1]!);
  }
  // A lib file imported by one the pages import (paging.ts → paths.ts) is found the same way.
  const seen = new Set<string>();
  const queue = [...lib];
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const f = join(root, 'lib', name);
    if (!existsSync(f)) continue;
    const text = readFileSync(f);
    h.update(`lib/${name}`).update('\0').update(text).update('\0');
    for (const m of text.toString('utf8').matchAll(/from '\.\/([\w.-]+\.ts)'/g)) queue.push(m[1]!);
  }
  return h.digest('base64url').slice(0, 24);
}

/** A process with this pid is running (a lock whose holder died is taken over). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** How long a builder waits for another's bundle build before it gives up. */
const WAIT_MS = 10 * 60_000;

/**
 * The bundle for these sources: the cached one, or built now (once, whoever else asks at the
 * same moment). Fails with a SmartlicError saying why the bundle could not be built.
 */
export function siteBundle(o: BundleOptions): Promise<SiteBundle> {
  const root = o.root ?? SITE_ROOT;
  const dirs = o.dir ?? BUNDLES_DIR;
  const key = bundleKey(o.base, root);
  const dir = join(dirs, key);
  // Callers in this process share one promise (and one failure); other processes, the lock.
  let p = loading.get(dir);
  if (!p) {
    p = loadBundle(o, root, dirs, key, dir);
    loading.set(dir, p);
    p.catch(() => loading.delete(dir));
  }
  return p;
}
const loading = new Map<string, Promise<SiteBundle>>();

async function loadBundle(
  o: BundleOptions,
  root: string,
  dirs: string,
  key: string,
  dir: string,
): Promise<SiteBundle> {
  const ready = () => existsSync(join(dir, 'server', 'entry.mjs'));
  if (!ready()) {
    try {
      mkdirSync(dirs, { recursive: true });
    } catch (e) {
      throw new SmartlicError({
        code: 'SITE_BUILD',
        message: `cannot create the site bundle directory ${dirs}: ${(e as Error).message}`,
        action: 'make the directory writable for the user that builds the site, then build again',
        cause: e,
      });
    }
    const lock = join(dirs, `${key}.lock`);
    const t0 = Date.now();
    while (!ready()) {
      let fd: number;
      try {
        fd = openSync(lock, 'wx');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        // Another builder is at it: wait for its bundle, or take over when it died.
        const holder = Number(readFileSync(lock, 'utf8').trim() || '0');
        const age = Date.now() - statSync(lock).mtimeMs;
        if ((holder > 0 && !alive(holder)) || (holder === 0 && age > 10_000)) {
          rmSync(lock, { force: true });
          continue;
        }
        if (Date.now() - t0 > WAIT_MS) {
          throw new SmartlicError({
            code: 'SITE_BUILD',
            message: `the site bundle ${key} is still being built by process ${holder} after ${WAIT_MS / 60_000} minutes`,
            action: `stop process ${holder} or remove ${lock}, then build again`,
          });
        }
        await sleep(200);
        continue;
      }
      try {
        writeSync(fd, String(process.pid));
        closeSync(fd);
        if (!ready()) await buildBundle(o, root, dirs, key);
      } finally {
        rmSync(lock, { force: true });
      }
    }
    prune(dirs, key);
  }
  // A path known only now: the bundle of these sources, plain ESM.
  const mod = (await import(
    /* @vite-ignore */ pathToFileURL(join(dir, 'server', 'entry.mjs')).href
  )) as {
    render?: (url: string, locals: unknown) => Promise<Response>;
  };
  const entry = mod.render;
  if (typeof entry !== 'function') {
    throw new SmartlicError({
      code: 'SITE_BUILD',
      message: `the site bundle in ${dir} has no render export (built by another version?)`,
      action: `remove ${dir} and build again`,
    });
  }
  const origin = 'http://smartlic.site';
  return {
    key,
    dir,
    clientDir: join(dir, 'client'),
    async render(path, locals) {
      const res = await entry(`${origin}${o.base}${path}`, locals);
      const html = await res.text();
      if (res.status !== 200) {
        throw new Error(`page /${path} answered ${res.status}: ${html.slice(0, 400)}`);
      }
      return html;
    },
  };
}

/** Astro's build of the bundle, in a child process, into a temporary directory renamed into place. */
async function buildBundle(o: BundleOptions, root: string, dirs: string, key: string) {
  const tmp = join(dirs, `${key}.tmp-${process.pid}`);
  // Not inside the output: Astro empties that while its content store still writes here.
  const cache = join(dirs, `${key}.cache-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    await runAstro(
      { root, outDir: tmp, cacheDir: cache, logLevel: o.logLevel, base: o.base },
      o.env,
      root,
    );
    renameSync(tmp, join(dirs, key));
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
    throw new SmartlicError({
      code: 'SITE_BUILD',
      message: `the site's pages could not be compiled: ${e instanceof Error ? e.message : String(e)}`,
      action:
        'the last good site was left in place; fix the error in site/src (or run with --debug), then build again',
      cause: e,
    });
  }
  rmSync(cache, { recursive: true, force: true });
}

/** Bundles of other sources, unused for a day, are removed (one a source version). */
function prune(dirs: string, keep: string): void {
  const day = Date.now() - 24 * 3600_000;
  for (const e of readdirSync(dirs, { withFileTypes: true })) {
    if (e.name === keep || e.name.includes('.')) continue;
    try {
      if (statSync(join(dirs, e.name)).mtimeMs < day) {
        rmSync(join(dirs, e.name), { recursive: true, force: true });
      }
    } catch {
      // removed by another builder meanwhile
    }
  }
}

/** Heap of the Astro process, in MB. */
const ASTRO_HEAP_MB = 512;

/** One Astro build in a child process (site/lib/astro-build.mjs); rejects with its stderr. */
function runAstro(o: Record<string, unknown>, env: NodeJS.ProcessEnv, root: string): Promise<void> {
  const script = join(root, 'lib', 'astro-build.mjs');
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${ASTRO_HEAP_MB}`, script, JSON.stringify(o)],
    {
      cwd: root,
      env: { ...env, ASTRO_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise<void>((ok, fail) => {
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
