/**
 * The emulator's HTTP server: one node:http listener on 127.0.0.1 serving CSSM cloud,
 * CSSM On-Prem, the UC applications and the admin API, with fault injection in front.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { World } from './model/world.ts';
import { WorldError } from './model/world-error.ts';
import { resolveScenario, ScenarioError, type ScenarioOptions } from './scenario/load.ts';
import { Faults, type FaultConfig, type Scope } from './http/faults.ts';
import { BadRequest, json, send, type Ctx } from './http/context.ts';
import { handleToken, clientKey } from './api/oauth.ts';
import {
  CLOUD_PREFIX,
  SOFTWARE_APIS_PREFIX,
  handleCloud,
  handleSoftwareApis,
} from './api/cloud.ts';
import { ONPREM_PREFIX, handleOnprem } from './api/onprem.ts';
import { UC_PREFIX, handleUc } from './api/uc.ts';
import { ADMIN_PREFIX, handleAdmin } from './api/admin.ts';

export interface ReadyInfo {
  ready: true;
  baseUrl: string;
  cloud: { tokenUrl: string; apiBase: string; devicesApiBase: string };
  onprem: { tokenUrl: string; apiBase: string };
  clients: { for: 'cloud' | 'onprem'; account: string; clientId: string; clientSecret: string }[];
  /** Extension keys (may grow): */
  admin: string;
  scenario: string;
  now: string;
  cloudTokenUrls: string[];
  unentitledClients: { for: 'cloud'; account: string; clientId: string; clientSecret: string }[];
}

type Route = { scope: Scope | 'admin'; run: (ctx: Ctx) => void | Promise<void> };

/**
 * A request that may have changed the lab (any method but GET/HEAD that reached a handler),
 * with the simulated time it was served at: replayed in order on the same scenario and seed,
 * they rebuild the same state (see `startEmulator({ replay })`).
 */
