/**
 * What a full disk (or a failing one) looks like to the operator. SQLite says "database or disk
 * is full" (SQLITE_FULL) or, when the WAL index cannot grow, only "disk I/O error"
 * (SQLITE_IOERR); a file write says ENOSPC. Left as they are, every command answered
 * `INTERNAL: disk I/O error`. Here they become one DISK_FULL error that names the file, the
 * file system it lives on, how much is free there, and what to free.
 */
import { readFileSync, statfsSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { SmartlicError } from '../errors.ts';
import { damagedAction } from './integrity.ts';

/** Below this many free bytes an SQLite I/O error is taken for a full disk. */
const NEARLY_FULL_BYTES = 1024 * 1024;

export interface FreeSpace {
  /** Bytes an unprivileged writer may still use. */
  free: number;
  size: number;
  /** Mount point and type of the file system, when /proc says (Linux). */
  mount?: { point: string; type: string };
}

function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null | undefined)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** True for "no space left": ENOSPC / EDQUOT from a file write, SQLITE_FULL from SQLite. */
export function isNoSpace(e: unknown): boolean {
  const c = codeOf(e);
  return c === 'ENOSPC' || c === 'EDQUOT' || c === 'SQLITE_FULL';
}

/** The mount (point, type) that holds `dir`: the longest mount point that prefixes it. */
function mountOf(dir: string): { point: string; type: string } | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return undefined;
  }
  let best: { point: string; type: string } | undefined;
  for (const line of text.split('\n')) {
    const [, rawPoint, type] = line.split(' ');
    if (!rawPoint || !type) continue;
    // /proc/self/mounts escapes spaces and the like as octal (\040).
    const point = rawPoint.replace(/\\([0-7]{3})/g, (_m, o: string) =>
      String.fromCharCode(parseInt(o, 8)),
    );
    const inside = point === '/' || dir === point || dir.startsWith(`${point}${sep}`);
    if (inside && (!best || point.length >= best.point.length)) best = { point, type };
  }
  return best;
}

/** Free and total bytes of the file system holding `dir` (undefined when it cannot be read). */
export function freeSpace(dir: string): FreeSpace | undefined {
  try {
    const s = statfsSync(dir);
    const mount = mountOf(resolve(dir));
    return { free: s.bavail * s.bsize, size: s.blocks * s.bsize, ...(mount ? { mount } : {}) };
  } catch {
    return undefined;
  }
}

/** `12.3 MB`, `512 bytes`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function where(dir: string, space: FreeSpace | undefined): string {
  const fs = space?.mount
    ? `the file system ${space.mount.type} mounted at ${space.mount.point} (holding ${dir})`
    : `the file system holding ${dir}`;
  return space
    ? `${fs} has ${formatBytes(space.free)} free of ${formatBytes(space.size)}`
    : `${fs} cannot say how much is free`;
}

/**
 * DISK_FULL for a write to `path` that failed for lack of space. `what` names the file for the
 * operator ("the database", "the backup"). `cause` stays attached for --debug.
 */
export function diskFullError(path: string, cause: unknown, what = 'the file'): SmartlicError {
  const dir = dirname(resolve(path));
  const space = freeSpace(dir);
  // SQLite also says "full" when the database reached a size cap of its own (max_page_count)
  // or a quota stopped it while the file system still has room: say so instead of "disk full".
  const roomLeft = space !== undefined && space.free > 64 * NEARLY_FULL_BYTES;
  return new SmartlicError({
    code: 'DISK_FULL',
    message: roomLeft
      ? `${what} ${path} cannot grow: ${codeOf(cause) === 'SQLITE_FULL' ? 'SQLite reports the database or disk full' : 'the write was refused for lack of space'}, yet ${where(dir, space)} (a quota or a size limit stops it)`
      : `the disk is full: ${what} ${path} could not be written; ${where(dir, space)}`,
    action: roomLeft
      ? `raise the quota or size limit on ${dir}, or move the database (SMARTLIC_DB) to another file system; then retry (the failed write was rolled back)`
      : `free space on that file system (old backups from \`smartlic db backup\`, logs, the report site folder, other large files) or move the database (SMARTLIC_DB) to a larger one; then retry: the failed write was rolled back, nothing half-written was kept`,
    cause,
    details: {
      path,
      directory: dir,
      ...(space ? { freeBytes: space.free, sizeBytes: space.size } : {}),
      ...(space?.mount ? { mountPoint: space.mount.point, fileSystem: space.mount.type } : {}),
    },
  });
}

/**
 * The operator-facing error for an SQLite (or file) error on the database at `path`, or
 * undefined when it is not about storage. An I/O error with the disk (nearly) full is a full
 * disk; any other I/O error says the file could not be read or written, and where.
 */
export function storageError(
  e: unknown,
  path: string,
  what = 'the database',
): SmartlicError | undefined {
  if (e instanceof SmartlicError) return undefined;
  const code = codeOf(e);
  if (!code) return undefined;
  if (isNoSpace(e)) return diskFullError(path, e, what);
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(code)) {
    return new SmartlicError({
      code: 'DB_CORRUPT',
      message: `${what} ${path} is damaged: SQLite says "${e instanceof Error ? e.message : code}" (\`smartlic doctor\` checks the whole file)`,
      action: damagedAction(path),
      cause: e,
      details: { path, sqliteCode: code },
    });
  }
  if (!code.startsWith('SQLITE_IOERR')) return undefined;
  const dir = dirname(resolve(path));
  const space = freeSpace(dir);
  if (space && space.free < NEARLY_FULL_BYTES) return diskFullError(path, e, what);
  return new SmartlicError({
    code: 'DB_IO',
    message: `SQLite could not read or write ${what} ${path} (${e instanceof Error ? e.message : code}); ${where(dir, space)}`,
    action: `check that ${dir} is writable and its disk healthy (the kernel log, dmesg, says why a device fails); then retry`,
    cause: e,
    details: { path, directory: dir, sqliteCode: code },
  });
}
