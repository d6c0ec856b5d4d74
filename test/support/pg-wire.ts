/**
 * Stand-ins for a PostgreSQL server that is not there or too old, for the start checks
 * (test/integration/store-postgres.test.ts, pg-start-errors.test.ts): a closed port, and a TCP
 * listener on 127.0.0.1 that speaks just enough of PostgreSQL's wire protocol to claim
 * version 12 (no PostgreSQL 12 is installed here).
 */
import { createServer, type Server, type Socket } from 'node:net';

/** A port on 127.0.0.1 nothing listens on. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * A server that answers PostgreSQL's startup with "authenticated" and any simple query with one
 * row ('12.17', '120017'): what smartlic reads from an old server. Only the messages the pg
 * driver sends before and during that query are handled.
 */
export async function startOldServer(): Promise<{ server: Server; port: number }> {
  const msg = (type: string, body: Buffer) => {
    const head = Buffer.alloc(5);
    head.write(type, 0, 'latin1');
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  };
  const int32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const int16 = (n: number) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    return b;
  };
  const cstr = (s: string) => Buffer.from(`${s}\0`, 'utf8');
  const field = (name: string) =>
    Buffer.concat([cstr(name), int32(0), int16(0), int32(25), int16(-1), int32(-1), int16(0)]);
  const value = (s: string) => Buffer.concat([int32(Buffer.byteLength(s)), Buffer.from(s)]);
  const ready = msg('Z', Buffer.from('I'));
  const server = createServer((sock: Socket) => {
    let buf = Buffer.alloc(0);
    let started = false;
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!started) {
          if (buf.length < 4) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          buf = buf.subarray(len);
          if (code === 80877103) {
            sock.write('N'); // no TLS
            continue;
          }
          started = true;
          sock.write(
            Buffer.concat([
              msg('R', int32(0)),
              msg('S', Buffer.concat([cstr('server_version'), cstr('12.17')])),
              msg('K', Buffer.concat([int32(1), int32(2)])),
              ready,
            ]),
          );
          continue;
        }
        if (buf.length < 5) return;
        const type = buf.toString('latin1', 0, 1);
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        buf = buf.subarray(len + 1);
        if (type === 'X') return void sock.end();
        if (type === 'Q') {
          sock.write(
            Buffer.concat([
              msg('T', Buffer.concat([int16(2), field('v'), field('n')])),
              msg('D', Buffer.concat([int16(2), value('12.17'), value('120017')])),
              msg('C', cstr('SELECT 1')),
              ready,
            ]),
          );
        }
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}
