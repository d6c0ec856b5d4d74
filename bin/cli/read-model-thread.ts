/**
 * Keeps `smartlic bot`'s read-model thread (read-model-worker.ts) running: when it ends (out of
 * memory, a crash, terminated), it is started again after a pause that doubles with each end
 * in a row (1 s, 2 s, 4 s … at most a minute; back to 1 s once a thread has run for a minute),
 * and every command worker gets a new MessagePort to it. Meanwhile the command workers'
 * caches see their port close and compute whole-estate answers themselves, and say so
 * (core/reports/read-cache.ts, `computedHere`).
 *
 * The snapshots never cross this thread: it only hands each side one end of a channel.
 */
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { Logger } from '../../core/log.ts';

export interface ReadModelThreadOptions {
  /** Starts the thread (host.ts startReadModelWorker). */
  spawn: () => { worker: Worker; ready: Promise<Worker> };
  logger: Logger;
  /** First pause before a restart (ms); doubles per end in a row. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A thread that ran this long (ms) resets the pause to its minimum. */
  healthyAfterMs?: number;
}

export class ReadModelThread {
  private worker: Worker | undefined;
  private startedAt = 0;
  private endsInARow = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** The command workers fed by the thread: each gets a new port after a restart. */
  private readonly clients = new Set<Worker>();
  /** How many times the thread was started again. */
  restarts = 0;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly healthyAfterMs: number;

  constructor(private readonly o: ReadModelThreadOptions) {
    this.minBackoffMs = o.minBackoffMs ?? 1_000;
    this.maxBackoffMs = o.maxBackoffMs ?? 60_000;
    this.healthyAfterMs = o.healthyAfterMs ?? 60_000;
  }

  /** The running thread (undefined between an end and its restart). */
  get current(): Worker | undefined {
    return this.worker;
  }

  start(): void {
    if (this.closed) return;
    let spawned: ReturnType<ReadModelThreadOptions['spawn']>;
    try {
      spawned = this.o.spawn();
    } catch (e) {
      // Could not even be created (resources): the same backoff as an end.
      this.o.logger.error('could not start the read-model thread; commands compute alone', {
        error: e instanceof Error ? e.message : String(e),
      });
      this.retry(-1);
      return;
    }
    const { worker, ready } = spawned;
    this.worker = worker;
    this.startedAt = performance.now();
    // A thread that cannot start is an end like any other: the exit handler restarts it.
    ready.catch(() => undefined);
    worker.on('error', (e) =>
      this.o.logger.error('the read-model thread failed; commands compute alone until it is back', {
        error: e.message,
      }),
    );
    worker.once('exit', (code) => this.ended(worker, code));
    for (const c of this.clients) this.connect(c);
  }

  private ended(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    if (this.closed) return;
    if (performance.now() - this.startedAt >= this.healthyAfterMs) this.endsInARow = 0;
    this.retry(code);
  }

  private retry(code: number): void {
    const wait = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** this.endsInARow);
    this.endsInARow++;
    this.o.logger.error('the read-model thread ended; starting it again', {
      code,
      restartInMs: wait,
    });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.restarts++;
      this.start();
    }, wait);
  }

  /**
   * The command worker's end of a new channel to the running thread (for a worker about to
   * start: pass it in its workerData), or undefined when the thread is down (the worker gets
   * a port when it is back, through `serve`).
   */
  portFor(): MessagePort | undefined {
    const w = this.worker;
    if (!w) return undefined;
    const ch = new MessageChannel();
    w.postMessage({ port: ch.port1 }, [ch.port1]);
    return ch.port2;
  }

  /** Registers a started command worker: after each restart it gets `{ readModels: port }`. */
  serve(client: Worker): void {
    this.clients.add(client);
    client.once('exit', () => this.clients.delete(client));
  }

  private connect(client: Worker): void {
    const port = this.portFor();
    if (port) client.postMessage({ readModels: port }, [port]);
  }

  /** Stops the thread; it is not restarted after this. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
