// @ts-check
/**
 * The compiled entry of smartlic: the TypeScript sources bundled by esbuild into dist/smartlic/,
 * rebuilt automatically when a source changed, and tsx as the fallback.
 *
 * Why: through the tsx loader every process paid ~1.5–2 CPU-s to start (each of ~250 modules,
 * and every package module too, passes through the loader's resolve and load hooks), before
 * doing anything; a bundle of the same sources starts in ~0.6 CPU-s (docs/testing.md, "Start-up
 * of a smartlic process"). That is what every `smartlic` a user, a script or a test runs pays,
 * and each worker thread of `smartlic bot` once more.
 *
 *   node bin/build.js     build now (the Dockerfile does, so that the image never builds at run
 *                         time); prints where the build is, exit 1 when it failed
 *   SMARTLIC_BUNDLE=0     run the sources through tsx, as before (e.g. while debugging, where
 *                         stack traces name the .ts files and lines)
 *
 * How it stays current: dist/smartlic/current.json lists every source file the build read with
 * its size and modification time. A process stats them (~250 stat calls, a few ms) and uses the
 * build only when all match; otherwise it builds first (~0.3 CPU-s in esbuild) and, when that
 * cannot be done (esbuild missing, a read-only install, a syntax error), runs the sources
 * through tsx as before. A build goes to a directory named by the hash of what it read, written
 * under a temporary name and renamed into place: processes that build at the same moment (a
 * test run on a fresh clone) end up with one and the same build.
 *
 * This file is plain JavaScript because it runs before any TypeScript loader.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';

/** The package's root directory (this file is in bin/). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The entries of the bundle: the CLI, and the entries of its worker threads (bin/cli/host.ts). */
export const ENTRIES = {
  smartlic: 'bin/smartlic.ts',
  'bot-worker': 'bin/cli/bot-worker.ts',
  'read-model-worker': 'bin/cli/read-model-worker.ts',
  'parse-worker': 'bin/cli/parse-worker.ts',
};

/** Files that shape the output besides the sources esbuild reads: a change to them rebuilds. */
const SETTINGS = ['tsconfig.json', 'package.json', 'bin/build.js'];

/** Builds other than the current one are removed once this old and used by no running process
 * (a process that started from an older build may still load one of its chunks: a worker
 * thread restarted by a daemon that has run for weeks). */
const KEEP_OLD_MS = 7 * 86_400_000;

/** The directory in a build where each process that runs it leaves a file named by its pid. */
const USERS = '.users';

/** The key under which the main thread records the build it runs (bin/cli/host.ts reads it). */
export const BUILD_KEY = Symbol.for('smartlic.build');

/**
 * @typedef {{ dir: string, inputs: Record<string, [number, number]>, esbuild: string }} Stamp
 * `dir` is relative to the out directory; `inputs` maps each file (relative to the root) to its
 * [size, mtimeMs].
 */

/** @param {string} file */
function sizeAndTime(file) {
  const s = statSync(file);
  return /** @type {[number, number]} */ ([s.size, s.mtimeMs]);
}

/**
 * The directory of the current build when it was made from the files as they are now, else
 * undefined.
 * @param {string} [root]
 * @param {string} [out]
 * @returns {string | undefined}
 */
