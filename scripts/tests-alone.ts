/**
 * Runs every test by itself and reports those that fail alone (issue 27: a test must not lean
 * on what an earlier test in its file left behind).
 *
 *   npm run test:alone -- [FILE-FILTER…] [--workers N]
 *   npx tsx scripts/tests-alone.ts [FILE-FILTER…] [--workers N]
 *
 * One Vitest instance collects the tests of the matching files once, then runs each test in a
 * fresh worker process with its file's hooks (beforeAll/afterAll) and nothing else of its
 * file: what `npx vitest run FILE -t '^FULL NAME$'` does, without paying Vite's start-up and
 * the transforms per test (they are paid once, by this instance). Isolation is forced on for
 * every project, also `unit`, whose files share workers in `npm test`.
 *
 * The tests go in rounds: a round is one test of every file that has tests left, handed to
 * Vitest as one run, so `--workers` (default 2) of them run side by side, never two of one
 * file; the slowest files' tests go first in a round so the long ones overlap the short ones.
 * Prints each failure with the command that replays it, then `alone: N passed, N failed`;
 * exits 1 when any test fails alone. docs/testing.md says what it costs and what it found.
 */
import { relative } from 'node:path';
import { createVitest } from 'vitest/node';
import type { TestCase, TestModule } from 'vitest/node';

const args = process.argv.slice(2);
let workers = 2;
const filters: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--workers') workers = Number(args[++i]);
  else filters.push(args[i]!);
}
if (!Number.isInteger(workers) || workers < 1) {
  console.error('tests-alone: --workers takes a whole number of at least 1, e.g. --workers 2');
  process.exit(2);
}

const vitest = await createVitest('test', {
  watch: false,
  // Quiet: this script prints its own lines; the tests' console output stays out of it.
  reporters: [{}],
  silent: true,
  maxWorkers: workers,
  fileParallelism: true,
  // Alone means a fresh module graph per test: the unit project's shared workers would carry
  // one test's module state into the next test of the same file.
  isolate: true,
});

const collected = await vitest.collect(filters);
const broken = collected.testModules.filter((m) => m.state() === 'failed');
for (const m of broken) console.log(`cannot collect ${relative(process.cwd(), m.moduleId)}`);
const queues: TestCase[][] = collected.testModules
  .map((m: TestModule) => [...m.children.allTests()].filter((t) => t.options.mode === 'run'))
  .filter((q) => q.length > 0);
const total = queues.reduce((n, q) => n + q.length, 0);
console.log(`tests-alone: ${total} tests in ${queues.length} files, ${workers} side by side`);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
let passed = 0;
const failed: string[] = [];
const started = performance.now();
// What one test alone costs, roughly: its file's start-up and hooks (a browser, a site build,
// a lab) dominate, and they grow from unit to integration to e2e.
const weight = (q: TestCase[]) => {
  const id = q[0]!.module.moduleId;
  return id.includes('/test/e2e/') ? 3 : id.includes('/test/integration/') ? 2 : 1;
};
let round = 0;
for (;;) {
  const batch = queues
    .filter((q) => q.length > 0)
    .sort((a, b) => weight(b) - weight(a) || b.length - a.length)
    .map((q) => q.shift()!);
  if (batch.length === 0) break;
  round++;
  const r = await vitest.runTestSpecifications(batch.map((t) => t.toTestSpecification()));
  for (const want of batch) {
    const mod = r.testModules.find((m) => m.moduleId === want.module.moduleId);
    const got = mod ? [...mod.children.allTests()].find((t) => t.id === want.id) : undefined;
    const state = got?.result().state;
    const file = relative(process.cwd(), want.module.moduleId);
    if (state === 'passed') {
      passed++;
      continue;
    }
    const why =
      got?.result().errors?.[0]?.message ??
      mod?.errors()[0]?.message ??
      `state ${state ?? 'not run'}`;
    failed.push(
      `FAILS ALONE ${file} > ${want.fullName}\n  ${why.split('\n')[0]}\n` +
        `  replay: npx vitest run ${file} -t '^${escape(want.fullName.split(' > ').join(' ')).replace(/'/g, "'\\''")}$'`,
    );
    console.log(failed[failed.length - 1]);
  }
  console.log(
    `  round ${round}: ${batch.length} tests, ${passed + failed.length}/${total} done (${Math.round((performance.now() - started) / 1000)} s)`,
  );
}
await vitest.close();
console.log(`alone: ${passed} passed, ${failed.length + broken.length} failed`);
process.exit(failed.length + broken.length > 0 ? 1 : 0);
