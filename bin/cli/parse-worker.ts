/**
 * The entry of a parse thread in the bundle (bin/build.js ENTRIES): the thread itself is core's
 * (core/parse/parse-worker.ts); bin/cli/parse-thread.ts starts it.
 */
import '../../core/parse/parse-worker.ts';
