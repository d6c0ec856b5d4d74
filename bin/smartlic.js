#!/usr/bin/env node
// Entry shim: lets `npx smartlic` and `npm start` run the TypeScript sources with no build step
// to remember (bin/build.js builds one when a source changed).
import { setFlagsFromString } from 'node:v8';

// `smartlic bot` only receives, acks and sends on this thread (commands run in a worker): a
// small young generation keeps its resident memory down (docs/bot.md, "Memory"). Set before
// the TypeScript loader and every module load, so the heap has not grown yet.
const argv = process.argv.slice(2);
// The verb: the first word that is neither a global flag nor the value of `--log-format`.
const verb = argv.find((a, i) => !a.startsWith('-') && argv[i - 1] !== '--log-format');
if (verb === 'bot') setFlagsFromString('--max-semi-space-size=1');

// The bundle of the sources (bin/build.js: built when a source changed), else the sources
// through the tsx loader.
const { bundledEntry } = await import('./build.js');
const bundled = await bundledEntry('smartlic', process.env);
if (bundled !== undefined) {
  await import(bundled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./smartlic.ts');
}
