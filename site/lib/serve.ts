/**
 * `serveSite`: a small static file server for the built site, on 127.0.0.1 only. Serves
 * `index.html` for directories, refuses paths that leave the root, never lists directories.
 * With a base (`/smartlic/`), the site is served under it, as a web server hosting it in that
 * sub-directory would, and nothing outside it.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

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
}): Promise<RunningSite> {
  const root = resolve(opts.dir);
  const base = opts.base ?? '/';
  const server = createServer((req, res) => {
    const send = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
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
    try {
      let st = statSync(file);
      if (st.isDirectory()) {
        if (!path.endsWith('/')) {
          res.writeHead(301, { location: `${base}${path.slice(1)}/` });
          return res.end();
        }
        file = join(file, 'index.html');
        st = statSync(file);
      }
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': st.size,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch {
      send(404, 'not found\n');
    }
  });
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
