// Real: a PostgreSQL server (SMARTLIC_TEST_PG) with a fresh database of its own
// (test/support/pg.ts); the real `smartlic start --once` on it (embedded emulator over loopback
// HTTP, real sync) with site.rebuildAfterSync, so the host's rebuild after a sync builds the
// site from PostgreSQL; then the real `smartlic site build` on the same db.url; Astro in child
// processes; the store read back through kysely (openStore). Faked: nothing.
// Skipped, with its reason, when SMARTLIC_TEST_PG is not set.
// Covers site/lib/build.ts (readSiteData on db.url), bin/cli/site.ts (site build and
// rebuildSiteAfterSync) and bin/cli/host.ts (buildSite after a sync round).
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../core/store/index.ts';
import { TEST_PG_URL, extraTestDatabaseUrl } from '../support/pg.ts';
import { runCli } from '../support/helpers.ts';

const SKIP =
  TEST_PG_URL === undefined
    ? 'skipped: SMARTLIC_TEST_PG is not set (.ci/run starts a PostgreSQL and sets it)'
    : undefined;

const dir = mkdtempSync(join(tmpdir(), 'smartlic-site-pg-'));
let env: Record<string, string>;

/** Every file under `root`, relative, sorted. */
function files(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

beforeAll(async () => {
  if (SKIP) return;
  env = {
    SMARTLIC_DATABASE_URL: await extraTestDatabaseUrl('site'),
    // db.path only places the lab's files (the store is PostgreSQL).
    SMARTLIC_DB: join(dir, 'lab.db'),
    SMARTLIC_SECRET_KEY: 'cd'.repeat(32),
    SMARTLIC_LAB_HISTORY_DAYS: '0',
  };
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the site built from PostgreSQL (db.url)', () => {
  it.skipIf(SKIP !== undefined)(
    `the rebuild after a sync and \`smartlic site build\` read the PostgreSQL store${SKIP ? ` (${SKIP})` : ''}`,
    async () => {
      const afterSync = join(dir, 'after-sync');
      const start = await runCli(['start', '--once'], {
        ...env,
        SMARTLIC_SITE_REBUILD: 'true',
        SMARTLIC_SITE_OUT: afterSync,
      });
      expect(start.code, start.err).toBe(0);
      expect(existsSync(join(afterSync, 'index.html')), start.err).toBe(true);

      const built = join(dir, 'built');
      const r = await runCli(['site', 'build', '--out', built], env);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/^site: \d+ pages in /);
      // Both builds read the same store: the same pages and files.
      expect(files(built)).toEqual(files(afterSync));

      // The pages show what PostgreSQL holds (read back through the store, as smartlic does).
      const h = await openStore({ path: join(dir, 'unused.db'), url: env.SMARTLIC_DATABASE_URL });
      let accounts: { name: string }[];
      try {
        accounts = await h.db.selectFrom('smart_accounts').select('name').execute();
      } finally {
        await h.close();
      }
      expect(accounts.length).toBeGreaterThan(0);
      const html = files(built)
        .filter((f) => f.endsWith('.html'))
        .map((f) => readFileSync(join(built, f), 'utf8'))
        .join('\n');
      for (const a of accounts) expect(html).toContain(a.name);
      // The password of the URL reaches no page.
      expect(html).not.toContain(new URL(env.SMARTLIC_DATABASE_URL!).password || '\u0000');
    },
    300_000,
  );
});
