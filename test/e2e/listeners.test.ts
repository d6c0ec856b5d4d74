// Issue 20, "One unsigned request stops the whole product": every method on every route of
// every listener answers with a status, and the process stays up.
// Real: `smartlic bot` as a child process (Bolt's HTTP receiver and the Webex webhook route on
// the one listener, /healthz, /metrics; commands in a worker) over a real SQLite temp file;
// `smartlic site serve` as a child process over a folder on disk (with symbolic links in and
// out of it); the chat listener of bot/http.ts in this process, for the last resort, with
// routes that throw; raw HTTP over loopback (node:http, any method and request-target).
// Faked: Slack's Web API (test/fakes/fake-slack.ts) and Webex's API (test/fakes/fake-webex.ts).
// Covers bot/http.ts, bot/slack/slack-adapter.ts, bot/webex/webex-adapter.ts (routing),
// core/http-guard.ts, site/lib/serve.ts.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromMetrics } from '../../bin/cli/metrics.ts';
import { startChatServer } from '../../bot/http.ts';
import { createLogger, type MetricEvent } from '../../core/index.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/fake-slack.ts';
import { startFakeWebex, type FakeWebex } from '../fakes/fake-webex.ts';
import { METHODS, botEnv, hit, startBot, startServe, startSite, stopAll } from './listener-kit.ts';
import type { Proc } from './proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-listeners-'));
let slack: FakeSlack;
let webex: FakeWebex;
let env: Record<string, string>;
let bot: { proc: Proc; url: string };
let site: { proc: Proc; url: string };
let serve: { proc: Proc; http: string; site: string };
let slack2: FakeSlack;
let webex2: FakeWebex;

beforeAll(async () => {
  slack = await startFakeSlack();
  webex = await startFakeWebex();
  env = await botEnv(join(dir, 'db.sqlite'));
  const root = join(dir, 'site');
  const outside = join(dir, 'outside');
  mkdirSync(join(root, 'reports'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, 'index.html'), '<h1>smartlic</h1>');
  writeFileSync(join(root, 'reports', 'index.html'), '<h1>reports</h1>');
  writeFileSync(join(outside, 'secret.txt'), 'not for the web');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'out.txt'));
  symlinkSync(outside, join(root, 'outdir'));
  symlinkSync(join(root, 'index.html'), join(root, 'in.html'));
  const serveEnv = await botEnv(join(dir, 'serve.sqlite'));
  // Its own fakes: two processes registering webhooks with one fake Webex would race.
  slack2 = await startFakeSlack();
  webex2 = await startFakeWebex();
  [bot, site, serve] = await Promise.all([
    startBot(env, slack, webex),
    startSite(env, root),
    startServe(serveEnv, slack2, webex2, root),
  ]);
}, 240_000);

