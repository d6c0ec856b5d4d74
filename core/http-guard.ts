/**
 * The last resort of an HTTP listener (issue 20: one request once stopped the whole product).
 * Whatever a request's handler throws — at once, or later through the promise it returns — is
 * logged with the listener, method and route only (no URL, header or body: they may carry
 * tokens), answered 500 (or the connection cut when the answer had begun) and counted through
 * the metrics port (`listener_error`). A request or response stream error (a client that went
 * away) is no error of ours and ends that connection only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from './log.ts';
import { recordSafely, type Metrics } from './metrics.ts';

export type ListenerName = 'chat' | 'site';

/** Answers a request whose handling threw. Never throws. */
export function failRequest(
  res: ServerResponse,
  e: unknown,
  where: { listener: ListenerName; method: string; route: string },
  logger: Logger | undefined,
  metrics: Metrics | undefined,
): void {
  try {
    const err = e instanceof Error ? e : new Error(String(e));
    const code = (err as Error & { code?: unknown }).code;
    logger?.error('request failed; answered 500', {
      listener: where.listener,
      method: where.method.slice(0, 16),
      route: where.route,
      error: err.message.slice(0, 300),
      ...(typeof code === 'string' ? { code } : {}),
    });
  } catch {
    // A broken log sink must not stop the answer.
  }
  recordSafely(metrics, { kind: 'listener_error', listener: where.listener });
  try {
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end('internal error\n');
    } else res.destroy();
  } catch {
    res.destroy();
  }
}

/**
 * `handler` behind the last resort. `route` names the request's route for the log from a
 * closed set (the listener's known paths, else "other").
 */
export function guardRequests(
  listener: ListenerName,
  handler: (req: IncomingMessage, res: ServerResponse) => unknown,
  o: {
    logger?: Logger | undefined;
    metrics?: Metrics | undefined;
    route?: (path: string) => string;
  },
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const fail = (e: unknown) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      failRequest(
        res,
        e,
        { listener, method: req.method ?? '', route: o.route ? o.route(path) : 'other' },
        o.logger,
        o.metrics,
      );
    };
    req.on('error', () => res.destroy());
    res.on('error', () => undefined);
    try {
      const r = handler(req, res);
      if (r instanceof Promise) r.catch(fail);
    } catch (e) {
      fail(e);
    }
  };
}
