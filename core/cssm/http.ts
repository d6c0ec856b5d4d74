/**
 * HTTP client for CSSM (cloud and On-Prem) and the UC applications: per-request timeout,
 * retries with full-jitter exponential backoff honouring Retry-After, a concurrency limit per
 * host, Direct or Proxy (CONNECT tunnel through undici's ProxyAgent) transport, and a request
 * id in every log line. Headers and bodies are never logged.
 *
 * Retry rules: idempotent requests (GET/PUT/DELETE, and POSTs the caller marks idempotent,
 * such as reads and token requests) retry on 429/502/503/504 and on refused/reset/timed-out
 * connections. Other POSTs retry only when the server cannot have acted on them (429, 503,
 * connection refused), so a token is never minted twice because an answer got lost.
 */
import { randomUUID } from 'node:crypto';
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import { SmartlicError } from '../errors.ts';
import { redactUrl } from '../redact.ts';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { recordSafely, type Metrics, type PeerKind } from '../metrics.ts';
import {
  NOT_PROCESSED_STATUSES,
  RETRYABLE_STATUSES,
  classifyNetworkError,
  isRetryableNetworkError,
  isUnsentNetworkError,
  parseRetryAfter,
  retryDelay,
  type NetworkErrorKind,
} from './retry.ts';

/** How we reach the far side (DOMAIN §1 transport modes; Satellite is Direct to the satellite). */
export type Transport = { mode: 'direct' } | { mode: 'proxy'; proxyUrl: string };

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** Error code per network failure kind; CSSM codes by default (DOMAIN §7). */
export type NetworkErrorCodes = Record<NetworkErrorKind, string>;

export const CSSM_NETWORK_CODES: NetworkErrorCodes = {
  refused: 'CSSM1005',
  reset: 'CSSM1005',
  tls: 'CSSM1005',
  other: 'CSSM1005',
  'unknown-host': 'CSSM1006',
  'dns-temporary': 'CSSM1006',
  timeout: 'CSSM1007',
  'no-route': 'CSSM1008',
  proxy: 'CAA1040',
};

export interface HttpClientOptions {
  transport?: Transport;
  /** Whole-attempt timeout (connect, headers and body), ms. Default 30 000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** Backoff: first step and cap of one wait, ms. Defaults 500 / 20 000. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /**
   * Longest Retry-After we wait, ms. Default 60 000. A longer one fails the request at once
   * (`RETRY_AFTER_TOO_LONG`, "CSSM asked to wait N s") instead of waiting out the cap again
   * and again.
   */
  retryAfterCapMs?: number;
  /** Shortest wait before any retry, ms (also for `Retry-After: 0`). Default 500. */
  minRetryDelayMs?: number;
  /**
   * Largest answer body read, bytes. Reading stops there and the request fails with
   * `HTTP_TOO_LARGE`. Default 64 MiB.
   */
  maxResponseBytes?: number;
  /** Requests in flight per origin; more wait in a queue. Default 4. */
  maxConcurrencyPerHost?: number;
  /** Injectable so tests do not wait for real backoff. */
  sleep?: (ms: number) => Promise<void>;
  /** [0,1) source for jitter. */
  random?: () => number;
  /** Used to read Retry-After given as an HTTP date. */
  clock?: Clock;
  logger?: Logger;
  newRequestId?: () => string;
  /** TLS towards the far side (On-Prem satellites and UC publishers often use private CAs). */
  tls?: { rejectUnauthorized?: boolean; ca?: string | string[] };
  /** Codes for network failures; CSSM1005–1008 by default. */
  networkErrorCodes?: NetworkErrorCodes;
  /** Who is on the other end, for messages: "CSSM", "the CSSM On-Prem satellite", "Unified CM". */
  peerName?: string;
  userAgent?: string;
  /** Told of every attempt's answer (status or network error), labelled with `metricsPeer`. */
  metrics?: Metrics;
  /** Which kind of peer this client talks to, for metrics. Default `cssm`. */
  metricsPeer?: PeerKind;
}

