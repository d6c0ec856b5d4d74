/**
 * The entry of a parse thread (core/parse/read-parser.ts WorkerReadParser): takes an answer's
 * bytes, runs its job, and sends back the parsed value or the error. Started by
 * bin/cli/parse-thread.ts, from the bundle (bin/build.js lists this entry) or the sources.
 */
import { parentPort } from 'node:worker_threads';
import { runReadJob } from './read-jobs.ts';
import { sendableError, type ParseReply, type ParseRequest } from './read-parser.ts';

const port = parentPort;
if (!port) throw new Error('parse-worker.ts runs as a worker thread');

port.on('message', (m: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = { id: m.id, value: runReadJob(m.job, utf8(m.bytes)) };
  } catch (e) {
    reply = { id: m.id, error: sendableError(e) };
  }
  port.postMessage(reply);
});

/** As the main thread decodes an answer (core/cssm/http.ts): a byte-order mark is kept. */
function utf8(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}
