/**
 * Where the answers of the sync's reads are parsed: inline on the event loop (the default), or
 * on a worker thread (`WorkerReadParser`), so that the one event loop of a sync spends its CPU
 * on HTTP, SQLite and the write, and the machine's second core parses (issue 23,
 * docs/sync-performance.md "Parsing on a second thread").
 *
 * A job names what to parse (`ReadJob`, plain data) and the client passes the same pure function
 * the worker runs (core/parse/read-jobs.ts), for the inline path. Either way the answer is the
 * same value and the same SmartlicError: the worker sends an error's code, message, action and
 * details back and they are rebuilt here (and redacted here, where the secrets are known).
 * The body's bytes are moved to the worker, not copied; the parsed value comes back by
 * structured clone, which costs the event loop a fraction of the parse (measured in the doc).
 *
 * Process-wide like the redaction registry: bin/ installs a worker parser for the processes
 * that sync (`useReadParser`); everything else, and every test that does not ask for one,
 * parses inline.
 */
import type { Worker } from 'node:worker_threads';
import { SmartlicError } from '../errors.ts';
import type { HttpResponse } from '../cssm/http.ts';

/** What a job parses; read-jobs.ts runs each. */
export type ReadJob =
  | { kind: 'axl-status'; status: number; ctx: unknown }
  | { kind: 'cupi-status'; ctx: unknown }
  | { kind: 'cssm'; schema: string; status: number; ctx: unknown };

export interface ReadParser {
  /**
   * The parsed answer of `res`: `inline(res.text)` here, or the same job on a worker thread.
   * After a worker took it, `res.bytes` is detached.
   */
  parse<T>(job: ReadJob, res: HttpResponse, inline: (text: string) => T): Promise<T>;
  close(): Promise<void>;
}

/** Parses on the calling thread. */
export const inlineReadParser: ReadParser = {
  parse<T>(_job: ReadJob, res: HttpResponse, inline: (text: string) => T): Promise<T> {
    try {
      return Promise.resolve(inline(res.text));
    } catch (e) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rethrown as thrown
      return Promise.reject(e);
    }
  },
  close: () => Promise.resolve(),
};

let current: ReadParser = inlineReadParser;

/** The parser the clients use now. */
export function readParser(): ReadParser {
  return current;
}

/** Installs a parser for this process (bin/); returns the one it replaces. */
export function useReadParser(p: ReadParser): ReadParser {
  const before = current;
  current = p;
  return before;
}

/** A message to the worker. */
export interface ParseRequest {
  id: number;
  job: ReadJob;
  bytes: Uint8Array;
}

/** What a thrown error becomes on the way back. */
export interface SentError {
  smartlic: boolean;
  name: string;
  code?: string;
  message: string;
  action?: string;
  details?: Record<string, unknown>;
  cause?: { name: string; message: string };
}

/** A message from the worker. */
export type ParseReply = { id: number; value: unknown } | { id: number; error: SentError };

export interface WorkerReadParserOptions {
  /** Starts one parse thread (bin/cli/parse-thread.ts: from the bundle, or the sources). */
  spawn: () => Worker;
  /**
   * Answers smaller than this are parsed inline: a message to the thread and back costs more
   * than parsing a token answer or an error. Default 512 bytes.
   */
  minBytes?: number;
  /**
   * Jobs parsed inline before the thread is started: a command that reads a few answers does
   * not pay for starting a thread (tens of ms of CPU); a sync of many does, once. Default 64.
   */
  startAfter?: number;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  job: ReadJob;
}

/**
 * One parse thread, started on the first job and started again after it ended: a job in
 * flight when the thread ends (a crash, out of memory) fails with PARSE_THREAD_ENDED, the next
 * one goes to a new thread. The thread keeps the process alive only while jobs are in flight.
 */
export class WorkerReadParser implements ReadParser {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private readonly minBytes: number;
  private inlineLeft: number;
  /** Threads started so far (the first, and each replacement). */
  started = 0;

  constructor(private readonly o: WorkerReadParserOptions) {
    this.minBytes = o.minBytes ?? 512;
    this.inlineLeft = o.startAfter ?? 64;
  }

  parse<T>(job: ReadJob, res: HttpResponse, inline: (text: string) => T): Promise<T> {
    const bytes = res.bytes;
    if (this.closed || bytes.byteLength < this.minBytes || !ownsBuffer(bytes)) {
      return inlineReadParser.parse(job, res, inline);
    }
    if (this.inlineLeft > 0 && !this.worker) {
      this.inlineLeft--;
      return inlineReadParser.parse(job, res, inline);
    }
    const w = this.thread();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, job });
      if (this.pending.size === 1) w.ref();
      const msg: ParseRequest = { id, job, bytes };
      w.postMessage(msg, [bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = this.o.spawn();
    this.started++;
    w.unref();
    w.on('message', (m: ParseReply) => this.reply(m));
    // 'error' comes before 'exit' when the thread threw or ran out of memory.
    let why: string | undefined;
    w.on('error', (e: Error) => {
      why = e.message;
    });
    w.on('exit', (code) => this.ended(w, why ?? `exit code ${code}`));
    this.worker = w;
    return w;
  }

  private reply(m: ParseReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker?.unref();
    if ('error' in m) p.reject(rebuildError(m.error));
    else p.resolve(m.value);
  }

  private ended(w: Worker, why: string): void {
    if (this.worker === w) this.worker = undefined;
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const p of failed) {
      p.reject(
        new SmartlicError({
          code: 'PARSE_THREAD_ENDED',
          message: `the thread that parses answers ended (${why}) while it parsed ${describeJob(p.job)}; the read was not used`,
          action:
            'sync again: a new parse thread is started for the next read; if it keeps happening, the answer may be too large for the thread (look at http.maxResponseBytes)',
          details: { job: p.job.kind, why },
        }),
      );
    }
  }
}

function describeJob(job: ReadJob): string {
  if (job.kind === 'cssm') return `a CSSM answer (${job.schema})`;
  return job.kind === 'axl-status' ? 'a Unified CM status' : 'a Unity Connection status';
}

/** A buffer that can be moved: the whole of an ArrayBuffer of its own. */
function ownsBuffer(b: Uint8Array): boolean {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !isShared(b.buffer);
}

function isShared(b: ArrayBufferLike): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer;
}

/** What the worker sends for a thrown error (read-jobs.ts runs on the worker). */
export function sendableError(e: unknown): SentError {
  if (e instanceof SmartlicError) {
    const c = e.cause;
    return {
      smartlic: true,
      name: e.name,
      code: e.code,
      message: e.message,
      ...(e.action !== undefined ? { action: e.action } : {}),
      ...(e.details !== undefined ? { details: e.details } : {}),
      ...(c instanceof Error ? { cause: { name: c.name, message: c.message } } : {}),
    };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return { smartlic: false, name: err.name, message: err.message };
}

/** The error the inline parse would have thrown, as near as a copy can be. */
export function rebuildError(s: SentError): Error {
  let cause: Error | undefined;
  if (s.cause) {
    cause = new Error(s.cause.message);
    cause.name = s.cause.name;
  }
  if (s.smartlic) {
    return new SmartlicError({
      code: s.code ?? 'INTERNAL',
      message: s.message,
      ...(s.action !== undefined ? { action: s.action } : {}),
      ...(s.details !== undefined ? { details: s.details } : {}),
      ...(cause ? { cause } : {}),
    });
  }
  const e = new Error(s.message);
  e.name = s.name;
  return e;
}
