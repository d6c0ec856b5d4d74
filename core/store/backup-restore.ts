/**
 * Restoring a backup into a SQLite file, and the key file that travels beside a backup.
 * (PostgreSQL restores through `restoreLogicalBackup` alone: one transaction is its safety.)
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { SmartlicError } from '../errors.ts';
import { openDatabase } from './database.ts';
import { readLogicalBackupLines } from './logical-backup-file.ts';
import { restoreLogicalBackup, type LogicalRestoreResult } from './logical-backup.ts';
import { migrateToLatest } from './migrate.ts';
import type { Database } from './schema.ts';

/** Whether `file` is a SQLite file holding smartlic's tables (its `settings` table). */
export function isSmartlicSqliteFile(file: string): boolean {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    const row = db
      .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'settings'")
      .get() as { n: number };
    return row.n === 1;
  } catch {
    return false;
  } finally {
    db?.close();
  }
}

/**
 * Copies the key file beside a backup as `<backup>.key` (mode 0600), whole or not at all;
 * refuses an existing one unless `overwrite`. Returns its path.
 */
export function copyKeyFileBeside(keyFile: string, backupPath: string, overwrite: boolean): string {
  const dest = `${backupPath}.key`;
  if (existsSync(dest) && !overwrite) {
    throw new SmartlicError({
      code: 'EXISTS',
      message: `the key file target ${dest} already exists`,
      action: 'choose a new file name, or pass --force to overwrite it',
    });
  }
  const partial = `${dest}.partial-${process.pid}`;
  copyFileSync(keyFile, partial);
  chmodSync(partial, 0o600);
  renameSync(partial, dest);
  return dest;
}

export interface SqliteRestoreOptions {
  /** The backup, absolute: a SQLite file copy, or a logical export when `logical`. */
  source: string;
  logical: boolean;
  /** The SQLite database file to replace. */
  dbPath: string;
  /** Replace an existing database (its file is kept as `<db>.before-restore`). */
  replace: boolean;
  /**
   * Checks the restored database on its new file before it replaces anything: the key check.
   * When it throws, nothing is replaced.
   */
  verify: (db: Kysely<Database>, clock: Clock) => Promise<void>;
  /** Also put `<source>.key` in place as this key file (an existing one kept as `.before-restore`). */
  keyFile?: string;
}

export interface SqliteRestoreResult {
  /** What the logical restore loaded; undefined for a file copy. */
  loaded: LogicalRestoreResult | undefined;
  /** The key file put in place, or null. */
  keyFile: string | null;
  /** Where the previous database is kept, or null when there is none. */
  previous: string | null;
}

/**
 * Restores a backup into the SQLite file `dbPath`: built (a copy migrated to the latest
 * schema, or a logical export loaded) and verified on a new file first, then moved in place,
 * so a backup the key cannot open, or a file cut short, replaces nothing.
 */
export async function restoreSqliteBackup(
  opts: SqliteRestoreOptions,
): Promise<SqliteRestoreResult> {
  const { source, dbPath: path } = opts;
  if (resolve(path) === source) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `${source} is the database itself`,
      action: 'give a backup file',
    });
  }
  if (existsSync(path) && !opts.replace) {
    throw new SmartlicError({
      code: 'EXISTS',
      message: `the database ${path} exists`,
      action:
        'stop smartlic everywhere, then pass --force to replace it (the old file is kept as .before-restore)',
    });
  }
  const partial = `${path}.partial-${process.pid}`;
  const dropPartial = () => {
    for (const ext of ['', '-wal', '-shm']) rmSync(`${partial}${ext}`, { force: true });
  };
  mkdirSync(dirname(path), { recursive: true });
  dropPartial();
  let loaded: LogicalRestoreResult | undefined;
  try {
    if (!opts.logical) copyFileSync(source, partial);
    const h = openDatabase({ path: partial });
    try {
      if (opts.logical) {
        loaded = await restoreLogicalBackup(readLogicalBackupLines(source), h, {
          source,
          clock: h.clock,
          verify: (db) => opts.verify(db, h.clock),
        });
      } else {
        await migrateToLatest(h.db);
        await opts.verify(h.db, h.clock);
      }
    } finally {
      await h.close();
    }
  } catch (e) {
    dropPartial();
    throw e;
  }
  const before = `${path}.before-restore`;
  if (existsSync(path)) {
    renameSync(path, before);
    for (const ext of ['-wal', '-shm']) rmSync(`${path}${ext}`, { force: true });
  }
  renameSync(partial, path);
  let keyFile: string | null = null;
  if (opts.keyFile !== undefined) {
    if (existsSync(opts.keyFile)) renameSync(opts.keyFile, `${opts.keyFile}.before-restore`);
    copyFileSync(`${source}.key`, opts.keyFile);
    chmodSync(opts.keyFile, 0o600);
    keyFile = opts.keyFile;
  }
  return { loaded, keyFile, previous: existsSync(before) ? before : null };
}
