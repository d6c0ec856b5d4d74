// Real: bin/cli/allocate.ts with the real allocation core, real files in a temp directory.
// Faked: the process streams (in-memory PassThrough streams) and the environment.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { allocateCommand } from '../../bin/cli/allocate.ts';
import type { CliContext } from '../../bin/cli/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-allocate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function run(
  args: string[],
  stdinText?: string,
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  stdin.end(stdinText ?? '');
  const ctx: CliContext = {
    io: { stdout, stderr, stdin, env: {}, isTty: false },
    debug: false,
  };
  const code = await allocateCommand.run(args, ctx);
  return { code, out, err };
}

const CISCO = {
  entitlements: [{ type: 'UCM_CUWL', quantity: 100 }],
  requests: [
    { id: 'pub-1', type: 'UCM_CUWL', count: 10, mode: 'Enterprise' },
    { id: 'pub-2', type: 'UCM_EnhancedPlus', count: 50, mode: 'Enterprise' },
  ],
};

const CISCO_RESULT = {
  licenses: [{ type: 'UCM_CUWL', quantity: 100, inUse: 60, available: 40 }],
  substitutions: [{ from: 'UCM_EnhancedPlus', to: 'UCM_CUWL', quantity: 50 }],
  shortages: [],
  allocations: [
    { request: 'pub-1', type: 'UCM_CUWL', from: 'UCM_CUWL', quantity: 10 },
    { request: 'pub-2', type: 'UCM_EnhancedPlus', from: 'UCM_CUWL', quantity: 50 },
  ],
};

describe('smartlic allocate', () => {
  it("prints Cisco's worked example as 2-space JSON, exit 0", async () => {
    const r = await run(['--input', file('cisco.json', CISCO)]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(r.out)).toEqual(CISCO_RESULT);
    expect(r.out).toBe(`${JSON.stringify(CISCO_RESULT, null, 2)}\n`);
  });

  it('reads standard input with --input -, and accepts --input=FILE', async () => {
    const a = await run(['--input', '-'], JSON.stringify(CISCO));
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out)).toEqual(CISCO_RESULT);
    const b = await run([`--input=${file('eq.json', CISCO)}`]);
    expect(JSON.parse(b.out)).toEqual(CISCO_RESULT);
  });

  it('accepts tags and display names for types, and defaults mode to Enterprise', async () => {
    const input = {
      entitlements: [
        {
          type: 'regid.2017-02.com.cisco.UCM_CUWL,12.0_cc59375a-1cd8-4b36-8366-6f4d2abba965',
          quantity: 100,
        },
      ],
      requests: [
        { id: 'pub-1', type: 'ucm_cuwl', count: 10 },
        {
          id: 'pub-2',
          type: 'UC Manager Enhanced Plus License (12.x)',
          count: 50,
          mode: 'enterprise',
        },
      ],
    };
    const r = await run(['--input', file('names.json', input)]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(CISCO_RESULT);
  });

  it('serves HCS-mode requests from HCS types', async () => {
    const input = {
      entitlements: [{ type: 'HUCM_Standard', quantity: 5 }],
      requests: [{ id: 'c1', type: 'UCM_CUWL', count: 7, mode: 'HCS' }],
    };
    const r = await run(['--input', file('hcs.json', input)]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      shortages: [{ type: 'UCM_CUWL', quantity: 2 }],
      allocations: [{ request: 'c1', type: 'UCM_CUWL', from: 'HUCM_Standard', quantity: 5 }],
    });
  });

  it('prints the usage text with --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: smartlic allocate --input FILE');
  });

  const bad = (patch: (input: typeof CISCO) => unknown): unknown =>
    patch(JSON.parse(JSON.stringify(CISCO)) as typeof CISCO);

  it.each<[string, () => string[], RegExp | string]>([
    ['no arguments', () => [], 'smartlic allocate: missing --input FILE (use --input - for stdin)'],
    ['--input without a value', () => ['--input'], /--input needs a value/],
    [
      'an unknown argument',
      () => ['--inptu', 'x'],
      'smartlic allocate: unknown option --inptu — did you mean "--input"?',
    ],
    [
      'a missing file',
      () => ['--input', join(dir, 'nope.json')],
      `smartlic allocate: cannot read input file ${JSON.stringify(join(dir, 'nope.json'))}: no such file`,
    ],
    [
      'a directory',
      () => {
        mkdirSync(join(dir, 'sub'), { recursive: true });
        return ['--input', join(dir, 'sub')];
      },
      /cannot read input file .*: is a directory$/,
    ],
    [
      'malformed JSON',
      () => ['--input', file('broken.json', '{"entitlements": [')],
      /^smartlic allocate: ".*broken\.json" is not valid JSON: /,
    ],
    [
      'an unknown type',
      () => [
        '--input',
        file(
          'foo.json',
          bad((i) => ((i.requests[0]!.type = 'UCM_Foo'), i)),
        ),
      ],
      /^smartlic allocate: requests\[0\]\.type: unknown license type "UCM_Foo" \(expected one of UCM_Essential, UCM_Basic, .*, HCER_User\)$/,
    ],
    [
      'a negative count',
      () => [
        '--input',
        file(
          'neg.json',
          bad((i) => ((i.requests[1]!.count = -1), i)),
        ),
      ],
      'smartlic allocate: requests[1].count: expected a non-negative integer, got -1',
    ],
    [
      'a fractional quantity',
      () => [
        '--input',
        file(
          'frac.json',
          bad((i) => ((i.entitlements[0]!.quantity = 2.5), i)),
        ),
      ],
      'smartlic allocate: entitlements[0].quantity: expected a non-negative integer, got 2.5',
    ],
    [
      'a missing count',
      () => [
        '--input',
        file(
          'missing.json',
          bad((i) => {
            delete (i.requests[0] as { count?: number }).count;
            return i;
          }),
        ),
      ],
      'smartlic allocate: requests[0].count: expected a non-negative integer, got nothing (field missing)',
    ],
    [
      'a missing requests list',
      () => ['--input', file('noreq.json', { entitlements: [] })],
      'smartlic allocate: requests: expected an array, got nothing (field missing)',
    ],
    [
      'a bad mode',
      () => [
        '--input',
        file(
          'mode.json',
          bad((i) => ((i.requests[0]!.mode = 'Flex'), i)),
        ),
      ],
      'smartlic allocate: requests[0].mode: expected "Enterprise" or "HCS", got "Flex"',
    ],
    [
      'a top-level array',
      () => ['--input', file('array.json', [])],
      'smartlic allocate: expected a JSON object with "entitlements" and "requests", got []',
    ],
    [
      'a duplicate request id',
      () => [
        '--input',
        file(
          'dup.json',
          bad((i) => ((i.requests[1]!.id = 'pub-1'), i)),
        ),
      ],
      'smartlic allocate: requests[1].id: duplicate id "pub-1" (also at requests[0].id)',
    ],
  ])('rejects %s with one line on stderr and exit 2', async (_name, args, message) => {
    const r = await run(args());
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.endsWith('\n')).toBe(true);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    if (typeof message === 'string') expect(r.err.trimEnd()).toBe(message);
    else expect(r.err.trimEnd()).toMatch(message);
  });
});
