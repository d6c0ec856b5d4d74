/**
 * Starts the parse thread of a process that syncs (core/parse/read-parser.ts): the answers of
 * the sync's reads are parsed there, on the machine's second core, instead of on the event
 * loop (docs/sync-performance.md, "Parsing on a second thread").
 */
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WorkerReadParser, useReadParser } from '../../core/parse/read-parser.ts';

/** tsx's loader API; vitest's module runner refuses import.meta.resolve: the worker resolves it. */
function resolveTsx(): string {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return 'tsx/esm/api';
  }
}

export interface ParseThreadOptions {
  /** Jobs parsed inline before the thread starts (WorkerReadParser). */
  startAfter?: number;
  /** The thread's old generation, MB (an answer is at most http.maxResponseBytes). Default 512. */
  heapMb?: number;
}

/**
 * One parse thread: from the bundle this process runs (bin/build.js), or else it registers
 * tsx and runs the source, as the chat's threads do (bin/cli/host.ts).
 */
export function spawnParseThread(o: ParseThreadOptions = {}): Worker {
  const built = (globalThis as Record<symbol, unknown>)[Symbol.for('smartlic.build')];
  const entryFile = './parse-worker.ts';
  const entry = new URL(entryFile, import.meta.url).href;
  const code =
    typeof built === 'string'
      ? `import(${JSON.stringify(pathToFileURL(join(built, basename(entryFile, '.ts') + '.js')).href)})`
      : `import(${JSON.stringify(resolveTsx())}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, {
    eval: true,
    // A small young generation: each answer's objects die as soon as they are sent back.
    resourceLimits: { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: o.heapMb ?? 512 },
  });
}

/**
 * Parses the reads of this process on a parse thread from now on; the returned function goes
 * back to parsing inline and ends the thread.
 */
export function useParseThread(o: ParseThreadOptions = {}): () => Promise<void> {
  const parser = new WorkerReadParser({
    spawn: () => spawnParseThread(o),
    ...(o.startAfter !== undefined ? { startAfter: o.startAfter } : {}),
  });
  const before = useReadParser(parser);
  return async () => {
    useReadParser(before);
    await parser.close();
  };
}
