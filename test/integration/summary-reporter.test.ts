// The closing line CI reads (test/support/summary-reporter.ts): a file whose beforeAll fails
// leaves its tests skipped, and must still count as failed, or .ci/run passes a broken file.
// Real: a Vitest run in a child process (this repository's vitest) over test files written to
// a temp directory, with the reporter as CI loads it. Faked: nothing. Covers
// test/support/summary-reporter.ts.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs Vitest over `files` (name → source) with only the summary reporter; its stdout. */
async function closingLines(files: Record<string, string>): Promise<string> {
  const root = mkdtempSync(join(dir, 'run-'));
  for (const [name, src] of Object.entries(files)) writeFileSync(join(root, name), src);
  writeFileSync(
    join(root, 'vitest.config.mjs'),
    `export default { test: { include: ['*.test.mjs'], reporters: [${JSON.stringify(
      resolve('test/support/summary-reporter.ts'),
    )}] } };\n`,
  );
  const child = spawn(
    process.execPath,
    [
      resolve('node_modules/vitest/vitest.mjs'),
      'run',
      '--root',
      root,
      '--config',
      'vitest.config.mjs',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.resume();
  await new Promise((r) => child.on('close', r));
  return out;
}

describe('summary reporter', () => {
  it('counts a file whose beforeAll failed as failed (its tests are skipped), beside a passing and a failing test', async () => {
    const out = await closingLines({
      'hook.test.mjs': `import { beforeAll, it } from 'vitest';
beforeAll(() => { throw new Error('setup broke'); });
it('never runs', () => {});
it('never runs either', () => {});
`,
      'plain.test.mjs': `import { expect, it } from 'vitest';
it('passes', () => expect(1).toBe(1));
it('fails', () => expect(1).toBe(2));
`,
    });
    expect(out).toMatch(/^skipped: 2 /m);
    // One for the failed test, one for the file whose hook failed (not one per skipped test).
    expect(out.trimEnd().split('\n').at(-1)).toBe('vitest: 1 passed, 2 failed');
  }, 120_000);
});
