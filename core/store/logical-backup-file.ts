/**
 * A logical backup (logical-backup.ts) as a file: written to a temporary name and moved in
 * place only when whole, gzip-compressed when the name ends in `.gz`; read back whichever it
 * is. `backupFileKind` tells a SQLite file backup from a logical one by its first bytes.
 */
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { Clock } from '../clock.ts';
import { SmartlicError } from '../errors.ts';
import type { StoreHandle } from './database.ts';
import { exportLogicalBackup, type LogicalExportResult } from './logical-backup.ts';
import { storageError } from './storage-errors.ts';

export interface LogicalBackupFileResult extends LogicalExportResult {
  path: string;
  bytes: number;
  gzip: boolean;
}

/**
 * Writes the logical backup of `h` to `targetPath` (refused when it exists, unless
 * `overwrite`). A failure leaves no file at `targetPath`.
 */
export async function writeLogicalBackupFile(
  h: StoreHandle,
  targetPath: string,
  opts: { overwrite?: boolean; clock: Clock },
): Promise<LogicalBackupFileResult> {
  const target = resolve(targetPath);
  if (existsSync(target) && opts.overwrite !== true) {
    throw new SmartlicError({
      code: 'EXISTS',
      message: `backup target ${targetPath} already exists`,
      action: 'choose a new file name, or pass --force to overwrite it',
    });
  }
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  const gzip = target.endsWith('.gz');
  const file = createWriteStream(partial, { mode: 0o600 });
  let failed: Error | undefined;
  file.on('error', (e) => (failed ??= e));
  let sink: Writable = file;
  if (gzip) {
    const z = createGzip();
    z.on('error', (e) => (failed ??= e));
    z.pipe(file);
    sink = z;
  }
  const write = async (line: string) => {
    if (failed !== undefined) throw failed;
    if (!sink.write(`${line}\n`)) await once(sink, 'drain');
  };
  try {
    const r = await exportLogicalBackup(h, write, opts.clock);
    sink.end();
    await once(file, 'close');
    if (failed !== undefined) throw failed;
    const fd = openSync(partial, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, target);
    return { ...r, path: target, bytes: statSync(target).size, gzip };
  } catch (e) {
    sink.destroy();
    file.destroy();
    rmSync(partial, { force: true });
    const storage = storageError(e, target, 'the backup');
    if (storage) throw storage;
    throw e;
  }
}

/** The lines of a logical backup file, gunzipped when it is gzip. */
export async function* readLogicalBackupLines(path: string): AsyncGenerator<string> {
  const input = createReadStream(path);
  const stream = backupFileKind(path) === 'logical-gzip' ? input.pipe(createGunzip()) : input;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } catch (e) {
    throw new SmartlicError({
      code: 'INPUT',
      message: `cannot read the backup ${path}: ${e instanceof Error ? e.message : String(e)}; nothing was changed`,
      action: 'give a file `smartlic db backup` wrote, whole',
      cause: e,
    });
  } finally {
    rl.close();
    input.destroy();
  }
}

export type BackupFileKind = 'sqlite' | 'logical' | 'logical-gzip' | 'unknown';

/** What a backup file is, from its first bytes. */
export function backupFileKind(path: string): BackupFileKind {
  const head = Buffer.alloc(16);
  let n = 0;
  try {
    const fd = openSync(path, 'r');
    try {
      n = readSync(fd, head, 0, 16, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return 'unknown';
  }
  const b = head.subarray(0, n);
  if (b.toString('latin1') === 'SQLite format 3\0') return 'sqlite';
  if (b[0] === 0x1f && b[1] === 0x8b) return 'logical-gzip';
  if (b.toString('utf8').startsWith('{"format":')) return 'logical';
  return 'unknown';
}