export interface JournalEntry {
  /** Simulated time (ms) when it was served. */
  t: number;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A POST that only reads (CSSM's license listing, an AXL `get…` operation): it changes
 * nothing a replay needs and draws nothing from the PRNG, so the journal leaves it out — a lab
 * that lived through months of syncs would otherwise replay thousands of them at each start.
 */
function readsOnly(scope: Scope | 'admin', method: string, path: string, body: Buffer): boolean {
  if (method !== 'POST') return false;
  if (scope === 'cloud' || scope === 'onprem') return /\/accounts\/[^/]+\/licenses$/.test(path);
  if (scope === 'uc' && /\/axl\/?$/.test(path))
    return /<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?get[A-Z]\w*[\s/>]/.test(body.toString('utf8'));
  return false;
}

/** Request headers a handler reads (credentials, body type, SOAP action); nothing else is kept. */
const JOURNAL_HEADERS = ['authorization', 'content-type', 'soapaction', 'accept'];

export class EmulatorCore {
  world: World;
  readonly faults: Faults;
  private server: Server | null = null;
  baseUrl = '';
  private readonly hung = new Set<ServerResponse>();
  private readonly sockets = new Set<Socket>();
  /** Called with every request that may change the lab, before its handler runs. */
  journal: ((e: JournalEntry) => void) | undefined;
  /** Called with every request as it arrives, before faults and handlers (tests watch traffic). */
  observe: ((method: string, url: string) => void) | undefined;

  constructor(
    private spec: string | object | undefined,
    private readonly opts: ScenarioOptions & { frozen?: boolean; nowOverride?: number },
  ) {
    this.faults = new Faults(opts.seed ?? 1);
    this.world = this.build(spec, opts);
  }

  private build(
    spec: string | object | undefined,
    o: ScenarioOptions & { nowOverride?: number },
  ): World {
    const scenario = resolveScenario(spec, o);
    const w = new World(scenario, {
      seed: o.seed ?? 1,
      ...(o.nowOverride !== undefined ? { now: o.nowOverride } : {}),
      frozen: this.opts.frozen ?? false,
    });
    this.applyFaultsTo(w);
    return w;
  }

  async loadScenario(spec: string | object, o: ScenarioOptions): Promise<void> {
    await Promise.resolve();
    try {
      this.world = this.build(spec, { seed: o.seed ?? this.opts.seed, scale: o.scale, now: o.now });
    } catch (e) {
      if (e instanceof ScenarioError || e instanceof WorldError) throw new BadRequest(e.message);
      throw e;
    }
    this.spec = spec;
  }

  private applyFaultsTo(w: World): void {
    const c = this.faults.config;
    w.unreachable.cloud = c.unreachable.cloud;
    w.unreachable.satellite = c.unreachable.satellite;
    w.faultCutoff.clear();
    for (const n of c.cutoff) w.faultCutoff.add(n);
  }

  setFaults(c: FaultConfig): void {
    this.faults.set(c);
    this.applyFaultsTo(this.world);
  }

  clearFaults(): void {
    this.faults.clear();
    this.applyFaultsTo(this.world);
    this.releaseHung();
  }

  ready(): ReadyInfo {
    const b = this.baseUrl;
    const clients: ReadyInfo['clients'] = [];
    const unentitled: ReadyInfo['unentitledClients'] = [];
    for (const c of this.world.clients.values()) {
      const entry = {
        for: c.kind,
        account: c.kind === 'cloud' ? (c.accounts[0] ?? '') : (c.localAccount ?? ''),
        clientId: c.clientId,
        clientSecret: c.clientSecret,
      };
      if (c.kind === 'cloud' && !c.entitled) unentitled.push({ ...entry, for: 'cloud' });
      else clients.push(entry);
    }
    return {
      ready: true,
      baseUrl: b,
      cloud: {
        tokenUrl: `${b}/oauth2/default/v1/token`,
        apiBase: `${b}/services/api/smart-accounts-and-licensing`,
        devicesApiBase: `${b}/v1/software/apis/`,
      },
      onprem: { tokenUrl: `${b}/backend/oauth/token`, apiBase: `${b}/backend/api/v1` },
      clients,
      admin: `${b}/__emulator`,
      scenario: this.world.name,
      now: new Date(this.world.now()).toISOString(),
      cloudTokenUrls: [`${b}/as/token.oauth2`, `${b}/oauth2/default/v1/token`],
      unentitledClients: unentitled,
    };
  }

  private route(path: string): Route | null {
    if (path.startsWith(CLOUD_PREFIX)) return { scope: 'cloud', run: handleCloud };
    if (path.startsWith(SOFTWARE_APIS_PREFIX)) return { scope: 'cloud', run: handleSoftwareApis };
    if (path.startsWith(UC_PREFIX)) return { scope: 'uc', run: handleUc };
    if (path.startsWith(ONPREM_PREFIX)) return { scope: 'onprem', run: handleOnprem };
    if (path.startsWith(ADMIN_PREFIX))
      return { scope: 'admin', run: (ctx) => handleAdmin(ctx, this) };
    if (path === '/as/token.oauth2')
      return { scope: 'cloud', run: (ctx) => handleToken(ctx, 'cloud-old') };
    if (path === '/oauth2/default/v1/token')
      return { scope: 'cloud', run: (ctx) => handleToken(ctx, 'cloud-new') };
    if (path === '/backend/oauth/token')
      return { scope: 'onprem', run: (ctx) => handleToken(ctx, 'onprem') };
    return null;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.observe?.(req.method ?? 'GET', req.url ?? '/');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void this.dispatch(req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const ctx: Ctx = {
      req,
      res,
      method: req.method ?? 'GET',
      path,
      query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
      body,
      world: this.world,
      baseUrl: this.baseUrl,
    };
    const route = this.route(path);
    try {
      ctx.world.catchUp();
      if (!route) {
        json(ctx, 404, {
          status: 'ERROR',
          statusMessage: `No such resource: ${ctx.method} ${path}`,
        });
        return;
      }
      if (route.scope !== 'admin' && this.faults.active) {
        const action = this.faults.decide(route.scope, clientKey(ctx), ctx.method, path);
        const latency = this.faults.config.latencyMs;
        if (
          latency > 0 &&
          action.kind !== 'drop' &&
          (this.faults.config.scope === 'all' || this.faults.config.scope === route.scope)
        ) {
          await new Promise((r) => setTimeout(r, latency));
          if (res.destroyed) return;
        }
        switch (action.kind) {
          case 'drop':
            req.socket.destroy();
            return;
          case 'hang':
            this.hung.add(res);
            res.on('close', () => this.hung.delete(res));
            return;
          case 'dropMidResponse':
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': 4096 });
            res.write('{"status":"SUCC');
            setImmediate(() => req.socket.destroy());
            return;
          case 'status': {
            const headers: Record<string, string> = {};
            if (action.retryAfter !== undefined) headers['retry-after'] = String(action.retryAfter);
            if (route.scope === 'uc')
              send(ctx, action.status, action.message, 'text/plain', headers);
            else
              json(ctx, action.status, { status: 'ERROR', statusMessage: action.message }, headers);
            return;
          }
          case 'pass':
            break;
        }
      }
      // Faults are not lab state: a restarted lab starts without them.
      const faults = path.startsWith(`${ADMIN_PREFIX}faults`);
      if (
        this.journal &&
        ctx.method !== 'GET' &&
        ctx.method !== 'HEAD' &&
        !faults &&
        !readsOnly(route.scope, ctx.method, path, body)
      ) {
        const headers: Record<string, string> = {};
        for (const h of JOURNAL_HEADERS) {
          const v = req.headers[h];
          if (typeof v === 'string') headers[h] = v;
        }
        this.journal({
          t: ctx.world.now(),
          method: ctx.method,
          url,
          headers,
          body: body.toString('utf8'),
        });
      }
      await route.run(ctx);
    } catch (e) {
      if (e instanceof BadRequest || e instanceof WorldError) {
        const status = e instanceof BadRequest ? e.status : e.status;
        if (route?.scope === 'uc') send(ctx, status, e.message, 'text/plain');
        else if (route?.scope === 'admin') json(ctx, status, { error: e.message });
        else json(ctx, status, { status: 'ERROR', statusMessage: e.message });
        return;
      }
      process.stderr.write(`emulator: ${(e as Error).stack ?? String(e)}\n`);
      json(ctx, 500, { status: 'ERROR', statusMessage: 'Internal emulator error.' });
    }
  }

  async listen(port: number): Promise<void> {
    const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) =>
      this.onRequest(req, res),
    );
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${addr.port}`;
  }

  private releaseHung(): void {
    for (const r of this.hung) r.destroy();
    this.hung.clear();
  }

  /** Ends even with hung requests and open keep-alive connections. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.releaseHung();
    const done = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await done;
  }
}
