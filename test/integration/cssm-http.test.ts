// Real: core/cssm/http.ts over loopback HTTP (undici), test/fakes/fake-http.ts as the far side,
// test/fakes/connect-proxy.ts as a real CONNECT proxy, core/log.ts capturing lines.
// Faked: the backoff sleep (records waits instead of sleeping) and jitter (fixed random).
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { HttpClient, safeUrl, type HttpClientOptions } from '../../core/cssm/http.ts';
import { createLogger } from '../../core/log.ts';
import { TestClock } from '../../core/clock.ts';
import { json, startFakeServer, type FakeServer } from '../fakes/fake-http.ts';
import { startConnectProxy, type ConnectProxy } from '../fakes/connect-proxy.ts';
import { rejection } from '../support/helpers.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function fake(h: Parameters<typeof startFakeServer>[0]): Promise<FakeServer> {
  const s = await startFakeServer(h);
  cleanups.push(() => s.close());
  return s;
}

function client(extra: HttpClientOptions = {}) {
  const waits: number[] = [];
  const lines: string[] = [];
  const http = new HttpClient({
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
    backoffBaseMs: 100,
    minRetryDelayMs: 0,
    logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
    ...extra,
  });
  cleanups.push(() => http.close());
  return { http, waits, lines };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('HttpClient retries', () => {
  it('rides out a 429 storm honouring Retry-After (seconds, HTTP date, 0 with a minimum)', async () => {
    const clock = new TestClock('2026-01-01T00:00:00Z');
    const srv = await fake((_req, res, { index }) => {
      if (index === 0) return json(res, 429, { message: 'slow down' }, { 'retry-after': '2' });
      if (index === 1)
        return json(res, 429, {}, { 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' });
      if (index === 2) return json(res, 429, {}, { 'retry-after': '0' });
      return json(res, 200, { ok: true }, { 'x-request-id': 'cssm-echo-1' });
    });
    const { http, waits, lines } = client({ clock, retryAfterCapMs: 10_000, minRetryDelayMs: 400 });
    const res = await http.send({
      method: 'GET',
      url: `${srv.url}/v2/accounts`,
      headers: { authorization: 'Bearer sekret-token' },
    });
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(4);
    expect(res.peerRequestId).toBe('cssm-echo-1');
    expect(waits).toEqual([2000, 3000, 400]);
    expect(http.counters).toMatchObject({ requests: 4, retries: 3, byStatus: { 429: 3, 200: 1 } });
    // Same request id on every attempt, sent to the server and in every log line; no secrets logged.
    const ids = new Set(srv.requests.map((r) => r.headers['x-request-id']));
    expect(ids.size).toBe(1);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(JSON.parse(l).requestId).toBe(res.requestId);
      expect(l).not.toContain('sekret');
    }
    expect(lines.some((l) => l.includes('cssm-echo-1'))).toBe(true);
  });

  it('a Retry-After above the cap fails at once: "CSSM asked to wait N s"', async () => {
    const srv = await fake((_req, res) => json(res, 429, {}, { 'retry-after': '3600' }));
    const { http, waits } = client({ retryAfterCapMs: 10_000 });
    const e = await rejection(http.send({ method: 'GET', url: `${srv.url}/v2/accounts` }));
    expect(e.code).toBe('RETRY_AFTER_TOO_LONG');
    expect(e.message).toMatch(/^CSSM asked to wait 3600 s before trying again/);
    expect(e.action).toMatch(/http\.retryAfterCapMs/);
    expect(waits).toEqual([]);
    expect(srv.requests).toHaveLength(1);
  });

  it('Retry-After: 0 and zero jitter still wait the minimum backoff (real timers)', async () => {
    const srv = await fake((_req, res, { index }) =>
      index < 3 ? json(res, 503, {}, { 'retry-after': '0' }) : json(res, 200, {}),
    );
    const http = new HttpClient({ random: () => 0, minRetryDelayMs: 150, maxRetries: 4 });
    cleanups.push(() => http.close());
    const t0 = performance.now();
    const res = await http.send({ method: 'GET', url: `${srv.url}/x` });
    expect(res.attempts).toBe(4);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(3 * 150 - 5);
  });

  it('an answer above maxResponseBytes: reading stops, HTTP_TOO_LARGE, no retry', async () => {
    let written = 0;
    const srv = await fake((_req, res) => {
      // No content-length: a body that just keeps coming.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (written < 50 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const { http } = client({ maxResponseBytes: 256 * 1024 });
    const e = await rejection(http.send({ method: 'GET', url: `${srv.url}/big` }));
    expect(e.code).toBe('HTTP_TOO_LARGE');
    expect(e.message).toMatch(/larger than 262144 bytes/);
    expect(srv.requests).toHaveLength(1);
    // The server was cut off long before it sent everything.
    expect(written).toBeLessThan(50 * 1024 * 1024);
    const declared = await fake((_req, res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write('{');
    });
    const e2 = await rejection(http.send({ method: 'GET', url: `${declared.url}/big` }));
    expect(e2.message).toMatch(/10485760 bytes announced/);
  });

  it('retries 502/503/504 with backoff, then succeeds', async () => {
    const srv = await fake((_req, res, { index }) => json(res, [502, 503, 504][index] ?? 200, {}));
    const { http, waits } = client();
    const res = await http.send({ method: 'GET', url: `${srv.url}/x` });
    expect(res.status).toBe(200);
    expect(waits).toEqual([50, 100, 200]);
  });

  it('gives the last answer back when retries run out', async () => {
    const srv = await fake((_req, res) => json(res, 503, { status: 'ERROR' }));
    const { http } = client({ maxRetries: 2 });
    const res = await http.send({ method: 'GET', url: `${srv.url}/x` });
    expect(res.status).toBe(503);
    expect(srv.requests).toHaveLength(3);
  });

  it('does not repeat a non-idempotent POST after a 502, but does after 429', async () => {
    const srv = await fake((_req, res, { index }) => json(res, index === 0 ? 429 : 502, {}));
    const { http } = client();
    const res = await http.send({ method: 'POST', url: `${srv.url}/tokens`, body: '{}' });
    expect(res.status).toBe(502);
    expect(srv.requests).toHaveLength(2);
  });

  it('retries dropped connections (socket hang up)', async () => {
    const srv = await fake((_req, res, { index, socket }) => {
      if (index < 2) return void socket.destroy();
      json(res, 200, { ok: 1 });
    });
    const { http } = client();
    const res = await http.send({ method: 'GET', url: `${srv.url}/x` });
    expect(res.status).toBe(200);
    expect(http.counters.networkErrors).toBe(2);
  });

  it('times out a silent server per attempt and reports CSSM1007', async () => {
    const srv = await fake(() => undefined); // never answers
    const { http } = client({ timeoutMs: 150, maxRetries: 1 });
    const e = await rejection(http.send({ method: 'GET', url: `${srv.url}/x` }));
    expect(e.code).toBe('CSSM1007');
    expect(e.details).toMatchObject({ kind: 'timeout', attempts: 2 });
    expect(srv.requests).toHaveLength(2);
  });

  it('times out an answer whose body stalls after the headers, and a fresh attempt succeeds', async () => {
    const srv = await fake((_req, res, { index }) => {
      if (index > 0) return void json(res, 200, { ok: 1 });
      // Headers and half the body, then nothing: the attempt's timer aborts the body read.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"ok":');
    });
    const { http } = client({ timeoutMs: 150, maxRetries: 1 });
    const res = await http.send({ method: 'GET', url: `${srv.url}/x` });
    expect(JSON.parse(res.text)).toEqual({ ok: 1 });
    expect(res.attempts).toBe(2);
    expect(http.counters.networkErrors).toBe(1);
  });

  it('reports a refused connection as CSSM1005 after retrying', async () => {
    const port = await freePort();
    const { http, waits } = client({ maxRetries: 2 });
    const e = await rejection(http.send({ method: 'GET', url: `http://127.0.0.1:${port}/x` }));
    expect(e.code).toBe('CSSM1005');
    expect(e.action).toMatch(/transport mode/);
    expect(waits).toHaveLength(2);
  });

  it('reports an unknown host as CSSM1006 without retrying', async () => {
    const { http, waits } = client();
    const e = await rejection(http.send({ method: 'GET', url: 'http://no-such-host.invalid/x' }));
    expect(e.code).toBe('CSSM1006');
    // EAI_AGAIN (resolver unavailable) is temporary and retried; ENOTFOUND is final.
    if (e.details?.kind === 'unknown-host') expect(waits).toHaveLength(0);
  });
});

describe('HttpClient concurrency', () => {
  it('keeps at most N requests in flight per host; the rest queue', async () => {
    const srv = await fake((_req, res) => {
      setTimeout(() => json(res, 200, {}), 30);
    });
    const { http } = client({ maxConcurrencyPerHost: 2 });
    const all = await Promise.all(
      Array.from({ length: 7 }, () => http.send({ method: 'GET', url: `${srv.url}/x` })),
    );
    expect(all.every((r) => r.status === 200)).toBe(true);
    expect(srv.maxInFlight).toBe(2);
    expect(http.counters.requests).toBe(7);
  });

  it('serves queued requests by priority (lower first), in arrival order within one', async () => {
    const srv = await fake((_req, res) => {
      setTimeout(() => json(res, 200, {}), 20);
    });
    const { http } = client({ maxConcurrencyPerHost: 1 });
    const send = (path: string, priority?: number) =>
      http.send({
        method: 'GET',
        url: `${srv.url}/${path}`,
        ...(priority === undefined ? {} : { priority }),
      });
    await Promise.all([
      send('first', 9),
      send('big-1', 300),
      send('big-2', 300),
      send('small-1', 3),
      send('default'),
      send('small-2', 3),
    ]);
    expect(srv.requests.map((r) => r.path)).toEqual([
      '/first',
      '/default',
      '/small-1',
      '/small-2',
      '/big-1',
      '/big-2',
    ]);
  });

  it('counts where the time went: slots held, waits for a slot, most in flight', async () => {
    const srv = await fake((_req, res) => {
      setTimeout(() => json(res, 200, {}), 40);
    });
    const { http } = client({ maxConcurrencyPerHost: 2 });
    expect(http.concurrencyLimit).toBe(2);
    await Promise.all(
      Array.from({ length: 6 }, () => http.send({ method: 'GET', url: `${srv.url}/x` })),
    );
    const c = http.counters;
    expect(c.peakInFlight).toBe(2);
    // Six answers of at least 40 ms each held a slot; two slots, so the last two waited for
    // two answers before theirs (80 ms), the middle two for one (40 ms): ≥ 240 ms queued.
    expect(c.busyMs).toBeGreaterThanOrEqual(6 * 39);
    expect(c.queuedMs).toBeGreaterThanOrEqual(2 * 39 + 2 * 79);
    http.resetCounters();
    expect(http.counters).toMatchObject({ requests: 0, busyMs: 0, queuedMs: 0, peakInFlight: 0 });
  });
});

describe('HttpClient proxy mode', () => {
  it('tunnels through the CONNECT proxy', async () => {
    const srv = await fake((req, res) => json(res, 200, { path: req.path }));
    const proxy: ConnectProxy = await startConnectProxy();
    cleanups.push(() => proxy.close());
    const { http } = client({ transport: { mode: 'proxy', proxyUrl: proxy.url } });
    const a = await http.send({ method: 'GET', url: `${srv.url}/a` });
    const b = await http.send({ method: 'GET', url: `${srv.url}/b` });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(proxy.connects.length).toBeGreaterThanOrEqual(1);
    expect(proxy.connects[0]).toBe(`127.0.0.1:${srv.port}`);
    expect(proxy.plainRequests).toBe(0);
    expect(srv.requests).toHaveLength(2);
  });

  it('a proxy that refuses the tunnel is CAA1040 (invalid proxy details)', async () => {
    const srv = await fake((_req, res) => json(res, 200, {}));
    const proxy = await startConnectProxy({ refuse: true });
    cleanups.push(() => proxy.close());
    const { http } = client({ transport: { mode: 'proxy', proxyUrl: proxy.url }, maxRetries: 1 });
    const e = await rejection(http.send({ method: 'GET', url: `${srv.url}/x` }));
    expect(e.code).toBe('CAA1040');
    expect(srv.requests).toHaveLength(0);
  });

  it('direct mode does not touch the proxy', async () => {
    const srv = await fake((_req, res) => json(res, 200, {}));
    const proxy = await startConnectProxy();
    cleanups.push(() => proxy.close());
    const { http } = client();
    await http.send({ method: 'GET', url: `${srv.url}/x` });
    expect(proxy.connects).toHaveLength(0);
  });
});

describe('safeUrl', () => {
  it('hides secret query values and userinfo', () => {
    expect(safeUrl('https://u:p@h/t?client_id=a&client_secret=b')).toBe(
      'https://h/t?client_id=a&client_secret=%5Bredacted%5D',
    );
  });
});
