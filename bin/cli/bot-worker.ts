/**
 * A command worker of `smartlic bot` (see bot/commands/remote.ts): its own runtime (database
 * connection, services) and a read-only connection for the read models; it answers the main
 * thread's commands until the process ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { forwardMetrics, serveCommands } from '../../bot/commands/index.ts';
import { isMemoryPath, openDatabase } from '../../core/store/index.ts';
import { commandLayer } from './chat.ts';
import { openRuntime } from './runtime.ts';

const env = (workerData as { env: NodeJS.ProcessEnv }).env;
// Commands, and the syncs and requests they cause, are counted in the main thread's metrics.
const rt = await openRuntime(
  {
    io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env, isTty: false },
    debug: false,
  },
  { metrics: forwardMetrics(parentPort!) },
);
const reader = isMemoryPath(rt.config.db.path)
  ? undefined
  : openDatabase({ path: rt.config.db.path, readonly: true, clock: rt.clock });
serveCommands(commandLayer(rt, reader?.db ?? rt.db), parentPort!);
parentPort!.postMessage({ ready: true });
