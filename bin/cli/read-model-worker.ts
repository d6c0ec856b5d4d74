/**
 * The read-model thread of `smartlic bot` (issue 23): computes the whole-estate answers
 * (`status`, `clusters`, `alerts`, core/reports/whole-estate.ts) after each write and sends
 * them to the command workers, so a command never waits for a recomputation and a command
 * that needs none of them never queues behind one (core/reports/read-model-refresher.ts).
 *
 * Each command worker gets a MessagePort of its own (the main thread sends `{ port }` with the
 * port transferred): snapshots go straight from this thread to the worker, never through the
 * thread that acks.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { reports } from '../../core/index.ts';
import { createRepositories, isMemoryPath, openDatabase } from '../../core/store/index.ts';
import { openRuntime } from './runtime.ts';

// Background work next to the acks and the commands: same nice value as a command worker
// (bot-worker.ts), so the scheduler runs the acking thread first.
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
} catch {
  /* not Linux: same priority as the main thread */
}

const env = (workerData as { env: NodeJS.ProcessEnv }).env;
const rt = await openRuntime({
  io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env, isTty: false },
  debug: false,
});
const reader =
  rt.handle.kind === 'postgres' || isMemoryPath(rt.config.db.path)
    ? undefined
    : openDatabase({ path: rt.config.db.path, readonly: true, clock: rt.clock });
const db = reader?.db ?? rt.db;

const ports = new Set<MessagePort>();
const latest = new Map<string, reports.ReadModelSnapshot>();
const send = (port: MessagePort, s: reports.ReadModelSnapshot) => {
  const { message, transfer } = reports.snapshotMessage(s);
  port.postMessage(message, transfer);
};

const refresher = new reports.ReadModelRefresher({
  db,
  clock: rt.clock,
  logger: rt.logger,
  compute: (snap, now) =>
    reports.wholeEstateModels(
      snap,
      (filter, at) => createRepositories(snap, rt.secrets, rt.clock).alerts.list(filter, at),
      now,
    ),
  publish: (s) => {
    latest.set(s.key, s);
    for (const p of ports) send(p, s);
  },
});

parentPort!.on('message', (m: unknown) => {
  const port = (m as { port?: MessagePort }).port;
  if (!port) return;
  ports.add(port);
  port.on('message', (a: unknown) => {
    if ((a as reports.ReadModelMessage).kind === 'asked') refresher.asked();
  });
  port.once('close', () => ports.delete(port));
  // A worker started (or replaced) after a round gets that round's answers at once.
  for (const s of latest.values()) send(port, s);
});
refresher.start();
parentPort!.postMessage({ ready: true });
