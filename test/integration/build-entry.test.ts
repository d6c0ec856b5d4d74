// Real: bin/build.js's esbuild bundle of a small source tree made in a temporary directory (the
// real esbuild of tsx, real files, real mtimes), and the real `node bin/smartlic.js` of this
// repository in child processes, bundled and through tsx (SMARTLIC_BUNDLE=0). Faked: the small
// source tree stands in for smartlic's sources where a test must edit or break a source.
// Covers bin/build.js (freshness, rebuild, one build for concurrent builders, the fallback)
// and bin/smartlic.js's choice between the bundle and tsx.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BUILD_KEY, ENTRIES, ROOT, build, bundledEntry, freshBuild } from '../../bin/build.js';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// bundledEntry records the build it chose for the worker threads of this process (BUILD_KEY);
// a test tree's build is removed in afterAll, and a later file sharing this worker would start
// its parse and command threads from it. The process's own record is put back after each test.
const processBuild: unknown = (globalThis as Record<symbol, unknown>)[BUILD_KEY];
afterEach(() => {
  const g = globalThis as Record<symbol, unknown>;
  if (processBuild === undefined) delete g[BUILD_KEY];
  else g[BUILD_KEY] = processBuild;
});

/** A source tree shaped like smartlic's (the three entries, a shared module, package.json). */
function tree(name: string): { root: string; out: string } {
  const root = join(dir, name);
  mkdirSync(join(root, 'bin', 'cli'), { recursive: true });
  mkdirSync(join(root, 'core'), { recursive: true });
  // Packages (tsx and its esbuild) resolve from the repository's node_modules.
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  writeFileSync(
    join(root, 'package.json'),
    '{ "name": "t", "version": "9.8.7", "type": "module" }\n',
  );
  writeFileSync(join(root, 'tsconfig.json'), '{}\n');
  mkdirSync(join(root, 'bin'), { recursive: true });
  writeFileSync(join(root, 'bin', 'build.js'), '// stands for the builder\n');
  writeFileSync(
    join(root, 'core', 'version.ts'),
    [
      "import { readFileSync } from 'node:fs';",
      '// Found beside this source, as smartlic finds its package.json.',
      'export const version: string = JSON.parse(',
      "  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),",
      ').version;',
      '',
    ].join('\n'),
  );
  for (const [entry, file] of Object.entries(ENTRIES)) {
    writeFileSync(
      join(root, file),
      `import { version } from '${file.startsWith('bin/cli/') ? '../..' : '..'}/core/version.ts';\nexport const answer = { entry: ${JSON.stringify(entry)}, version };\n`,
    );
  }
  return { root, out: join(root, 'dist', 'smartlic') };
}

