// Real: bin/smartlic.ts main() with the account, sync and alerts verbs (config from the given env,
// SQLite in a temp file, the real services and alert rules), the emulator (demo scenario) over
// loopback. Faked: stdin/stdout/stderr are in-memory streams; no TTY.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { runCli } from '../support/helpers.ts';

let emu: RunningEmulator;
let dir: string;
let env: NodeJS.ProcessEnv;

const run = (argv: string[], extra: Record<string, string> = {}) =>
  runCli(argv, { ...env, ...extra }, '');

beforeAll(async () => {
  emu = await startEmulator({ port: 0, scenario: 'demo', frozen: true });
  dir = mkdtempSync(join(tmpdir(), 'smartlic-cli-alerts-'));
  env = {
    SMARTLIC_DB: join(dir, 'smartlic.db'),
    SMARTLIC_CSSM_TOKEN_URL: emu.ready.cloud.tokenUrl,
    SMARTLIC_CSSM_API_BASE: emu.ready.cloud.apiBase,
    SMARTLIC_CSSM_DEVICES_API_BASE: emu.ready.cloud.devicesApiBase,
    SMARTLIC_LOG_LEVEL: 'error',
    SMARTLIC_HTTP_RETRIES: '1',
  };
  const c = emu.ready.clients.find((x) => x.for === 'cloud')!;
  const r = await run(
    ['account', 'add', '--domain', c.account, '--client-id', c.clientId, '--secret-env', 'S'],
    { S: c.clientSecret },
  );
  expect(r.code).toBe(0);
}, 60_000);

afterAll(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

const TITLE = 'va-globex is short of 70 HCS UCM Standard';

describe('smartlic alerts', () => {
  it('lists what the sync found, filters by severity and customer, and prints JSON', async () => {
    // The default table fits 100 columns; --wide shows every column in full.
    const narrow = await run(['alerts']);
    expect(Math.max(...narrow.out.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
    const r = await run(['alerts', '--wide']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^ID\s+Severity\s+Rule\s+Entity\s+Customer\s+Since\s+Due\s+Muted\s+Title$/m,
    );
    expect(r.out).toMatch(
      new RegExp(`^1\\s+warning\\s+insufficient-licenses\\s+VA va-globex\\s+.*${TITLE}$`, 'm'),
    );

    expect((await run(['alerts', '--severity', 'critical'])).out).toMatch(
      /^no open alerts in .*smartlic.db\n$/,
    );
    expect((await run(['alerts', '--severity', 'WARNING', '--wide'])).out).toContain(TITLE);
    const json = JSON.parse((await run(['alerts', '--json'])).out) as {
      rule: string;
      facts: object;
    }[];
    expect(json).toEqual([
      expect.objectContaining({
        rule: 'insufficient-licenses',
        facts: expect.objectContaining({ licenseType: 'HUCM_Standard', shortage: 70 }),
      }),
    ]);
  });

  it('bad input: one line, exit 2, what to do', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['alerts', '--severity', 'high'],
        /--severity "high" is not a severity — use info, warning or critical/,
      ],
      [['alerts', '--customer', 'Nobody'], /no customer "Nobody"/],
      [['alerts', 'frobnicate'], /unknown subcommand "frobnicate"/],
      [['alerts', 'mute', '1'], /needs --for — say how long, e.g. --for 7d/],
      [['alerts', 'mute', '1', '--for', '7x'], /"7x" is not a duration — give a number and a unit/],
      [['alerts', 'mute', '1', '--for', '400d'], /longer than a year/],
      [['alerts', 'mute', 'abc', '--for', '7d'], /"abc" is not an alert id/],
      [['alerts', 'unmute'], /needs an alert id/],
    ];
    for (const [argv, msg] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.err, argv.join(' ')).toMatch(msg);
    }
    const missing = await run(['alerts', 'mute', '999', '--for', '7d']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/NOT_FOUND: no alert 999/);
  });

  it('mute for 7 days with a reason, show it, unmute it', async () => {
    const m = await run(['alerts', 'mute', '1', '--for', '7d', '--reason', 'order placed']);
    expect(m.code).toBe(0);
    expect(m.out).toMatch(/^muted alert 1 until \d{4}-\d\d-\d\d \d\d:\d\d UTC: va-globex/);
    const listed = await run(['alerts', '--wide']);
    expect(listed.out).toMatch(/until \d{4}-\d\d-\d\d \d\d:\d\d UTC: order placed/);

    const shown = await run(['alerts', 'show', '1']);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(/^Alert 1: va-globex is short of 70/);
    expect(shown.out).toMatch(/^ {2}action {7}Add or transfer 70 licenses of HCS UCM Standard/m);
    expect(shown.out).toMatch(/^ {4}shortage: 70$/m);
    expect(shown.out).toMatch(/ muted {4}warning .*\(cli:/);

    const u = await run(['alerts', 'unmute', '1']);
    expect(u.code).toBe(0);
    expect(u.out).toMatch(/^alert 1 is no longer muted/);
    expect((await run(['alerts', '--wide'])).out).not.toMatch(/order placed/);

    const rule = await run(['alerts', 'mute', '1', '--for', '2w', '--rule']);
    expect(rule.out).toMatch(
      /^muted insufficient-licenses on VA va-globex until .* \(alert 1 and any later one of that rule there\)/,
    );
    expect((await run(['alerts', '--wide'])).out).toMatch(/\(rule\)/);
  });

  it('--all keeps resolved alerts as history', async () => {
    const all = await run(['alerts', '--all', '--wide']);
    expect(all.out).toMatch(/^ID\s+Severity\s+State\s+Rule/m);
    expect(all.out).toMatch(/^1\s+warning\s+open\s+insufficient-licenses/m);
  });
});
