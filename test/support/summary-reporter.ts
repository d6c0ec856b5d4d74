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
      let count = 0;
      for (const test of mod.children.allTests()) {
        count++;
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A module that failed to load has no tests; count it so a broken file can never pass.
      if (count === 0 && mod.state() === 'failed') failed++;
    }
    failed += unhandledErrors.length;
    // Skips go on a line of their own: the closing line keeps exactly the form CI reads.
    if (skipped > 0) process.stdout.write(`\nskipped: ${skipped} (each with its reason beside it)`);
    process.stdout.write(`\nvitest: ${passed} passed, ${failed} failed\n`);
  }
}
