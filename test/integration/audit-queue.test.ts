// Real: SQLite in a temp file, migrated, the queue's own connection opened by core/store with a
// busy timeout of 0, and a second better-sqlite3 connection to the same file (in this process,
// or in a child Node process) that holds the write lock (BEGIN IMMEDIATE) the way a sync in
// another process does. Nothing faked; the clock
// is a TestClock only to fix the entries' times.
// What is checked: an audit entry never waits for another connection's write lock (issue 23:
// answers during a sync waited for their audit insert), is written at once when the lock is
// free, is written in order once the lock is released, and close() writes what is queued.
// Covers core/store/audit-queue.ts.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import { createLogger } from '../../core/log.ts';
import {
  AuditQueue,
  migrateToLatest,
  openDatabase,
  type DatabaseHandle,
} from '../../core/store/index.ts';

let dir: string;
let path: string;
let setupHandle: DatabaseHandle;
let other: BetterSqlite3.Database;
let queue: AuditQueue | undefined;
const logged: string[] = [];
const clock = new TestClock('2026-12-08T05:00:00Z');
const logger = createLogger({
  level: 'error',
  write: (l) => logged.push(l),
  now: () => clock.now(),
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smartlic-audit-queue-'));
  path = join(dir, 'db.sqlite');
  setupHandle = openDatabase({ path });
  await migrateToLatest(setupHandle.db);
  other = new BetterSqlite3(path);
  logged.length = 0;
});

afterEach(async () => {
  if (other.inTransaction) other.exec('ROLLBACK');
  other.close();
  await queue?.close();
  queue = undefined;
  await setupHandle.close();
  rmSync(dir, { recursive: true, force: true });
});

const newQueue = () =>
  new AuditQueue({
    handle: openDatabase({ path, busyTimeoutMs: 0, clock }),
    clock,
    logger,
    minRetryMs: 5,
    maxRetryMs: 40,
  });
const rows = () =>
  other.prepare('SELECT actor, entity_id AS entityId FROM audit_log ORDER BY id').all() as {
    actor: string;
    entityId: string | null;
  }[];
const entry = (n: number) => ({
  actor: `slack:U${n}`,
  action: 'chat command',
  entityType: 'chat',
  entityId: `verb${n}`,
  details: { outcome: 'ok' },
});
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('not within time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

it('writes at once when nobody holds the lock', async () => {
  queue = newQueue();
  await queue.append(entry(1));
  expect(rows()).toEqual([{ actor: 'slack:U1', entityId: 'verb1' }]);
  expect(queue.queued).toBe(0);
});

it('does not wait for a lock another connection holds, and writes in order once it is free', async () => {
  queue = newQueue();
  other.exec('BEGIN IMMEDIATE');
  const t0 = performance.now();
  for (let n = 1; n <= 3; n++) await queue.append(entry(n));
  // A connection with the default busy timeout would wait here up to 5 s for the lock.
  expect(performance.now() - t0).toBeLessThan(500);
  expect(queue.queued).toBe(3);
  expect(queue.stats.busy).toBeGreaterThan(0);
  other.exec('ROLLBACK');
  await until(() => queue!.queued === 0);
  expect(rows().map((r) => r.entityId)).toEqual(['verb1', 'verb2', 'verb3']);
  // Later entries go at once again.
  await queue.append(entry(4));
  expect(rows().map((r) => r.entityId)).toEqual(['verb1', 'verb2', 'verb3', 'verb4']);
  expect(logged).toEqual([]);
});

it('close() writes what is queued, waiting for a lock held by another process', async () => {
  queue = newQueue();
  // Another process (better-sqlite3 waits synchronously: a holder in this thread could not
  // let go while close() waits) takes the lock, says so, and lets go 300 ms later.
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const D = require('better-sqlite3'); const db = new D(process.argv[1]);
       db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked');
       setTimeout(() => { db.exec('COMMIT'); db.close(); }, 300);`,
      path,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((r) => holder.stdout.once('data', () => r()));
  await queue.append(entry(1));
  expect(queue.queued).toBe(1);
  await queue.close();
  queue = undefined;
  expect(rows().map((r) => r.entityId)).toEqual(['verb1']);
  await new Promise((r) => holder.once('exit', r));
});

it('an error other than a held lock is logged, the entry dropped, and the queue goes on', async () => {
  queue = newQueue();
  other.exec('DROP TABLE audit_log');
  await queue.append(entry(1));
  expect(queue.queued).toBe(0);
  expect(logged.join('\n')).toContain('could not write the audit entries of chat commands');
});
