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
export type CommandPlatform = 'slack' | 'webex' | 'console' | 'mcp';

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
  | { kind: 'notification'; platform: 'slack' | 'webex'; outcome: 'sent' | 'deferred' }
  /** A request whose handling threw on an HTTP listener (chat callbacks, or the site): a 500. */
  | { kind: 'listener_error'; listener: 'chat' | 'site' }
  /** A verified chat event that could not be turned into a command (why: a closed set). */
  | { kind: 'chat_event_dropped'; platform: 'slack' | 'webex'; reason: ChatEventDropReason };

/**
 * Why a verified chat event was not processed: its body was not the platform's shape, it was
 * for another webhook, the platform's API could not give its message or action, or handling it
 * failed.
 */
export type ChatEventDropReason = 'malformed' | 'other_webhook' | 'fetch_failed' | 'failed';

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
