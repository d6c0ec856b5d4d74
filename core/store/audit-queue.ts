/**
 * Audit entries written without waiting for another process's write lock (issue 23).
 *
 * Every chat command appends one `audit_log` row before its answer goes. SQLite has one writer
 * at a time: while a sync in another process writes, an insert on a connection with a busy
 * timeout waits for the lock, and better-sqlite3 waits synchronously, so the command thread
 * (and every command queued behind it) stood still — answers during a sync took seconds though
 * their reads (WAL) never wait. Here the entry is tried at once on a connection whose busy
 * timeout is 0: when the lock is free (no sync) it is written before `append` returns, as
 * before; when it is held, the entry stays in order in memory and is written by a retry a few
 * ms later (backing off to `maxRetryMs`), with every entry queued since in one transaction.
 * `close()` writes what is left, waiting for the lock like any writer.
 *
 * What can be lost: entries still queued when the process is killed (a crash while a sync held
 * the lock); they are at most the commands of the last retry interval.
 */
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { DatabaseHandle } from './database.ts';
import { AuditRepository, type AuditInput } from './repositories/audit.repository.ts';

export interface AuditQueueOptions {
  /** A writable SQLite connection of its own, opened with `busyTimeoutMs: 0`. */
  handle: DatabaseHandle;
  clock: Clock;
  logger: Logger;
  /** First retry after a busy lock (ms); doubles up to maxRetryMs. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** Busy timeout (ms) of the last write at close. */
  closeTimeoutMs?: number;
}

/** SQLite said another connection holds the lock (busy_timeout 0 says so at once). */
function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED');
}

export class AuditQueue {
  private readonly pending: AuditInput[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;
  private retryMs: number;
  private closed = false;
  /** Writes that found the lock held (each retried later), and entries written. */
  readonly stats = { busy: 0, written: 0 };

  constructor(private readonly o: AuditQueueOptions) {
    this.retryMs = o.minRetryMs ?? 10;
  }

  /** Entries not written yet (the lock was held when they came). */
  get queued(): number {
    return this.pending.length;
  }

  /**
   * Queues `e` (its `at` fixed now) and, unless a retry is already waiting for the lock,
   * writes the queue at once. Resolves when that attempt ended, written or not: it never waits
   * for the lock. Errors other than a held lock are logged (the entry is dropped, as the
   * command layer did when an append failed).
   */
  async append(e: AuditInput): Promise<void> {
    if (this.closed) throw new Error('the audit queue is closed');
    this.pending.push({ ...e, at: e.at ?? this.o.clock.now() });
    if (this.timer === undefined) await this.flush();
  }

  private async flush(): Promise<void> {
    // One write at a time: an entry that came during a write is written right after it.
    while (this.flushing) await this.flushing;
    if (this.timer !== undefined || this.pending.length === 0) return;
    this.flushing = this.write().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending.slice();
    try {
      await this.o.handle.db.transaction().execute(async (trx) => {
        const repo = new AuditRepository(trx, undefined, this.o.clock);
        for (const e of batch) await repo.append(e);
      });
      this.pending.splice(0, batch.length);
      this.stats.written += batch.length;
      this.retryMs = this.o.minRetryMs ?? 10;
    } catch (e) {
      if (isBusy(e) && !this.closed) {
        this.stats.busy++;
        this.retryLater();
        return;
      }
      this.pending.splice(0, batch.length);
      this.o.logger.error('could not write the audit entries of chat commands', {
        entries: batch.length,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  private retryLater(): void {
    if (this.timer !== undefined) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(this.o.maxRetryMs ?? 250, this.retryMs * 2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  /** Writes what is queued, waiting for the lock (closeTimeoutMs), then closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    this.o.handle.sqlite.pragma(`busy_timeout = ${this.o.closeTimeoutMs ?? 5000}`);
    await this.flush();
    await this.o.handle.close();
  }
}
