/**
 * The alert event port: what changed in the stored alert state, for delivery (bot/notify
 * subscribes). The alert service publishes after the evaluation's transaction has committed,
 * so a listener always finds the alert in the store as the event describes it.
 */
import type { Alert } from '../store/repositories/alerts.repository.ts';
import type { Logger } from '../log.ts';

export type AlertEventKind = 'opened' | 'changed' | 'resolved';

export interface AlertEvent {
  kind: AlertEventKind;
  /** Evaluation time (the clock of the sync that produced it). */
  at: Date;
  /** The alert as stored after the change (its `mute` says whether a mute covers it). */
  alert: Alert;
  /** `opened` only: the same key had resolved before and holds again. */
  reopened: boolean;
  /** `changed` only: the alert before the change. */
  previous?: Alert;
  /** `changed` only: what moved (severity up or down, the title's days left, the facts). */
  changes: ('severity' | 'title' | 'facts')[];
  /** A mute covers the alert: stored and listed, but not to be delivered. */
  muted: boolean;
  /** The evaluation that produced it: `sa:<id>` or `global`. */
  scope: string;
}

export type AlertListener = (event: AlertEvent) => void | Promise<void>;

export interface SubscribeOptions {
  /** Also receive events of muted alerts (history views); delivery leaves this off. */
  includeMuted?: boolean;
}

export class AlertEvents {
  private readonly listeners = new Set<{ fn: AlertListener; includeMuted: boolean }>();

  constructor(private readonly logger?: Logger) {}

  /** Calls `listener` for every event from now on; returns the unsubscribe function. */
  subscribe(listener: AlertListener, opts: SubscribeOptions = {}): () => void {
    const entry = { fn: listener, includeMuted: opts.includeMuted === true };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /**
   * Hands `events` to every listener in order and waits for them. A listener that throws or
   * rejects is logged and skipped; it never fails the evaluation or another listener.
   */
  async publish(events: readonly AlertEvent[]): Promise<void> {
    for (const e of events) {
      for (const l of [...this.listeners]) {
        if (e.muted && !l.includeMuted) continue;
        try {
          await l.fn(e);
        } catch (err) {
          this.logger?.warn('alert listener failed', { error: err, alert: e.alert.dedupeKey });
        }
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