afterAll(async () => {
  await stopAll();
  for (const f of [slack, webex, slack2, webex2]) await f?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What each method gets on each route; FROB is no HTTP method: Node's parser answers 400. */
function expected(route: string, method: string, table: Record<string, string[]>): number {
  if (method === 'FROB') return 400;
  const allowed = table[route];
  if (!allowed) return 404;
  return allowed.includes(method) ? -1 : 405;
}

describe('the bot listener (smartlic bot, Slack HTTP + Webex)', () => {
  it('answers every method on every route with a status, and stays up', async () => {
    const table: Record<string, string[]> = {
      '/slack/events': ['POST'],
      '/slack/events?x=1': ['POST'],
      '/webex/events': ['POST'],
      '/healthz': ['GET', 'HEAD'],
      '/metrics': ['GET', 'HEAD'],
    };
    // What the allowed method gets: an unsigned POST is refused, a read is answered.
    const ok: Record<string, number> = {
      '/slack/events': 401,
      '/slack/events?x=1': 401,
      '/webex/events': 401,
      '/healthz': 200,
      '/metrics': 200,
    };
    const routes = [
      ...Object.keys(table),
      '/',
      '/slack',
      '/slack/events/',
      '//slack/events',
      '/webex/events/x',
      '/%00',
      '/favicon.ico',
      'http://127.0.0.1/slack/events',
      '*',
    ];
    const got: string[] = [];
    const want: string[] = [];
    for (const route of routes) {
      for (const method of METHODS) {
        const h = await hit(bot.url, method, route);
        got.push(`${method} ${route} ${h.status}`);
        const e = expected(route, method, table);
        want.push(`${method} ${route} ${e === -1 ? ok[route] : e}`);
        if (h.status === 405) expect(h.headers.allow).toBe(table[route]!.join(', '));
      }
    }
    expect(got).toEqual(want);
    expect(bot.proc.child.exitCode).toBeNull();
    const health = await hit(bot.url, 'GET', '/healthz');
    expect(health.status).toBe(200);
    const metrics = await hit(bot.url, 'GET', '/metrics');
    // Nothing above was a failure of ours: no 500 counted.
    expect(metrics.body).not.toMatch(/smartlic_listener_errors_total\{/);
    expect(bot.proc.err()).not.toContain('HTTPReceiverDeferredRequestError');
  }, 60_000);
});

describe('the site server (smartlic site serve)', () => {
  it('answers every method on every path with a status, and stays up', async () => {
    // GET / HEAD on each path; every other method is 405.
    const reads: Record<string, number> = {
      '/': 200,
      '/index.html': 200,
      '/in.html': 200,
      '/reports': 301,
      '/reports/': 200,
      '/missing': 404,
      '/%2fevil.example%2f..%2freports': 301,
      '/..%2f..%2fetc%2fpasswd': 403,
      '/out.txt': 404,
      '/outdir': 404,
      '/outdir/secret.txt': 404,
      '/%': 400,
      '/%00': 400,
      '*': 404,
    };
    const got: string[] = [];
    const want: string[] = [];
    for (const [path, status] of Object.entries(reads)) {
      for (const method of METHODS) {
        const h = await hit(site.url, method, path);
        got.push(`${method} ${path} ${h.status}`);
        const e = expected(path, method, { [path]: ['GET', 'HEAD'] });
        want.push(`${method} ${path} ${e === -1 ? status : e}`);
        if (h.status === 301) expect(h.headers.location).toBe('/reports/');
        if (h.status === 405) expect(h.headers.allow).toBe('GET, HEAD');
      }
    }
    expect(got).toEqual(want);
    expect(site.proc.child.exitCode).toBeNull();
    expect((await hit(site.url, 'GET', '/')).status).toBe(200);
  }, 60_000);
});

describe('smartlic serve --site-port: both listeners in the production process', () => {
  it('answers every method on the chat routes and the site with a status, and stays up', async () => {
    const statuses = new Set<number | string>();
    for (const method of METHODS) {
      for (const path of ['/slack/events', '/webex/events', '/healthz', '/metrics', '/nope'])
        statuses.add((await hit(serve.http, method, path)).status);
      for (const path of ['/', '/reports', '/%2fevil.example%2f..%2freports', '/out.txt']) {
        const h = await hit(serve.site, method, path);
        statuses.add(h.status);
        if (h.status === 301) expect(h.headers.location).toBe('/reports/');
      }
    }
    expect([...statuses].sort()).toEqual([200, 301, 400, 401, 404, 405]);
    expect(serve.proc.child.exitCode).toBeNull();
    expect((await hit(serve.http, 'GET', '/healthz')).status).toBe(200);
    expect((await hit(serve.site, 'GET', '/')).status).toBe(200);
  }, 60_000);
});

describe('the last resort of the chat listener', () => {
  it('answers 500 to whatever a route throws, logs it without the URL, counts it, and keeps serving', async () => {
    const lines: string[] = [];
    const events: MetricEvent[] = [];
    const prom = createPromMetrics({ processMetrics: false });
    const server = await startChatServer(
      {
        // At once, later through a promise, and after the answer began.
        slack: () => {
          throw new Error('slack route exploded');
        },
        // An async route's rejection: its promise comes back through the listener, which
        // catches it; that is the point here, so the lint rule against it does not apply.
        // eslint-disable-next-line @typescript-eslint/no-misused-promises
        webex: () => Promise.reject(new Error('webex route exploded')),
        metrics: (_req, res) => {
          res.writeHead(200);
          res.write('partial');
          throw new Error('metrics route exploded');
        },
        logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
        acks: {
          record: (e) => {
            events.push(e);
            prom.metrics.record(e);
          },
        },
      },
      '127.0.0.1',
      0,
    );
    try {
      const s = await hit(server.url, 'POST', '/slack/events?token=xoxb-in-the-url');
      expect(s.status).toBe(500);
      const w = await hit(server.url, 'POST', '/webex/events', { body: '{}' });
      expect(w.status).toBe(500);
      const m = await hit(server.url, 'GET', '/metrics');
      // The answer had begun: the connection is cut rather than finished as if whole.
      expect(m.status === 'reset' || m.body === 'partial').toBe(true);
      expect((await hit(server.url, 'GET', '/healthz')).status).toBe(200);
      const errors = events.filter((e) => e.kind === 'listener_error');
      expect(errors).toEqual([
        { kind: 'listener_error', listener: 'chat' },
        { kind: 'listener_error', listener: 'chat' },
        { kind: 'listener_error', listener: 'chat' },
      ]);
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged.map((l) => [l.msg, l.route, l.error])).toEqual([
        ['request failed; answered 500', '/slack/events', 'slack route exploded'],
        ['request failed; answered 500', '/webex/events', 'webex route exploded'],
        ['request failed; answered 500', '/metrics', 'metrics route exploded'],
      ]);
      expect(lines.join('\n')).not.toContain('xoxb-in-the-url');
      expect(await prom.scrape()).toContain('smartlic_listener_errors_total{listener="chat"} 3');
    } finally {
      await server.close();
    }
  });
});
