/** One request as the handlers see it, and the small helpers they answer with. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { World } from '../model/world.ts';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path without query, not decoded. */
  path: string;
  query: URLSearchParams;
  body: Buffer;
  world: World;
  baseUrl: string;
}

let requestSeq = 0;

/** Every answer carries an `X-Request-Id`, as Cisco's gateways do; clients log it. */
export function send(
  ctx: Ctx,
  status: number,
  body: string | Buffer,
  contentType: string,
  headers: Record<string, string | number> = {},
): void {
  const { res } = ctx;
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-request-id': `emu-${(++requestSeq).toString(36)}`,
    ...headers,
  });
  res.end(body);
}

export function json(
  ctx: Ctx,
  status: number,
  obj: unknown,
  headers: Record<string, string | number> = {},
): void {
  send(ctx, status, JSON.stringify(obj), 'application/json;charset=UTF-8', headers);
}

/** Marks an answer as an emulator extension (DOMAIN says [design]: not a Cisco API). */
export const EXTENSION = { 'x-emulator-extension': 'true' } as const;

/** CSSM's error envelope (DOMAIN §2 Errors). */
export function cssmError(
  ctx: Ctx,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  json(ctx, status, { status: 'ERROR', statusMessage: message }, headers);
}

export class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export function parseJsonBody(ctx: Ctx): unknown {
  if (ctx.body.length === 0) return {};
  try {
    return JSON.parse(ctx.body.toString('utf8')) as unknown;
  } catch {
    throw new BadRequest('Malformed JSON body.');
  }
}

/** Form body (application/x-www-form-urlencoded) merged over query parameters. */
export function formParams(ctx: Ctx): URLSearchParams {
  const p = new URLSearchParams(ctx.query);
  const ct = ctx.req.headers['content-type'] ?? '';
  if (ctx.body.length > 0 && !ct.includes('json')) {
    for (const [k, v] of new URLSearchParams(ctx.body.toString('utf8'))) p.set(k, v);
  }
  return p;
}

export function segments(path: string, prefix: string): string[] {
  return path
    .slice(prefix.length)
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

export function intParam(v: unknown, def: number, name: string): number {
  if (v === undefined || v === null || v === '') return def;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new BadRequest(`Invalid ${name}: ${JSON.stringify(v)}`);
  return n;
}
