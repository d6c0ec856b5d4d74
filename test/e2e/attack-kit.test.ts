// Issue 20's attack kit: what an attacker who can reach smartlic's listeners would try, each a
// request a client really sends; bounded (no slow-drip attack, every wait has a deadline).
// Real: `smartlic bot` as a child process (Slack HTTP receiver and Webex webhook on one
// listener, commands in a worker, SQLite temp file), `smartlic site serve` as a child process
// over a folder with links out of it, `smartlic bot` refusing a weak signing secret; raw HTTP
// and raw TCP over loopback; real Slack v0 and Webex HMAC-SHA1 signatures.
// Faked: Slack's Web API (test/fakes/fake-slack.ts) and Webex's API (test/fakes/fake-webex.ts).
// Covers bot/http.ts, bot/slack/slack-adapter.ts, bot/webex/webex-adapter.ts,
// core/http-guard.ts, core/config.ts (signing secret), site/lib/serve.ts.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slashCommandBody, startFakeSlack, type FakeSlack } from '../fakes/fake-slack.ts';
import { startFakeWebex, type FakeWebex } from '../fakes/fake-webex.ts';
import { runCli } from '../support/helpers.ts';
import {
  METHODS,
  WEBEX_SECRET,
  botEnv,
  hit,
  raw,
  startBot,
  startSite,
  stopAll,
} from './listener-kit.ts';
import type { Proc } from './proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-attack-'));
const SECRET_TEXT = 'the contents of a file outside the site';
let slack: FakeSlack;
let webex: FakeWebex;
let env: Record<string, string>;
let bot: { proc: Proc; url: string };
let site: { proc: Proc; url: string };

beforeAll(async () => {
  slack = await startFakeSlack();
  webex = await startFakeWebex();
  env = await botEnv(join(dir, 'db.sqlite'));
  const root = join(dir, 'site');
  mkdirSync(join(root, 'reports'), { recursive: true });
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(root, 'index.html'), '<h1>smartlic</h1>');
  writeFileSync(join(root, 'reports', 'index.html'), '<h1>reports</h1>');
  writeFileSync(join(dir, 'outside', 'secret.txt'), SECRET_TEXT);
  symlinkSync(join(dir, 'outside', 'secret.txt'), join(root, 'notes.txt'));
  symlinkSync(join(dir, 'outside'), join(root, 'archive'));
  symlinkSync('/etc', join(root, 'etc'));
  [bot, site] = await Promise.all([startBot(env, slack, webex), startSite(env, root)]);
}, 240_000);

