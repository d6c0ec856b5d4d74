/**
 * The one HTTP listener for chat callbacks (`bot.httpPort`, 127.0.0.1 unless `bot.httpHost`):
 * Slack's events, commands and actions at /slack/events (Bolt's receiver), Webex's webhooks at
 * /webex/events, GET /healthz, and GET /metrics (Prometheus text) when a metrics route is given.
 * Anything else is 404. With `acks`, the time to answer each Slack / Webex request (their ack)
 * is reported.
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordSafely, type Metrics } from '../core/index.ts';

export interface ChatRoutes {
  slack?: RequestListener;
  webex?: (req: IncomingMessage, res: ServerResponse) => void;
  /** GET /metrics (Prometheus text format). */
  metrics?: RequestListener;
  /** Told how long each Slack / Webex request took to answer (the ack). */
  acks?: Metrics;
}

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
  close(): Promise<void>;
}

export async function startChatServer(
  routes: ChatRoutes,
  host: string,
  port: number,
): Promise<ChatServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/slack/events' && routes.slack) {
      timeAck(res, 'slack', routes.acks);
      return routes.slack(req, res);
    }
    if (path === '/webex/events' && routes.webex) {
      timeAck(res, 'webex', routes.acks);
      return routes.webex(req, res);
    }
    if (path === '/metrics' && req.method === 'GET' && routes.metrics)
      return routes.metrics(req, res);
    if (path === '/healthz' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ ok: true, slack: Boolean(routes.slack), webex: Boolean(routes.webex) }),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
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
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
