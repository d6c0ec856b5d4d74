/**
 * The metrics port. Core says what happened — a request to CSSM or a UC application was
 * answered, a sync ended, a chat command ran, a notification went out — as plain events;
 * the composition root (bin/) turns them into Prometheus series. Core never sees prom-client.
 *
 * Events are plain data (no functions, no URLs, no secrets) so that they can cross a worker
 * thread boundary: `smartlic bot` runs commands in workers that forward their events to the
 * process that serves `GET /metrics`. Labels are small closed sets or names from the command
 * registry, never hosts, accounts or user input.
 */

/** Who answered an HTTP request: CSSM cloud, a CSSM On-Prem satellite, or a UC application. */
export type PeerKind = 'cssm' | 'satellite' | 'cucm' | 'cuc' | 'cer';

/** Where a chat command came from. */
export type CommandPlatform = 'slack' | 'webex' | 'console';

export type MetricEvent =
  /** One attempt on the wire and its answer (`code` is the HTTP status, or `network_error`). */
  | { kind: 'http'; peer: PeerKind; code: string; ms: number }
  /** One account sync, from start to outcome. */
  | { kind: 'sync'; source: 'cssm' | 'satellite'; status: 'Completed' | 'Failed'; ms: number }
  /** One chat command: its verb (from the registry, `unknown` otherwise) and its reply status. */
  | { kind: 'command'; platform: CommandPlatform; verb: string; outcome: string }
  /** Time from receiving a chat request to acknowledging it (first answer on the terminal). */
  | { kind: 'ack'; platform: CommandPlatform; ms: number }
  /** One queued chat message handed to the platform: accepted, or deferred for a retry. */
  | { kind: 'notification'; platform: 'slack' | 'webex'; outcome: 'sent' | 'deferred' };

export interface Metrics {
  record(event: MetricEvent): void;
}

/** Records nothing: the default wherever no metrics are collected (CLI commands, tests). */
export const noMetrics: Metrics = { record: () => undefined };

/** Calls `metrics.record` and never lets a failing observer break the caller. */
export function recordSafely(metrics: Metrics | undefined, event: MetricEvent): void {
  if (!metrics) return;
  try {
    metrics.record(event);
  } catch {
    // A metrics sink must not change what the product does.
  }
}
