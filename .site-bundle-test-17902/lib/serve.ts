/**
 * `serveSite`: a small static file server for the built site, on 127.0.0.1 only. Serves
 * `index.html` for directories, refuses paths that leave the root, never lists directories.
 * With a base (`/smartlic/`), the site is served under it, as a web server hosting it in that
 * sub-directory would, and nothing outside it.
 *
 * What an attacker could aim at (issue 20): a redirect's Location is rebuilt from the file
 * found, never from the request's text, so it is always a path of this site (`/%2fevil.example`
 * once gave `//evil.example/…`, which browsers follow off-site); a symbolic link is served only
 * when its real target is inside the site folder; and whatever throws while a request is
 * answered is logged, answered 500 and counted (`listener_error`), never the end of the process.
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, relative, resolve, sep } from 'node:path';
import { failRequest, guardRequests, type Logger, type Metrics } from '../../core/index.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export interface RunningSite {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function serveSite(opts: {
  dir: string;
  port?: number;
  /** Normalised base path (`/` or `/smartlic/`). */
  base?: string;
  /** Where a request that failed is logged (method and error only). */
  logger?: Logger;
  /** Counts those failures (`listener_error`, listener `site`). */
  metrics?: Metrics;
}): Promise<RunningSite> {
  const root = resolve(opts.dir);
  const base = opts.base ?? '/';
  /** Inside `dir`, once symbolic links are followed (the folder itself may be a link). */
  const inside = (real: string) => {
    let top: string;
    try {
      top = realpathSync(root);
    } catch {
      return false;
    }
    return real === top || real.startsWith(top + sep);
  };
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(405, 'method not allowed\n', { allow: 'GET, HEAD' });
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    if (path.includes('\0')) return send(400, 'bad request\n');
    if (!path.startsWith(base)) {
      if (`${path}/` === base) {
        res.writeHead(301, { location: base });
        return res.end();
      }
      return send(404, 'not found\n');
    }
    path = `/${path.slice(base.length)}`;
    let file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return send(403, 'forbidden\n');
    let st;
    try {
      const real = realpathSync(file);
      if (!inside(real)) return send(404, 'not found\n');
      st = statSync(real);
      if (st.isDirectory()) {
        if (!path.endsWith('/')) {
          // Rebuilt from where the file is, so that it cannot name another host (`//host/`).
          const rel = relative(root, file).split(sep).map(encodeURIComponent).join('/');
          res.writeHead(301, { location: `${base}${rel}/` });
          return res.end();
        }
        file = realpathSync(join(real, 'index.html'));
        if (!inside(file)) return send(404, 'not found\n');
        st = statSync(file);
      } else file = real;
      if (!st.isFile()) return send(404, 'not found\n');
    } catch {
      return send(404, 'not found\n');
    }
    const stream = createReadStream(file);
    // The file may go between the stat and the read (a site rebuild swaps the folder).
    stream.once('error', (e) => fail(req, res, e));
    stream.once('open', () => {
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': st.size,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      });
      if (req.method === 'HEAD') {
        stream.destroy();
        return res.end();
      }
      stream.pipe(res);
    });
  };
  const fail = (req: IncomingMessage, res: ServerResponse, e: unknown) =>
    failRequest(
      res,
      e,
      { listener: 'site', method: req.method ?? '', route: 'file' },
      opts.logger,
      opts.metrics,
    );
  const server = createServer(
    guardRequests('site', answer, {
      logger: opts.logger,
      metrics: opts.metrics,
      route: () => 'file',
    }),
  );
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 4321, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 4321);
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}${base}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
