/**
 * One long-running instance (`smartlic start` or `smartlic serve`) per database: the holder
 * writes `<db>.instance.lock` (pid, host, role, since, heartbeat) with an exclusive create;
 * a second instance refuses with INSTANCE_RUNNING naming the holder. CLI commands never take
 * it, so they keep working beside the running instance.
 *
 * A holder killed with `kill -9` leaves its file behind; it is stale, and taken over, when
 * the holder's pid is gone on this host, or when its heartbeat is older than `staleMs` (a
 * holder on another host sharing the file, or a pid reused after a crash).
 */
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Clock } from '../clock.ts';
import { SmartlicError } from '../errors.ts';
import { pidAlive } from './runner.ts';

export type InstanceRole = 'start' | 'serve';

export interface InstanceLockInfo {
  pid: number;
  host: string;
  role: InstanceRole;
  since: string;
  heartbeat: string;
}

export interface InstanceLockOptions {
  /** The database file the instance runs on; the lock is `<path>.instance.lock`. */
  dbPath: string;
  role: InstanceRole;
  clock: Clock;
  /** Refresh of the heartbeat (default 15 s). */
  heartbeatMs?: number;
  /** A heartbeat older than this marks the lock stale whatever the pid (default 2 min). */
  staleMs?: number;
  /** Seams for tests: this process's identity and the liveness probe. */
  pid?: number;
  host?: string;
  isAlive?: (pid: number) => boolean;
}

export interface InstanceLock {
  readonly path: string;
  readonly info: InstanceLockInfo;
  /** Removes the lock file if it is still ours; idempotent. */
  release(): void;
}

export function instanceLockPath(dbPath: string): string {
  return `${dbPath}.instance.lock`;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Reads the lock file; undefined when absent, null when it is not a lock (garbage). */
export function readInstanceLock(path: string): InstanceLockInfo | undefined | null {
  const text = readText(path);
  if (text === undefined) return undefined;
  return parseLock(text);
}

function parseLock(text: string): InstanceLockInfo | null {
  try {
    const v = JSON.parse(text) as Partial<InstanceLockInfo>;
    if (typeof v.pid !== 'number' || typeof v.host !== 'string') return null;
    return {
      pid: v.pid,
      host: v.host,
      role: v.role === 'serve' ? 'serve' : 'start',
      since: String(v.since ?? ''),
      heartbeat: String(v.heartbeat ?? v.since ?? ''),
    };
  } catch {
    return null;
  }
}

/**
 * Takes the database's instance lock or throws INSTANCE_RUNNING. Call it before touching
 * anything (no migration, no emulator, no re-pointing) so a refused second instance changes
 * nothing.
 */
export function acquireInstanceLock(opts: InstanceLockOptions): InstanceLock {
  const path = instanceLockPath(opts.dbPath);
  const me = opts.pid ?? process.pid;
  const host = opts.host ?? hostname();
  const alive = opts.isAlive ?? pidAlive;
  const staleMs = opts.staleMs ?? 120_000;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const since = opts.clock.now().toISOString();
  const info: InstanceLockInfo = { pid: me, host, role: opts.role, since, heartbeat: since };

  // The file appears whole or not at all: written aside, then hard-linked into place (link
  // fails when the name exists, which makes it the exclusive create).
  const mine = `${path}.${me}.tmp`;
  try {
    writeFileSync(mine, JSON.stringify(info), { mode: 0o644 });
  } catch (e) {
    throw lockIoError(path, e);
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(mine, path);
        return holdLock(path, info, opts.clock, heartbeatMs);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw lockIoError(path, e);
      }
      const text = readText(path);
      if (text === undefined) continue; // released meanwhile: try again
      const held = parseLock(text);
      const now = opts.clock.now().getTime();
      const beat = held ? Date.parse(held.heartbeat) : NaN;
      const stale =
        held === null ||
        (held.host === host && (held.pid === me || !alive(held.pid))) ||
        !Number.isFinite(beat) ||
        now - beat > staleMs;
      if (!stale) {
        throw new SmartlicError({
          code: 'INSTANCE_RUNNING',
          message: `another smartlic ${held.role} already runs on ${opts.dbPath}: pid ${held.pid} on ${held.host}, since ${held.since} (lock ${path})`,
          action: `stop that process first (kill ${held.pid} on ${held.host}, or Ctrl-C in its terminal), or point this one at another database with SMARTLIC_DB; CLI commands (smartlic ask "status", smartlic sync, …) work beside it`,
          details: { ...held, lock: path },
        });
      }
      // Take the stale file away; if what was moved is not what was judged stale (another
      // contender took over in between), put it back and look again.
      const aside = `${path}.stale-${me}-${attempt}`;
      try {
        renameSync(path, aside);
      } catch {
        continue;
      }
      if (readText(aside) !== text) {
        try {
          linkSync(aside, path);
        } catch {
          // A third contender holds the name now; the next look sees it.
        }
      }
      rmSync(aside, { force: true });
    }
  } finally {
    rmSync(mine, { force: true });
  }
  throw new SmartlicError({
    code: 'INSTANCE_RUNNING',
    message: `could not take the instance lock ${path}: other processes keep taking it`,
    action: 'make sure only one smartlic start/serve is started on this database, then retry',
  });
}

function lockIoError(path: string, e: unknown): SmartlicError {
  return new SmartlicError({
    code: 'DB',
    message: `cannot create the instance lock ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    action: 'check that the directory of the database exists and is writable',
    cause: e,
  });
}

function holdLock(
  path: string,
  info: InstanceLockInfo,
  clock: Clock,
  heartbeatMs: number,
): InstanceLock {
  let released = false;
  const ours = () => {
    const cur = readInstanceLock(path);
    return (
      cur != null && cur.pid === info.pid && cur.host === info.host && cur.since === info.since
    );
  };
  const timer = setInterval(() => {
    try {
      if (!ours()) return;
      info.heartbeat = clock.now().toISOString();
      // Written aside and renamed over: a reader never sees half a file.
      const tmp = `${path}.${info.pid}.beat`;
      writeFileSync(tmp, JSON.stringify(info));
      renameSync(tmp, path);
    } catch {
      // A missed beat only makes the lock look older; the next one tries again.
    }
  }, heartbeatMs);
  timer.unref();
  return {
    path,
    info,
    release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      try {
        if (ours()) rmSync(path, { force: true });
      } catch {
        // Nothing to release.
      }
    },
  };
}
