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
  type QueryResult,
  type SqliteDatabase,
  type SqliteDialectConfig,
} from 'kysely';
import { systemClock } from '../clock.ts';
import type { Clock } from '../clock.ts';
import { SmartlicError } from '../errors.ts';
import type { Database } from './schema.ts';
import { isPostgresUrl, openPostgres, redactDatabaseUrl, type PostgresHandle } from './postgres.ts';
import { storageError } from './storage-errors.ts';

export interface OpenDatabaseOptions {
  /** File path, or `:memory:`. The default location is config's business, not ours. */
  path: string;
  clock?: Clock;
  /** Open read-only (the site build); the file must exist. */
  readonly?: boolean;
  /** Milliseconds a writer waits for another connection's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

/** An open SQLite database (`openDatabase`). */
export interface DatabaseHandle {
  kind: 'sqlite';
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
  try {
    sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    sqlite.pragma('foreign_keys = ON');
    if (!readonly) {
      // WAL lets the site build and chat reads run while a sync writes.
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
    }
  } catch (e) {
    // The WAL index is the first thing written: on a full disk the open already fails here.
    sqlite.close();
    throw (memory ? undefined : storageError(e, opts.path)) ?? e;
  }
  const db = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect(
      { database: withStatementCache(sqlite) },
      sqlite,
      memory ? undefined : opts.path,
    ),
  });
  let closed = false;
  return {
    kind: 'sqlite',
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
 *
 * Errors about storage (a full disk, an I/O error) leave the driver as DISK_FULL / DB_IO
 * errors naming the database file and its file system (storage-errors.ts).
 */
class ImmediateSqliteDriver extends SqliteDriver {
  private wrapped: { inner: DatabaseConnection; outer: DatabaseConnection } | undefined;
  /** The error of a failed COMMIT, so a rollback failing after it cannot hide it. */
  private commitError: { error: unknown } | undefined;

  constructor(
    cfg: SqliteDialectConfig,
    private readonly sqlite: BetterSqlite3.Database,
    private readonly path: string | undefined,
  ) {
    super(cfg);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await super.acquireConnection();
    if (this.path === undefined) return inner;
    if (this.wrapped?.inner !== inner) {
      this.wrapped = { inner, outer: new StorageErrorConnection(inner, this.path) };
    }
    return this.wrapped.outer;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    this.commitError = undefined;
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.commitTransaction(connection);
    } catch (e) {
      this.commitError = { error: e };
      throw e;
    }
  }

  /**
   * After SQLITE_FULL or an I/O error SQLite may already have rolled the transaction back on
   * its own; a second `rollback` then fails with "cannot rollback - no transaction is active",
   * and kysely would throw that instead of the error that caused it. Nothing is left to undo
   * then, so nothing is done, and the caller sees the real error.
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.sqlite.inTransaction) return;
    try {
      await super.rollbackTransaction(connection);
    } catch (e) {
      if (!this.sqlite.inTransaction) return;
      // Still open and cannot be undone: the caller hears why the commit failed, if it did
      // (a failing body's own error is kept by inTransaction, repositories/mapping.ts).
      throw this.commitError ? this.commitError.error : e;
    }
  }
}

/** A connection whose storage errors are told in the operator's terms (DISK_FULL, DB_IO). */
class StorageErrorConnection implements DatabaseConnection {
  constructor(
    private readonly inner: DatabaseConnection,
    private readonly path: string,
  ) {}

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(q);
    } catch (e) {
      throw storageError(e, this.path) ?? e;
    }
  }

  async *streamQuery<R>(
    q: CompiledQuery,
    chunkSize?: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(q, chunkSize);
    } catch (e) {
      throw storageError(e, this.path) ?? e;
    }
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(
    private readonly cfg: SqliteDialectConfig,
    private readonly sqlite: BetterSqlite3.Database,
    private readonly path: string | undefined,
  ) {
    super(cfg);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.cfg, this.sqlite, this.path);
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

export interface OpenStoreOptions extends OpenDatabaseOptions {
  /** `postgres://…` (db.url): PostgreSQL instead of the SQLite file at `path`. */
  url?: string | undefined;
}

/** Either store, open; `kind` says which (only bin/ and the store's own tools look). */
export type StoreHandle = DatabaseHandle | PostgresHandle;

/**
 * Opens the store the config names: PostgreSQL when `url` is set (checked: reachable,
 * credentials, version), the SQLite file at `path` otherwise. Does not migrate.
 */
export async function openStore(opts: OpenStoreOptions): Promise<StoreHandle> {
  if (opts.url !== undefined && opts.url !== '') {
    if (!isPostgresUrl(opts.url)) {
      throw new SmartlicError({
        code: 'CONFIG',
        message: `db.url (SMARTLIC_DATABASE_URL) must be a postgres:// URL, not ${redactDatabaseUrl(opts.url)}`,
        action:
          'set it to postgres://user:password@host:5432/database, or unset it to use the SQLite file (SMARTLIC_DB)',
      });
    }
    return openPostgres({
      url: opts.url,
      clock: opts.clock ?? systemClock,
      ...(opts.readonly === true ? { readonly: true } : {}),
    });
  }
  return openDatabase(opts);
}
