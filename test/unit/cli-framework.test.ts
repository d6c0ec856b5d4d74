// Real: bin/cli/args.ts, bin/cli/output.ts, bin/cli/runtime.ts defaultDbPath, and main() of
// bin/smartlic.ts for help, version and usage errors (no database is opened by any of these);
// the EPIPE case runs the real CLI in a child process. Faked: stdio (in-memory streams), env.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { closest, parseArgv } from '../../bin/cli/args.ts';
import { escapeControl, plural, renderTable, when } from '../../bin/cli/output.ts';
import { defaultDbPath } from '../../bin/cli/runtime.ts';
import { defaultRegistry, usageLine } from '../../bot/index.ts';
import { COMMANDS } from '../../bin/smartlic.ts';
import { runCli } from '../support/helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'smartlic-fw-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
// No command below may touch a real database: point it at a directory that does not exist.
const env = { SMARTLIC_DB: join(tmp, 'never', 'smartlic.db') };

/** Every `smartlic <verb> <sub>` the group help lists. */
async function everyCommand(): Promise<{ words: string[]; framework: boolean }[]> {
  const out: { words: string[]; framework: boolean }[] = [];
  for (const c of COMMANDS) {
    const cmd = await c.load();
    // Verbs on the shared framework list their options under "Options:"; the few verbs still
    // in the legacy style (allocate, emulator, read views) describe them in their usage text.
    const framework = cmd.handlesHelp === true && c.name !== 'allocate';
    const m = /\nCommands:\n([\s\S]*?)\n\n/.exec(cmd.usage);
    if (!m) out.push({ words: [c.name], framework });
    else {
      for (const line of m[1]!.split('\n')) {
        out.push({ words: [c.name, line.trim().split(/\s+/)[0]!], framework });
      }
    }
  }
  return out;
}

describe('help on every command and subcommand', () => {
  it('--help and -h: exit 0, usage, options and an example on stdout, nothing on stderr', async () => {
    // The process verbs (bin/); the registry's verbs are checked below.
    const all = await everyCommand();
    expect(all.length).toBeGreaterThan(10);
    for (const { words, framework } of all) {
      for (const flag of ['--help', '-h']) {
        const r = await runCli([...words, flag], env);
        const what = `${words.join(' ')} ${flag}`;
        expect(r.code, what).toBe(0);
        expect(r.err, what).toBe('');
        expect(r.out, what).toMatch(/Usage: smartlic /);
        expect(r.out, what).toMatch(/\bExamples?:\n {2}\S/);
        if (framework) expect(r.out, what).toMatch(/Options:/);
      }
    }
  });

  it("every registry verb's --help: exit 0, its usage and an example, from the registry alone", async () => {
    for (const spec of defaultRegistry().list()) {
      const r = await runCli([...spec.verb.split(' '), '--help'], env);
      expect(r.code, spec.verb).toBe(0);
      expect(r.err, spec.verb).toBe('');
      const usage = usageLine(spec).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(r.out, spec.verb).toMatch(new RegExp(`^usage +${usage}$`, 'm'));
      expect(r.out, spec.verb).toMatch(/^example +\S/m);
    }
  });

  it('--version prints the version; --json too', async () => {
    const r = await runCli(['--version'], env);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^smartlic \d+\.\d+\.\d+\n$/);
    const j = await runCli(['--version', '--json'], env);
    expect(JSON.parse(j.out)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
  });
});

