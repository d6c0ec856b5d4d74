// Real: bin/smartlic.ts main() with the account and sync verbs, the registry's specs run by the
// terminal adapter (bot/commands/handlers/{inventory,writes}.ts via bin/cli/terminal.ts; config from the given env,
// SQLite in a temp file with its key file, the real services), the emulator (demo scenario)
// over loopback. Faked: stdin/stdout/stderr are in-memory streams; no TTY.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { emulatorCloudEnv, runCli } from '../support/helpers.ts';

let emu: RunningEmulator;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, scenario: 'demo', frozen: true });
  dir = mkdtempSync(join(tmpdir(), 'smartlic-cli-'));
  env = {
    SMARTLIC_DB: join(dir, 'smartlic.db'),
    ...emulatorCloudEnv(emu),
    SMARTLIC_LOG_LEVEL: 'error',
    SMARTLIC_HTTP_RETRIES: '1',
  };
});
afterAll(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(argv: string[], extraEnv: Record<string, string> = {}, stdinText = '') {
  return runCli(argv, { ...env, ...extraEnv }, stdinText);
}

const client = () => emu.ready.clients.find((c) => c.for === 'cloud')!;

/**
 * The demo's cloud account provisioned, as the `account add` test leaves it; made here when
 * that test did not run before in this process (`npm run test:alone` runs each by itself).
 */
async function ensureAccount(): Promise<void> {
  const listed = JSON.parse((await run(['account', 'list', '--json'])).out) as unknown[];
  if (listed.length > 0) return;
  const c = client();
  const r = await run(
    ['account', 'add', '--domain', c.account, '--client-id', c.clientId, '--secret-env', 'S'],
    { S: c.clientSecret },
  );
  expect(r.code, r.err).toBe(0);
}

describe('smartlic account / sync through main()', () => {
  it('refuses --secret on the command line and says why', async () => {
    const c = client();
    const r = await run([
      'account',
      'add',
      '--domain',
      c.account,
      '--client-id',
      c.clientId,
      '--secret',
      c.clientSecret,
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/INPUT: --secret is not accepted: .*visible.*--secret-env/);
    expect(r.err).not.toContain(c.clientSecret);
  });

  it('bad credentials: exit 1, one line CSSM1011 with the action, no stack', async () => {
    const c = client();
    const r = await run(
      ['account', 'add', '--domain', c.account, '--client-id', c.clientId, '--secret-stdin'],
      {},
      'not-the-secret\n',
    );
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/CSSM1011: .* — Reconfigure the client id and secret/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('account add --secret-env provisions and syncs; account list shows the summary', async () => {
    const c = client();
    const r = await run(
      [
        'account',
        'add',
        '--domain',
        c.account,
        '--client-id',
        c.clientId,
        '--secret-env',
        'NIMBUS_SECRET',
      ],
      { NIMBUS_SECRET: c.clientSecret },
    );
    expect(r.err).toMatch(/virtual accounts/); // plain progress lines, not a bar
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^Provisioned nimbus-hcs\.example\.com \(Nimbus Voice HCS, CUSTOMER, Direct\): 5 virtual accounts$/m,
    );
    expect(r.out).toMatch(/^first sync\s+Completed$/m);
    expect(r.out).toMatch(/^core job\s+\d+$/m);
    expect(r.out + r.err).not.toContain(c.clientSecret);

    const list = await run(['account', 'list', '--wide']);
    expect(list.code).toBe(0);
    // Alerts: the demo's va-globex is 70 short of HCS UCM Standard (one warning alert).
    expect(list.out).toMatch(/^name\s+domain\s+type\s+status\s+VA#\s+last sync\s+alerts/m);
    expect(list.out).toMatch(
      /Nimbus Voice HCS\s+nimbus-hcs\.example\.com\s+CUSTOMER\s+Active\s+5\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+1 open \(1 warning\)$/m,
    );
    const json = await run(['account', 'list', '--json']);
    const rows = JSON.parse(json.out) as {
      domain: string;
      virtualAccounts: number;
      lastSyncStatus: string;
    }[];
    expect(rows).toEqual([
      expect.objectContaining({ domain: c.account, virtualAccounts: 5, lastSyncStatus: 'Success' }),
    ]);
  });

  it('sync --json prints each account outcome; a failing CSSM gives exit 1 and one line', async () => {
    await ensureAccount();
    const r = await run(['sync', '--json']);
    expect(r.code).toBe(0);
    const outcomes = JSON.parse(r.out) as { domain: string; status: string; skipped: string[] }[];
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ domain: client().account, status: 'Completed' });
    expect(outcomes[0]!.skipped).toContain('devices');

    await fetch(`${emu.baseUrl}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errorRate: 1, errorStatus: 500, scope: 'cloud' }),
    });
    try {
      // The older `--account D` is refused with the one form to write.
      const old = await run(['sync', '--account', client().account]);
      expect(old.code).toBe(2);
      expect(old.err).toContain('Write `sync nimbus-hcs.example.com`');
      const bad = await run(['sync', client().account, '--full']);
      expect(bad.code).toBe(1);
      expect(bad.out).toBe('');
      expect(bad.err).toMatch(
        /^smartlic sync: nimbus-hcs\.example\.com: CSSM1020: .*\(job \d+\) — .+$/m,
      );
      expect(bad.err).not.toMatch(/\n\s+at /);
      // Logs are text on stderr by default; JSON only when asked.
      for (const line of bad.err.split('\n')) expect(line.startsWith('{')).toBe(false);
      const json = await run(['sync', client().account, '--log-format', 'json'], {
        SMARTLIC_LOG_LEVEL: 'info',
      });
      expect(json.code).toBe(1);
      const logLines = json.err.split('\n').filter((l) => l.startsWith('{'));
      expect(logLines.length).toBeGreaterThan(0);
      for (const l of logLines) expect(JSON.parse(l)).toHaveProperty('level');
      const list = await run(['account', 'list', '--wide']);
      expect(list.out).toMatch(/\(Failed\)\s+last sync failed; 1 open \(1 warning\)/);
      // Also with the default width (100 columns when not a terminal): every line fits.
      const narrow = await run(['account', 'list']);
      for (const line of narrow.out.trimEnd().split('\n'))
        expect(line.length).toBeLessThanOrEqual(100);
    } finally {
      await fetch(`${emu.baseUrl}/__emulator/faults`, { method: 'DELETE' });
    }
  });
});
