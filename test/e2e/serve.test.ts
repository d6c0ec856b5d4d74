// Real: `smartlic serve` as a child process (config validation, the Slack adapter through Bolt,
// the scheduler, /healthz, pino JSON logs, SIGTERM) over a real SQLite file that a real
// `smartlic start --once` provisioned; the real emulator, restored in this test process from the
// lab files beside the database (same port, journal replayed) so the stored URLs reach it.
// Faked: Slack's Web API (test/fakes/fake-slack.ts); the emulator's latency (its own fault
// injection) so that a sync is surely running when SIGTERM comes.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labPaths } from '../../bin/cli/lab.ts';
import { instanceLockPath } from '../../core/services/instance-lock.ts';
import { startEmulator, type JournalEntry, type LocalEmulator } from '../../emulator/index.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/fake-slack.ts';
import { closed, smartlic } from './proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-serve-'));
const db = join(dir, 'serve.db');
let emu: LocalEmulator;
let slack: FakeSlack;
const seen: { method: string; url: string }[] = [];

function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['bin/smartlic.js', ...args], {
    cwd: process.cwd(),
    // The lab's 90-day past is not what these tests are about: it has its own test
    // (start-history.test.ts); a test that wants it passes SMARTLIC_LAB_HISTORY_DAYS.
    env: { ...process.env, SMARTLIC_LOG_LEVEL: 'warn', SMARTLIC_LAB_HISTORY_DAYS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, out, err })),
  );
}

beforeAll(async () => {
  const prep = await run(['start', '--once'], { SMARTLIC_DB: db });
  expect(prep.code).toBe(0);
  // The lab comes back as `start` left it, in this process, so the test can slow it down.
  const paths = labPaths(db);
  const meta = JSON.parse(readFileSync(paths.meta, 'utf8')) as {
    port: number;
    scenario: string;
    seed: number;
    start: string;
    offsetMs: number;
  };
  const replay = readFileSync(paths.journal, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalEntry);
  emu = await startEmulator({
    port: meta.port,
    scenario: meta.scenario,
    seed: meta.seed,
    now: meta.start,
    replay,
    resumeAt: Date.now() + meta.offsetMs,
    // Every request, reads included (a sync that changes nothing journals nothing).
    observe: (method, url) => seen.push({ method, url }),
  });
  slack = await startFakeSlack();
}, 180_000);

