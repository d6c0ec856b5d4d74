// Real: the CLI entry (bin/smartlic.ts main) running `ask` and `chat` over a real SQLite temp
// file with the real migrations, services and command layer. Faked: stdin/stdout are in-memory
// streams (runCli), so `chat` runs without a terminal.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/helpers.ts';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'smartlic-console-'));
  env = {
    SMARTLIC_DB: join(dir, 'smartlic.db'),
    SMARTLIC_SECRET_KEY: 'console test passphrase',
    SMARTLIC_LOG_LEVEL: 'error',
    SMARTLIC_EMULATOR: 'false',
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('smartlic ask', () => {
  it('answers a read in plain text with exit code 0', async () => {
    const r = await runCli(['ask', 'help', 'token', 'create'], env);
    expect(r.code).toBe(0);
    expect(r.out).toContain('token create <va> [--days N] [--export-controlled]');
  });

  it('exit code 2 and a suggestion for an unknown verb', async () => {
    const r = await runCli(['ask', 'clustrs'], env);
    expect(r.code).toBe(2);
    expect(r.out).toContain('Did you mean "clusters"');
  });

  it('runs a write as a job and prints the follow-up; --json gives its typed data', async () => {
    const t = await runCli(['ask', 'sync'], env);
    expect(t.code, t.out).toBe(0);
    expect(t.out).toMatch(/Chat: sync: job \d+ started/);
    expect(t.out).toMatch(/Sync finished|Nothing to sync/);
    // The follow-up's data: the sync outcomes, the document `smartlic sync --json` prints too.
    const r = await runCli(['ask', 'sync', '--json'], env);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { status: string }[];
    expect(Array.isArray(j)).toBe(true);
    for (const o of j) expect(o.status).toBe('Completed');
  });

  it('--as acts as a chat user with their role, and the denial exits 1', async () => {
    const granted = await runCli(['ask', 'role grant slack:UOPS operator'], env);
    expect(granted.code).toBe(0);
    expect((await runCli(['ask', '--as', 'slack:UOPS', 'sync'], env)).code).toBe(0);
    const denied = await runCli(['ask', 'sync', '--as', 'slack:USOMEONE'], env);
    expect(denied.code).toBe(1);
    expect(denied.out).toContain('needs the operator role');
    const audit = await runCli(['ask', 'jobs'], env);
    expect(audit.out).toContain('Chat: sync');
  });

  it('asks for --yes before a destructive command', async () => {
    const r = await runCli(['ask', 'token revoke 999'], env);
    expect(r.code).toBe(1);
    expect(r.out).toContain('add --yes');
    const y = await runCli(['ask', 'token revoke 999 --yes'], env);
    // No token 999 is a name that does not exist: exit 2 on every face (the CLI's rule).
    expect(y.code).toBe(2);
    expect(y.out).toMatch(/failed/);
  });
});

describe('smartlic chat', () => {
  it('reads commands line by line until exit', async () => {
    const r = await runCli(['chat'], env, 'whoami\nclustrs\nexit\naccounts\n');
    expect(r.code).toBe(0);
    expect(r.out).toContain('console:');
    expect(r.out).toContain('admin');
    expect(r.out).toContain('Did you mean "clusters"');
    expect(r.out).not.toContain('Accounts (');
  });
});
