// Real: the whole CLI as a user starts it (`node bin/smartlic.js start`, what `npm start` runs) in a
// child process, with the real embedded emulator, a real SQLite file and real HTTP on 127.0.0.1.
// Faked: nothing; the temp database and key file are created per test.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string>, untilLine?: RegExp) {
  const child = spawn(process.execPath, ['bin/smartlic.js', ...args], {
    cwd: process.cwd(),
    env: { ...process.env, SMARTLIC_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let signalled = false;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    // Handlers are installed before the line is written; the pause only lets the output settle.
    // One SIGTERM only: a second one (on the "stopping…" chunk) would land after the handler is
    // gone and kill a shutdown that takes longer than the pause.
    if (!signalled && untilLine && untilLine.test(out)) {
      signalled = true;
      setTimeout(() => child.kill('SIGTERM'), 300);
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, out, err })),
  );
}

describe('smartlic start', () => {
  it('--once provisions the emulator accounts, imports clusters, syncs all of them, exits 0', async () => {
    const db = join(dir, 'once.db');
    const r = await run(['start', '--once'], { SMARTLIC_DB: db });
    expect(r.err).toBe('');
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

    // A second start reuses the database: accounts are updated, clusters not added twice.
    const again = await run(['start', '--once'], { SMARTLIC_DB: db });
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/imported 24 cluster\(s\) from the emulator \(24 added/);

    const list = await run(['cluster', 'list', '--json'], { SMARTLIC_DB: db });
    expect(list.code).toBe(0);
    const clusters = JSON.parse(list.out) as unknown[];
    expect(clusters).toHaveLength(24);
  }, 120_000);

  it('stays up with the scheduler and stops cleanly on SIGTERM', async () => {
    const r = await run(['start'], { SMARTLIC_DB: join(dir, 'daemon.db') }, /smartlic is running/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/scheduled sync: "0 3 \* \* \*" \(UTC\), next \d{4}-/);
    expect(r.out).toMatch(/stopping/);
  }, 120_000);

  it('without the emulator and with no account yet, says how to add one', async () => {
    const r = await run(['start', '--once'], {
      SMARTLIC_DB: join(dir, 'real.db'),
      SMARTLIC_EMULATOR: 'false',
    });
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/emulator:/);
    expect(r.out).toMatch(/No accounts are provisioned yet: add one with `smartlic account add`/);
  });

  it('rejects unknown options with exit 2', async () => {
    const r = await run(['start', '--bogus'], { SMARTLIC_DB: join(dir, 'x.db') });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown option --bogus/);
  });
});