export interface HttpRequest {
  method: HttpMethod;
  url: string | URL;
  headers?: Record<string, string>;
  body?: string;
  /** Overrides the client's timeout for this request. */
  timeoutMs?: number;
  /** Default: true for GET/PUT/DELETE, false for POST/PATCH. */
  idempotent?: boolean;
  /** Operation label for logs ("listLicenses"). */
  op?: string;
  /**
   * Place in the per-host queue when the host is at its concurrency limit: lower goes first,
   * equal ones in arrival order. Default 0. A sync gives a large account's bulk reads a higher
   * number, so a small account's few requests are not stuck behind thousands of them.
   */
  priority?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text (UTF-8), decoded on first read. */
  readonly text: string;
  /**
   * The body's bytes, in an ArrayBuffer of their own (not Node's shared pool), so that a parse
   * on another thread can take them without a copy (core/parse/read-parser.ts). Once taken,
   * `text` is what was decoded before, if anything.
   */
  readonly bytes: Uint8Array;
  /** The X-Request-Id we sent. */
  requestId: string;
  /** The X-Request-Id the server answered with, if any. */
  peerRequestId: string | undefined;
  /** Attempts made, 1 = no retry. */
  attempts: number;
}

export interface HttpCounters {
  /** Attempts put on the wire (each retry counts). */
  requests: number;
  retries: number;
  networkErrors: number;
  /** Answers by status code. */
  byStatus: Record<number, number>;
  /**
   * Where the time of the requests went, for telling a network wait from a queue or a CPU
   * wait (the sync bench): ms spent waiting for a slot of the per-host limit, ms a slot was
   * held by an attempt (sent → answer read, so it includes the far side's work and any delay
   * of this event loop in reading the answer), and the most attempts in flight at once.
   */
  queuedMs: number;
  busyMs: number;
  peakInFlight: number;
}

/** The URL as it may appear in a log line (the one redaction rule, core/redact.ts). */
export const safeUrl = redactUrl;

/**
 * A counting semaphore. Waiters are served by priority (lower first), in arrival order within
 * one priority.
 */
class Semaphore {
  active = 0;
  peak = 0;
  /** FIFO queue per priority in use; `order` holds those priorities, ascending. */
  private readonly queues = new Map<number, { items: (() => void)[]; head: number }>();
  private readonly order: number[] = [];

  constructor(private readonly limit: number) {}

  async acquire(priority = 0): Promise<void> {
    if (this.active < this.limit) {
      if (++this.active > this.peak) this.peak = this.active;
      return;
    }
    let q = this.queues.get(priority);
    if (!q) {
      q = { items: [], head: 0 };
      this.queues.set(priority, q);
      let i = this.order.length;
      while (i > 0 && this.order[i - 1]! > priority) i--;
      this.order.splice(i, 0, priority);
    }
    const queue = q;
    // release() hands its slot straight to this waiter: `active` stays as it was.
    await new Promise<void>((resolve) => queue.items.push(resolve));
  }

  release(): void {
    const p = this.order[0];
    if (p === undefined) {
      this.active--;
      return;
    }
    const q = this.queues.get(p)!;
    const next = q.items[q.head++]!;
    if (q.head === q.items.length) {
      this.queues.delete(p);
      this.order.shift();
    }
    next();
  }
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The abort signal of one attempt, all undici asks of one (`aborted`, `reason`, add and remove
 * an `abort` listener). Node's AbortController is an EventTarget: creating one and adding and
 * removing its listener cost about 3 % of a full sync's CPU, a request at a time.
 */
class AttemptSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] = [];

  addEventListener(_type: 'abort', fn: () => void): void {
    if (!this.aborted) this.listeners.push(fn);
  }

  removeEventListener(_type: 'abort', fn: () => void): void {
    const i = this.listeners.indexOf(fn);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const fns = this.listeners;
    this.listeners = [];
    for (const fn of fns) fn();
  }
}

class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
  readonly code = 'ETIMEDOUT';
}

export class HttpClient {
  readonly transport: Transport;
  private readonly dispatcher: Dispatcher;
  private readonly o: Required<
    Pick<
      HttpClientOptions,
      | 'timeoutMs'
      | 'maxRetries'
      | 'backoffBaseMs'
      | 'backoffMaxMs'
      | 'retryAfterCapMs'
      | 'minRetryDelayMs'
      | 'maxResponseBytes'
      | 'maxConcurrencyPerHost'
      | 'sleep'
      | 'random'
      | 'clock'
      | 'logger'
      | 'newRequestId'
      | 'networkErrorCodes'
      | 'peerName'
    >
  > & { userAgent: string | undefined; metrics: Metrics | undefined; metricsPeer: PeerKind };
  private readonly semaphores = new Map<string, Semaphore>();
  private readonly stats: HttpCounters = {
    requests: 0,
    retries: 0,
    networkErrors: 0,
    byStatus: {},
    queuedMs: 0,
    busyMs: 0,
    peakInFlight: 0,
  };