export function freshBuild(root = ROOT, out = join(root, 'dist', 'smartlic')) {
  /** @type {unknown} */
  let raw;
  try {
    raw = JSON.parse(readFileSync(join(out, 'current.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const stamp = /** @type {Stamp} */ (raw);
  if (typeof stamp?.dir !== 'string' || typeof stamp.inputs !== 'object' || !stamp.inputs) {
    return undefined;
  }
  const dir = join(out, stamp.dir);
  if (!existsSync(join(dir, 'smartlic.js'))) return undefined;
  for (const [file, [size, mtime]] of Object.entries(stamp.inputs)) {
    try {
      const [s, t] = sizeAndTime(join(root, file));
      if (s !== size || t !== mtime) return undefined;
    } catch {
      return undefined;
    }
  }
  return dir;
}

/**
 * Builds the bundle into `out` and makes it the current build; returns its directory. Throws
 * when esbuild cannot be loaded or the sources do not compile.
 * @param {string} [root]
 * @param {string} [out]
 * @returns {Promise<string>}
 */
export async function build(root = ROOT, out = join(root, 'dist', 'smartlic')) {
  // tsx's own esbuild (a dependency of tsx, which is a dependency of smartlic): the same
  // compiler that runs the sources when there is no build, so both read TypeScript alike.
  /** @type {unknown} */
  const loaded = createRequire(
    createRequire(join(root, 'package.json')).resolve('tsx/package.json'),
  )('esbuild');
  const esbuild = /** @type {typeof import('esbuild')} */ (loaded);
  mkdirSync(out, { recursive: true });
  const tmp = join(out, `.tmp-${process.pid}-${Date.now()}-${building}`);
  building++;
  try {
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: ENTRIES,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20.19',
      // Packages load from node_modules as they are (native modules, files they read beside
      // themselves); only our sources are bundled.
      packages: 'external',
      // Verbs keep loading only what they use (bin/smartlic.ts imports each lazily).
      splitting: true,
      // Every output file in one directory, so a source's place relative to it is known.
      entryNames: '[name]',
      chunkNames: 'chunk-[hash]',
      outdir: tmp,
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'silent',
      plugins: [sourceUrls(tmp)],
    });
    const inputs = /** @type {Record<string, [number, number]>} */ ({});
    const hash = createHash('sha256').update(esbuild.version);
    const settings = SETTINGS.filter((f) => existsSync(join(root, f)));
    const files = [...Object.keys(result.metafile.inputs), ...settings].sort();
    for (const file of files) {
      const abs = resolve(root, file);
      inputs[relative(root, abs)] = sizeAndTime(abs);
      hash.update(`${file}\0`).update(readFileSync(abs));
    }
    const name = `b-${hash.digest('hex').slice(0, 16)}`;
    const dir = join(out, name);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another process built the same sources a moment earlier: its build is this one.
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    }
    /** @type {Stamp} */
    const stamp = { dir: name, inputs, esbuild: esbuild.version };
    const next = join(out, `.current-${process.pid}-${Date.now()}-${building}.json`);
    writeFileSync(next, `${JSON.stringify(stamp)}\n`);
    renameSync(next, join(out, 'current.json'));
    pruneOld(out, name);
    return dir;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    // esbuild's service process would otherwise live as long as this one (a daemon's); it is
    // shared by the builds of this process, so the last one to finish stops it.
    if (--building === 0) await esbuild.stop();
  }
}

/** Builds under way in this process (they share esbuild's service process). */
let building = 0;

/**
 * `import.meta.url` in a bundled source says where that source is, not where the chunk holding
 * it is: sources find files beside them (package.json, the site's directory, a worker's entry)
 * as they do when run by tsx, and the build stays relative (the tree can move).
 * @param {string} outdir
 * @returns {import('esbuild').Plugin}
 */
function sourceUrls(outdir) {
  return {
    name: 'source-urls',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${join('node_modules', '')}`)) return undefined;
        let src = readFileSync(args.path, 'utf8');
        if (src.includes('import.meta.url')) {
          // The chunk will be in the final directory, a sibling of outdir: same depth.
          const rel = relative(outdir, args.path).split('\\').join('/');
          src = src.replaceAll(
            'import.meta.url',
            `new URL(${JSON.stringify(rel)}, import.meta.url).href`,
          );
        }
        return { contents: src, loader: 'ts', resolveDir: dirname(args.path) };
      });
    },
  };
}

/** @param {string} out @param {string} keep */
function pruneOld(out, keep) {
  const now = Date.now();
  for (const d of readdirSync(out, { withFileTypes: true })) {
    if (!d.isDirectory() || d.name === keep) continue;
    const p = join(out, d.name);
    try {
      if (now - statSync(p).mtimeMs > KEEP_OLD_MS && !inUse(p)) {
        rmSync(p, { recursive: true, force: true });
      }
    } catch {
      // Removed meanwhile by another process.
    }
  }
}

/**
 * Notes that this process runs the build in `dir`, so that no other process prunes it while
 * this one lives. Best effort: a read-only install keeps every build anyway (nothing prunes).
 * @param {string} dir
 */
function recordUser(dir) {
  try {
    mkdirSync(join(dir, USERS), { recursive: true });
    writeFileSync(join(dir, USERS, String(process.pid)), '');
  } catch {
    // Read-only: nothing can be built or pruned here either.
  }
}

/**
 * Whether a process that ran the build in `dir` is still running (a pid reused since only
 * keeps an old build a while longer). The files of ended processes are removed.
 * @param {string} dir
 */
function inUse(dir) {
  let users;
  try {
    users = readdirSync(join(dir, USERS));
  } catch {
    return false;
  }
  let live = false;
  for (const name of users) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, 0);
      live = true;
    } catch (e) {
      // EPERM: it runs, as another user.
      if (/** @type {NodeJS.ErrnoException} */ (e).code === 'EPERM') live = true;
      else rmSync(join(dir, USERS, name), { force: true });
    }
  }
  return live;
}

/**
 * The URL of the bundled entry `name` (a key of ENTRIES), built first when stale; undefined
 * when the sources are to run through tsx (SMARTLIC_BUNDLE=0, or no build could be made).
 * Records the build used (BUILD_KEY) for the worker threads.
 * @param {keyof typeof ENTRIES} name
 * @param {NodeJS.ProcessEnv} env
 * @param {string} [root]
 * @param {string} [out]
 * @returns {Promise<string | undefined>}
 */
export async function bundledEntry(name, env, root = ROOT, out = join(root, 'dist', 'smartlic')) {
  if (env.SMARTLIC_BUNDLE === '0') return undefined;
  let dir = freshBuild(root, out);
  if (dir === undefined) {
    try {
      dir = await build(root, out);
    } catch {
      // A read-only install, esbuild not there, or a source that does not compile: tsx runs
      // the sources and reports a compile error in its own words.
      return undefined;
    }
  }
  recordUser(dir);
  /** @type {Record<symbol, unknown>} */ (globalThis)[BUILD_KEY] = dir;
  return pathToFileURL(join(dir, `${name}.js`)).href;
}

// `node bin/build.js`: build now.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const dir = await build();
    process.stdout.write(`smartlic: built ${relative(process.cwd(), dir) || dir}\n`);
  } catch (e) {
    process.stderr.write(
      `smartlic: the build failed: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    process.exitCode = 1;
  }
}
