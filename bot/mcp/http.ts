/**
 * MCP over Streamable HTTP at /mcp on the bot's listener (bot/http.ts), when `bot.mcp.enabled`.
 * In order, before the SDK sees anything:
 *
 * 1. Host must be the listener's own (127.0.0.1 / localhost / [::1] at its port) or one of
 *    `bot.mcp.allowedHosts`; an Origin, when a browser sends one, must be one of
 *    `bot.mcp.allowedOrigins` (DNS-rebinding protection): 403 otherwise.
 * 2. `Authorization: Bearer <secret>` must be a live MCP token: 401 otherwise — no token, no
 *    tools. Checked at every request, so a revoked token stops at once, mid-session too.
 * 3. A POST body is read up to `bot.mcp.maxBodyBytes` (413 past it) and must be JSON (400).
 * 4. A session belongs to the token that opened it: another token's request gets 404, as an
 *    unknown session does. Sessions idle for 30 minutes close; past `maxSessions`, 503.
 *
 * Sessions are kept (stateful mode) because elicitation — the person's yes asked through the
 * client — is a request from the server that the client answers in a later POST.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../core/index.ts';
import type { McpIdentity } from './server.ts';

export interface McpHttpOptions {
  /** The live token a bearer secret belongs to. */
  verify: (secret: string | undefined) => Promise<McpIdentity | undefined>;
  /** A new MCP server for a new session; `identity` is asked at each request. */
  newServer: () => Server;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
  maxBodyBytes: number;
  maxSessions: number;
  idleMs?: number;
  logger?: Logger;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: Server;
  token: string;
  lastUsed: number;
}

export interface McpHttpHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  sessions(): number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function answer(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  // JSON-RPC's shape, so an MCP client can show the reason; no id: the request was not read.
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limit)
    return Promise.reject(new HttpError(413, `the request body is larger than ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, `the request body is larger than ${limit} bytes`));
        req.pause();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function mcpHttpHandler(o: McpHttpOptions): McpHttpHandler {
  const sessions = new Map<string, Session>();
  const idleMs = o.idleMs ?? 30 * 60_000;
  const hosts = new Set(o.allowedHosts.map((h) => h.toLowerCase()));
  const origins = new Set(o.allowedOrigins);

  const drop = async (id: string) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    await s.transport.close().catch(() => undefined);
    await s.server.close().catch(() => undefined);
  };
  const sweep = () => {
    const now = Date.now();
    for (const [id, s] of sessions) if (now - s.lastUsed > idleMs) void drop(id);
  };
  const timer = setInterval(sweep, Math.min(idleMs, 60_000));
  timer.unref();

  const hostAllowed = (req: IncomingMessage) => {
    const host = (req.headers.host ?? '').toLowerCase();
    const port = req.socket.localPort;
    if (['127.0.0.1', 'localhost', '[::1]'].some((h) => host === `${h}:${port}`)) return true;
    return hosts.has(host) || hosts.has(host.replace(/:\d+$/, ''));
  };

  return {
    sessions: () => sessions.size,
    async close() {
      clearInterval(timer);
      await Promise.all([...sessions.keys()].map(drop));
    },
    async handle(req, res) {
      try {
        if (!hostAllowed(req))
          throw new HttpError(403, 'this Host is not allowed (bot.mcp.allowedHosts)');
        const origin = req.headers.origin;
        if (origin !== undefined && !origins.has(origin))
          throw new HttpError(403, 'this Origin is not allowed (bot.mcp.allowedOrigins)');
        const auth = req.headers.authorization ?? '';
        const m = /^Bearer\s+(\S+)$/i.exec(auth);
        const who = await o.verify(m?.[1]);
        if (!who) {
          answer(
            res,
            401,
            'a valid MCP bearer token is needed (an admin creates one: smartlic mcp-token create)',
            {
              'www-authenticate': 'Bearer realm="smartlic-mcp"',
            },
          );
          return;
        }
        (req as IncomingMessage & { auth?: unknown }).auth = {
          token: '',
          clientId: who.name,
          scopes: [who.role],
          extra: { name: who.name, role: who.role },
        };
        let body: unknown;
        if (req.method === 'POST') {
          const raw = await readBody(req, o.maxBodyBytes);
          try {
            body = JSON.parse(raw.toString('utf8'));
          } catch {
            throw new HttpError(400, 'the request body is not JSON');
          }
        }
        const sid = req.headers['mcp-session-id'];
        if (typeof sid === 'string') {
          const s = sessions.get(sid);
          if (!s || s.token !== who.name) throw new HttpError(404, 'no such session');
          s.lastUsed = Date.now();
          await s.transport.handleRequest(req, res, body);
          return;
        }
        const initializing = Array.isArray(body)
          ? body.some(isInitializeRequest)
          : isInitializeRequest(body);
        if (req.method !== 'POST' || !initializing)
          throw new HttpError(400, 'no session: start with an initialize request');
        sweep();
        if (sessions.size >= o.maxSessions)
          throw new HttpError(
            503,
            `too many open MCP sessions (bot.mcp.maxSessions = ${o.maxSessions})`,
          );
        const server = o.newServer();
        const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            sessions.set(id, { transport, server, token: who.name, lastUsed: Date.now() });
          },
          onsessionclosed: (id) => {
            void drop(id);
          },
        });
        await server.connect(transport);
        await transport.handleRequest(req, res, body);
      } catch (e) {
        if (e instanceof HttpError) {
          answer(res, e.status, e.message, e.status === 413 ? { connection: 'close' } : {});
          return;
        }
        throw e;
      }
    },
  };
}