describe('usage errors: exit 2, one line in our words, did you mean', () => {
  it.each([
    [['clustr', 'list'], /^smartlic: INPUT: unknown command "clustr" — did you mean "cluster"\?/],
    // `cluster X` shows cluster X (issue 21: one grammar with the chat), so a typo is a name.
    [['cluster', 'lst'], /^smartlic cluster: NOT_FOUND: cluster lst does not exist/],
    [
      ['cluster', 'list', '--custmer', 'x'],
      /^smartlic clusters: INPUT: unknown flag --custmer — did you mean "--customer"\?/,
    ],
    [['token', 'list', '--stauts', 'x'], /did you mean "--status"/],
    [['cluster', 'register'], /^smartlic register: INPUT: Missing <cluster> — usage: register/],
    [['cluster', 'register', 'a', 'b'], /Too many arguments: "b" is not expected/],
    [['cluster', 'renew-auth', 'a'], /`cluster renew-auth` is written `renew auth\|registration/],
    [['jobs', '--limit'], /--limit needs a value \(N\)/],
    [['jobs', '--failed=yes'], /--failed takes no value/],
    [['cluster'], /^smartlic cluster: INPUT: Missing <cluster>/],
    [['--bogus'], /^smartlic: INPUT: unknown option --bogus/],
    [['jobs', '--log-format', 'xml'], /--log-format must be text or json/],
  ])('%j', async (argv, message) => {
    const r = await runCli(argv, env);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/parseArgs|ERR_PARSE_ARGS|To specify a positional/);
  });

  it('with --json a usage error is also a JSON error on stdout', async () => {
    const r = await runCli(['cluster', 'list', '--custmer', 'x', '--json'], env);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toMatchObject({ error: { code: 'INPUT' } });
  });

  it('a secret-looking --secret-env value is never echoed', async () => {
    const secret = 'Xq9!v-Secret.Value+42';
    const r = await runCli(
      ['account', 'add', '--domain', 'd.example', '--client-id', 'id', '--secret-env', secret],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a variable name \(not shown/);
    expect(r.err + r.out).not.toContain(secret);
    const mixed = 'aB3dE5fG7hJ9kL1m';
    const r2 = await runCli(
      ['account', 'add', '--domain', 'd.example', '--client-id', 'id', '--secret-env', mixed],
      env,
    );
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/environment variable given .* is not set/);
    expect(r2.err + r2.out).not.toContain(mixed);
    const named = await runCli(
      ['account', 'add', '--domain', 'd.example', '--client-id', 'id', '--secret-env', 'MY_SECRET'],
      env,
    );
    expect(named.err).toMatch(/the environment variable MY_SECRET \(client secret\) is not set/);
  });

  it('a name over the length limit or with control characters is refused', async () => {
    const long = await runCli(['customer', 'add', 'x'.repeat(129)], env);
    expect(long.code).toBe(2);
    expect(long.err).toMatch(/129 characters long; at most 128/);
    const ctl = await runCli(['customer', 'add', 'evil\u001b]0;pwn\u0007\nrow'], env);
    expect(ctl.code).toBe(2);
    expect(ctl.err).toMatch(/evil\\x1b\]0;pwn\\x07\\nrow.*control characters/);
    expect(ctl.err).not.toContain('\u001b');
  });

  it('SMARTLIC_SECRET_KEY is validated by config show like everywhere (exit 2)', async () => {
    const r = await runCli(['config', 'show'], { ...env, SMARTLIC_SECRET_KEY: 'abc' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/SECRET_KEY: SMARTLIC_SECRET_KEY is neither 64 hex/);
    const ok = await runCli(['config', 'show'], { ...env, SMARTLIC_SECRET_KEY: 'a'.repeat(64) });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).db).toMatchObject({ keySource: 'env-hex' });
  });

  it('config errors are one line and never echo a proxy password', async () => {
    const r = await runCli(['config', 'show'], {
      ...env,
      SMARTLIC_PROXY_URL: 'ftp://bob:hunter2-secret@proxy',
      SMARTLIC_HTTP_RETRIES: 'many',
    });
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/cssm\.proxyUrl \(SMARTLIC_PROXY_URL\): .*bob:\[redacted\]@proxy/);
    expect(r.err).toMatch(/http\.maxRetries \(SMARTLIC_HTTP_RETRIES\): expected a whole number/);
    expect(r.err).not.toContain('hunter2-secret');
  });

  it('va transport: the older forms name the one to write; proxy without a host, an http satellite URL refused', async () => {
    const old = await runCli(['va', 'transport', 'd.example', 'va1', 'Proxy'], env);
    expect(old.code).toBe(2);
    expect(old.err).toMatch(
      /A VA is one word, <domain>\/<va>: write `transport d\.example\/va1 proxy …`/,
    );
    const flag = await runCli(
      ['va', 'transport', 'd.example', 'satellite', '--satellite-url', 'x'],
      env,
    );
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/--satellite-url is not taken any more\. Write `transport <domain>/);
    const p = await runCli(['va', 'transport', 'd.example/va1', 'proxy', '--yes'], env);
    expect(p.code).toBe(2);
    expect(p.err).toMatch(/proxy needs the proxy host: <host\[:port\]>/);
    const s = await runCli(
      ['transport', 'd.example', 'satellite', 'http://sat.example/SmartTransport', '--yes'],
      env,
    );
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/the satellite URL must be https:\/\/<fqdn>\/SmartTransport/);
  });
});