  constructor(opts: HttpClientOptions = {}) {
    this.transport = opts.transport ?? { mode: 'direct' };
    const tls = opts.tls ?? {};
    this.dispatcher =
      this.transport.mode === 'proxy'
        ? new ProxyAgent({ uri: this.transport.proxyUrl, requestTls: tls, proxyTunnel: true })
        : new Agent({ connect: tls });
    this.o = {
      timeoutMs: opts.timeoutMs ?? 30_000,
      maxRetries: opts.maxRetries ?? 4,
      backoffBaseMs: opts.backoffBaseMs ?? 500,
      backoffMaxMs: opts.backoffMaxMs ?? 20_000,
      retryAfterCapMs: opts.retryAfterCapMs ?? 60_000,
      minRetryDelayMs: opts.minRetryDelayMs ?? 500,
      maxResponseBytes: opts.maxResponseBytes ?? 64 * 1024 * 1024,
      maxConcurrencyPerHost: Math.max(1, opts.maxConcurrencyPerHost ?? 4),
      sleep: opts.sleep ?? realSleep,
      random: opts.random ?? Math.random,
      clock: opts.clock ?? systemClock,
      logger: opts.logger ?? silentLogger,
      newRequestId: opts.newRequestId ?? randomUUID,
      networkErrorCodes: opts.networkErrorCodes ?? CSSM_NETWORK_CODES,
      peerName: opts.peerName ?? 'CSSM',
      userAgent: opts.userAgent,
      metrics: opts.metrics,
      metricsPeer: opts.metricsPeer ?? 'cssm',
    };
  }

  /** A copy of the counters since construction or the last reset. */
  get counters(): HttpCounters {
    let peak = 0;
    for (const s of this.semaphores.values()) peak = Math.max(peak, s.peak);
    return { ...this.stats, byStatus: { ...this.stats.byStatus }, peakInFlight: peak };
  }

  /** Requests this client lets run at once per host. */
  get concurrencyLimit(): number {
    return this.o.maxConcurrencyPerHost;
  }

