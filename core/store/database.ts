import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  type SqliteDialectConfig,
} from 'kysely';
import { systemClock } from '../clock.ts';
import type { Clock } from '../clock.ts';
import { SmartlicError } from '../errors.ts';
import type { Database } from './schema.ts';

export interface OpenDatabaseOptions {
  /** File path, or `:memory:`. The default location is config's business, not ours. */
  path: string;
  clock?: Clock;
  /** Open read-only (the site build); the file must exist. */
  readonly?: boolean;
  /** Milliseconds a writer waits for another connection's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  sqlite: BetterSqlite3.Database;
  clock: Clock;
  path: string;
  close(): Promise<void>;
}

export function isMemoryPath(path: string): boolean {
  return path === ':memory:' || path === '';
}

/**
 * Opens SQLite with WAL, enforced foreign keys and a busy timeout, wrapped in kysely.
 * Does not migrate: call `migrateToLatest` (or open read-only for reports).
 */
export function openDatabase(opts: OpenDatabaseOptions): DatabaseHandle {
  const memory = isMemoryPath(opts.path);
  const readonly = opts.readonly === true;
  let sqlite: BetterSqlite3.Database;
  try {
    if (!memory && !readonly) mkdirSync(dirname(opts.path), { recursive: true });
    sqlite = new BetterSqlite3(opts.path, { readonly, fileMustExist: readonly && !memory });
  } catch (e) {
    throw new SmartlicError({
      code: 'DB',
      message: `cannot open database ${opts.path}: ${e instanceof Error ? e.message : String(e)}`,
      action: readonly
        ? 'check the path (SMARTLIC_DB) and run `smartlic db migrate` to create it'
        : 'check the path (SMARTLIC_DB) and that its directory is writable',
      cause: e,
    });
  }
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
  sqlite.pragma('foreign_keys = ON');
  if (!readonly) {
    // WAL lets the site build and chat reads run while a sync writes.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
  }
  const db = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }),
  });
  let closed = false;
  return {
    db,
    sqlite,
    clock: opts.clock ?? systemClock,
    path: opts.path,
    async close() {
      if (closed) return;
      closed = true;
      // kysely's destroy closes the better-sqlite3 handle through the dialect.
      await db.destroy();
      if (sqlite.open) sqlite.close();
    },
  };
}

/**
 * Every transaction takes the write lock when it begins (`BEGIN IMMEDIATE`) and so waits
 * within the busy timeout for another process's writer. A deferred `BEGIN` takes the lock at
 * its first write; when another connection wrote in between, SQLite cannot upgrade the read
 * snapshot and fails at once with "database is locked", whatever the busy timeout says.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly cfg: SqliteDialectConfig) {
    super(cfg);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.cfg);
  }
}

/** Prepared statements kept per SQL text; more distinct texts than this evict the oldest. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * kysely's SQLite driver prepares every query anew; compiling the SQL text again on each call
 * was a large part of a sync's CPU time. The same text reuses its prepared statement (SQLite
 * re-prepares it by itself after a schema change). A statement still iterating (a streamed
 * select) is busy and cannot be reused, so that caller gets a fresh one.
 */
function withStatementCache(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql) {
      const hit = cache.get(sql);
      if (hit && !hit.busy) {
        // Most recently used last, so eviction takes the least recently used.
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const st = sqlite.prepare(sql);
      if (!hit) {
        cache.set(sql, st);
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      return st;
    },
  };
}
