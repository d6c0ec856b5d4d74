// Real: bin/smartlic.ts main() and the config command. Faked: stdio (in-memory streams) and env.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../bin/smartlic.ts';

function io(env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return {
    io: { stdout, stderr, stdin: new PassThrough(), env, isTty: false },
    out: () => out,
    err: () => err,
  };
}

describe('smartlic CLI', () => {
  it('prints help listing every command', async () => {
    const t = io();
    expect(await main(['--help'], t.io)).toBe(0);
    for (const verb of ['allocate', 'config', 'db', 'emulator'])
      expect(t.out()).toContain(`  ${verb}`);
  });

  it('rejects an unknown command with exit 2', async () => {
    const t = io();
    expect(await main(['frobnicate'], t.io)).toBe(2);
    expect(t.err()).toMatch(/unknown command "frobnicate"/);
  });

  it('config show redacts the secret key and reports bad settings with exit 2', async () => {
    const ok = io({ SMARTLIC_SECRET_KEY: 'topsecretvalue' });
    expect(await main(['config', 'show'], ok.io)).toBe(0);
    expect(ok.out()).not.toContain('topsecretvalue');
    expect(JSON.parse(ok.out()).secretKey).toBe('[redacted]');

    const bad = io({ SMARTLIC_SYNC_TIMEZONE: 'Nowhere/Land' });
    expect(await main(['config', 'show'], bad.io)).toBe(2);
    expect(bad.err()).toMatch(/sync\.timezone/);
    expect(bad.err()).not.toMatch(/at .*\.ts:\d+/);
  });
});
