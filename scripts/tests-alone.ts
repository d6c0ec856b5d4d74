/**
 * Runs every test by itself and reports those that fail alone (issue 27: a test must not lean
 * on what an earlier test in its file left behind).
 *
 *   npx tsx scripts/tests-alone.ts [FILE-FILTER…] [--workers N]
 *
 * One Vitest instance collects the tests of the matching files once, then runs each test as a
 * test run of its own: a fresh worker process, the file's hooks (beforeAll/afterAll) and that
 * one test, nothing else of its file: what `npx vitest run FILE -t '^FULL NAME$'` does, without
 * paying Vite's start-up per test. Tests of different files run side by side (--workers, default
 * 2), never two of one file. Prints each failure with the command that replays it, then
 * `alone: N passed, N failed`; exits 1 when any test fails alone.
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
// Round after round, one test from each of `workers` files at a time (the files with the most
// tests left first, so the long tails overlap).
for (;;) {
  const batch = queues
    .filter((q) => q.length > 0)
    .sort((a, b) => b.length - a.length)
    .slice(0, workers)
    .map((q) => q.shift()!);
  if (batch.length === 0) break;
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
  const done = passed + failed.length;
  if (done % 20 < batch.length)
    console.log(`  ${done}/${total} (${Math.round((performance.now() - started) / 1000)} s)`);
}
await vitest.close();
console.log(`alone: ${passed} passed, ${failed.length + broken.length} failed`);
process.exit(failed.length + broken.length > 0 ? 1 : 0);
