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
//   (`npm run test:alone` runs each test by itself; docs/testing.md);
// - wait for events (a reply, a request, an adapter's idle()), not for fixed sleeps, since two
//   files share the cores.
const workers =
  Number(process.env.SMARTLIC_TEST_WORKERS) || Math.min(3, Math.max(2, availableParallelism()));

const EXCLUDE = ['test/bench/**', 'node_modules/**'];

// Integration files that leave process-wide state behind, so they keep a fresh process each:
// - the Webex SDK (webex-node-bot-framework) reads process.env once, when it is first loaded,
//   and these files set HYDRA_SERVICE_URL to their own fake's address before starting it;
// - instance-lock fakes setInterval (vi.useFakeTimers) for its heartbeat test.
// A file joins this list when it writes process.env, fakes timers or globals, mocks a module,
// or changes the working directory.
const ISOLATED = [
  'test/integration/bot/transfers-chat.test.ts',
  'test/integration/bot/webex.test.ts',
  'test/integration/bot/webex-raw-body.test.ts',
  'test/integration/instance-lock.test.ts',
];

export default defineConfig({
  test: {
    exclude: EXCLUDE,
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: workers,
    env: {
      // Vitest sets NODE_ENV=test, which turns the Webex SDK's own logger up to `trace`
      // (@webex/plugin-logger): ~110 lines per file that starts the adapter, none about the
      // test. WEBEX_LOG_LEVEL is the SDK's switch; at `error` its real errors still show, in
      // the test's worker and in every smartlic process a test spawns (they inherit it).
      WEBEX_LOG_LEVEL: 'error',
    },
    // The one SDK error every Webex test provokes on purpose: the fake's bot token is not of
    // a user token's shape, which keeps the SDK from fetching its service catalog from
    // u2c.wbx2.com (outside the lab). Any other line, from the SDK or a test, is kept.
    onConsoleLog: (log) =>
      /^wx-js-sdk services: failed to init initial services, the provided token is not a valid format\s*$/.test(
        log,
      )
        ? false
        : undefined,
    // One queue for all three projects (same sequence.groupOrder), ordered by project name
    // first: e2e (the longest files: site, start, lab-offline) start at once, integration
    // next, and the short unit files fill the end, so no long file starts last. Within a
    // project the longest file of the last run goes first (Vitest's cache; on a fresh clone,
    // as in CI, the largest file).
    projects: [
      {
        // Pure rules: no I/O, no process.env, no module state a file leaves behind. Run in
        // shared workers (isolate off): the modules they import (core's domain, zod, the
        // registry) are loaded once per worker, not once per file (~1 s each).
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false },
      },
      {
        // Files that change process-wide state: each in a fresh process (see ISOLATED).
        extends: true,
        test: { name: 'integration', include: ISOLATED },
      },
      {
        // Every other integration file: real SQLite, emulators, fakes and child processes, all
        // made and ended by the file itself, so it leaves nothing in its worker but modules.
        // Shared workers (isolate off) import core, the emulator, kysely and zod once per
        // worker, not once per file (~75 files). Checked by running this project in two
        // shuffled orders (docs/testing.md).
        extends: true,
        test: {
          name: 'integration-shared',
          include: ['test/integration/**/*.test.ts'],
          exclude: [...EXCLUDE, ...ISOLATED],
          isolate: false,
          // What core keeps per process and a file may fill (the secrets to redact) starts
          // empty for each file, as in a process of its own.
          setupFiles: ['test/support/shared-worker-setup.ts'],
        },
      },
      {
        // The demo database and the two sites that site.test.ts and site-base.test.ts read
        // are made once, in the background, by the project's global setup.
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/site-shared.ts'],
        },
      },
    ],
  },
});
