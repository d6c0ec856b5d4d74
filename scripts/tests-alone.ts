/**
 * Runs every test by itself and reports those that fail alone (issue 27: a test must not lean
 * on what an earlier test in its file left behind).
 *
 *   npm run test:alone -- [FILE-FILTER…] [--project NAME]… [--name REGEX] [--workers N]
 *                         [--results FILE] [--fresh] [--limit N]
 *
 * One Vitest instance collects the tests of the matching files once, then runs each test in a
 * fresh worker process with its file's hooks (beforeAll/afterAll) and nothing else of its
 * file: what `npx vitest run FILE -t '^FULL NAME$'` does, without paying Vite's start-up and
 * the transforms per test (they are paid once, by this instance). The test is picked by its
 * id, not by a name pattern, so "foo" never also runs "foo bar". Isolation is forced on for
 * every project, also `unit`, whose files share workers in `npm test`.
 *
 * The tests go in rounds: a round is one test of every file that has tests left, handed to
 * Vitest as one run, so `--workers` (default 2) of them run side by side, never two of one
 * file; the slowest files' tests go first in a round so the long ones overlap the short ones.
 * A file's tests go last first: the later a test, the more there is before it that it may
 * lean on, so a part of a run finds the most (a file's first test runs alone in `npm test` too).
 *
 * Resumable, so the ~1,500 tests can be run in parts: each result is appended to a results
 * file (default tmp/tests-alone.jsonl) as it comes, and a later run skips every test already
 * recorded as passed with the same test file content (a test whose file changed since runs
 * again; a failed one always runs again). `--fresh` starts the file over; `--limit N` stops
 * after N tests (a part of a run); `--name REGEX` runs only the tests whose full name matches
 * (case-insensitive), e.g. `--name postgres` for the PostgreSQL variants. Which tests a file
 * has depends on SMARTLIC_TEST_PG (the PostgreSQL variants are skipped without it), so a file
 * is marked wholly done for one setting only: a run with PostgreSQL collects a file again
 * that a run without it finished. Prints each failure with the command that replays it, then
 * `alone: N passed, N failed, N left`; exits 1 when any test fails alone.
 * docs/testing.md says what it costs and what it found.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { createVitest } from 'vitest/node';
import type { TestCase, TestModule } from 'vitest/node';

const usage =
  'usage: npm run test:alone -- [FILE-FILTER…] [--project NAME]… [--name REGEX] [--workers N] [--results FILE] [--fresh] [--limit N]';
const args = process.argv.slice(2);
let workers = 2;
let limit = Infinity;
let resultsPath = 'tmp/tests-alone.jsonl';
let fresh = false;
let namePattern: RegExp | undefined;
const filters: string[] = [];
const projects: string[] = [];
const wholeNumber = (flag: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(
      `tests-alone: ${flag} takes a whole number of at least 1, e.g. ${flag} 2\n${usage}`,
    );
    process.exit(2);
  }
  return n;
};
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--workers') workers = wholeNumber(a, args[++i]);
  else if (a === '--limit') limit = wholeNumber(a, args[++i]);
  else if (a === '--project') projects.push(args[++i] ?? '');
  else if (a === '--results') resultsPath = args[++i] ?? '';
  else if (a === '--fresh') fresh = true;
  else if (a === '--name') {
    const v = args[++i] ?? '';
    try {
      namePattern = new RegExp(v, 'i');
    } catch (e) {
      console.error(
        `tests-alone: --name takes a regular expression (${(e as Error).message}), e.g. --name postgres\n${usage}`,
      );
      process.exit(2);
    }
    if (!v) {
      console.error(
        `tests-alone: --name takes a regular expression, e.g. --name postgres\n${usage}`,
      );
      process.exit(2);
    }
  } else if (a.startsWith('--')) {
    console.error(`tests-alone: unknown option ${a}\n${usage}`);
    process.exit(2);
  } else filters.push(a);
}
if (!resultsPath || projects.some((p) => !p)) {
  console.error(`tests-alone: --results and --project each take a value\n${usage}`);
  process.exit(2);
}

/**
 * One line of the results file: a test's result, or (`fileDone`) the mark that every test of a
 * file, as its content was, passed alone: a resumed run does not even collect that file.
 */
