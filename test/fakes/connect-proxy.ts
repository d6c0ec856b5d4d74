/**
 * A minimal forward proxy on 127.0.0.1 that only speaks CONNECT (as HTTPS proxies towards CSSM
 * do), counting tunnels so tests can prove traffic went through it. `refuse` makes it answer
 * 403 to every CONNECT, like a proxy that does not allow the destination.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ConnectProxy {
  url: string;
  /** CONNECT requests seen, with their target authority. */
  connects: string[];
  /** Plain (non-CONNECT) requests seen; a tunnelling client sends none. */
  plainRequests: number;
  close(): Promise<void>;
}

export async function startConnectProxy(opts: { refuse?: boolean } = {}): Promise<ConnectProxy> {
  const sockets = new Set<Socket>();
  const state: ConnectProxy = {
    url: '',
    connects: [],
    plainRequests: 0,
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((_req, res) => {
    state.plainRequests++;
    res.writeHead(405).end('CONNECT only');
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const target = req.url ?? '';
    state.connects.push(target);
    if (opts.refuse) {
      client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const i = target.lastIndexOf(':');
    const upstream = connect(
      Number(target.slice(i + 1)),
      target.slice(0, i).replace(/^\[|\]$/g, ''),
      () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      },
    );
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return state;
}
