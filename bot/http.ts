/**
 * The one HTTP listener for chat callbacks (`bot.httpPort`, 127.0.0.1 unless `bot.httpHost`):
 * Slack's events, commands and actions at /slack/events (Bolt's receiver), Webex's webhooks at
 * /webex/events, and GET /healthz. Anything else is 404.
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRoutes {
  slack?: RequestListener;
  webex?: (req: IncomingMessage, res: ServerResponse) => void;
  /** GET /healthz of `smartlic serve` / `start`: the status code and JSON body (core's health). */
  health?: () => Promise<{ status: number; body: unknown }>;
  // GET /metrics (Prometheus): its route is added here by the metrics work (`metricsRoute`).
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
    if (path === '/slack/events' && routes.slack) return routes.slack(req, res);
    if (path === '/webex/events' && routes.webex) return routes.webex(req, res);
    if (path === '/healthz' && req.method === 'GET' && routes.health) {
      const health = routes.health;
      void (async () => {
        let status = 503;
        let body: unknown;
        try {
          ({ status, body } = await health());
        } catch (e) {
          body = { ok: false, problems: [`health check failed: ${(e as Error).message}`] };
        }
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      })();
      return;
    }
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
