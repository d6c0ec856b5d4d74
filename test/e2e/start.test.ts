// Real: the whole CLI as a user starts it (`node bin/smartlic.js start`, what `npm start` runs) in
// a child process, with the real embedded emulator, a real SQLite file, the real site build and
// site server, the real Slack adapter (Bolt) and notifier, real HTTP on 127.0.0.1, and
// `smartlic ask` / a second `smartlic start` as further child processes on the same database.
// Faked: Slack's Web API (test/fakes/fake-slack.ts on loopback); the temp database, key file,
// site directory and config file are created per test.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { instanceLockPath } from '../../core/services/instance-lock.ts';
import { slashCommandBody, startFakeSlack } from '../fakes/fake-slack.ts';
import { closed, descendants, smartlic, survivors } from './proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

interface Ready {
  ready: true;
  site: string;
  emulator: string;
  db: string;
  pid: number;
  http?: string;
}

describe('smartlic start', () => {
  it('--once provisions the emulator accounts, imports clusters, syncs all of them, exits 0', async () => {
    const db = join(dir, 'once.db');
    const r = await run(['start', '--once'], { SMARTLIC_DB: db });
    // Progress lines go to stderr (stdout is not a terminal); nothing else does.
    expect(r.err).not.toMatch(/warning|error/i);
    expect(r.err).toMatch(/^nimbus-hcs\.example\.com: connecting$/m);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/provisioned smart account nimbus-hcs\.example\.com/);
    expect(r.out).toMatch(/provisioned satellite local account la-initech/);
    expect(r.out).toMatch(/imported 24 cluster\(s\)/);
    expect(r.out.match(/^sync .*: ok/gm)?.length).toBe(4);
    // The demo's trouble, as the operator sees it after the first sync.
    expect(r.out).toMatch(/needs attention \(\d+ open alerts; smartlic alerts\):/);
    expect(r.out).toMatch(/^ {2}- warning {2}va-globex is short of 70 HCS UCM Standard/m);
    expect(r.out).toMatch(/^ {2}- warning {2}Authorization of hooli-cucm-01 expires in 10 days$/m);
    expect(r.out).toMatch(
      /^ {2}- info {5}Satellite la-initech on .* must sync with CSSM in 3 days/m,
    );
    expect(r.out).toMatch(
      /^ {2}- warning {2}stark-cucm-01 \(CUCM 15\.0\.1\.10000-19\) is assigned to no VA/m,
    );
    const emulator = /^emulator: (http:\S+)/m.exec(r.out)?.[1];

    // A second start reuses the database and the lab: the emulator comes back on the same
    // port with its state, nothing is re-imported or re-pointed (before the lab was kept,
    // every start re-added all 24 clusters at the new emulator's address).
    const again = await run(['start', '--once'], { SMARTLIC_DB: db });
    expect(again.code).toBe(0);
    expect(again.out).toContain(`emulator: ${emulator} (scenario demo), lab restored from`);
    expect(again.out).toMatch(/nothing re-imported/);
    expect(again.out).not.toMatch(/imported 24 cluster/);
    expect(again.out.match(/^sync .*: ok/gm)?.length).toBe(4);
    expect(existsSync(instanceLockPath(db))).toBe(false);

    const list = await run(['cluster', 'list', '--json'], { SMARTLIC_DB: db });
    expect(list.code).toBe(0);
    const clusters = JSON.parse(list.out) as unknown[];
    expect(clusters).toHaveLength(24);
  }, 180_000);

  it('runs the whole product: ready line, site, ask, one instance per DB, scheduled sync → Slack alert, clean stop, restart reuses the lab', async () => {
    const slack = await startFakeSlack();
    const db = join(dir, 'daemon.db');
    const config = join(dir, 'daemon.yaml');
    writeFileSync(
      config,
      [
        'sync:',
        // Every 15 s (node-cron's seconds field): each scheduled round of `start` ends with a
        // site build (an Astro process, ~9 CPU-s), so with every 4 s the rounds ran back to back
        // for the daemon's whole life. The alert below still comes from a scheduled round,
        // at most one period (and the round in progress) after the lab's clock moved.
        '  cron: "*/15 * * * * *"',
        'bot:',
        '  roles: { operator: ["slack:UOPS"] }',
        '  notify: { pollMs: 200, channelIntervalMs: 0 }',
        '',
      ].join('\n'),
    );
    const env = {
      SMARTLIC_DB: db,
      SMARTLIC_CONFIG: config,
      SMARTLIC_SITE_OUT: join(dir, 'site'),
      SMARTLIC_HTTP_PORT: '0',
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_API_URL: slack.apiUrl,
    };
    const first = smartlic(['start', '--port', '0'], env);
    try {
      const ready = JSON.parse(await first.line(/^\{"ready":true/)) as Ready;
      expect(ready).toMatchObject({ ready: true, db, pid: first.child.pid });
      expect(ready.site).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(ready.emulator).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(ready.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // Exactly one JSON line; the human lines say where everything is.
      expect(first.lines.filter((l) => l.startsWith('{'))).toHaveLength(1);
      expect(first.lines).toContain(`  site      ${ready.site}`);
      expect(first.lines.join('\n')).toMatch(/slack: HTTP at \/slack\/events/);

      // The site: every top-level page of the build answers.
      const pages = readdirSync(join(dir, 'site'), { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.startsWith('_'))
        .map((d) => `${d.name}/`);
      expect(pages.length).toBeGreaterThanOrEqual(3);
      for (const p of ['', ...pages]) {
        const r = await fetch(`${ready.site}${p}`);
        expect(r.status, p).toBe(200);
        expect(await r.text(), p).toMatch(/<html/i);
      }

      // The CLI works beside it on the same database.
      const status = await run(['ask', 'status'], { SMARTLIC_DB: db });
      expect(status.code).toBe(0);
      expect(status.out).toMatch(/^Not in compliance: .* open alerts need attention/m);
      expect(status.out).toMatch(/clusters\s+24 /);

      // A second start on the same DB refuses before touching anything.
      const second = await run(['start', '--port', '0'], { ...env });
      expect(second.code).toBe(1);
      expect(second.err).toContain('INSTANCE_RUNNING');
      expect(second.err).toContain(`smartlic start already runs on ${db}: pid ${ready.pid} on `);
      const health = (await (await fetch(`${ready.http}/healthz`)).json()) as { ok: boolean };
      expect(health.ok).toBe(true);

      // Subscribe a channel with the bot's own command, through the real Slack adapter.
      const responseUrl = slack.responseUrl();
      const body = slashCommandBody({
        text: 'subscribe authorization-expiry --severity critical',
        user: 'UOPS',
        channel: 'CALERTS',
        responseUrl,
      });
      const ack = await fetch(`${ready.http}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...slack.sign(body) },
        body,
      });
      expect(ack.status).toBe(200);
      const id = responseUrl.split('/').pop()!;
      await slack.waitFor(() => slack.responses.find((x) => x.id === id), 30_000);
      expect(slack.messages.filter((m) => m.channel === 'CALERTS')).toHaveLength(0);

      // 11 days pass in the lab: hooli-cucm-01's authorization (10 days left) lapses; the next
      // scheduled sync of the first instance sees it and the alert reaches the channel.
      const clock = await fetch(`${ready.emulator}/__emulator/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advance: 'P11D' }),
      });
      expect(clock.status).toBe(200);
      const alert = await slack.waitFor(
        () =>
          slack.messages.find(
            (m) => m.channel === 'CALERTS' && /Authorization of hooli-cucm-01 expired/.test(m.text),
          ),
        120_000,
      );
      // The channel asked for critical alerts only: the red marker, and nothing milder.
      expect(alert.text).toContain('🔴');
      expect(
        slack.messages.filter((m) => m.channel === 'CALERTS' && !m.text.includes('🔴')),
      ).toEqual([]);

      // SIGTERM stops everything: exit 0, no child process left, nothing listening, lock gone.
      const kids = descendants(first.child.pid!);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(await survivors(kids)).toEqual([]);
      expect(await closed(ready.site)).toBe(true);
      expect(await closed(`${ready.emulator}/__emulator/clock`)).toBe(true);
      expect(await closed(`${ready.http}/healthz`)).toBe(true);
      expect(existsSync(instanceLockPath(db))).toBe(false);

      // Started again, it finds the lab as it was left: same emulator port, the clock still
      // 11 days ahead, nothing re-imported.
      const again = smartlic(['start', '--port', '0'], env);
      try {
        const r2 = JSON.parse(await again.line(/^\{"ready":true/)) as Ready;
        expect(r2.emulator).toBe(ready.emulator);
        expect(again.lines.join('\n')).toMatch(/lab restored from .*nothing re-imported/s);
        const now = (await (await fetch(`${r2.emulator}/__emulator/clock`)).json()) as {
          now: string;
        };
        expect(Date.parse(now.now) - Date.now()).toBeGreaterThan(10.9 * 86_400_000);
        again.child.kill('SIGTERM');
        expect(await again.exited).toBe(0);
      } finally {
        if (again.child.exitCode === null) again.child.kill('SIGKILL');
      }
    } finally {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
      await slack.close();
    }
  }, 400_000);

  it('without the emulator and with no account yet, says how to add one', async () => {
    const r = await run(['start', '--once'], {
      SMARTLIC_DB: join(dir, 'real.db'),
      SMARTLIC_EMULATOR: 'false',
    });
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/emulator:/);
    expect(r.out).toMatch(/No accounts are provisioned yet: add one with `smartlic account add`/);
  });

  it('rejects unknown options and a bad --port with exit 2', async () => {
    const r = await run(['start', '--bogus'], { SMARTLIC_DB: join(dir, 'x.db') });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown option --bogus/);
    const p = await run(['start', '--port', 'http'], { SMARTLIC_DB: join(dir, 'x.db') });
    expect(p.code).toBe(2);
    expect(p.err).toMatch(/--port needs a whole number from 0 to 65535 \(got "http"\)/);
  });

  it('--scale N --seed S runs on a generated estate, kept for the next start; another size is refused', async () => {
    const db = join(dir, 'estate.db');
    const env = { SMARTLIC_DB: db, SMARTLIC_SITE_OUT: join(dir, 'estate-site') };
    const r = await run(['start', '--once', '--scale', '3', '--seed', '7'], env);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^emulator: http:\S+ \(generated estate: --scale 3, seed 7\)$/m);
    // Not the demo scenario's accounts: the generator's (a provider and its satellite).
    expect(r.out).not.toMatch(/nimbus-hcs/);
    const imported = Number(/imported (\d+) cluster\(s\)/.exec(r.out)?.[1]);
    expect(imported).toBeGreaterThanOrEqual(30);
    expect(r.out).not.toMatch(/^sync .*: failed/m);

    const again = await run(['start', '--once'], env);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/\(generated estate: --scale 3, seed 7\), lab restored from/);
    expect(again.out).toMatch(/nothing re-imported/);

    const other = await run(['start', '--once', '--scale', '4'], env);
    expect(other.code).not.toBe(0);
    expect(other.err).toMatch(/was provisioned from a lab of --scale 3, not --scale 4/);
    const bad = await run(['start', '--scale', 'lots'], env);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--scale needs a whole number from 1 to 10000 \(got "lots"\)/);
  }, 240_000);
});
