/**
 * The one HTTP listener for chat callbacks (`bot.httpPort`, 127.0.0.1 unless `bot.httpHost`):
 * Slack's events, commands and actions at /slack/events (Bolt's receiver), Webex's webhooks at
 * /webex/events, GET /healthz, and GET /metrics (Prometheus text) when a metrics route is given.
 * Anything else is 404; a known route asked with another method is 405 (with Allow). With
 * `acks`, the time to answer each Slack / Webex request (their ack) is reported.
 *
 * No request can stop the process (issue 20): only a POST reaches Bolt's receiver or the Webex
 * route (Bolt throws on any other method, and that throw used to end the process), and whatever
 * a route throws — at once or later through its promise — reaches the last resort (core/http-guard.ts) that
 * logs it (method, route and error only: no URL, header or body), answers 500 and counts it in
 * /metrics (`listener_error`).
 *
 * It also times its own answers: for each Slack or Webex request, from when the listener got it
 * to when the answer (Slack's ack) was written, measured here in the bot's process, so that a
 * busy client does not count. `GET /healthz?since=<epoch ms>` includes p50 / p99 / max of those
 * that arrived since then (the last 10 000 are kept), and the listener thread's event-loop
 * delay since the start (a request that arrives while the thread is held waits before it is
 * even seen, so the two together bound what the bot adds).
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { guardRequests, recordSafely, type Logger, type Metrics } from '../core/index.ts';

export interface ChatRoutes {
  slack?: RequestListener;
  webex?: (req: IncomingMessage, res: ServerResponse) => void;
  /** GET /metrics (Prometheus text format). */
  metrics?: RequestListener;
  /** Told how long each Slack / Webex request took to answer (the ack), and of requests that threw. */
  acks?: Metrics;
  /** GET /healthz of `smartlic serve` / `start`: the status code and JSON body (core's health). */
  health?: () => Promise<{ status: number; body: unknown }>;
  /** Where the last-resort handler writes what a route threw. */
  logger?: Logger;
  /** MCP over Streamable HTTP (bot/mcp/http.ts), when bot.mcp.enabled. */
  mcp?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/** The routes of the listener: their methods, in the Allow header of a 405. */
const ROUTES: Record<string, string[]> = {
  '/slack/events': ['POST'],
  '/webex/events': ['POST'],
  '/healthz': ['GET', 'HEAD'],
  '/metrics': ['GET', 'HEAD'],
  '/mcp': ['POST', 'GET', 'DELETE'],
};

/** Reports the time from receiving the request to the end of its answer, per platform. */
function timeAck(res: ServerResponse, platform: 'slack' | 'webex', metrics: Metrics | undefined) {
  if (!metrics) return;
  const t0 = performance.now();
  res.once('finish', () =>
    recordSafely(metrics, { kind: 'ack', platform, ms: performance.now() - t0 }),
  );
}

export interface ChatServer {
  server: Server;
  url: string;
  /** Server-side answer times of chat requests that arrived at or after `since` (epoch ms). */
  ackStats(since?: number): AckStats;
  close(): Promise<void>;
}

export interface AckStats {
  n: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

const KEEP = 10_000;

function stats(xs: number[]): AckStats {
  if (xs.length === 0) return { n: 0, p50Ms: null, p99Ms: null, maxMs: null };
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) =>
    Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 10) / 10;
  return { n: s.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}

export async function startChatServer(
  routes: ChatRoutes,
  host: string,
  port: number,
): Promise<ChatServer> {
  const times: { at: number; ms: number }[] = [];
  const timed = (res: ServerResponse) => {
    const at = Date.now();
    const t0 = performance.now();
    res.once('finish', () => {
      times.push({ at, ms: performance.now() - t0 });
      if (times.length > KEEP) times.splice(0, times.length - KEEP);
    });
  };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  const loopStats = () => ({
    p50Ms: ms(loop.percentile(50)),
    p99Ms: ms(loop.percentile(99)),
    maxMs: ms(loop.max),
  });
  const ackStats = (since = 0) => stats(times.filter((t) => t.at >= since).map((t) => t.ms));
  const dispatch = (req: IncomingMessage, res: ServerResponse): unknown => {
    const [path, query] = (req.url ?? '/').split('?');
    const method = req.method ?? '';
    const allowed = path !== undefined && Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
    const served =
      (path === '/slack/events' && routes.slack) ||
      (path === '/webex/events' && routes.webex) ||
      path === '/healthz' ||
      (path === '/metrics' && routes.metrics) ||
      (path === '/mcp' && routes.mcp);
    if (!allowed || !served) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    if (!allowed.includes(method)) {
      res.writeHead(405, { 'content-type': 'text/plain', allow: allowed.join(', ') });
      res.end('method not allowed\n');
      return;
    }
    if (path === '/slack/events' && routes.slack) {
      timed(res);
      timeAck(res, 'slack', routes.acks);
      return routes.slack(req, res);
    }
    if (path === '/webex/events' && routes.webex) {
      timed(res);
      timeAck(res, 'webex', routes.acks);
      return routes.webex(req, res);
    }
    if (path === '/metrics' && routes.metrics) return routes.metrics(req, res);
    if (path === '/mcp' && routes.mcp) return routes.mcp(req, res);
    // The listener's own timings, for /healthz only (`?since=<epoch ms>` limits the acks).
    const timing = () => {
      const since = Number(new URLSearchParams(query ?? '').get('since') ?? '0');
      return { acks: ackStats(Number.isFinite(since) ? since : 0), eventLoopDelay: loopStats() };
    };
    if (routes.health) {
      const health = routes.health;
      return (async () => {
        let status = 503;
        let body: unknown;
        try {
          ({ status, body } = await health());
        } catch (e) {
          body = { ok: false, problems: [`health check failed: ${(e as Error).message}`] };
        }
        // The listener's own timings go with core's health (a monitor may graph them).
        if (body !== null && typeof body === 'object') body = { ...body, ...timing() };
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      })();
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        ok: true,
        slack: Boolean(routes.slack),
        webex: Boolean(routes.webex),
        ...timing(),
      }),
    );
  };
  const server = createServer(
    guardRequests('chat', dispatch, {
      logger: routes.logger,
      metrics: routes.acks,
      route: (path) => (Object.hasOwn(ROUTES, path) ? path : 'other'),
    }),
  );
  // Slack retries a request it got no answer to in 3 s; keep sockets short-lived but reusable.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return {
    server,
    url: `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`,
    ackStats,
    close: () =>
      new Promise<void>((resolve) => {
        loop.disable();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
