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
import { errorReply, type Reply } from './reply.ts';

/** What an adapter needs of the command layer (CommandLayer itself, or its remote form). */
export interface CommandRunner {
  execute(line: string, actor: Actor, opts?: ExecuteOptions): Promise<Outcome>;
}

type Request = { id: number; line: string; actor: Actor; opts: ExecuteOptions };
type Response =
  | { id: number; kind: 'reply'; reply: Reply; followUp: boolean }
  | { id: number; kind: 'followUp'; reply: Reply }
  | { id: 0; kind: 'metric'; event: MetricEvent };

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

/** Worker side: answers requests from the main thread with `layer`. */
export function serveCommands(layer: CommandLayer, port: Port | MessagePort): void {
  port.on('message', (m: unknown) => {
    const r = m as Request;
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
        reply: o.reply,
        followUp: o.followUp !== undefined,
      } satisfies Response);
      if (o.followUp) {
        const f = await o.followUp.catch((e: unknown) =>
          errorReply('job follow-up failed', e instanceof Error ? e.message : String(e)),
        );
        port.postMessage({ id: r.id, kind: 'followUp', reply: f } satisfies Response);
      }
    })();
  });
}

/** Main side: sends each command to the least busy worker. */
export class RemoteCommandLayer implements CommandRunner {
  private seq = 0;
  private readonly waiting = new Map<
    number,
    { reply: (o: Outcome) => void; followUp?: (r: Reply) => void }
  >();
  private readonly busy: number[];

  constructor(
    private readonly workers: readonly Port[],
    /** Where the workers' metric events are recorded (see forwardMetrics). */
    private readonly metrics?: Metrics,
  ) {
    this.busy = workers.map(() => 0);
    workers.forEach((w, i) =>
      w.on('message', (m: unknown) => {
        const r = m as Response;
        if (r.kind === 'metric') {
          this.metrics?.record(r.event);
          return;
        }
        const w8 = this.waiting.get(r.id);
        if (!w8) return;
        if (r.kind === 'reply') {
          if (!r.followUp) {
            this.waiting.delete(r.id);
            this.busy[i]!--;
            w8.reply({ reply: r.reply });
            return;
          }
          const followUp = new Promise<Reply>((resolve) => (w8.followUp = resolve));
          w8.reply({ reply: r.reply, followUp });
        } else {
          this.waiting.delete(r.id);
          this.busy[i]!--;
          w8.followUp?.(r.reply);
        }
      }),
    );
  }

  execute(line: string, actor: Actor, opts: ExecuteOptions = {}): Promise<Outcome> {
    const id = ++this.seq;
    let k = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.busy[i]! < this.busy[k]!) k = i;
    this.busy[k]!++;
    return new Promise<Outcome>((resolve) => {
      this.waiting.set(id, { reply: resolve });
      this.workers[k]!.postMessage({ id, line, actor, opts } satisfies Request);
    });
  }
}
