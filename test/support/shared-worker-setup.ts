// Setup file of the integration-shared project (vitest.config.ts), run before each of its test
// files in the worker those files share. Real: core/redact.ts's registry of known secrets.
// Faked: nothing.
//
// The registry is per process and only grows: every secret a file's code decrypts or receives
// (an account's client secret, a token) is redacted from then on. In a process of its own a file
// starts with none; in a shared worker it would inherit the earlier files' secrets, and one
// file's fake client secret 'secret' (6 characters, the shortest kept) turned "client secret" in
// a later file's expected message into "client [redacted]". Each file starts empty again:
// Vitest runs a setup file again before each test file, also in a shared worker, and before
// the test file itself is loaded.
//
// Likewise the build a process runs (bin/build.js records it under Symbol.for('smartlic.build')
// for the worker threads it starts): a file that built a test tree of its own and removed it
// would otherwise leave the next file's parse thread starting from a directory that is gone.
import { forgetSecrets } from '../../core/redact.ts';

forgetSecrets();
delete (globalThis as Record<symbol, unknown>)[Symbol.for('smartlic.build')];
