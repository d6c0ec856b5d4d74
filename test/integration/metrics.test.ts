// GET /metrics after real work (issue 12).
// Real: the emulator over loopback HTTP (CSSM cloud, a CSSM On-Prem satellite, the UC
// publishers), SQLite in a temp file, every core service reporting through the Metrics port, the
// bot command layer (console platform), the Notifier, the prom-client registry built by
// bin/cli/metrics.ts, and the one HTTP listener (bot/http.ts) answering GET /metrics on
// 127.0.0.1. Faked: the chat platform behind the Notifier (an in-process ChatSender that records
// or refuses), time (a TestClock equal to the emulator's frozen clock), and an unreachable CSSM
// (the emulator's `unreachable.cloud` fault) for the failed sync.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandLayer, defaultRegistry } from '../../bot/commands/index.ts';
import { startChatServer, type ChatServer } from '../../bot/http.ts';
import { Notifier, type ChatSender } from '../../bot/notify/index.ts';
import { createPromMetrics, type PromMetrics } from '../../bin/cli/metrics.ts';
import { reports } from '../../core/index.ts';
import {
  provisionCloud,
  provisionSatellite,
  seedClusters,
  setup,
  type Fixture,
} from './sync-fixture.ts';

let fx: Fixture;
let prom: PromMetrics;
let server: ChatServer;
let layer: CommandLayer;

/** One scrape over HTTP, as Prometheus does it. */
async function scrape(): Promise<{ text: string; contentType: string | null }> {
  const r = await fetch(`${server.url}/metrics`);
  expect(r.status).toBe(200);
  return { text: await r.text(), contentType: r.headers.get('content-type') };
}

/** The value of one series, or undefined when it is not exposed. Labels in any order. */
function value(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[k!] = v!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Sum of every series of `name` whose labels include `labels`. */
function sum(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[k!] = v!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total += Number(m[3]);
  }
  return total;
}

beforeAll(async () => {
  prom = createPromMetrics({ counts: () => reports.operationalCounts(fx.h.db) });
  // No retries: the failed sync below fails at once instead of waiting out the backoff.
  fx = await setup({ metrics: prom.metrics, config: { http: { maxRetries: 0 } } });
  await provisionCloud(fx, 0);
  await provisionSatellite(fx, 'la-initech');
  await fx.services.sync.syncAll({ requestedBy: 'test' });
  await seedClusters(fx);
  layer = new CommandLayer(
    {
      db: fx.h.db,
      services: fx.services,
      repos: fx.repos,
      clock: fx.clock,
      logger: fx.services.deps.logger,
      config: fx.config,
      metrics: prom.metrics,
    },
    defaultRegistry(),
  );
  server = await startChatServer({ metrics: prom.route, acks: prom.metrics }, '127.0.0.1', 0);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await fx?.close();
});

