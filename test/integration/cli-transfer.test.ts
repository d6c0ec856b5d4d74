// `smartlic license transfer` on the terminal (issue 25): the same registry spec as the chat.
// Without --yes it prints the confirmation (both VAs before and after) and changes nothing;
// with --yes it runs the job and prints its follow-up; a refusal is one error line on stderr
// with exit code 2 and nothing sent. The terminal text is compared with golden files
// (test/golden/cli/license-transfer*.txt; UPDATE_GOLDEN=1 rewrites them).
// Real: the CLI entry in-process (bin/smartlic.ts → bin/cli/terminal.ts), the emulator (demo
// scenario, frozen clock) on loopback, a temp SQLite file with the real migrations, the
// services. Faked: stdin/stdout are in-memory streams (not a TTY). Job ids, times and the
// emulator's port are masked in the golden text.
// Covers: bot/commands/handlers/transfers.ts, bot/commands/layer.ts (preview), bin/cli/terminal.ts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globexLab, HCS, type GlobexLab } from './cli-globex-lab.ts';

const GOLDEN = fileURLToPath(new URL('../golden/cli/', import.meta.url));
let lab: GlobexLab;

beforeAll(async () => {
  lab = await globexLab('smartlic-cli-transfer-');
}, 60_000);
afterAll(() => lab.close());

function masked(text: string): string {
  return text
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
    .replace(/\d{4}-\d\d-\d\d([ T]\d\d:\d\d(:\d\d(\.\d+)?Z?)?)?( UTC)?/g, 'DATE')
    .replace(/\bjob \d+\b/g, 'job N')
    .replace(/ {2,}/g, '  ')
    .replace(/-{2,}/g, '--');
}

function golden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
  }
  expect(existsSync(file), `${name} is missing: run with UPDATE_GOLDEN=1 once and review it`).toBe(
    true,
  );
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

async function standard(va: string): Promise<number> {
  const st = (await (await fetch(`${lab.emu.baseUrl}/__emulator/state`)).json()) as {
    smartAccounts: {
      domain: string;
      virtualAccounts: { name: string; licenses: { license: string; quantity: number }[] }[];
    }[];
  };
  return (
    st.smartAccounts
      .find((s) => s.domain === HCS)!
      .virtualAccounts.find((v) => v.name === va)!
      .licenses.find((l) => l.license === 'HCS UCM Standard')?.quantity ?? 0
  );
}

const words = [
  'license',
  'transfer',
  `${HCS}/va-hcs-ordered`,
  `${HCS}/va-globex`,
  'HCS UCM Standard',
  '70',
];

describe('smartlic license transfer', () => {
  it('without --yes shows the confirmation with both VAs before and after, and changes nothing', async () => {
    const r = await lab.run(words);
    // Not confirmed and no terminal to ask on: refused as bad usage (exit 2, add --yes), and
    // what would run goes to stderr (stdout carries results only).
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(await standard('va-globex')).toBe(150);
    golden('license-transfer-confirm.txt', masked(r.err));
  });

  it('refuses more than available with its code, on stderr, before anything is sent', async () => {
    const r = await lab.run([...words.slice(0, 5), '1501', '--yes']);
    // The state refuses it (exit 1); a malformed quantity is bad input (exit 2).
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^smartlic license transfer: TRANSFER_EXCEEDS_AVAILABLE: nimbus-hcs.example.com\/va-hcs-ordered has 1500 TERM HCS UCM Standard available/,
    );
    expect(await standard('va-globex')).toBe(150);
    const typo = await lab.run([...words.slice(0, 5), '7O', '--yes']);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain(
      'TRANSFER_QUANTITY: the quantity to transfer must be a positive whole number, not "7O"',
    );
  });

  it('with --yes runs the job, prints its follow-up, and the usage read shows the new count', async () => {
    const r = await lab.run([...words, '--yes']);
    expect(r.code, r.err).toBe(0);
    expect(await standard('va-globex')).toBe(220);
    golden('license-transfer.txt', masked(r.out));
    const usage = await lab.run(['usage', `${HCS}/va-globex`, '--json']);
    expect(usage.code, usage.err).toBe(0);
    expect(usage.out).toMatch(/HUCM_Standard/);
    expect(usage.out.replace(/\s/g, '')).toMatch(/"owned":220|"quantity":220/);
  });
});

describe('smartlic cluster remove-instance', () => {
  it('refuses an instance CSSM does not list (exit 2), then removes one with --yes', async () => {
    const unknown = await lab.run([
      'cluster',
      'remove-instance',
      `${HCS}/va-acme`,
      'no-such-node',
      '--yes',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/NOT_FOUND: no product instance "no-such-node" is registered/);
    const pub = 'acme-cucm-01-pub.acme.example';
    const asked = await lab.run(['cluster', 'remove-instance', `${HCS}/va-acme`, pub]);
    expect(asked.code).toBe(2);
    expect(asked.err).toMatch(/serial number\s+\w+/);
    const r = await lab.run(['cluster', 'remove-instance', `${HCS}/va-acme`, pub, '--yes']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`${pub} removed from ${HCS}/va-acme`);
    const st = (await (await fetch(`${lab.emu.baseUrl}/__emulator/state`)).json()) as {
      clusters: { name: string; registration: { status: string | null } }[];
    };
    expect(st.clusters.find((c) => c.name === 'acme-cucm-01')!.registration.status).not.toBe(
      'Registered',
    );
  });
});
