// The write-lock fix of issue 14, shown by a deterministic interleaving instead of a race.
// Real: SQLite in a temp file (WAL), opened by core/store (smartlic's path: every transaction
// BEGIN IMMEDIATE, busy timeout) and by a second, plain better-sqlite3 connection standing for
// another smartlic process; kysely's stock SQLite dialect (a deferred BEGIN) stands for the old
// code path. Nothing faked, no timers: each step runs in a fixed order, so the outcome never
// depends on scheduling, and the test takes milliseconds (its own bound: 5 s).
//
// The interleaving: our transaction reads first (a deferred BEGIN takes only a read snapshot
// here), then the other connection writes and commits, then our transaction writes.
// - Deferred BEGIN (before the fix): the other write gets in; ours cannot upgrade its stale
//   snapshot and fails at once with SQLITE_BUSY_SNAPSHOT ("database is locked"), whatever the
//   busy timeout; it used to surface as INTERNAL with no action.
// - BEGIN IMMEDIATE (the fix): our transaction holds the write lock from its start, the other
//   writer is the one kept waiting (here told not to wait: busy_timeout 0), and ours commits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { toSmartlicError } from '../../core/errors.ts';
import {
  SecretBox,
  migrateToLatest,
  openDatabase,
  transaction,
  type DatabaseHandle,
} from '../../core/store/index.ts';
import type { Database } from '../../core/store/schema.ts';

let dir: string | undefined;
let h: DatabaseHandle | undefined;
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  h = undefined;
  dir = undefined;
});

const INSERT_OTHER =
  "INSERT INTO settings (key, value, updated_at) VALUES ('other', 'x', '2026-01-01T00:00:00.000Z')";

async function freshDb(): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'smartlic-interleave-'));
  const path = join(dir, 'db.sqlite');
  h = openDatabase({ path });
  await migrateToLatest(h.db);
  return path;
}

/** The other process: a separate connection that does not wait for a lock. */
function otherConnection(path: string): BetterSqlite3.Database {
  const other = new BetterSqlite3(path);
  other.pragma('busy_timeout = 0');
  closers.push(() => other.close());
  return other;
}

function tryWrite(other: BetterSqlite3.Database): string {
  try {
    other.prepare(INSERT_OTHER).run();
    return 'written';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe('a write transaction against another writer, step by step', () => {
  it('smartlic (BEGIN IMMEDIATE): the other writer is kept out, our transaction commits', async () => {
    const path = await freshDb();
    const other = otherConnection(path);
    let otherResult = '';
    await transaction(h!.db, SecretBox.random(), async (r) => {
      await r.settings.get('mine');
      otherResult = tryWrite(other);
      await r.settings.set('mine', 'y');
    });
    expect(otherResult).toBe('SQLITE_BUSY');
    const keys = await h!.db.selectFrom('settings').select('key').execute();
    expect(keys.map((k) => k.key)).toContain('mine');
    // Once we committed, the other writer gets in.
    expect(tryWrite(other)).toBe('written');
  }, 5_000);

  it('the old path (deferred BEGIN) fails at once with SQLITE_BUSY_SNAPSHOT despite a 5 s busy timeout; smartlic reports it as DB_BUSY, never INTERNAL', async () => {
    const path = await freshDb();
    const other = otherConnection(path);
    const sqlite = new BetterSqlite3(path);
    sqlite.pragma('busy_timeout = 5000');
    const deferred = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    closers.push(() => deferred.destroy());
    let otherResult = '';
    const t0 = performance.now();
    const failure = await deferred
      .transaction()
      .execute(async (trx) => {
        await trx.selectFrom('settings').selectAll().execute();
        otherResult = tryWrite(other);
        await trx
          .insertInto('settings')
          .values({ key: 'mine', value: 'y', updated_at: '2026-01-01T00:00:00.000Z' })
          .execute();
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const elapsed = performance.now() - t0;
    // The other write got in first, and ours could not follow it.
    expect(otherResult).toBe('written');
    expect((failure as { code?: string } | undefined)?.code).toBe('SQLITE_BUSY_SNAPSHOT');
    // Not a wait that ran out: it failed at once.
    expect(elapsed).toBeLessThan(2_000);
    const err = toSmartlicError(failure);
    expect(err.code).toBe('DB_BUSY');
    expect(err.action).toBeTruthy();
  }, 5_000);
});