afterAll(async () => {
  await emu?.close();
  await slack?.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('smartlic serve', () => {
  it('reports every configuration problem at once, exit 2', async () => {
    const r = await run(['serve'], {
      SMARTLIC_DB: db,
      SMARTLIC_HTTP_PORT: 'eighty',
      SMARTLIC_SYNC_CRON: 'every day',
      SLACK_BOT_TOKEN: 'xoxb-only-half',
    });
    expect(r.code).toBe(2);
    expect(r.err).toContain('bot.httpPort (SMARTLIC_HTTP_PORT): expected a whole number');
    expect(r.err).toContain('sync.cron (SMARTLIC_SYNC_CRON)');
    expect(r.err).toContain('SLACK_SIGNING_SECRET is missing');
    expect(r.err).not.toContain('xoxb-only-half');
  });

  it('healthz 200, then 503 when the DB goes away or Slack is down; SIGTERM during a sync lets it finish, exit 0', async () => {
    const config = join(dir, 'serve.yaml');
    writeFileSync(config, 'sync:\n  cron: "*/2 * * * * *"\n');
    const serve = smartlic(['serve'], {
      SMARTLIC_DB: db,
      SMARTLIC_CONFIG: config,
      SMARTLIC_HTTP_PORT: '0',
      SMARTLIC_LOG_LEVEL: 'info',
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_API_URL: slack.apiUrl,
    });
    try {
      const ready = JSON.parse(await serve.line(/^\{"ready":true/)) as {
        http: string;
        adapters: { slack: boolean };
      };
      expect(ready.adapters.slack).toBe(true);
      const health = async () => {
        const r = await fetch(`${ready.http}/healthz`);
        return {
          status: r.status,
          body: (await r.json()) as {
            ok: boolean;
            db: { ok: boolean };
            adapters: Record<string, string>;
            accounts: { domain: string; lastSyncStatus: string | null }[];
          },
        };
      };
      const h1 = await health();
      expect(h1.status).toBe(200);
      // The listener's own ack times and event-loop delay ride along (the bot benchmark reads them).
      expect(h1.body).toHaveProperty('acks.n');
      expect(h1.body).toHaveProperty('eventLoopDelay.p99Ms');
      expect(h1.body.ok).toBe(true);
      expect(h1.body.adapters).toEqual({ slack: 'up' });
      expect(h1.body.accounts.map((a) => a.domain).sort()).toEqual([
        'la-initech',
        'la-umbrella',
        'nimbus-eu.example.com',
        'nimbus-hcs.example.com',
      ]);
      // A second long-running process on this DB is refused.
      const second = await run(['serve'], { SMARTLIC_DB: db, SMARTLIC_HTTP_PORT: '0' });
      expect(second.code).toBe(1);
      expect(second.err).toContain('INSTANCE_RUNNING');
      expect(second.err).toContain('smartlic serve already runs on');

      // The database file goes away (a volume unmounted, a file deleted): 503, then back.
      renameSync(db, `${db}.away`);
      const h2 = await health();
      expect(h2.status).toBe(503);
      expect(h2.body.db.ok).toBe(false);
      renameSync(`${db}.away`, db);
      expect((await health()).status).toBe(200);

      // Slack cannot be reached with the token: 503 naming the adapter.
      // (An "up" is cached for 10 s so a busy /healthz does not hammer Slack: poll past it.)
      await slack.server.close();
      let h3 = await health();
      for (let i = 0; i < 30 && h3.status === 200; i++) {
        await new Promise((r) => setTimeout(r, 500));
        h3 = await health();
      }
      expect(h3.status).toBe(503);
      expect(h3.body.adapters).toEqual({ slack: 'down' });

      // Slow answers, wait until a scheduled sync is reading from the lab, then SIGTERM.
      await fetch(`${emu.baseUrl}/__emulator/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ latencyMs: 1500, scope: 'all' }),
      });
      const from = seen.length;
      const deadline = Date.now() + 60_000;
      const syncing = () => seen.slice(from).some((e) => !e.url.startsWith('/__emulator/'));
      while (!syncing() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(syncing()).toBe(true);
      serve.child.kill('SIGTERM');
      expect(await serve.exited).toBe(0);

      // The sync that was running finished (no job left in progress or closed as interrupted),
      // the logs were JSON lines (pino) with the stop in them, the listener and the lock gone.
      const sqlite = new Database(db, { readonly: true });
      try {
        const open = sqlite
          .prepare("select count(*) as n from jobs where status in ('Queued', 'InProgress')")
          .get() as { n: number };
        expect(open.n).toBe(0);
        const interrupted = sqlite
          .prepare("select count(*) as n from jobs where status_information like '%interrupted%'")
          .get() as { n: number };
        expect(interrupted.n).toBe(0);
        const last = sqlite
          .prepare(
            "select status from jobs where requested_by = 'scheduler' order by id desc limit 1",
          )
          .get() as { status: string } | undefined;
        expect(last?.status).toBe('Completed');
      } finally {
        sqlite.close();
      }
      const logs = serve
        .err()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: number; msg: string; pid: number });
      expect(logs.some((l) => l.msg === 'stopping')).toBe(true);
      expect(logs.some((l) => l.msg === 'stopped')).toBe(true);
      expect(serve.err()).not.toContain(slack.botToken);
      expect(serve.err()).not.toContain(slack.signingSecret);
      expect(await closed(`${ready.http}/healthz`)).toBe(true);
      expect(() => readFileSync(instanceLockPath(db))).toThrow();
    } finally {
      if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
      await fetch(`${emu.baseUrl}/__emulator/faults`, { method: 'DELETE' });
    }
  }, 240_000);
});