  resetCounters(): void {
    this.stats.requests = 0;
    this.stats.retries = 0;
    this.stats.networkErrors = 0;
    this.stats.byStatus = {};
    this.stats.queuedMs = 0;
    this.stats.busyMs = 0;
    for (const s of this.semaphores.values()) s.peak = s.active;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private observe(code: string, ms: number): void {
    if (this.o.metrics)
      recordSafely(this.o.metrics, { kind: 'http', peer: this.o.metricsPeer, code, ms });
  }

  /**
   * Sends the request, retrying as the policy allows. Resolves with the last answer whatever
   * its status (the caller maps statuses to errors); rejects with a SmartlicError only for
   * network failures that outlived the retries.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const url = typeof req.url === 'string' ? new URL(req.url) : req.url;
    const idempotent = req.idempotent ?? (req.method !== 'POST' && req.method !== 'PATCH');
    const requestId = this.o.newRequestId();
    // The request's log context (a URL parse and a child logger) only when a line is written:
    // at the usual levels most requests write none.
    let child: Logger | undefined;
    const log = () =>
      (child ??= this.o.logger.child({
        requestId,
        ...(req.op ? { op: req.op } : {}),
        method: req.method,
        url: safeUrl(url),
      }));
    const debug = this.o.logger.enabled('debug');
    const sem = this.semaphoreFor(url.origin);
    const headers: Record<string, string> = {
      ...(this.o.userAgent ? { 'user-agent': this.o.userAgent } : {}),
      ...req.headers,
      'x-request-id': requestId,
    };

    for (let attempt = 0; ; attempt++) {
      const asked = performance.now();
      await sem.acquire(req.priority);
      const started = performance.now();
      this.stats.queuedMs += started - asked;
      const free = () => {
        this.stats.busyMs += performance.now() - started;
        sem.release();
      };
      let status: number;
      let resHeaders: Record<string, string | string[] | undefined>;
      let bytes: Uint8Array;
      try {
        this.stats.requests++;
        if (debug) log().debug('http request', { attempt: attempt + 1 });
        ({ status, headers: resHeaders, bytes } = await this.attempt(url, req, headers));
      } catch (e) {
        if (e instanceof SmartlicError) {
          // Not a network failure (an answer too large): retrying would read it again.
          free();
          throw e;
        }
        this.stats.networkErrors++;
        const kind = classifyNetworkError(e);
        const retryable = idempotent ? isRetryableNetworkError(kind) : isUnsentNetworkError(kind);
        const ms = Math.round(performance.now() - started);
        this.observe('network_error', ms);
        if (retryable && attempt < this.o.maxRetries) {
          const delay = retryDelay(attempt, undefined, this.policy(), this.o.random);
          log().warn('http network error, retrying', {
            attempt: attempt + 1,
            kind,
            ms,
            delayMs: delay,
          });
          this.stats.retries++;
          free();
          await this.o.sleep(delay);
          continue;
        }
        log().warn('http network error', { attempt: attempt + 1, kind, ms });
        free();
        throw this.networkError(kind, url, e, requestId, attempt + 1);
      }
      free();
      this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
      const peerRequestId = headerValue(resHeaders['x-request-id']);
      const ms = Math.round(performance.now() - started);
      this.observe(String(status), ms);
      const retryable = idempotent
        ? RETRYABLE_STATUSES.has(status)
        : NOT_PROCESSED_STATUSES.has(status);
      if (retryable && attempt < this.o.maxRetries) {
        const retryAfterMs = parseRetryAfter(resHeaders['retry-after'], this.o.clock.now());
        if (retryAfterMs !== undefined && retryAfterMs > this.o.retryAfterCapMs) {
          log().warn('http Retry-After above the cap, giving up', { status, retryAfterMs });
          throw this.retryAfterTooLong(url, retryAfterMs, status, requestId, attempt + 1);
        }
        const delay = retryDelay(attempt, retryAfterMs, this.policy(), this.o.random);
        log().warn('http retryable answer, retrying', {
          attempt: attempt + 1,
          status,
          peerRequestId,
          ms,
          retryAfterMs,
          delayMs: delay,
        });
        this.stats.retries++;
        await this.o.sleep(delay);
        continue;
      }
      if (status >= 400 || debug) {
        log()[status >= 400 ? 'info' : 'debug']('http response', {
          attempt: attempt + 1,
          status,
          peerRequestId,
          ms,
        });
      }
      return new Answer(status, resHeaders, bytes, requestId, peerRequestId, attempt + 1);
    }
  }

  private retryAfterTooLong(
    url: URL,
    retryAfterMs: number,
    status: number,
    requestId: string,
    attempts: number,
  ): SmartlicError {
    const s = Math.ceil(retryAfterMs / 1000);
    const cap = Math.round(this.o.retryAfterCapMs / 1000);
    return new SmartlicError({
      code: 'RETRY_AFTER_TOO_LONG',
      message: `${this.o.peerName} asked to wait ${s} s before trying again (HTTP ${status}, Retry-After), longer than the ${cap} s smartlic waits at most`,
      action: `try again in ${s} s; to wait that long by itself, raise http.retryAfterCapMs`,
      details: { host: url.host, status, retryAfterMs, requestId, attempts },
    });
  }

  private policy() {
    return {
      minMs: this.o.minRetryDelayMs,
      baseMs: this.o.backoffBaseMs,
      maxMs: this.o.backoffMaxMs,
      retryAfterCapMs: this.o.retryAfterCapMs,
    };
  }

  private semaphoreFor(origin: string): Semaphore {
    let s = this.semaphores.get(origin);
    if (!s) {
      s = new Semaphore(this.o.maxConcurrencyPerHost);
      this.semaphores.set(origin, s);
    }
    return s;
  }

  private async attempt(
    url: URL,
    req: HttpRequest,
    headers: Record<string, string>,
  ): Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    bytes: Uint8Array;
  }> {
    const timeoutMs = req.timeoutMs ?? this.o.timeoutMs;
    const signal = new AttemptSignal();
    const timer = setTimeout(
      () => signal.abort(new AttemptTimeout(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      const res = await request(url, {
        method: req.method,
        headers,
        body: req.body,
        dispatcher: this.dispatcher,
        signal,
      });
      const bytes = await this.readBody(url, res);
      return { status: res.statusCode, headers: res.headers, bytes };
    } catch (e) {
      if (signal.aborted)
        throw new AttemptTimeout(`no answer within ${timeoutMs} ms`, { cause: e });
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The body's bytes, reading at most `maxResponseBytes`; more fails the request. */
  private async readBody(url: URL, res: Dispatcher.ResponseData): Promise<Uint8Array> {
    const max = this.o.maxResponseBytes;
    const tooLarge = (seen: string) => {
      res.body.destroy();
      return new SmartlicError({
        code: 'HTTP_TOO_LARGE',
        message: `${this.o.peerName} at ${url.host} sent an answer larger than ${max} bytes (${seen}); smartlic stopped reading it`,
        action:
          'if such an answer is expected, raise http.maxResponseBytes (SMARTLIC_HTTP_MAX_RESPONSE_BYTES), or lower http.pageSize so each page is smaller',
        details: { host: url.host, maxResponseBytes: max },
      });
    };
    const declared = Number(headerValue(res.headers['content-length']) ?? NaN);
    if (Number.isFinite(declared) && declared > max) throw tooLarge(`${declared} bytes announced`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > max) throw tooLarge('more was still coming');
      chunks.push(b);
    }
    // Not Buffer.concat: below 4 KiB it copies into Node's shared pool, whose ArrayBuffer
    // cannot be handed to another thread.
    const body = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.length;
    }
    return body;
  }

  private networkError(
    kind: NetworkErrorKind,
    url: URL,
    cause: unknown,
    requestId: string,
    attempts: number,
  ): SmartlicError {
    const host = url.host;
    const peer = this.o.peerName;
    const via =
      this.transport.mode === 'proxy'
        ? ` through the proxy ${safeUrl(this.transport.proxyUrl)}`
        : '';
    const path = `Check the transport mode (Direct/Proxy/Satellite) and the network path to ${host}`;
    const text: Record<NetworkErrorKind, [string, string]> = {
      refused: [`${peer} at ${host} refused the connection${via}`, `${path}.`],
      reset: [`the connection to ${peer} at ${host} was dropped${via}`, `${path}, then retry.`],
      'unknown-host': [
        `the host name ${url.hostname} of ${peer} is unknown (DNS)`,
        `Check the host name and DNS, then retry.`,
      ],
      'dns-temporary': [
        `the host name ${url.hostname} of ${peer} could not be resolved right now (DNS)`,
        `Check DNS, then retry.`,
      ],
      timeout: [
        `${peer} at ${host} did not answer in time${via}`,
        `${path}; retry later if ${peer} is slow.`,
      ],
      'no-route': [`there is no network route to ${peer} at ${host}${via}`, `${path}.`],
      tls: [
        `the TLS handshake with ${peer} at ${host} failed (certificate not trusted or wrong protocol)`,
        `Check the certificate authority configured for ${host}.`,
      ],
      proxy: [
        `the proxy refused to open a tunnel to ${peer} at ${host}${via}`,
        `Check the proxy URL and that it allows CONNECT to ${host} (no proxy authentication towards CSSM).`,
      ],
      other: [`the request to ${peer} at ${host} failed${via}`, `${path}.`],
    };
    const [message, action] = text[kind];
    return new SmartlicError({
      code: this.o.networkErrorCodes[kind],
      message: `${message[0]!.toUpperCase()}${message.slice(1)}.`,
      action,
      cause,
      details: { kind, host, requestId, attempts, transport: this.transport.mode },
    });
  }
}

/** An answer; its text is decoded when first asked for (a parse thread may take the bytes). */
class Answer implements HttpResponse {
  private decoded: string | undefined;

  constructor(
    readonly status: number,
    readonly headers: Record<string, string | string[] | undefined>,
    readonly bytes: Uint8Array,
    readonly requestId: string,
    readonly peerRequestId: string | undefined,
    readonly attempts: number,
  ) {}

  get text(): string {
    return (this.decoded ??= Buffer.from(
      this.bytes.buffer,
      this.bytes.byteOffset,
      this.bytes.byteLength,
    ).toString('utf8'));
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
