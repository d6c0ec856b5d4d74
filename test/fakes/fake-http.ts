/**
 * A tiny programmable HTTP server on 127.0.0.1 for transport tests: each request is recorded
 * (method, path, headers, body) and answered by the test's handler, which may also stall or
 * drop the connection to play a broken network.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The body's bytes, for binary and multipart uploads. */
  raw: Buffer;
}

export type FakeHandler = (
  req: RecordedRequest,
  res: ServerResponse,
  ctx: { index: number; socket: Socket },
) => void | Promise<void>;

export interface FakeServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Requests being handled right now, and the most seen at once. */
  inFlight: number;
  maxInFlight: number;
  setHandler(h: FakeHandler): void;
  close(): Promise<void>;
}

/** Answers JSON with a status and optional headers. */
export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export async function startFakeServer(handler: FakeHandler): Promise<FakeServer> {
  let current = handler;
  const sockets = new Set<Socket>();
  const state: FakeServer = {
    url: '',
    port: 0,
    requests: [],
    inFlight: 0,
    maxInFlight: 0,
    setHandler: (h) => {
      current = h;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        raw: Buffer.concat(chunks),
      };
      const index = state.requests.length;
      state.requests.push(rec);
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      res.on('close', () => {
        state.inFlight--;
      });
      Promise.resolve(current(rec, res, { index, socket: req.socket })).catch((e: unknown) => {
        if (!res.headersSent) json(res, 500, { message: String(e) });
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  state.port = port;
  state.url = `http://127.0.0.1:${port}`;
  return state;
}

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/**
 * Splits a multipart/form-data body (RFC 7578) into its parts; undefined when the request is
 * not multipart or the body does not match its boundary.
 */
export function parseMultipart(
  raw: Buffer,
  contentType: string | undefined,
): MultipartPart[] | undefined {
  const m = /^multipart\/form-data;.*boundary="?([^";]+)"?/i.exec(contentType ?? '');
  if (!m) return undefined;
  const delim = Buffer.from(`--${m[1]!}`);
  const parts: MultipartPart[] = [];
  let at = raw.indexOf(delim);
  if (at < 0) return undefined;
  for (;;) {
    at += delim.length;
    if (raw.subarray(at, at + 2).toString() === '--') return parts;
    at += 2; // CRLF after the delimiter
    const headEnd = raw.indexOf('\r\n\r\n', at);
    const next = raw.indexOf(delim, headEnd);
    if (headEnd < 0 || next < 0) return undefined;
    const head = raw.subarray(at, headEnd).toString('utf8');
    const data = raw.subarray(headEnd + 4, next - 2); // CRLF before the next delimiter
    const disp = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(head)?.[1] ?? '';
    const name = /\bname="([^"]*)"/.exec(disp)?.[1];
    if (name === undefined) return undefined;
    const filename = /\bfilename="([^"]*)"/.exec(disp)?.[1];
    const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim();
    parts.push({
      name,
      ...(filename !== undefined ? { filename } : {}),
      ...(type ? { contentType: type } : {}),
      data: Buffer.from(data),
    });
    at = next;
  }
}
