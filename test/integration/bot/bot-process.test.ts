// Real: the `smartlic bot` CLI verb in a child process (Bolt's HTTP receiver on the shared
// listener, the command layer in a worker thread fed by the read-model thread, alert delivery)
// over a real SQLite temp file.
// GET /metrics of that process: the worker's command counted in the main thread.
// Faked: Slack (test/fakes/fake-slack.ts on loopback).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/helpers.ts';
import { slashCommandBody, startFakeSlack, type FakeSlack } from '../../fakes/fake-slack.ts';

let dir: string;
let env: NodeJS.ProcessEnv;
let slack: FakeSlack;
let bot: ChildProcess | undefined;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smartlic-botproc-'));
  env = {
    SMARTLIC_DB: join(dir, 'db.sqlite'),
    SMARTLIC_SECRET_KEY: 'bot process test',
    SMARTLIC_LOG_LEVEL: 'error',
    SMARTLIC_EMULATOR: 'false',
  };
  expect((await runCli(['db', 'migrate'], env)).code).toBe(0);
  slack = await startFakeSlack();
  const cli = fileURLToPath(new URL('../../../bin/smartlic.js', import.meta.url));
  bot = spawn(process.execPath, [cli, 'bot'], {
    env: {
      ...process.env,
      ...env,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_API_URL: slack.apiUrl,
      SMARTLIC_HTTP_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: bot!.stdout! }).on('line', (l) => {
      const m = /listening on (http:\/\/\S+)/.exec(l);
      if (m) resolve(`${m[1]}/slack/events`);
    });
    bot!.once('exit', (c) => reject(new Error(`smartlic bot exited with ${c}`)));
  });
}, 60_000);
afterAll(async () => {
  if (bot && bot.exitCode === null) {
    const exited = new Promise((r) => bot!.once('exit', r));
    bot.kill('SIGTERM');
    await exited;
  }
  await slack?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('smartlic bot', () => {
  it('says which variables to set when no adapter is configured', async () => {
    const r = await runCli(['bot'], env);
    expect(r.code).toBe(2);
    expect(r.err).toContain('SLACK_BOT_TOKEN');
    expect(r.err).toContain('WEBEX_WEBHOOK_SECRET');
  });

  it('acks a signed slash command and answers from its command worker; GET /metrics counts it and both acks, no secret shown', async () => {
    const responseUrl = slack.responseUrl();
    const body = slashCommandBody({ text: 'whoami', user: 'UPROC', channel: 'C1', responseUrl });
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...slack.sign(body) },
      body,
    });
    expect(r.status).toBe(200);
    const id = responseUrl.split('/').pop()!;
    const resp = await slack.waitFor(() => slack.responses.find((x) => x.id === id), 20_000);
    expect(JSON.stringify(resp.body.blocks)).toContain('slack:UPROC');
    const bad = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...slack.sign(body, Math.floor(Date.now() / 1000) - 600),
      },
      body,
    });
    expect(bad.status).toBe(401);

    // GET /metrics counts exactly what this test sent: it was a test of its own that read the
    // counts this one left (it failed alone, `npm run test:alone`), so it is merged in here.
    const metricsUrl = url.replace(/\/slack\/events$/, '/metrics');
    const m = await fetch(metricsUrl);
    expect(m.status).toBe(200);
    const text = await m.text();
    // The `whoami` above, run in the command worker, counted where /metrics reads.
    expect(text).toMatch(
      /^smartlic_commands_total\{[^}]*platform="slack"[^}]*verb="whoami"[^}]*outcome="ok"[^}]*\} 1$/m,
    );
    // Two requests reached /slack/events (the command, the stale signature): both acks timed.
    expect(text).toMatch(/^smartlic_ack_duration_seconds_count\{platform="slack"\} 2$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    for (const s of [slack.botToken, slack.signingSecret, 'bot process test']) {
      expect(text).not.toContain(s);
    }
  });

  it('answers the whole-estate `status` and `clusters` (read-model thread feeding the worker)', async () => {
    for (const [text, expected] of [
      ['status', 'nothing needs attention'],
      ['clusters', 'Clusters (0)'],
    ] as const) {
      const responseUrl = slack.responseUrl();
      const body = slashCommandBody({ text, user: 'UPROC', channel: 'C1', responseUrl });
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...slack.sign(body) },
        body,
      });
      expect(r.status).toBe(200);
      const id = responseUrl.split('/').pop()!;
      const resp = await slack.waitFor(() => slack.responses.find((x) => x.id === id), 30_000);
      const shown = JSON.stringify(resp.body);
      expect(shown).toContain(expected);
      // Nothing was written since the bot started: the answer is current, not "as of".
      expect(shown).not.toContain('As of');
    }
  });
});