/** The esbuild processes this process has started and not ended (from /proc). */
function esbuildChildren(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      // A zombie has ended; Node reaps it a moment later.
      if (ppid === process.pid && comm === 'esbuild' && state !== 'Z') out.push(Number(d));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

async function answer(url: string): Promise<{ entry: string; version: string }> {
  return ((await import(url)) as { answer: { entry: string; version: string } }).answer;
}

describe('bin/build.js', () => {
  it('bundles every entry; a source finds the files beside it as it does unbundled', async () => {
    const t = tree('a');
    expect(freshBuild(t.root, t.out)).toBeUndefined();
    const built = await build(t.root, t.out);
    expect(freshBuild(t.root, t.out)).toBe(built);
    // esbuild's service process ends with the build (a daemon does not keep it).
    for (let i = 0; i < 50 && esbuildChildren().length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(esbuildChildren()).toEqual([]);
    for (const entry of Object.keys(ENTRIES)) {
      // import.meta.url of core/version.ts still says core/: ../package.json is the tree's.
      expect(await answer(pathToFileURL(join(built, `${entry}.js`)).href)).toEqual({
        entry,
        version: '9.8.7',
      });
    }
    const stamp = JSON.parse(readFileSync(join(t.out, 'current.json'), 'utf8')) as {
      inputs: Record<string, unknown>;
    };
    expect(Object.keys(stamp.inputs).sort()).toEqual(
      [
        ...Object.values(ENTRIES),
        'core/version.ts',
        'package.json',
        'tsconfig.json',
        'bin/build.js',
      ].sort(),
    );
  });

  it('a changed source makes the build stale; the next process rebuilds and runs the change', async () => {
    const t = tree('b');
    const first = await build(t.root, t.out);
    writeFileSync(
      join(t.root, 'package.json'),
      '{ "name": "t", "version": "9.8.8", "type": "module" }\n',
    );
    expect(freshBuild(t.root, t.out)).toBeUndefined();
    const url = await bundledEntry('smartlic', {}, t.root, t.out);
    expect(url).toBeDefined();
    expect(url).not.toContain(first);
    const second = freshBuild(t.root, t.out);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    // The bundled package.json's version is read at run time, beside the source.
    expect((await answer(url!)).version).toBe('9.8.8');
    // A source that is removed also makes it stale.
    rmSync(join(t.root, 'core', 'version.ts'));
    expect(freshBuild(t.root, t.out)).toBeUndefined();
  });

  it('processes that build the same sources at once end up with one build', async () => {
    const t = tree('c');
    const dirs = await Promise.all([1, 2, 3].map(() => build(t.root, t.out)));
    expect(new Set(dirs).size).toBe(1);
    // One build directory and the stamp: no temporary directory or file left behind.
    expect(readdirSync(t.out).sort()).toEqual([dirs[0]!.split('/').pop(), 'current.json']);
  });

  it('an old build is removed once unused, never while a running process uses it', async () => {
    const t = tree('e');
    const first = await bundledEntry('smartlic', {}, t.root, t.out);
    const firstDir = freshBuild(t.root, t.out)!;
    expect(first).toBeDefined();
    // This process runs the first build; a process that ran it too has ended since.
    expect(readdirSync(join(firstDir, '.users'))).toEqual([String(process.pid)]);
    const ended = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(firstDir, '.users', String(ended)), '');
    const weekAgo = (Date.now() - 8 * 86_400_000) / 1000;
    const age = () => utimesSync(firstDir, weekAgo, weekAgo);
    const change = (v: string) =>
      writeFileSync(
        join(t.root, 'package.json'),
        `{ "name": "t", "version": "${v}", "type": "module" }\n`,
      );
    age();
    change('1.0.1');
    const second = await build(t.root, t.out);
    // Old enough, but this process still uses it: kept; the ended process's file is gone.
    expect(existsSync(firstDir)).toBe(true);
    expect(readdirSync(join(firstDir, '.users'))).toEqual([String(process.pid)]);
    rmSync(join(firstDir, '.users', String(process.pid)));
    age();
    change('1.0.2');
    await build(t.root, t.out);
    expect(existsSync(firstDir)).toBe(false);
    // The build before the current one is younger than a week: kept whoever uses it.
    expect(existsSync(second)).toBe(true);
  });

  it('falls back to the sources (undefined) when they do not compile, or when told to', async () => {
    const t = tree('d');
    expect(await bundledEntry('smartlic', { SMARTLIC_BUNDLE: '0' }, t.root, t.out)).toBeUndefined();
    expect(existsSync(t.out)).toBe(false);
    writeFileSync(join(t.root, 'core', 'version.ts'), 'export const version: string = ;\n');
    expect(await bundledEntry('smartlic', {}, t.root, t.out)).toBeUndefined();
    expect(freshBuild(t.root, t.out)).toBeUndefined();
  });
});

function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['bin/smartlic.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, out, err })),
  );
}

describe('bin/smartlic.js', () => {
  it('runs the bundle (built when stale) and answers as the sources through tsx do', async () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const bundled = await run(['--version', '--json'], {});
    expect(bundled.err).toBe('');
    expect(JSON.parse(bundled.out)).toEqual({ version: version.version });
    // It ran the current build: the stamp matches the sources as they are.
    expect(freshBuild()).toBeDefined();
    const viaTsx = await run(['--version', '--json'], { SMARTLIC_BUNDLE: '0' });
    expect(viaTsx).toEqual(bundled);
    // A usage error reads the same both ways (the registry and its help are bundled).
    const a = await run(['clusterz'], { SMARTLIC_BUNDLE: '0' });
    const b = await run(['clusterz'], {});
    expect(b.code).toBe(2);
    expect(b).toEqual(a);
  }, 60_000);
});