interface Result {
  key: string;
  fileDone?: number;
  file: string;
  name: string;
  state: 'passed' | 'failed';
  ms: number;
  at: string;
  why?: string;
}
const absResults = resolve(resultsPath);
mkdirSync(dirname(absResults), { recursive: true });
if (fresh || !existsSync(absResults)) writeFileSync(absResults, '');
// The last line for a key wins: a test that failed and was fixed is recorded twice.
const previous = new Map<string, Result>();
for (const line of readFileSync(absResults, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  try {
    const r = JSON.parse(line) as Result;
    previous.set(r.key, r);
  } catch {
    // A line cut short by an interrupted run: that test simply runs again.
  }
}

/** `--project integration` is every integration file: those isolated and those sharing workers. */
function withShared(name: string): string[] {
  return name === 'integration' ? ['integration', 'integration-shared'] : [name];
}

let onModuleEnd: (m: TestModule) => void = () => {};
const vitest = await createVitest('test', {
  watch: false,
  // Quiet: this script prints its own lines; the tests' console output stays out of it. Each
  // result is written when its file ends, not when the round does: an interrupted run keeps
  // all it finished.
  reporters: [{ onTestModuleEnd: (m: TestModule) => onModuleEnd(m) }],
  silent: true,
  maxWorkers: workers,
  fileParallelism: true,
  // Alone means a fresh module graph per test: the unit project's shared workers would carry
  // one test's module state into the next test of the same file.
  isolate: true,
  ...(projects.length > 0 ? { project: projects.flatMap(withShared) } : {}),
});

// A result stands for the test as its file was when it ran: the key carries the file's hash.
// The key names the integration files' project `integration` whichever of the two projects
// (isolated or sharing workers, vitest.config.ts) a file is in now: moving a file between them
// changes how `npm test` runs it, not what passing alone means.
const fileHash = new Map<string, string>();
const fileKey = (name: string, moduleId: string): string => {
  const project = name === 'integration-shared' ? 'integration' : name;
  let h = fileHash.get(moduleId);
  if (!h) {
    h = createHash('sha256').update(readFileSync(moduleId)).digest('hex').slice(0, 16);
    fileHash.set(moduleId, h);
  }
  return `${project}|${relative(process.cwd(), moduleId)}|${h}`;
};
const keyOf = (t: TestCase): string =>
  `${fileKey(t.project.name, t.module.moduleId)}|${t.fullName}`;
// A file's tests differ with and without SMARTLIC_TEST_PG (its PostgreSQL variants are
// skipped without it): "every test of this file passed" holds for one setting only.
const withPg = process.env.SMARTLIC_TEST_PG?.trim() ? '|with SMARTLIC_TEST_PG' : '';
const doneKey = (project: string, moduleId: string): string => fileKey(project, moduleId) + withPg;

// Collecting runs each file's imports in a worker: worth skipping for the files done already.
const specs = await vitest.getRelevantTestSpecifications(filters);
const toCollect = specs.filter((s) => !previous.has(doneKey(s.project.name, s.moduleId)));
let doneFiles = 0;
let doneTests = 0;
for (const s of specs) {
  const n = previous.get(doneKey(s.project.name, s.moduleId))?.fileDone;
  if (n === undefined) continue;
  doneFiles++;
  doneTests += n;
}
const collected =
  toCollect.length > 0 ? await vitest.collectTests(toCollect) : { testModules: [] as TestModule[] };
const broken = collected.testModules.filter((m) => m.state() === 'failed');
for (const m of broken) console.log(`cannot collect ${relative(process.cwd(), m.moduleId)}`);
/** Marks a file done once all its tests are recorded as passed (called after each round). */
const markDone = (m: TestModule): void => {
  const key = doneKey(m.project.name, m.moduleId);
  if (previous.has(key)) return;
  const tests = [...m.children.allTests()].filter((t) => t.options.mode === 'run');
  if (tests.some((t) => previous.get(keyOf(t))?.state !== 'passed')) return;
  const line: Result = {
    key,
    fileDone: tests.length,
    file: relative(process.cwd(), m.moduleId),
    name: '',
    state: 'passed',
    ms: 0,
    at: new Date().toISOString(),
  };
  previous.set(key, line);
  appendFileSync(absResults, JSON.stringify(line) + '\n');
};

for (const m of collected.testModules) markDone(m);
let all = 0;
let skipped = 0;
const queues: TestCase[][] = collected.testModules
  .map((m: TestModule) =>
    [...m.children.allTests()]
      .filter((t) => t.options.mode === 'run')
      .filter((t) => !namePattern || namePattern.test(t.fullName))
      .filter((t) => {
        all++;
        if (previous.get(keyOf(t))?.state !== 'passed') return true;
        skipped++;
        return false;
      }),
  )
  .filter((q) => q.length > 0);
const total = Math.min(
  limit,
  queues.reduce((n, q) => n + q.length, 0),
);
console.log(
  `tests-alone: ${all + doneTests} tests in ${specs.length} files; ${skipped + doneTests} passed alone before ` +
    `(${doneFiles} files wholly; ${relative(process.cwd(), absResults)}); ` +
    `running ${total}, ${workers} side by side`,
);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
let passed = 0;
const failed: string[] = [];
const started = performance.now();
// What one test alone costs, roughly: its file's start-up and hooks (a browser, a site build,
// a lab) dominate, and they grow from unit to integration to e2e. A file's tests run one after
// another, so the files with the most cost left go first: the run does not end on a long tail
// of one file's tests.
const weight = (q: TestCase[]) => {
  const id = q[0]!.module.moduleId;
  return id.includes('/test/e2e/') ? 3 : id.includes('/test/integration/') ? 2 : 1;
};
let round = 0;
/** The tests of the round in flight, by file: each is recorded as soon as its file ends. */
const inFlight = new Map<string, TestCase>();
const record = (want: TestCase, mod: TestModule | undefined): void => {
  if (!inFlight.delete(want.module.moduleId)) return;
  const got = mod ? [...mod.children.allTests()].find((t) => t.id === want.id) : undefined;
  const state = got?.result().state;
  const file = relative(process.cwd(), want.module.moduleId);
  const ms = Math.round(got?.diagnostic()?.duration ?? 0);
  const base = { key: keyOf(want), file, name: want.fullName, ms, at: new Date().toISOString() };
  if (state === 'passed') {
    passed++;
    const line: Result = { ...base, state: 'passed' };
    previous.set(line.key, line);
    appendFileSync(absResults, JSON.stringify(line) + '\n');
    const m = collected.testModules.find((x) => x.moduleId === want.module.moduleId);
    if (m) markDone(m);
    return;
  }
  // A hook that failed (a suite's beforeAll) leaves the test skipped with no error of its
  // own: the error sits on the suite, so the suites around the test are asked too.
  const suiteError = (): string | undefined => {
    for (let p = got?.parent; p && p.type === 'suite'; p = p.parent) {
      const e = p.errors()[0]?.message;
      if (e) return `${p.name}: ${e}`;
    }
    return undefined;
  };
  const why = (
    got?.result().errors?.[0]?.message ??
    suiteError() ??
    mod?.errors()[0]?.message ??
    `state ${state ?? 'not run'}`
  ).split('\n')[0]!;
  appendFileSync(
    absResults,
    JSON.stringify({ ...base, state: 'failed', why } satisfies Result) + '\n',
  );
  failed.push(
    `FAILS ALONE ${file} > ${want.fullName}\n  ${why}\n` +
      `  replay: npx vitest run ${file} -t '^${escape(want.fullName.split(' > ').join(' ')).replace(/'/g, "'\\''")}$'`,
  );
  console.log(failed[failed.length - 1]);
};
onModuleEnd = (m) => {
  const want = inFlight.get(m.moduleId);
  if (want) record(want, m);
};
for (;;) {
  const room = total - passed - failed.length;
  const batch = queues
    .filter((q) => q.length > 0)
    .sort((a, b) => weight(b) * b.length - weight(a) * a.length)
    .slice(0, room)
    .map((q) => q.pop()!);
  if (batch.length === 0) break;
  round++;
  const t0 = performance.now();
  for (const t of batch) inFlight.set(t.module.moduleId, t);
  const r = await vitest.runTestSpecifications(batch.map((t) => t.toTestSpecification()));
  // A file that never reached its end (it could not be loaded) is recorded from the run's result.
  for (const want of batch)
    record(
      want,
      r.testModules.find((m) => m.moduleId === want.module.moduleId),
    );
  console.log(
    `  round ${round}: ${batch.length} tests in ${Math.round((performance.now() - t0) / 1000)} s, ` +
      `${passed + failed.length}/${total} done (${Math.round((performance.now() - started) / 1000)} s)`,
  );
}
await vitest.close();
const left = queues.reduce((n, q) => n + q.length, 0);
console.log(`alone: ${passed} passed, ${failed.length + broken.length} failed, ${left} left`);
process.exit(failed.length + broken.length > 0 ? 1 : 0);
