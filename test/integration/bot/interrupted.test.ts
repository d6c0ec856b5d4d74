// Real: the `smartlic bot` CLI verb in a child process, twice (Bolt's HTTP receiver, the
// command layer in its worker thread, core jobs), over one SQLite temp file; a signed slash
// command `sync` whose CSSM never answers (a loopback server that accepts and holds every
// request), the bot killed with SIGKILL while the job runs, then started again. Faked: Slack
// (test/fakes/fake-slack.ts on loopback). Covers bot/notify/interrupted.ts, the adapters'
// thread records (migration 0012) and bin/cli/host.ts's start-up follow-up (issue 20).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SecretBox,
  createRepositories,
  openDatabase,
  resolveSecretKey,
} from '../../../core/store/index.ts';
import { slashCommandBody, startFakeSlack, type FakeSlack } from '../../fakes/fake-slack.ts';
import { runCli } from '../../support/helpers.ts';

const KEY = 'interrupted chat job test';
let dir: string;
let env: NodeJS.ProcessEnv;
let slack: FakeSlack;
let hang: Server;
const held: ServerResponse[] = [];
const bots: ChildProcess[] = [];

/**
 * Starts `smartlic bot` as a user does; resolves with its /slack/events URL and what it has
 * written to stderr so far (passed on to this process's stderr as well).
 */
async function startBot(
  extra: NodeJS.ProcessEnv = {},
): Promise<{ bot: ChildProcess; url: string; err: () => string }> {
  const cli = fileURLToPath(new URL('../../../bin/smartlic.js', import.meta.url));
  const bot = spawn(process.execPath, [cli, 'bot'], {
    env: {
      ...process.env,
      ...env,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_API_URL: slack.apiUrl,
      SMARTLIC_HTTP_PORT: '0',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  bots.push(bot);
  let err = '';
  bot.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    process.stderr.write(d);
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: bot.stdout }).on('line', (l) => {
      const m = /listening on (http:\/\/\S+)/.exec(l);
      if (m) resolve(`${m[1]}/slack/events`);
    });
    bot.once('exit', (c) => reject(new Error(`smartlic bot exited with ${c}`)));
  });
  return { bot, url, err: () => err };
}

/** Polls an async condition (the database, from outside the bot) until it holds. */
async function until(cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function withRepos<T>(fn: (r: ReturnType<typeof createRepositories>) => Promise<T>) {
  const path = env.SMARTLIC_DB!;
  const h = openDatabase({ path });
  try {
    return await fn(
      createRepositories(
        h.db,
        new SecretBox(resolveSecretKey({ envValue: KEY, dbPath: path }).key),
      ),
    );
  } finally {
    await h.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smartlic-interrupted-'));
  // CSSM that takes every request and never answers: the sync job runs until it is killed.
  hang = createServer((_req, res) => held.push(res));
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
  env = {
    SMARTLIC_DB: join(dir, 'db.sqlite'),
    SMARTLIC_SECRET_KEY: KEY,
    SMARTLIC_LOG_LEVEL: 'error',
    SMARTLIC_EMULATOR: 'false',
    SMARTLIC_HTTP_RETRIES: '0',
    SMARTLIC_HTTP_TIMEOUT_MS: '120000',
  };
  expect((await runCli(['db', 'migrate'], env)).code).toBe(0);
  await withRepos((r) =>
    r.smartAccounts.upsert({
      domain: 'hang.example.com',
      name: 'Hang',
      clientId: 'client',
      clientSecret: 'secret',
      tokenUrl: `${base}/oauth2/token`,
      apiBase: `${base}/services/api/smart-accounts-and-licensing/v2`,
      // Every URL of the account is its own (issue 20): all three on the hanging server.
      devicesApiBase: `${base}/v1/software/apis/`,
    }),
  );
  const grant = await runCli(['ask', 'role grant slack:UOPS operator'], env);
  expect(grant.code, grant.err + grant.out).toBe(0);
  slack = await startFakeSlack();
}, 60_000);

afterAll(async () => {
  for (const b of bots) {
    if (b.exitCode === null && b.signalCode === null) {
      const exited = new Promise((r) => b.once('exit', r));
      b.kill('SIGTERM');
      await exited;
    }
  }
  for (const r of held) r.destroy();
  hang?.closeAllConnections();
  await new Promise((r) => hang?.close(r));
  await slack?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a chat write interrupted by a restart', () => {
  it('is said to be interrupted in its thread after the restart, once', async () => {
    const first = await startBot();
    const body = slashCommandBody({
      text: 'sync hang.example.com',
      user: 'UOPS',
      channel: 'C0RUN',
      responseUrl: slack.responseUrl(),
    });
    const r = await fetch(first.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...slack.sign(body) },
      body,
    });
    expect(r.status).toBe(200);
    const started = await slack.waitFor(
      () => slack.messages.find((m) => m.channel === 'C0RUN' && !m.threadTs),
      20_000,
    );
    expect(started.text).toMatch(/Chat: sync: job (\d+) started/);
    const jobId = Number(/job (\d+)/.exec(started.text)![1]);
    // The job is running (CSSM holds its request) and its thread is on record.
    await slack.waitFor(() => held.length > 0, 20_000);
    await until(
      async () => (await withRepos((x) => x.jobs.getById(jobId)))?.status === 'InProgress',
    );

    const gone = new Promise((res) => first.bot.once('exit', res));
    first.bot.kill('SIGKILL');
    await gone;
    expect(slack.messages.filter((m) => m.threadTs === started.ts)).toHaveLength(0);

    await startBot();
    const said = await slack.waitFor(
      () => slack.messages.find((m) => m.threadTs === started.ts),
      20_000,
    );
    expect(said.channel).toBe('C0RUN');
    // One job per chat write: it carries the service's job type (Sync) once the work began.
    expect(said.text).toContain(`Sync: job ${jobId} was interrupted`);
    expect(JSON.stringify(said.blocks)).toContain('restarted while it ran');
    const job = await withRepos((x) => x.jobs.getById(jobId));
    expect(job).toMatchObject({ status: 'Failed', errorCode: 'INTERRUPTED' });

    // A third start tells nobody again: once its follow-up has ended (its debug line), not
    // after a guess at how long that takes.
    const third = await startBot({ SMARTLIC_LOG_LEVEL: 'debug' });
    await until(() => Promise.resolve(third.err().includes('interrupted chat jobs followed up')));
    expect(third.err()).toMatch(/interrupted chat jobs followed up.*"?told"?[:=] ?0/);
    expect(slack.messages.filter((m) => m.threadTs === started.ts)).toHaveLength(1);
  }, 120_000);
});
