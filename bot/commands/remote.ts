/**
 * The command layer in worker threads. better-sqlite3 reads are synchronous: a read model over
 * a large database holds the thread that runs it. Run there, it would hold Bolt's receiver
 * too, and acks would wait behind it. So the process that owns the HTTP listener only
 * receives, verifies, acks and sends; commands run in workers (each with its own connection),
 * and come back as messages.
 */
import type { MessagePort } from 'node:worker_threads';
import type { MetricEvent, Metrics } from '../../core/index.ts';
import type { CommandLayer, ExecuteOptions, Outcome } from './layer.ts';
import type { Actor } from './registry.ts';
import { errorReply, forChat, type Reply } from './reply.ts';

/** What an adapter needs of the command layer (CommandLayer itself, or its remote form). */
export interface CommandRunner {
  execute(line: string, actor: Actor, opts?: ExecuteOptions): Promise<Outcome>;
}

type Request = { id: number; line: string; actor: Actor; opts: ExecuteOptions };
type Response =
  | { id: number; kind: 'reply'; reply: Reply; followUp: boolean }
  | { id: number; kind: 'followUp'; reply: Reply }
  | { id: 0; kind: 'metric'; event: MetricEvent }
  /** Answer to `{ close: true }`: the worker wrote what it held (queued audit entries). */
  | { id: 0; kind: 'closed' };

/**
 * Worker side of metrics: each event goes to the main thread, which records it where
 * `GET /metrics` reads (RemoteCommandLayer's `metrics`).
 */
export function forwardMetrics(port: Port | MessagePort): Metrics {
  return {
    record: (event) => port.postMessage({ id: 0, kind: 'metric', event } satisfies Response),
  };
}

/** A port to a worker: what `worker_threads.Worker` and `parentPort` have in common. */
export interface Port {
  postMessage(m: unknown): void;
  on(event: 'message', fn: (m: unknown) => void): unknown;
}

/**
 * Worker side: answers requests from the main thread with `layer`. On `{ close: true }` (the
 * bot stopping) runs `onClose` and says `closed`, so that the main thread ends it after.
 */
export function serveCommands(
  layer: CommandLayer,
  port: Port | MessagePort,
  onClose?: () => Promise<void>,
): void {
  port.on('message', (m: unknown) => {
    if ((m as { close?: boolean } | null)?.close === true) {
      void (onClose?.() ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => port.postMessage({ id: 0, kind: 'closed' } satisfies Response));
      return;
    }
    const r = m as Request;
    // The same port carries other word from the main thread (a new read-model port).
    if (typeof r?.line !== 'string') return;
    void (async () => {
      let o: Outcome;
      try {
        o = await layer.execute(r.line, r.actor, r.opts);
      } catch (e) {
        o = { reply: errorReply('command failed', e instanceof Error ? e.message : String(e)) };
      }
      port.postMessage({
        id: r.id,
        kind: 'reply',
        reply: chatMessage(o.reply),
        followUp: o.followUp !== undefined,
      } satisfies Response);
      if (o.followUp) {
        const f = await o.followUp.catch((e: unknown) =>
          errorReply('job follow-up failed', e instanceof Error ? e.message : String(e)),
        );
        port.postMessage({ id: r.id, kind: 'followUp', reply: chatMessage(f) } satisfies Response);
      }
    })();
  });
}

/**
 * What of a reply crosses to the main thread: the chat adapters there render it (forChat: long
 * tables cut to their first rows) and never read its typed `data`. The whole-estate answers
 * carry every cluster in both (10,000 rows at scale 1000): copied whole, the thread that acks
 * would spend tens of ms decoding what no message shows.
 */
function chatMessage(reply: Reply): Reply {
  const { data: _data, ...rest } = forChat(reply);
  return rest;
}

/** A worker as the main side needs it: messages, and word of its end. */
export interface WorkerPort extends Port {
  once(event: 'exit', fn: (code: number) => void): unknown;
  once(event: 'error', fn: (e: Error) => void): unknown;
  terminate(): Promise<number>;
}

interface Slot {
  port: WorkerPort | undefined;
  /** Settles when the slot has a running worker again (after a replacement). */
  ready: Promise<WorkerPort>;
  busy: number;
  /** Why the last worker of this slot ended (shown to those whose command it held). */
  lastError?: Error;
}

/**
 * Main side: sends each command to the least busy worker. A worker that ends (out of memory,
 * a crash) answers every command it held with an error, and a new one takes its place.
 */
export class RemoteCommandLayer implements CommandRunner {
  private seq = 0;
  private readonly waiting = new Map<
    number,
    { slot: Slot; reply: (o: Outcome) => void; followUp?: (r: Reply) => void }
  >();
  private readonly slots: Slot[];
  private closed = false;

