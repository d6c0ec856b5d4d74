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
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  /** Writable scratch directory of the fixture (a test may put its own files here). */
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
}

interface Meta {
  dir: string;
  dbPath: string;
  now: string;
  env: Record<string, string>;
  secrets: SharedSite['secrets'];
}

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
    };
    writeFileSync(join(into, 'meta.json'), JSON.stringify(meta));
    return env;
  } catch (e) {
    await env.fx.close();
    throw e;
  }
}

/** Builds the site `name` from the shared database, then writes `<name>.done`. */
async function buildOne(into: string, env: SiteEnv, name: BuildName): Promise<void> {
  await buildSite({
    dbPath: env.dbPath,
    outDir: join(into, name),
    clock: env.fx.clock,
    // The workers' environment, which the site tests built with when each built its own.
    env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test' },
    ...BUILDS[name],
  });
  writeFileSync(join(into, `${name}.done`), '');
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
  return {
    dir: meta.dir,
    dbPath: meta.dbPath,
    out: join(into, name),
    clock: new TestClock(meta.now),
    env: meta.env,
    secrets: meta.secrets,
    close,
  };
}
