import type { Reporter, TestModule } from 'vitest/node';

/** Prints the closing line CI reads: `vitest: N passed, N failed`. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
  ): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      let failedHere = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failedHere++;
        else skipped++;
      }
      // A module that failed with no failed test (it could not load, or a suite's beforeAll
      // failed and left its tests skipped) counts once, so a broken file can never pass.
      failed += failedHere === 0 && mod.state() === 'failed' ? 1 : failedHere;
    }
    failed += unhandledErrors.length;
    // Skips go on a line of their own: the closing line keeps exactly the form CI reads.
    if (skipped > 0) process.stdout.write(`\nskipped: ${skipped} (each with its reason beside it)`);
    process.stdout.write(`\nvitest: ${passed} passed, ${failed} failed\n`);
  }
}