  constructor(
    workers: readonly WorkerPort[],
    private readonly opts: {
      /** Where the workers' metric events are recorded (see forwardMetrics). */
      metrics?: Metrics;
      /** Starts a worker in place of one that ended; none: the slot stays empty. */
      replace?: () => Promise<WorkerPort>;
      /** Told when a worker ended on its own and how many commands it held. */
      onWorkerEnd?: (info: { code: number; error?: Error; commands: number }) => void;
    } = {},
  ) {
    this.slots = workers.map((w) => {
      const slot: Slot = { port: w, ready: Promise.resolve(w), busy: 0 };
      this.attach(slot, w);
      return slot;
    });
  }

  private attach(slot: Slot, w: WorkerPort): void {
    w.on('message', (m: unknown) => {
      const r = m as Response;
      if (r.kind === 'metric') {
        this.opts.metrics?.record(r.event);
        return;
      }
      if (r.kind === 'closed') return;
      const w8 = this.waiting.get(r.id);
      if (!w8) return;
      if (r.kind === 'reply') {
        if (!r.followUp) {
          this.waiting.delete(r.id);
          slot.busy--;
          w8.reply({ reply: r.reply });
          return;
        }
        const followUp = new Promise<Reply>((resolve) => (w8.followUp = resolve));
        w8.reply({ reply: r.reply, followUp });
      } else {
        this.waiting.delete(r.id);
        slot.busy--;
        w8.followUp?.(r.reply);
      }
    });
    w.once('error', (e) => (slot.lastError = e));
    w.once('exit', (code) => this.ended(slot, w, code));
  }

  private ended(slot: Slot, w: WorkerPort, code: number): void {
    if (slot.port !== w) return;
    slot.port = undefined;
    const error = slot.lastError;
    slot.lastError = undefined;
    const held = [...this.waiting].filter(([, x]) => x.slot === slot);
    const why = error?.message ?? `it exited with code ${code}`;
    const failed = errorReply(
      'command failed',
      `The command worker stopped while running this command: ${why}.`,
      (error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? 'Raise bot.workerHeapMb in the configuration (the command needed more memory), then retry.'
        : 'Retry the command; a new worker has taken its place.',
    );
    for (const [id, x] of held) {
      this.waiting.delete(id);
      if (x.followUp) x.followUp(failed);
      else x.reply({ reply: failed });
    }
    slot.busy = 0;
    if (!this.closed)
      this.opts.onWorkerEnd?.({ code, ...(error ? { error } : {}), commands: held.length });
    const replace = this.opts.replace;
    if (this.closed || !replace) {
      slot.ready = Promise.reject(
        new Error(this.closed ? 'the bot is stopping' : `the command worker stopped: ${why}`),
      );
      slot.ready.catch(() => undefined);
      return;
    }
    slot.ready = replace().then((next) => {
      if (this.closed) {
        void next.terminate();
        throw new Error('the bot is stopping');
      }
      slot.port = next;
      this.attach(slot, next);
      return next;
    });
    slot.ready.catch(() => undefined);
  }

  execute(line: string, actor: Actor, opts: ExecuteOptions = {}): Promise<Outcome> {
    const id = ++this.seq;
    // The least busy worker that is running; one being replaced only when none is.
    let k = -1;
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i]!;
      if (!s.port) continue;
      if (k < 0 || s.busy < this.slots[k]!.busy) k = i;
    }
    const slot = this.slots[k < 0 ? 0 : k]!;
    slot.busy++;
    return new Promise<Outcome>((resolve) => {
      this.waiting.set(id, { slot, reply: resolve });
      slot.ready.then(
        (port) => port.postMessage({ id, line, actor, opts } satisfies Request),
        (e: unknown) => {
          this.waiting.delete(id);
          slot.busy--;
          resolve({
            reply: errorReply(
              'command failed',
              `No command worker is running: ${e instanceof Error ? e.message : String(e)}.`,
              'Restart smartlic bot; its log says why the worker stopped.',
            ),
          });
        },
      );
    });
  }

  /**
   * Ends every worker; none is replaced after this. Each is first asked to write what it still
   * holds (its queued audit entries) and given up to `drainMs` for it.
   */
  async close(drainMs = 6_000): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.flatMap((s) => (s.port ? [drain(s.port, drainMs)] : [])));
  }
}

async function drain(w: WorkerPort, ms: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    w.on('message', (m: unknown) => {
      if ((m as Response | null)?.kind === 'closed') done();
    });
    w.once('exit', done);
    w.postMessage({ close: true });
  });
  await w.terminate();
}
