/**
 * One demo database and its two sites, made once per Vitest run and read by both site test
 * files (site.test.ts: hosted at `/`; site-base.test.ts: hosted under
 * `/smartlic/`, five rows per list page). Making them is most of what those files cost (a sync
 * of the demo lab, then Astro); their tests only read the result, so they share it. In
 * `npm run test:alone`, which runs each of their ~23 tests with its file's hooks, they are
 * made once instead of once per test.
 *
 * `globalSetup` below is the e2e project's global setup (vitest.config.ts): it runs in
 * Vitest's main process and returns at once; the work starts when a test file asks for a
 * build (`sharedSite`), and only the files that read it wait for it. Run through another
 * configuration (no global setup), `sharedSite` makes its own, as the files did before. Real: the same makeDatabase and buildSite as before; nothing faked.
 *
 * Sharing is sound only while every test of those files only READS the fixture; a test that
 * writes must make its own (site.test's failed build runs against a copy of the site). That is
 * checked, not assumed: the fingerprint of the database (its file and WAL) is taken when it is
 * made and that of each site when it is built, and `untouched()`, called after each test of
 * both files, fails the test that changed either. Run as root, file modes would prove nothing.
 * The database is only ever opened read-only by those tests and by the build (SQLite refuses
 * a write there), and `serveSite` only answers GET/HEAD.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { inject } from 'vitest';
import type { TestProject } from 'vitest/node';
import { TestClock } from '../../core/clock.ts';
import { buildSite } from '../../site/lib/build.ts';
import { makeDatabase, type SiteEnv } from './site-harness.ts';

declare module 'vitest' {
  interface ProvidedContext {
    /** Directory the e2e global setup writes the shared site into (site-shared.ts). */
    smartlicSharedSite: string;
  }
}

/** The two builds, and what each is built with. */
export const BUILDS = {
  root: { base: '/' },
  based: { base: '/smartlic/', listPageSize: 5 },
} as const;
export type BuildName = keyof typeof BUILDS;

/** What the tests read: plain data (it crosses from Vitest's main process to the workers). */
export interface SharedSite {
  /** The fixture's directory: read it, never write (a test that writes makes its own). */
  dir: string;
  dbPath: string;
  /** The built site of the build asked for. */
  out: string;
  /** The fixture's frozen clock when the site was built. */
  clock: TestClock;
  /** Environment for the CLI (`smartlic site build`, `whatif`) on this database. */
  env: NodeJS.ProcessEnv;
  /** Every secret the emulator handed out: none may reach the site. */
  secrets: { clientSecrets: string[]; clusterPasswords: string[]; vaTokens: string[] };
  /** Ends what this file made itself (nothing when the global setup made it). */
  close(): Promise<void>;
  /** Throws when the database or this site differs from what was made (call after each test). */
  untouched(): void;
}

interface Meta {
  dir: string;
  dbPath: string;
  now: string;
  env: Record<string, string>;
  secrets: SharedSite['secrets'];
  /** Fingerprint of the database when made. */
  db: string;
}

/**
 * SHA-256 over the relative path and bytes of every file under `paths` (files or directories;
 * missing ones count as missing). The database's `-shm` is left out: readers write it.
 */
export function fingerprint(paths: string[]): string {
  const h = createHash('sha256');
  for (const p of paths) {
    h.update(`\0${p}\0`);
    if (!existsSync(p)) continue;
    const files = statSync(p).isDirectory()
      ? readdirSync(p, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => join(e.parentPath, e.name))
          .sort()
      : [p];
    for (const f of files) h.update(`\0${relative(p, f)}\0`).update(readFileSync(f));
  }
  return h.digest('hex');
}
const dbFiles = (dbPath: string) => [dbPath, `${dbPath}-wal`];

/** Makes the database and writes meta.json (what the readers need of the fixture). */
async function makeShared(into: string): Promise<SiteEnv> {
  const env = await makeDatabase();
  try {
    const st = await env.fx.state();
    const meta: Meta = {
      dir: env.dir,
      dbPath: env.dbPath,
      now: env.fx.clock.now().toISOString(),
      env: env.env as Record<string, string>,
      secrets: {
        clientSecrets: env.fx.emu.ready.clients.map((c) => c.clientSecret),
        clusterPasswords: st.clusters.map((c) => c.credentials.password),
        vaTokens: st.smartAccounts.flatMap((sa) =>
          sa.virtualAccounts.flatMap((v) => v.tokens.map((t) => t.token)),
        ),
      },
      db: fingerprint(dbFiles(env.dbPath)),
    };
    writeFileSync(join(into, 'meta.json'), JSON.stringify(meta));
    return env;
  } catch (e) {
    await env.fx.close();
    throw e;
  }
}

