/**
 * The Prometheus side of core's metrics port (core/metrics.ts), built by the composition root:
 * one prom-client Registry per process, the counters and histograms core's events feed, the
 * gauges read from the store at scrape time through a core read model
 * (reports.operationalCounts), and the `GET /metrics` handler for the one HTTP listener
 * (bot/http.ts, `ChatRoutes.metrics`).
 *
 * Labels are closed sets (peer kind, status code, sync status, platform, registry verbs, alert
 * rules and severities): no host, account, user, URL or token ever becomes a label.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LeadershipStatus } from '../../core/services/leadership.ts';
import type { Logger, MetricEvent, Metrics, reports } from '../../core/index.ts';

export interface PromMetrics {
  /** What core, the command layer, the notifier and the listener are handed. */
  metrics: Metrics;
  registry: Registry;
  /** The Prometheus text exposition (what GET /metrics answers). */
  scrape: () => Promise<string>;
  /** `GET /metrics` for bot/http.ts (ChatRoutes.metrics). */
  route: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface PromMetricsOptions {
  /** The store's open alerts and queued messages, read at every scrape. */
  counts?: () => Promise<reports.OperationalCounts>;
  /** Where a failed store read or scrape is logged (the runtime's logger, once it exists). */
  log?: () => Logger | undefined;
  /** Process metrics (RSS, CPU, event loop lag, heap). Default true. */
  processMetrics?: boolean;
  /** Who leads (several instances on one database); read at every scrape. */
  leader?: () => Promise<LeadershipStatus | undefined>;
}

const SYNC_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const HTTP_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// Slack wants its ack within 3 s: the buckets are fine below that.
const ACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5];

