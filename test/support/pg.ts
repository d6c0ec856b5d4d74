/**
 * Both stores for the integration tests. SQLite always; PostgreSQL when SMARTLIC_TEST_PG is a
 * postgres:// URL of a server whose user may create databases (.ci/run starts one and sets
 * it). Each test file (each vitest worker process runs one file) gets a database of its own,
 * created on first use with the "C" collation smartlic expects (docs/storage.md); each test
 * that opens a store gets it emptied (every table truncated, ids restarted), so a test sees a
 * fresh store as it does with a new SQLite file.
 *
 *   describe.each(storeKinds())('… (%s)', (kind) => {
 *     beforeEach(async () => { h = await openTestStore(kind, { path: join(dir, 'db') }); });
 *   });
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Clock } from '../../core/clock.ts';
import {
  MIGRATION_VERSIONS_TABLE,
  openDatabase,
  openPostgres,
  type StoreHandle,
} from '../../core/store/index.ts';
import { systemClock } from '../../core/clock.ts';

export type StoreKind = 'sqlite' | 'postgres';

/** The PostgreSQL server of the tests, or undefined (then PostgreSQL variants are skipped). */
export const TEST_PG_URL: string | undefined = process.env.SMARTLIC_TEST_PG?.trim() || undefined;

let told = false;

/** The stores to run a suite on; says once per file when PostgreSQL is skipped. */
export function storeKinds(): StoreKind[] {
  if (TEST_PG_URL === undefined) {
    if (!told) {
      told = true;
      console.log(
        'PostgreSQL variants skipped: SMARTLIC_TEST_PG is not set (.ci/run starts a server and sets it)',
      );
    }
    return ['sqlite'];
  }
  return ['sqlite', 'postgres'];
}

let fileDatabase: Promise<string> | undefined;

/** This file's own database on the test server (created once, named for the process). */
export function testDatabaseUrl(): Promise<string> {
  if (TEST_PG_URL === undefined) throw new Error('SMARTLIC_TEST_PG is not set');
  fileDatabase ??= (async () => {
    const name = `smartlic_t_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      // template0: the server's default collation may not be "C".
      await admin.query(
        `create database ${name} template template0 encoding 'UTF8' lc_collate 'C' lc_ctype 'C'`,
      );
    } finally {
      await admin.end();
    }
    const u = new URL(TEST_PG_URL);
    u.pathname = `/${name}`;
    return u.toString();
  })();
  return fileDatabase;
}

/** Another empty database on the test server (a copy target, a second store). */
export async function extraTestDatabaseUrl(label: string): Promise<string> {
  if (TEST_PG_URL === undefined) throw new Error('SMARTLIC_TEST_PG is not set');
  const name = `smartlic_t_${process.pid}_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(
      `create database ${name} template template0 encoding 'UTF8' lc_collate 'C' lc_ctype 'C'`,
    );
  } finally {
    await admin.end();
  }
  const u = new URL(TEST_PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Empties every table of this file's database (ids restart at 1); keeps the schema. */
async function emptyDatabase(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ name: string }>(
      `select tablename as name from pg_tables where schemaname = 'public'
         and tablename not in ('kysely_migration', 'kysely_migration_lock', $1)`,
      [MIGRATION_VERSIONS_TABLE],
    );
    if (rows.length > 0) {
      await c.query(
        `truncate ${rows.map((r) => `"${r.name}"`).join(', ')} restart identity cascade`,
      );
    }
  } finally {
    await c.end();
  }
}

/**
 * A store for one test: SQLite at `path` (a temp file or `:memory:`), or this file's PostgreSQL
 * database emptied. Not migrated (the caller migrates, as with SQLite; on PostgreSQL the schema
 * stays from the file's first test, so that is quick).
 */
export async function openTestStore(
  kind: StoreKind,
  opts: { path: string; clock?: Clock },
): Promise<StoreHandle> {
  const clock = opts.clock ?? systemClock;
  if (kind === 'sqlite') return openDatabase({ path: opts.path, clock });
  const url = await testDatabaseUrl();
  await emptyDatabase(url);
  return openPostgres({ url, clock, poolSize: 4 });
}

/** A second connection to the same store (another process's view), not emptied. */
export async function reopenTestStore(h: StoreHandle, clock?: Clock): Promise<StoreHandle> {
  if (h.kind === 'sqlite') return openDatabase({ path: h.path, clock: clock ?? h.clock });
  return openPostgres({ url: h.url, clock: clock ?? h.clock, poolSize: 2 });
}
