/**
 * A command worker of `smartlic bot` (see bot/commands/remote.ts): its own runtime (database
 * connection, services) and a read-only connection for the read models; it answers the main
 * thread's commands until the process ends.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { forwardMetrics, serveCommands } from '../../bot/commands/index.ts';
import { reports, store } from '../../core/index.ts';
import { isMemoryPath, openDatabase } from '../../core/store/index.ts';
import { commandLayer } from './chat.ts';
import { openRuntime } from './runtime.ts';

// Commands are background work next to the acks: on a busy machine the scheduler should run
// the thread that acks first. Linux keeps a nice value per thread, so this thread (and the
// threads it starts) runs at nice 10 and the main thread keeps its priority. Elsewhere, or
// when /proc is not there, it stays as it is.
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
} catch {
  /* not Linux: same priority as the main thread */
}

const { env, readModels } = workerData as { env: NodeJS.ProcessEnv; readModels?: MessagePort };
// Commands, and the syncs and requests they cause, are counted in the main thread's metrics.
const rt = await openRuntime(
  {
    io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env, isTty: false },
    debug: false,
  },
  { metrics: forwardMetrics(parentPort!) },
);
// A second, read-only SQLite connection for reads; PostgreSQL's pool already reads beside writes.
const reader =
  rt.handle.kind === 'postgres' || isMemoryPath(rt.config.db.path)
    ? undefined
    : openDatabase({ path: rt.config.db.path, readonly: true, clock: rt.clock });
const db = reader?.db ?? rt.db;
// The whole-estate answers come from the read-model thread (read-model-worker.ts), if any;
// when that thread is restarted (bin/cli/read-model-thread.ts), a port to the new one comes.
const cache = reports.readCache(db);
if (readModels) cache.attach(readModels);
parentPort!.on('message', (m: unknown) => {
  const port = (m as { readModels?: MessagePort } | null)?.readModels;
  if (port) cache.attach(port);
});
// Audit entries on a connection of their own that never waits for the write lock: a sync in
// another process holds it for most of its run, and better-sqlite3 waits synchronously, so an
// awaited insert held this thread and every answer queued behind it (core/store/audit-queue.ts).
const audit = reader
  ? new store.AuditQueue({
      handle: openDatabase({ path: rt.config.db.path, busyTimeoutMs: 0, clock: rt.clock }),
      clock: rt.clock,
      logger: rt.logger,
    })
  : undefined;
// Before the main thread ends this worker (terminate), it asks it to write what is queued.
serveCommands(commandLayer(rt, db, audit), parentPort!, async () => {
  await audit?.close();
});
parentPort!.postMessage({ ready: true });