/** Builds the site `name` from the shared database, then writes `<name>.done` (its fingerprint). */
async function buildOne(into: string, env: SiteEnv, name: BuildName): Promise<void> {
  await buildSite({
    dbPath: env.dbPath,
    outDir: join(into, name),
    clock: env.fx.clock,
    // The workers' environment, which the site tests built with when each built its own.
    env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test' },
    ...BUILDS[name],
  });
  writeFileSync(join(into, `${name}.done`), fingerprint([join(into, name)]));
}

/**
 * Vitest global setup of the e2e project. Builds nothing until a test file asks
 * (`sharedSite` writes `want-<name>`), so a run without the site files pays nothing; then it
 * makes the database once and each site asked for once, in this (Vitest's main) process,
 * while the other files run. A failure is written for the readers to throw.
 */
export default function globalSetup(project: TestProject): () => Promise<void> {
  const into = mkdtempSync(join(tmpdir(), 'smartlic-site-shared-'));
  project.provide('smartlicSharedSite', into);
  let db: Promise<SiteEnv> | undefined;
  let chain: Promise<void> = Promise.resolve();
  const asked = new Set<BuildName>();
  const failed = (e: unknown) =>
    writeFileSync(
      join(into, 'failed.txt'),
      e instanceof Error ? (e.stack ?? e.message) : String(e),
    );
  const timer = setInterval(() => {
    for (const name of Object.keys(BUILDS) as BuildName[]) {
      if (asked.has(name) || !existsSync(join(into, `want-${name}`))) continue;
      asked.add(name);
      const made = (db ??= makeShared(into));
      // One Astro build after the other: each already uses the cores it is given.
      chain = chain.then(() => made.then((env) => buildOne(into, env, name))).catch(failed);
    }
  }, 200);
  return async () => {
    clearInterval(timer);
    await chain;
    const env = await db?.catch(() => undefined);
    await env?.fx.close();
    rmSync(into, { recursive: true, force: true });
  };
}

/** Resolves once `file` exists in `dir`; rejects with the setup's failure, if it wrote one. */
async function written(dir: string, file: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(join(dir, file))) {
    if (existsSync(join(dir, 'failed.txt'))) {
      throw new Error(`the shared site failed:\n${readFileSync(join(dir, 'failed.txt'), 'utf8')}`);
    }
    if (Date.now() > until) throw new Error(`the shared site wrote no ${file} in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The shared database and the site `name`, once built; built here when no setup made it. */
export async function sharedSite(name: BuildName, timeoutMs = 230_000): Promise<SharedSite> {
  const provided: string | undefined = inject('smartlicSharedSite');
  let into: string;
  let close = async () => {};
  if (provided !== undefined) {
    into = provided;
    writeFileSync(join(into, `want-${name}`), '');
  } else {
    const own = mkdtempSync(join(tmpdir(), 'smartlic-site-own-'));
    const env = await makeShared(own);
    close = async () => {
      await env.fx.close();
      rmSync(own, { recursive: true, force: true });
    };
    try {
      await buildOne(own, env, name);
    } catch (e) {
      await close();
      throw e;
    }
    into = own;
  }
  await written(into, `${name}.done`, timeoutMs);
  const meta = JSON.parse(readFileSync(join(into, 'meta.json'), 'utf8')) as Meta;
  const out = join(into, name);
  const built = readFileSync(join(into, `${name}.done`), 'utf8');
  return {
    dir: meta.dir,
    dbPath: meta.dbPath,
    out,
    clock: new TestClock(meta.now),
    env: meta.env,
    secrets: meta.secrets,
    close,
    untouched() {
      const changed = [
        fingerprint(dbFiles(meta.dbPath)) !== meta.db ? `the database ${meta.dbPath}` : '',
        fingerprint([out]) !== built ? `the site ${out}` : '',
      ].filter(Boolean);
      if (changed.length > 0) {
        throw new Error(
          `this test changed the shared site fixture (${changed.join(', ')}), which the other ` +
            'site tests read: a test that writes must make its own (test/e2e/site-shared.ts)',
        );
      }
    },
  };
}
