import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Files run side by side, each in a worker process of its own (pool 'forks': native modules
// and process-wide state such as process.env stay per file). Vitest's default on a 2-core
// machine is one worker, i.e. every file strictly after the last; most files spend their time
// waiting on loopback HTTP, child processes and SQLite, so two or three share two cores well.
// SMARTLIC_TEST_WORKERS overrides (e.g. 1 to run the files one after another again).
//
// So a test file is safe beside any other (its own process, so process.env, module state and
// chdir stay its own), it must:
// - listen on 127.0.0.1 port 0 and read the port back (servers, emulator, fakes, `--port 0`,
//   SMARTLIC_HTTP_PORT=0); never a fixed port;
// - write only under its own mkdtemp(join(tmpdir(), 'smartlic-…-')) (databases, sites, locks,
//   HOME), removed in afterAll; in the repository only under names no other file uses;
// - end only the processes it started, by pid (never by name), and wait for them;
// - not depend on another file, or on an earlier test of its own file
//   (`npx tsx scripts/tests-alone.ts FILE` runs each test by itself);
// - wait for events (a reply, a request, an adapter's idle()), not for fixed sleeps, since two
//   files share the cores.
const workers =
  Number(process.env.SMARTLIC_TEST_WORKERS) || Math.min(3, Math.max(2, availableParallelism()));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: workers,
    // The Webex SDK logs its internals to the console on every start (~110 lines per file);
    // they say nothing about the test. Anything else a test prints is kept.
    onConsoleLog: (log) => (log.startsWith('wx-js-sdk') ? false : undefined),
  },
});
