/**
 * What every UC client shares: the publisher's base URL, HTTP Basic (CUCM AXL and Unity
 * Connection vmrest; Emergency Responder signs in by form instead), the request through the
 * shared HttpClient, network errors re-coded to UC codes, and the error text of an answer.
 */
import type { HttpClient, HttpMethod, HttpResponse } from '../cssm/http.ts';
import { tryParseJson } from '../cssm/cssm-errors.ts';
import { decodeEntities } from './xml.ts';
import {
  toUcNetworkError,
  type UcApp,
  type UcErrorContext,
  type UcOperation,
} from './uc-errors.ts';

export interface UcClientOptions {
  /** Publisher base URL, e.g. `https://cucm-pub.example.com:8443` (paths are appended). */
  baseUrl: string;
  username: string;
  password: string;
  http: HttpClient;
  /** Per-call timeout, ms; registration can take a while on a busy publisher. */
  timeoutMs?: number;
  /** Queue priority of this client's requests in the shared HttpClient (lower first). */
  priority?: number;
}

/** Reads are repeated after a lost answer; writes are not (a second register could fail). */
const READS: ReadonlySet<UcOperation> = new Set(['getStatus', 'getTransport']);

export abstract class UcClientBase {
  abstract readonly app: UcApp;
  protected readonly base: string;
  protected readonly host: string;
  protected readonly basic: string;

  constructor(protected readonly o: UcClientOptions) {
    this.base = o.baseUrl.replace(/\/+$/, '');
    this.host = new URL(this.base).host;
    this.basic = `Basic ${Buffer.from(`${o.username}:${o.password}`).toString('base64')}`;
  }

  protected ctx(op: UcOperation, res?: HttpResponse): UcErrorContext {
    const requestId = res?.peerRequestId ?? res?.requestId;
    return { app: this.app, op, host: this.host, ...(requestId ? { requestId } : {}) };
  }

  /** One request; `headers` must carry the authentication the application wants. */
  protected async send(
    op: UcOperation,
    method: HttpMethod,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<HttpResponse> {
    try {
      return await this.o.http.send({
        method,
        url: `${this.base}${path}`,
        headers,
        ...(body !== undefined ? { body } : {}),
        idempotent: READS.has(op),
        op: `${this.app}.${op}`,
        ...(this.o.timeoutMs !== undefined ? { timeoutMs: this.o.timeoutMs } : {}),
        ...(this.o.priority !== undefined ? { priority: this.o.priority } : {}),
      });
    } catch (e) {
      throw toUcNetworkError(e, this.ctx(op));
    }
  }
}

/** `CODE: message` unless the message already starts with the code. */
export function withCode(code: unknown, message: string): string {
  const m = message.trim();
  return typeof code === 'string' && code && !m.includes(code) ? `${code}: ${m}` : m;
}

/**
 * The message an error answer carries: CUPI's `{ErrorDetails:{errors:{code,message}}}` (one or
 * many), a flat JSON error, CUPI's XML `<ErrorDetails><errors><code/><message/></errors>`, or
 * the text of an HTML / plain answer.
 */
export function ucErrorMessage(text: string): string | undefined {
  const j = tryParseJson(text);
  if (j && typeof j === 'object') {
    const o = j as Record<string, unknown>;
    const details = o.ErrorDetails as { errors?: unknown } | undefined;
    if (details && typeof details === 'object' && details.errors) {
      const list = (Array.isArray(details.errors) ? details.errors : [details.errors]) as {
        code?: unknown;
        message?: unknown;
      }[];
      const msgs = list
        .filter((e) => e && typeof e.message === 'string')
        .map((e) => withCode(e.code, e.message as string));
      if (msgs.length) return msgs.join('; ');
    }
    for (const k of [
      'message',
      'errorMessage',
      'statusMessage',
      'error_description',
      'error',
      'description',
      'reason',
    ]) {
      const v = o[k];
      if (typeof v === 'string' && v.trim()) return withCode(o.code ?? o.errorCode, v);
    }
    return undefined;
  }
  const xmlErr = /<message>([\s\S]*?)<\/message>/i.exec(text);
  if (xmlErr && /<ErrorDetails\b/i.test(text)) {
    const code = /<code>([\s\S]*?)<\/code>/i.exec(text)?.[1];
    return withCode(code ? decodeEntities(code.trim()) : undefined, decodeEntities(xmlErr[1]!));
  }
  const t = decodeEntities(
    text
      .replace(/<(script|style|title)\b[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  return t ? t.slice(0, 300) : undefined;
}
