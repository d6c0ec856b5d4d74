/**
 * Helpers of the listener tests (issue 20) that act as a client would: `smartlic bot` as a
 * child process with Slack and Webex both configured against the fakes, `smartlic site serve`
 * as a child process, and a raw HTTP request (any method, any request-target, any headers)
 * that reports the status code, or how the connection ended when none came.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { runCli } from '../support/helpers.ts';
import type { FakeSlack } from '../fakes/fake-slack.ts';
import type { FakeWebex } from '../fakes/fake-webex.ts';
import { smartlic, type Proc } from './proc.ts';

export const WEBEX_SECRET = 'webex-webhook-secret-for-listener-tests';

/** Every process started here, stopped by `stopAll` even when another one failed to start. */
const started: Proc[] = [];

function spawnTracked(args: string[], env: Record<string, string>): Proc {
  const p = smartlic(args, env);
  started.push(p);
  return p;
}

/** SIGTERM to every process started here that still runs, and waits for each to end. */
export async function stopAll(): Promise<void> {
  for (const p of started.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
}

/** A migrated database and the environment of a process using it (no emulator, no network). */
export async function botEnv(dbPath: string): Promise<Record<string, string>> {
  const env = {
    SMARTLIC_DB: dbPath,
    SMARTLIC_SECRET_KEY: 'listener tests passphrase',
    SMARTLIC_EMULATOR: 'false',
  };
  const r = await runCli(['db', 'migrate'], env);
  if (r.code !== 0) throw new Error(`db migrate failed: ${r.err}`);
  return env;
}

/** `smartlic bot` with the Slack HTTP receiver and the Webex webhook on one listener. */
export async function startBot(
  env: Record<string, string>,
  slack: FakeSlack,
  webex: FakeWebex,
): Promise<{ proc: Proc; url: string }> {
  const proc = spawnTracked(['bot'], {
    ...env,
    SMARTLIC_HTTP_PORT: '0',
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: slack.signingSecret,
    SLACK_API_URL: slack.apiUrl,
    WEBEX_BOT_TOKEN: webex.token,
    WEBEX_WEBHOOK_URL: 'https://smartlic.example.com/webex/events',
    WEBEX_WEBHOOK_SECRET: WEBEX_SECRET,
    WEBEX_API_URL: webex.apiUrl,
  });
  const line = await proc.line(/listening on http:\/\//, 120_000);
  return { proc, url: /listening on (http:\/\/\S+)/.exec(line)![1]! };
}

/**
 * `smartlic serve --site-port 0`, the production process: the chat listener (Slack HTTP and
 * Webex) and the site server over `siteDir`, in one process.
 */
export async function startServe(
  env: Record<string, string>,
  slack: FakeSlack,
  webex: FakeWebex,
  siteDir: string,
): Promise<{ proc: Proc; http: string; site: string }> {
  const proc = spawnTracked(['serve', '--site-port', '0'], {
    ...env,
    SMARTLIC_HTTP_PORT: '0',
    SMARTLIC_SITE_OUT: siteDir,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: slack.signingSecret,
    SLACK_API_URL: slack.apiUrl,
    WEBEX_BOT_TOKEN: webex.token,
    WEBEX_WEBHOOK_URL: 'https://smartlic.example.com/webex/events',
    WEBEX_WEBHOOK_SECRET: WEBEX_SECRET,
    WEBEX_API_URL: webex.apiUrl,
  });
  const ready = JSON.parse(await proc.line(/^\{"ready":true/, 120_000)) as {
    http: string;
    site: string;
  };
  return { proc, http: ready.http, site: ready.site.replace(/\/$/, '') };
}

/** `smartlic site serve` on a free port over `dir`. */
export async function startSite(
  env: Record<string, string>,
  dir: string,
): Promise<{ proc: Proc; url: string }> {
  const proc = spawnTracked(['site', 'serve', '--dir', dir, '--port', '0'], env);
  const line = await proc.line(/^site: serving .* at http:\/\//, 120_000);
  return { proc, url: /at (http:\/\/\S+?)\/?$/.exec(line)![1]! };
}

export interface Hit {
  status: number | 'reset' | 'timeout';
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with exactly this method and request-target; never throws. */
export function hit(
  base: string,
  method: string,
  target: string,
  o: { headers?: Record<string, string>; body?: string | Buffer; ms?: number } = {},
): Promise<Hit> {
  const u = new URL(base);
  return new Promise((resolve) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path: target,
        headers: { connection: 'close', ...(o.headers ?? {}) },
        timeout: o.ms ?? 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve({ status: 'timeout', headers: {}, body: '' });
    });
    req.on('error', () => resolve({ status: 'reset', headers: {}, body: '' }));
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

/** Raw bytes to the listener; resolves with what came back (first line) when it closes. */
export function raw(base: string, bytes: string | Buffer, ms = 5000): Promise<string> {
  const u = new URL(base);
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname);
    let got = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve(got || 'timeout');
    }, ms);
    s.on('connect', () => s.write(bytes));
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(t);
      resolve(got.split('\r\n')[0] || 'closed');
    });
  });
}

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'FROB'];
