import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { SmartlicError } from '../errors.ts';
import { checkIntegrity, damagedDatabaseError } from './integrity.ts';
import { storageError } from './storage-errors.ts';

export interface BackupResult {
  path: string;
  pages: number;
}

/**
 * Copies the live database to `targetPath` with SQLite's online backup API (consistent even
 * while others write). Writes to a temporary file first, so a failed backup never leaves a
 * half-written file at `targetPath`. Refuses to overwrite unless `overwrite` is set.
 * The secret key is not in the copy: keep `<db>.key` or SMARTLIC_SECRET_KEY with it.
 * A damaged database is refused (DB_CORRUPT) after a full `integrity_check`: a backup is what
 * an operator restores when things break, so it must not be a copy of the breakage.
 */
export async function backupDatabase(
  sqlite: BetterSqlite3.Database,
  targetPath: string,
  opts: { overwrite?: boolean } = {},
): Promise<BackupResult> {
  const target = resolve(targetPath);
  if (sqlite.name !== '' && sqlite.name !== ':memory:' && resolve(sqlite.name) === target) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `the backup target ${targetPath} is the database itself`,
      action: 'choose another file name',
    });
  }
  if (existsSync(target) && opts.overwrite !== true) {
    throw new SmartlicError({
      code: 'EXISTS',
      message: `backup target ${targetPath} already exists`,
      action: 'choose a new file name, or pass --force to overwrite it',
    });
  }
  const integrity = checkIntegrity(sqlite, 'full');
  if (!integrity.ok) {
    throw damagedDatabaseError(
      sqlite.name,
      integrity,
      'full',
      `no backup was written to ${targetPath}`,
    );
  }
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  try {
    const meta = await sqlite.backup(partial);
    renameSync(partial, target);
    return { path: target, pages: meta.totalPages };
  } catch (e) {
    rmSync(partial, { force: true });
    const storage = storageError(e, target, 'the backup');
    if (storage) throw storage;
    throw new SmartlicError({
      code: 'DB',
      message: `backup to ${targetPath} failed: ${e instanceof Error ? e.message : String(e)}`,
      action: 'check free space and permissions of the target directory',
      cause: e,
    });
  }
}