describe('parser', () => {
  const opts = {
    customer: { type: 'string' },
    force: { type: 'boolean', short: 'f' },
    tag: { type: 'string', multiple: true },
  } as const;
  it('reads --k v, --k=v, short booleans, repeated values, -- and values starting with "-"', () => {
    const r = parseArgv(
      ['a', '--customer=-x', '-f', '--tag', '1', '--tag', '-2', '--', '--force'],
      opts,
      'h',
    );
    expect(r.values).toEqual({ customer: '-x', force: true, tag: ['1', '-2'] });
    expect(r.positionals).toEqual(['a', '--force']);
    expect(r.help).toBe(false);
  });
  it('suggests near names only', () => {
    expect(closest('custmer', ['customer', 'va'])).toBe('customer');
    expect(closest('inptu', ['input'])).toBe('input');
    expect(closest('zzz', ['customer', 'va'])).toBeUndefined();
  });
});

describe('output', () => {
  it('escapes terminal escapes, NUL, newlines, C1 and bidi controls', () => {
    expect(escapeControl('a\u001b[2Jb\u0000c\nd\u009be\u202ef\tg')).toBe(
      'a\\x1b[2Jb\\0c\\nd\\x9be\\u202ef\\tg',
    );
  });
  it('a table fits the width: free text shortens, optional columns go, then the rest', () => {
    const rows = [['stark-cucm-01', 'CUCM', 'x'.repeat(80), 'extra-column-value']];
    const t = renderTable(
      ['Name', 'Type', { header: 'Text', shrink: true }, { header: 'Extra', optional: true }],
      rows,
      { width: 40 },
    );
    for (const l of t.text.trimEnd().split('\n')) expect(l.length).toBeLessThanOrEqual(40);
    expect(t.text).toContain('stark-cucm-01');
    expect(t.truncated).toBe(true);
    const wide = renderTable(['Name', 'Type', 'Text', 'Extra'], rows, { width: Infinity });
    expect(wide.text).toContain('x'.repeat(80));
  });
  it('a name with a newline cannot forge a table row', () => {
    const t = renderTable(['Name', 'Status'], [['a\nfake  Registered', 'Failed']]);
    expect(t.text.trimEnd().split('\n')).toHaveLength(3);
  });
  it('small things: plural and times with their zone', () => {
    expect(plural(1, 'token')).toBe('1 token');
    expect(plural(2, 'token')).toBe('2 tokens');
    expect(when(new Date('2026-11-28T12:34:56Z'))).toBe('2026-11-28 12:34 UTC');
  });
});

describe('default database path', () => {
  it('is data/smartlic.db in a clone, the XDG data dir otherwise; never the cwd', () => {
    const clone = join(tmp, 'clone');
    mkdirSync(join(clone, '.git'), { recursive: true });
    expect(defaultDbPath({}, clone)).toBe(join(clone, 'data', 'smartlic.db'));
    const installed = join(tmp, 'node_modules', 'smartlic');
    mkdirSync(installed, { recursive: true });
    expect(defaultDbPath({ XDG_DATA_HOME: '/x/data', HOME: '/home/u' }, installed)).toBe(
      '/x/data/smartlic/smartlic.db',
    );
    expect(defaultDbPath({ HOME: '/home/u' }, installed)).toBe(
      '/home/u/.local/share/smartlic/smartlic.db',
    );
  });
});

describe('a closed pipe', () => {
  it('ends quietly: no EPIPE stack, exit 0', async () => {
    const bin = fileURLToPath(new URL('../../bin/smartlic.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'cluster', 'register', '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    // Close the reading end before the CLI writes: its first write meets a closed pipe.
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(err).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(0);
  });
});