afterAll(async () => {
  await stopAll();
  await slack?.close();
  await webex?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A signed slash command `whoami`, its Slack timestamp `skew` seconds from now. */
async function slashAt(skew: number) {
  const responseUrl = slack.responseUrl();
  const body = slashCommandBody({ text: 'whoami', user: 'UATTACK', channel: 'C1', responseUrl });
  const h = await hit(bot.url, 'POST', '/slack/events', {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...slack.sign(body, Math.floor(Date.now() / 1000) + skew),
    },
    body,
  });
  return { status: h.status, id: responseUrl.split('/').pop()! };
}

describe('attack kit: the bot listener', () => {
  it('one unsigned request of any method does not stop the process', async () => {
    for (const m of METHODS) {
      const h = await hit(bot.url, m, '/slack/events');
      expect([400, 401, 405]).toContain(h.status);
    }
    expect((await hit(bot.url, 'GET', '/healthz')).status).toBe(200);
  });

  it('a Slack request replayed more than 5 minutes later, or dated in the future, is refused', async () => {
    const future = await slashAt(400);
    const past = await slashAt(-400);
    expect(future.status).toBe(401);
    expect(past.status).toBe(401);
    // The same request inside the window runs: the refusals above were the timestamp's.
    const fresh = await slashAt(200);
    expect(fresh.status).toBe(200);
    await slack.waitFor(() => slack.responses.find((r) => r.id === fresh.id), 20_000);
    expect(slack.responses.find((r) => r.id === future.id || r.id === past.id)).toBeUndefined();
  });

  it('oversized bodies get 413 (Slack and Webex), a lying Content-Length too', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 'a');
    const s = await hit(bot.url, 'POST', '/slack/events', {
      headers: { 'content-type': 'application/json', ...slack.sign('x') },
      body: big,
    });
    expect([413, 'reset']).toContain(s.status);
    const w = await hit(bot.url, 'POST', '/webex/events', {
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(2 * 1024 * 1024, 'b'),
    });
    expect([413, 'reset']).toContain(w.status);
    const lie = await raw(
      bot.url,
      'POST /webex/events HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n{}',
    );
    expect(lie).toMatch(/^HTTP\/1\.1 413/);
  });

  it('a Webex webhook: forged is 401; signed with escapes, it runs (through the real process)', async () => {
    const alice = webex.addPerson('mallory@example.com', 'Mallory');
    const room = webex.direct(alice);
    const id = webex.incoming(room, alice, 'license whoami');
    const body = JSON.stringify(
      JSON.parse(webex.webhookBody('messages', id, room, alice)) as unknown,
      null,
      1,
    ).replace(/\//g, '\\/');
    const post = (sig: string) =>
      hit(bot.url, 'POST', '/webex/events', {
        headers: { 'content-type': 'application/json', 'x-spark-signature': sig },
        body,
      });
    expect((await post(webex.sign(body, 'guessed-secret'))).status).toBe(401);
    expect((await post('0'.repeat(40))).status).toBe(401);
    expect((await post(webex.sign(body, WEBEX_SECRET))).status).toBe(200);
    const sent = await webex.waitFor(() => webex.sent.find((m) => m.parentId === id), 20_000);
    expect(sent.markdown).toContain('webex:mallory@example.com');
  });

  it('garbage, huge headers, NUL in the path and a burst of 200 mixed requests: statuses, still up', async () => {
    expect(
      await raw(bot.url, '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n'),
    ).toMatch(/^HTTP\/1\.1 400/);
    expect(
      await raw(
        bot.url,
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      ),
    ).toMatch(/^HTTP\/1\.1 431/);
    expect((await hit(bot.url, 'GET', '/slack/events%00')).status).toBe(404);
    const paths = ['/slack/events', '/webex/events', '/healthz', '/metrics', '/x'];
    const burst = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        hit(bot.url, METHODS[i % METHODS.length]!, paths[i % paths.length]!, {
          body: i % 3 === 0 ? '{"a":1}' : undefined,
        }),
      ),
    );
    for (const h of burst) expect([200, 400, 401, 404, 405]).toContain(h.status);
    expect(bot.proc.child.exitCode).toBeNull();
    expect((await hit(bot.url, 'GET', '/healthz')).status).toBe(200);
    const metrics = await hit(bot.url, 'GET', '/metrics');
    expect(metrics.body).not.toMatch(/smartlic_listener_errors_total\{/);
    // Nothing the kit did brought a secret into the logs.
    for (const s of [slack.signingSecret, slack.botToken, webex.token, WEBEX_SECRET])
      expect(bot.proc.err()).not.toContain(s);
  });
});

describe('attack kit: the site server', () => {
  it('never redirects off the site', async () => {
    const tries = [
      '/%2fevil.example%2f..%2freports',
      '/%2f%2fevil.example%2f..%2freports',
      '/%5cevil.example%2f..%2freports',
      '//evil.example/../reports',
      '/reports%2f..%2f%2fevil.example%2f..%2freports',
      '/%09/evil.example/../reports',
      '/reports',
    ];
    for (const t of tries) {
      const h = await hit(site.url, 'GET', t);
      if (h.status === 301) {
        const loc = String(h.headers.location);
        // A path of this site: one slash, then no host (no //, no /\, nothing a browser reads as one).
        expect(loc).toMatch(/^\/(?![/\\])/);
        expect(new URL(loc, 'http://site.example').host).toBe('site.example');
      } else expect([400, 403, 404]).toContain(h.status);
    }
  });

  it('follows no link out of the site folder, and no traversal gets out', async () => {
    for (const t of [
      '/notes.txt',
      '/archive/secret.txt',
      '/archive/',
      '/etc/passwd',
      '/..%2foutside%2fsecret.txt',
      '/%2e%2e/outside/secret.txt',
      '/reports/..%2f..%2foutside%2fsecret.txt',
    ]) {
      const h = await hit(site.url, 'GET', t);
      expect([403, 404]).toContain(h.status);
      expect(h.body).not.toContain(SECRET_TEXT);
      expect(h.body).not.toContain('root:');
    }
    expect(site.proc.child.exitCode).toBeNull();
    expect((await hit(site.url, 'GET', '/')).status).toBe(200);
  });
});

describe('attack kit: configuration', () => {
  it('a weak SLACK_SIGNING_SECRET is refused at start, naming the variable, not echoing it', async () => {
    const r = await runCli(['bot'], {
      ...env,
      SLACK_BOT_TOKEN: 'xoxb-attack-kit',
      SLACK_SIGNING_SECRET: 'hunter2-secret',
    });
    expect(r.code).toBe(2);
    expect(r.err).toContain('SLACK_SIGNING_SECRET');
    expect(r.err).toContain('32 hex characters');
    expect(r.err).not.toContain('hunter2-secret');
  });
});