export function createPromMetrics(opts: PromMetricsOptions = {}): PromMetrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const syncs = new Counter({
    name: 'smartlic_syncs_total',
    help: 'Account syncs by source (cssm, satellite) and outcome (Completed, Failed).',
    labelNames: ['source', 'status'],
    registers,
  });
  const syncDuration = new Histogram({
    name: 'smartlic_sync_duration_seconds',
    help: 'Duration of one account sync, by source and outcome.',
    labelNames: ['source', 'status'],
    buckets: SYNC_BUCKETS,
    registers,
  });
  const http = new Counter({
    name: 'smartlic_http_requests_total',
    help: 'Requests to CSSM, satellites and UC applications, by peer kind (cssm, satellite, cucm, cuc, cer) and HTTP status (network_error when no answer came). Retries count.',
    labelNames: ['peer', 'code'],
    registers,
  });
  const httpDuration = new Histogram({
    name: 'smartlic_http_request_duration_seconds',
    help: 'Time of one request attempt to CSSM, a satellite or a UC application, by peer kind.',
    labelNames: ['peer'],
    buckets: HTTP_BUCKETS,
    registers,
  });
  const commands = new Counter({
    name: 'smartlic_commands_total',
    help: 'Chat commands by platform, verb (unknown when none matched) and outcome (ok, error, denied, usage, unknown-verb, confirm-asked, job-started).',
    labelNames: ['platform', 'verb', 'outcome'],
    registers,
  });
  const acks = new Histogram({
    name: 'smartlic_ack_duration_seconds',
    help: 'Time from receiving a chat request to acknowledging it (Slack, Webex: the HTTP answer; console: the first reply).',
    labelNames: ['platform'],
    buckets: ACK_BUCKETS,
    registers,
  });
  const notifications = new Counter({
    name: 'smartlic_notifications_total',
    help: 'Alert messages handed to a chat platform: sent, or deferred for a retry.',
    labelNames: ['platform', 'outcome'],
    registers,
  });

  const listenerErrors = new Counter({
    name: 'smartlic_listener_errors_total',
    help: 'Requests whose handling threw, answered 500, by listener (chat: the bot listener; site: the static site server).',
    labelNames: ['listener'],
    registers,
  });
  const droppedEvents = new Counter({
    name: 'smartlic_chat_events_dropped_total',
    help: 'Verified chat events that ran no command, by platform and reason (malformed, other_webhook, fetch_failed, failed).',
    labelNames: ['platform', 'reason'],
    registers,
  });

  const counts = opts.counts;
  // Read at scrape time: what the store holds now, whichever process wrote it. One read serves
  // both gauges of a scrape.
  let pending: Promise<reports.OperationalCounts | undefined> | undefined;
  const read = () =>
    (pending ??= (counts ? counts() : Promise.resolve(undefined))
      .catch((e: unknown) => {
        opts.log?.()?.warn('metrics: cannot read the store', { error: e });
        return undefined;
      })
      .finally(() => setImmediate(() => (pending = undefined))));
  new Gauge({
    name: 'smartlic_open_alerts',
    help: 'Open alerts by rule and severity (muted ones included).',
    labelNames: ['rule', 'severity'],
    registers,
    async collect() {
      const c = await read();
      this.reset();
      for (const a of c?.openAlerts ?? []) {
        this.set({ rule: a.rule, severity: a.severity }, a.count);
      }
    },
  });
  new Gauge({
    name: 'smartlic_notifications_queued',
    help: 'Chat messages waiting in the outbox, by platform.',
    labelNames: ['platform'],
    registers,
    async collect() {
      const c = await read();
      this.reset();
      for (const q of c?.queuedNotifications ?? []) this.set({ platform: q.platform }, q.count);
    },
  });

  const leader = opts.leader;
  if (leader) {
    const status = () =>
      leader().catch((e: unknown) => {
        opts.log?.()?.warn('metrics: cannot read the leadership', { error: e });
        return undefined;
      });
    new Gauge({
      name: 'smartlic_leader',
      help: 'Whether this instance leads (1) or not (0): it runs the scheduler, alert evaluation and delivery.',
      labelNames: ['instance'],
      registers,
      async collect() {
        const s = await status();
        this.reset();
        if (s) this.set({ instance: s.instanceId }, s.leader ? 1 : 0);
      },
    });
    new Gauge({
      name: 'smartlic_leader_current',
      help: 'Which instance leads, as the database records it (1, labelled with its instance id); the same on every instance.',
      labelNames: ['instance'],
      registers,
      async collect() {
        const s = await status();
        this.reset();
        // With `single` there is no lease row: this instance leads alone.
        const id = s?.current?.holder ?? (s?.leader ? s.instanceId : undefined);
        if (id !== undefined) this.set({ instance: id }, 1);
      },
    });
    new Gauge({
      name: 'smartlic_leader_epoch',
      help: 'The fencing epoch of the current leader as stored (grows by one at every change of leader).',
      registers,
      async collect() {
        const s = await status();
        this.reset();
        if (s?.current) this.set(s.current.epoch);
        else if (s?.epoch != null) this.set(s.epoch);
      },
    });
    new Gauge({
      name: 'smartlic_leader_since_seconds',
      help: 'When the current leader was elected (Unix time, seconds).',
      registers,
      async collect() {
        const s = await status();
        this.reset();
        const since = s?.current?.since ?? s?.since;
        if (since) this.set(since.getTime() / 1000);
      },
    });
  }

  const record = (e: MetricEvent): void => {
    switch (e.kind) {
      case 'http':
        http.inc({ peer: e.peer, code: e.code });
        httpDuration.observe({ peer: e.peer }, e.ms / 1000);
        return;
      case 'sync':
        syncs.inc({ source: e.source, status: e.status });
        syncDuration.observe({ source: e.source, status: e.status }, e.ms / 1000);
        return;
      case 'command':
        commands.inc({ platform: e.platform, verb: e.verb, outcome: e.outcome });
        return;
      case 'ack':
        acks.observe({ platform: e.platform }, e.ms / 1000);
        return;
      case 'notification':
        notifications.inc({ platform: e.platform, outcome: e.outcome });
        return;
      case 'listener_error':
        listenerErrors.inc({ listener: e.listener });
        return;
      case 'chat_event_dropped':
        droppedEvents.inc({ platform: e.platform, reason: e.reason });
        return;
    }
  };

  const scrape = () => registry.metrics();
  return {
    metrics: { record },
    registry,
    scrape,
    route: (_req, res) => {
      scrape().then(
        (body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        },
        (e: unknown) => {
          opts.log?.()?.error('metrics: scrape failed', { error: e });
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('metrics unavailable\n');
        },
      );
    },
  };
}
