// The parts of `ws` (a dependency of @slack/socket-mode; it ships no types) the fake Slack uses.
declare module 'ws' {
  import type { EventEmitter } from 'node:events';
  import type { Server } from 'node:http';
  export class WebSocket extends EventEmitter {
    static readonly OPEN: number;
    readyState: number;
    send(data: string): void;
    close(code?: number): void;
    terminate(): void;
  }
  export class WebSocketServer extends EventEmitter {
    constructor(opts: { server?: Server; host?: string; port?: number; path?: string });
    clients: Set<WebSocket>;
    address(): { port: number } | string;
    close(cb?: (err?: Error) => void): void;
  }
}
