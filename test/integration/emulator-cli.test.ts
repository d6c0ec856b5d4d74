// Real: `smartlic emulator` as a child process (node + tsx, the real CLI entry), its stdout
// ready line and signal handling; plain fetch against the address it prints. Faked: nothing.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Json } from './emulator-helpers.ts';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

function run(args: string[]) {
  return spawn(process.execPath, [join(ROOT, 'bin/smartlic.js'), 'emulator', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('smartlic emulator', () => {
  it('prints exactly one ready line, serves, and exits 0 on SIGTERM', async () => {
    const child = run(['--port', '0', '--scenario', 'demo', '--seed', '3']);
    const lines: string[] = [];
    const rl = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve) => rl.once('line', resolve));
    rl.on('line', (l) => lines.push(l));
    const ready = JSON.parse(first);
    expect(Object.keys(ready).slice(0, 5)).toEqual([
      'ready',
      'baseUrl',
      'cloud',
      'onprem',
      'clients',
    ]);
    expect(ready.ready).toBe(true);
    expect(ready.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.cloud).toEqual({
      tokenUrl: `${ready.baseUrl}/oauth2/default/v1/token`,
      apiBase: `${ready.baseUrl}/services/api/smart-accounts-and-licensing`,
      devicesApiBase: `${ready.baseUrl}/v1/software/apis/`,
    });
    expect(ready.onprem).toEqual({
      tokenUrl: `${ready.baseUrl}/backend/oauth/token`,
      apiBase: `${ready.baseUrl}/backend/api/v1`,
    });
    for (const c of ready.clients)
      expect(Object.keys(c)).toEqual(['for', 'account', 'clientId', 'clientSecret']);
    expect(ready.clients.map((c: Json) => `${c.for}:${c.account}`)).toEqual([
      'cloud:nimbus-hcs.example.com',
      'cloud:nimbus-eu.example.com',
      'onprem:la-initech',
      'onprem:la-umbrella',
    ]);
    const st = await ((await fetch(`${ready.baseUrl}/__emulator/state`)).json() as Json);
    expect(st.clusters).toHaveLength(24);
    const code = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await code).toBe(0);
    expect(lines).toEqual([]);
  });

  it('bad flags: one line on stderr, exit 2', async () => {
    for (const args of [
      ['--port', 'x'],
      ['--bogus'],
      ['--scenario', '/nonexistent.json'],
      ['--scale', '100000'],
    ]) {
      const child = run(args);
      let err = '';
      let out = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(2);
      expect(out).toBe('');
      expect(err.trim().split('\n')).toHaveLength(1);
      if (args[0] === '--scale') {
        expect(err).toMatch(/--scale needs an integer from 1 to 10000, got 100000 \(larger/);
      }
    }
  });
});