describe('GET /metrics', () => {
  it('counts syncs, requests by peer kind and status, and their durations', async () => {
    const before = (await scrape()).text;
    const syncs0 = value(before, 'smartlic_syncs_total', { source: 'cssm', status: 'Completed' });
    const sat0 = value(before, 'smartlic_syncs_total', {
      source: 'satellite',
      status: 'Completed',
    });
    expect(syncs0).toBe(1);
    expect(sat0).toBe(1);
    expect(
      sum(before, 'smartlic_http_requests_total', { peer: 'cssm', code: '200' }),
    ).toBeGreaterThan(0);
    expect(
      sum(before, 'smartlic_http_requests_total', { peer: 'satellite', code: '200' }),
    ).toBeGreaterThan(0);

    // The second sync reads the seeded clusters' publishers too.
    const out = await fx.services.sync.syncAll({ requestedBy: 'test', full: true });
    expect(out.map((o) => o.status)).toEqual(['Completed', 'Completed']);
    const after = await scrape();
    expect(after.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const t = after.text;
    expect(value(t, 'smartlic_syncs_total', { source: 'cssm', status: 'Completed' })).toBe(2);
    expect(value(t, 'smartlic_syncs_total', { source: 'satellite', status: 'Completed' })).toBe(2);
    expect(
      value(t, 'smartlic_sync_duration_seconds_count', { source: 'cssm', status: 'Completed' }),
    ).toBe(2);
    expect(
      value(t, 'smartlic_sync_duration_seconds_sum', { source: 'cssm', status: 'Completed' }),
    ).toBeGreaterThan(0);
    const ucReads = ['cucm', 'cuc'].map((peer) =>
      sum(t, 'smartlic_http_requests_total', { peer, code: '200' }),
    );
    expect(ucReads[0]).toBeGreaterThan(0);
    expect(ucReads[1]).toBeGreaterThan(0);
    expect(sum(t, 'smartlic_http_requests_total', { peer: 'cssm' })).toBeGreaterThan(
      sum(before, 'smartlic_http_requests_total', { peer: 'cssm' }),
    );
    // Every attempt counted is also timed.
    for (const peer of ['cssm', 'satellite', 'cucm', 'cuc']) {
      expect(value(t, 'smartlic_http_request_duration_seconds_count', { peer })).toBe(
        sum(t, 'smartlic_http_requests_total', { peer }),
      );
    }
  }, 120_000);

  it('counts a failed sync and the network errors behind it', async () => {
    await fx.faults({ unreachable: { cloud: true } });
    try {
      const o = await fx.services.sync.syncAccount(fx.cloud(0).account, { requestedBy: 'test' });
      expect(o.status).toBe('Failed');
    } finally {
      await fx.faults(null);
    }
    const t = (await scrape()).text;
    expect(value(t, 'smartlic_syncs_total', { source: 'cssm', status: 'Failed' })).toBe(1);
    expect(
      value(t, 'smartlic_http_requests_total', { peer: 'cssm', code: 'network_error' }),
    ).toBeGreaterThan(0);
  }, 60_000);

  it('counts commands by verb and outcome, and times the terminal answers', async () => {
    const me = { platform: 'console' as const, userId: 'console:tester' };
    const viewer = { platform: 'slack' as const, userId: 'UVIEWER', channelId: 'C1' };
    await layer.execute('status', me);
    await layer.execute('clusters --failed', me);
    await layer.execute('status', me);
    await layer.execute('frobnicate', me);
    await layer.execute('sync', viewer); // a viewer may not sync
    const t = (await scrape()).text;
    expect(
      value(t, 'smartlic_commands_total', { platform: 'console', verb: 'status', outcome: 'ok' }),
    ).toBe(2);
    expect(
      value(t, 'smartlic_commands_total', { platform: 'console', verb: 'clusters', outcome: 'ok' }),
    ).toBe(1);
    expect(
      value(t, 'smartlic_commands_total', {
        platform: 'console',
        verb: 'unknown',
        outcome: 'unknown-verb',
      }),
    ).toBe(1);
    expect(
      value(t, 'smartlic_commands_total', { platform: 'slack', verb: 'sync', outcome: 'denied' }),
    ).toBe(1);
    // What the user typed never becomes a label.
    expect(t).not.toContain('frobnicate');
    expect(value(t, 'smartlic_ack_duration_seconds_count', { platform: 'console' })).toBe(4);
    expect(value(t, 'smartlic_ack_duration_seconds_count', { platform: 'slack' })).toBeUndefined();
  });

  it('times the ack of a chat request at the listener', async () => {
    const acked = await startChatServer(
      {
        slack: (_req, res) => {
          res.writeHead(200);
          res.end();
        },
        acks: prom.metrics,
      },
      '127.0.0.1',
      0,
    );
    try {
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${acked.url}/slack/events`, { method: 'POST', body: 'x' });
        expect(r.status).toBe(200);
      }
    } finally {
      await acked.close();
    }
    const t = (await scrape()).text;
    expect(value(t, 'smartlic_ack_duration_seconds_count', { platform: 'slack' })).toBe(3);
    expect(value(t, 'smartlic_ack_duration_seconds_bucket', { platform: 'slack', le: '3' })).toBe(
      3,
    );
  });

  it('reads open alerts by rule and severity, and the queued messages, from the store at scrape time', async () => {
    const open = await fx.services.alerts.list();
    expect(open.length).toBeGreaterThan(0);
    const t = (await scrape()).text;
    expect(sum(t, 'smartlic_open_alerts')).toBe(open.length);
    for (const a of open) {
      const n = open.filter((b) => b.rule === a.rule && b.severity === a.severity).length;
      expect(value(t, 'smartlic_open_alerts', { rule: a.rule, severity: a.severity })).toBe(n);
    }

    // A subscribed channel: plan queues, delivery sends (one refused first, then accepted).
    await fx.repos.subscriptions.subscribe({
      platform: 'slack',
      channelId: 'CMETRICS',
      filters: {},
    });
    let refuse = 1;
    const posted: string[] = [];
    const sender: ChatSender = {
      post: (channel, reply) => {
        if (refuse-- > 0) return Promise.reject(new Error('platform said no'));
        posted.push(`${channel}: ${reply.title}`);
        return Promise.resolve(`ts-${posted.length}`);
      },
    };
    const notifier = new Notifier({
      repos: fx.repos,
      clock: fx.clock,
      logger: fx.services.deps.logger,
      senders: { slack: sender },
      renotifyMs: 24 * 3_600_000,
      channelIntervalMs: 0,
      metrics: prom.metrics,
    });
    const queued = await notifier.plan();
    expect(queued).toBeGreaterThan(0);
    const q = (await scrape()).text;
    expect(value(q, 'smartlic_notifications_queued', { platform: 'slack' })).toBe(queued);

    await notifier.deliver(); // refused: deferred
    let d = (await scrape()).text;
    expect(
      value(d, 'smartlic_notifications_total', { platform: 'slack', outcome: 'deferred' }),
    ).toBe(1);
    expect(
      value(d, 'smartlic_notifications_total', { platform: 'slack', outcome: 'sent' }),
    ).toBeUndefined();

    // The deferred one waits for its retry time: move the wall clock past it by delivering until empty.
    const wallNotifier = new Notifier({
      repos: fx.repos,
      clock: fx.clock,
      logger: fx.services.deps.logger,
      senders: { slack: sender },
      renotifyMs: 24 * 3_600_000,
      channelIntervalMs: 0,
      metrics: prom.metrics,
      wall: { now: () => new Date(Date.now() + 3_600_000) },
    });
    for (let i = 0; i < queued + 2; i++) await wallNotifier.deliver();
    d = (await scrape()).text;
    expect(value(d, 'smartlic_notifications_total', { platform: 'slack', outcome: 'sent' })).toBe(
      posted.length,
    );
    expect(posted.length).toBeGreaterThan(0);
    expect(value(d, 'smartlic_notifications_queued', { platform: 'slack' })).toBeUndefined();
  });

  it('never shows a secret, a token, a host or a URL', async () => {
    const t = (await scrape()).text;
    const st = await fx.state();
    const secrets = [
      fx.cloud(0).clientSecret,
      fx.cloud(0).clientId,
      fx.onprem('la-initech').clientSecret,
      ...st.clusters.map((c) => c.credentials.password).filter((p) => p.length >= 6),
      ...st.smartAccounts.flatMap((s) =>
        s.virtualAccounts.flatMap((v) => v.tokens.map((k) => k.token)),
      ),
      fx.cloud(0).account,
    ];
    expect(secrets.length).toBeGreaterThan(4);
    for (const s of secrets) expect(t).not.toContain(s);
    expect(t).not.toMatch(/https?:\/\//);
    expect(t).not.toContain('127.0.0.1');
    expect(t).not.toMatch(/Bearer|Basic /);
  });

  it('answers 404 for /metrics on a listener without the route, and 405 to anything but GET / HEAD', async () => {
    const bare = await startChatServer({}, '127.0.0.1', 0);
    try {
      expect((await fetch(`${bare.url}/metrics`)).status).toBe(404);
    } finally {
      await bare.close();
    }
    const post = await fetch(`${server.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
