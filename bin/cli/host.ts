/**
 * The one host of smartlic's long-running processes, shared by `smartlic start` (the demo on
 * the embedded emulator) and `smartlic serve` (production): the instance lock, the runtime,
 * the chat adapters with their command workers and alert delivery, the HTTP listener with
 * /healthz, the scheduler with a site rebuild after each round, the static site server, and
 * the shutdown that undoes all of it in order.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname, userInfo } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type MessagePort } from 'node:worker_threads';
import pino from 'pino';
import { RemoteCommandLayer } from '../../bot/index.ts';
import type { CommandRunner } from '../../bot/commands/index.ts';
import { startChatServer, type ChatServer } from '../../bot/http.ts';
import { Notifier, tellInterrupted, type ChatSender } from '../../bot/notify/index.ts';
import type { SlackAdapter } from '../../bot/slack/slack-adapter.ts';
import type { WebexAdapter } from '../../bot/webex/webex-adapter.ts';
import { systemClock, type Clock } from '../../core/clock.ts';
import { leaderElection, type Config } from '../../core/config.ts';
import { SmartlicError } from '../../core/errors.ts';
import { createLogger, type Logger } from '../../core/log.ts';
import { instanceHealth, type AdapterProbe } from '../../core/services/health.ts';
import {
  acquireInstanceLock,
  type InstanceLock,
  type InstanceRole,
} from '../../core/services/instance-lock.ts';
import {
  FollowerLeadership,
  LeaseLeadership,
  SoleLeadership,
  defaultInstanceId,
  type Leadership,
} from '../../core/services/leadership.ts';
import { AdvisoryLeadership } from '../../core/services/leadership-advisory.ts';
import { SyncScheduler, alertEvaluationScheduler } from '../../core/services/scheduler.ts';
import type { SyncOutcome, SyncProgress } from '../../core/services/index.ts';
import { isMemoryPath, redactDatabaseUrl } from '../../core/store/index.ts';
import { buildSite, type BuildSiteResult } from '../../site/lib/build.ts';
import { serveSite, type RunningSite } from '../../site/lib/serve.ts';
import { reports } from '../../core/index.ts';
import { commandLayer } from './chat.ts';
import { ReadModelThread } from './read-model-thread.ts';
import { createPromMetrics, type PromMetrics } from './metrics.ts';
import { cliConfig, openRuntime, type Runtime } from './runtime.ts';
import type { CliContext } from './types.ts';

/** Structured JSON logs through pino on stderr; core's logger has redacted every value first. */
export function pinoLogger(config: Config, clock: Clock, role: string): Logger {
  const level = config.log.level;
  const p = pino(
    {
      level,
      base: { pid: process.pid, hostname: hostname(), role },
      timestamp: () => `,"time":"${clock.now().toISOString()}"`,
    },
    pino.destination({ dest: 2, sync: true }),
  );
  return createLogger({
    level,
    now: () => clock.now(),
    write: (line) => {
      const { t: _t, level: lv, msg, ...fields } = JSON.parse(line) as Record<string, unknown>;
      const l = lv === 'debug' || lv === 'info' || lv === 'warn' ? lv : 'error';
      p[l](fields, String(msg));
    },
  });
}

export function startWorker(
  env: NodeJS.ProcessEnv,
  heapMb: number,
  /** The read-model thread (ReadModelThread): the worker gets a port of its own to it. */
  readModels?: ReadModelThread,
): Promise<Worker> {
  const { worker, ready } = spawnThread('./bot-worker.ts', env, heapMb, readModels?.portFor());
  // Fed again (a new port) each time the read-model thread is restarted.
  readModels?.serve(worker);
  return ready;
}

/**
 * The thread that computes the whole-estate answers ahead of the asks and feeds the command
 * workers (read-model-worker.ts, core/reports/read-model-refresher.ts). `worker` can be handed
 * to startWorker at once (its messages wait for it): the threads start side by side.
 */
export function startReadModelWorker(
  env: NodeJS.ProcessEnv,
  heapMb: number,
): { worker: Worker; ready: Promise<Worker> } {
  return spawnThread('./read-model-worker.ts', env, heapMb);
}

/** tsx's loader API; vitest's module runner refuses import.meta.resolve: the worker resolves it. */
function resolveTsx(): string {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return 'tsx/esm/api';
  }
}

function spawnThread(
  entryFile: string,
  env: NodeJS.ProcessEnv,
  heapMb: number,
  /** The worker's end of a channel to the read-model thread (ReadModelThread.portFor). */
  port?: MessagePort,
): { worker: Worker; ready: Promise<Worker> } {
  // The thread starts from the bundle this process runs (bin/build.js), or else, without this
  // process's TypeScript loader, registers it first and runs the source.
  const built = (globalThis as Record<symbol, unknown>)[Symbol.for('smartlic.build')];
  const entry = new URL(entryFile, import.meta.url).href;
  const code =
    typeof built === 'string'
      ? `import(${JSON.stringify(pathToFileURL(join(built, basename(entryFile, '.ts') + '.js')).href)})`
      : `import(${JSON.stringify(resolveTsx())}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  const w = new Worker(code, {
    eval: true,
    workerData: { env: { ...env }, ...(port ? { readModels: port } : {}) },
    ...(port ? { transferList: [port] } : {}),
    // A small young generation, so that the read models' short-lived rows are collected often,
    // and a bounded old generation, so that V8 collects instead of growing the heap after each
    // whole-estate read (docs/bot.md, "Memory": the bot's RSS target is 300 MB).
    resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: heapMb },
  });
  const ready = new Promise<Worker>((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if ((m as { ready?: boolean }).ready) {
        w.off('message', onMessage);
        w.off('error', reject);
        resolve(w);
      }
    };
    w.on('message', onMessage);
    w.once('error', reject);
  });
  return { worker: w, ready };
}

export interface ChatParts {
  slack?: SlackAdapter;
  webex?: WebexAdapter;
  server?: ChatServer;
  notifier?: Notifier;
  /** The command workers (each replaced when it ends on its own). */
  commands?: RemoteCommandLayer;
  /** The thread computing the whole-estate answers for the command workers (restarted when it ends). */
  readModels?: ReadModelThread;
}

export interface HostOptions {
  ctx: CliContext;
  /** `bot` runs only the chat side and takes no instance lock (it may run beside a start). */
  role: InstanceRole | 'bot';
  /** Human lines (where everything is, what happened). */
  out: (s: string) => void;
  overrides?: Record<string, unknown>;
  /** Structured JSON logs (pino) instead of the CLI's text warnings. */
  jsonLogs?: boolean;
  /** smartlic's clock (default the system clock); `start` pins it to the lab's past. */
  clock?: Clock;
}

export class Host {
  chat: ChatParts = {};
  scheduler: SyncScheduler | undefined;
  evaluator: SyncScheduler | undefined;
  site: RunningSite | undefined;
  private readonly adapterProbes: Record<string, AdapterProbe> = {};
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private stopRequested: (() => void) | undefined;
  private readonly stopPromise: Promise<string>;
  private stopping = false;
  /** Who leads among the instances on this database (always this one with `single`). */
  readonly leadership: Leadership;

  private constructor(
    readonly opts: HostOptions,
    readonly rt: Runtime,
    readonly lock: InstanceLock | undefined,
    readonly prom: PromMetrics,
  ) {
    this.leadership = createLeadership(rt, opts.role);
    this.stopPromise = new Promise<string>((resolve) => {
      this.stopRequested = () => resolve('requested');
      const onSignal = (sig: NodeJS.Signals) => {
        if (this.stopping) {
          // A second Ctrl-C while stopping: the operator does not want to wait.
          process.stderr.write(`${sig} again: exiting now\n`);
          this.lock?.release();
          process.exit(130);
        }
        this.stopping = true;
        resolve(sig);
      };
      // An exit that skips stop() (EPIPE on stdout, process.exit) still gives the lock back.
      const onExit = () => this.lock?.release();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      process.once('exit', onExit);
      this.cleanups.push(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        process.off('exit', onExit);
      });
    });
  }

  /**
   * Takes the database's instance lock (before anything is touched: a refused second
   * instance changes nothing), then opens the runtime.
   */
  static async open(opts: HostOptions): Promise<Host> {
    const config = cliConfig(opts.ctx, opts.overrides);
    const dbPath = config.db.path;
    const role = opts.role;
    // Several serve instances on one database elect a leader instead of refusing each other.
    const election = leaderElection(config);
    const elected = role === 'serve' && election !== 'single';
    if (elected && election === 'advisory' && config.db.url === undefined)
      throw advisoryNeedsPostgres();
    const lock =
      isMemoryPath(dbPath) || role === 'bot' || elected
        ? undefined
        : acquireInstanceLock({ dbPath: resolve(dbPath), role, clock: systemClock });
    try {
      // GET /metrics on the listener: counters fed by this process and its command workers,
      // gauges read from the database at scrape time.
      const ref: { rt?: Runtime; host?: Host } = {};
      const prom = createPromMetrics({
        counts: () => reports.operationalCounts(ref.rt!.db),
        log: () => ref.rt?.logger,
        // Every process with a listener says who leads (itself alone with `single`).
        leader: async () => ref.host?.leadership.status(),
      });
      const rt = await openRuntime(opts.ctx, {
        metrics: prom.metrics,
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.overrides ? { overrides: opts.overrides } : {}),
        ...(opts.jsonLogs
          ? { logger: (c: Config, clock: Clock) => pinoLogger(c, clock, opts.role) }
          : {}),
      });
      ref.rt = rt;
      ref.host = new Host(opts, rt, lock, prom);
      return ref.host;
    } catch (e) {
      lock?.release();
      throw e;
    }
  }

  get config(): Config {
    return this.rt.config;
  }

  /** Registers something to undo at shutdown (run in reverse order of registration). */
  onStop(fn: () => Promise<void> | void): void {
    this.cleanups.push(fn);
  }

  /** Resolves with the signal (or 'requested') that asked the host to stop. */
  waitForStop(): Promise<string> {
    return this.stopPromise;
  }

  /** True once a stop was asked for (Ctrl-C, SIGTERM, requestStop). */
  get stopRequestedYet(): boolean {
    return this.stopping;
  }

  requestStop(): void {
    this.stopping = true;
    this.stopRequested?.();
  }

  /**
   * The Slack and/or Webex adapters whose settings are all set (none otherwise), their
   * command workers (commands run off the acking thread, docs/bot.md), alert delivery to
   * subscribed channels, and the HTTP listener (callbacks, /healthz and /metrics). `listen` forces the
   * listener even without an adapter (serve: /healthz).
   */
  async startChat(listen: boolean): Promise<ChatParts> {
    const rt = this.rt;
    const b = rt.config.bot;
    const out = this.opts.out;
    const slackOn = Boolean(b.slack.botToken);
    const webexOn = Boolean(b.webex.botToken);
    const parts = this.chat;
    if (slackOn || webexOn) {
      let layer: CommandRunner;
      if (isMemoryPath(rt.config.db.path)) {
        layer = commandLayer(rt);
      } else {
        // Started beside the command workers. If it ends (out of memory, a crash), each
        // worker computes whole-estate answers itself until it is started again (backoff).
        // A passphrase key is derived (scrypt, N=2^15: ~1 CPU-s and a 32 MB buffer) once, here:
        // the threads get the derived key itself, which resolveSecretKey takes as it is.
        const threadEnv =
          rt.key.source === 'env-passphrase'
            ? { ...this.opts.ctx.io.env, SMARTLIC_SECRET_KEY: rt.key.key.toString('hex') }
            : this.opts.ctx.io.env;
        const models = new ReadModelThread({
          spawn: () => startReadModelWorker(threadEnv, b.workerHeapMb),
          logger: rt.logger,
        });
        models.start();
        parts.readModels = models;
        const start = () => startWorker(threadEnv, b.workerHeapMb, models);
        const remote = new RemoteCommandLayer(
          await Promise.all(Array.from({ length: b.workers }, start)),
          {
            metrics: this.prom.metrics,
            replace: () =>
              start().catch((e: unknown) => {
                rt.logger.error('could not start a command worker; commands are refused', {
                  error: e instanceof Error ? e.message : String(e),
                });
                throw e;
              }),
            onWorkerEnd: ({ code, error, commands }) =>
              rt.logger.error('command worker ended; starting a new one', {
                code,
                error: error?.message ?? null,
                commandsFailed: commands,
                workerHeapMb: b.workerHeapMb,
              }),
          },
        );
        parts.commands = remote;
        layer = remote;
      }
      const senders: Partial<Record<'slack' | 'webex', ChatSender>> = {};
      if (slackOn) {
        const { SlackAdapter } = await import('../../bot/slack/slack-adapter.ts');
        const slack = await SlackAdapter.start({
          layer,
          config: b,
          logger: rt.logger,
          threads: rt.repos.chatThreads,
        });
        parts.slack = slack;
        senders.slack = slack.sender();
        this.adapterProbes.slack = cached(async () => (await slack.client.auth.test()).ok === true);
        out(
          `slack: ${slack.mode === 'socket' ? 'Socket Mode' : 'HTTP at /slack/events'}, command ${b.slack.command}`,
        );
      }
      if (webexOn) {
        // The Webex SDK takes its API base from the environment at its first import.
        if (b.webex.apiUrl) process.env.HYDRA_SERVICE_URL = b.webex.apiUrl;
        const { WebexAdapter } = await import('../../bot/webex/webex-adapter.ts');
        const webex = await WebexAdapter.start({
          layer,
          config: b,
          logger: rt.logger,
          metrics: this.prom.metrics,
          threads: rt.repos.chatThreads,
        });
        parts.webex = webex;
        senders.webex = webex.sender();
        const api = (b.webex.apiUrl ?? 'https://webexapis.com/v1').replace(/\/+$/, '');
        const token = b.webex.botToken ?? '';
        // GET /people/me: the bot's own identity, the cheapest documented authenticated call.
        this.adapterProbes.webex = cached(async () => {
          const r = await fetch(`${api}/people/me`, {
            headers: { authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(5000),
          });
          await r.arrayBuffer();
          return r.ok;
        });
        out(`webex: webhook ${b.webex.webhookUrl ?? ''} → /webex/events`);
      }
      parts.notifier = new Notifier({
        repos: rt.repos,
        clock: rt.clock,
        logger: rt.logger,
        senders,
        renotifyMs: b.notify.renotifyHours * 3_600_000,
        channelIntervalMs: b.notify.channelIntervalMs,
        metrics: this.prom.metrics,
        // The sync runs in this process: its alert events wake delivery at once.
        events: rt.services.alerts.events,
        // Several instances: only the leader delivers, every delivery write fenced.
        ...(this.leadership.election === 'single' ? {} : { leader: this.leadership }),
      });
      parts.notifier.start(b.notify.pollMs);
      // Chat writes a dead process left running were closed as interrupted when the runtime
      // opened: say so in their threads (issue 20).
      void tellInterrupted({ threads: rt.repos.chatThreads, senders, logger: rt.logger }).catch(
        (e: unknown) => rt.logger.warn('could not follow up interrupted chat jobs', { error: e }),
      );
    }
    // /mcp needs the listener too (bot.mcp.enabled), with or without a chat adapter.
    if (slackOn || webexOn || listen || b.mcp.enabled) {
      const slackHttp = parts.slack?.requestListener;
      parts.server = await startChatServer(
        {
          ...(slackHttp ? { slack: slackHttp } : {}),
          ...(parts.webex ? { webex: parts.webex.handler } : {}),
          health: async () => {
            const h = await this.health();
            return { status: h.status, body: h };
          },
          metrics: this.prom.route,
          acks: this.prom.metrics,
          logger: rt.logger.child({ component: 'http' }),
          ...(await this.mcpRoute()),
        },
        b.httpHost,
        b.httpPort,
      );
      out(
        `http: ${parts.server.url} (/healthz, /metrics${slackOn ? ', /slack/events' : ''}${webexOn ? ', /webex/events' : ''}${b.mcp.enabled ? ', /mcp' : ''})`,
      );
    }
    return parts;
  }

  /** /mcp (bot/mcp) when bot.mcp.enabled; its sessions close at stop. */
  private async mcpRoute() {
    if (!this.rt.config.bot.mcp.enabled) return {};
    const { mcpRoute } = await import('./mcp.ts');
    const h = mcpRoute(this.rt);
    this.onStop(() => h.close());
    return { mcp: (req: IncomingMessage, res: ServerResponse) => h.handle(req, res) };
  }

  health() {
    const url = this.rt.config.db.url;
    return instanceHealth({
      db: this.rt.db,
      dbPath: url !== undefined ? redactDatabaseUrl(url) : this.rt.config.db.path,
      repos: this.rt.repos,
      clock: this.rt.clock,
      role: this.opts.role,
      adapters: this.adapterProbes,
      leader: () => this.leadership.status(),
    });
  }

  /**
   * Runs `start` while this instance leads: now if it does, again at every election it wins,
   * and `stop` when it loses (several instances on one database; with `single` it always leads).
   */
  whileLeader(start: () => void, stop: () => Promise<void> | void): void {
    const off = this.leadership.onChange((leader) => {
      if (this.stopping) return;
      if (leader) start();
      else
        void Promise.resolve(stop()).catch((e: unknown) =>
          this.rt.logger.warn('could not stop leader-only work', { error: e }),
        );
    });
    this.cleanups.push(off);
    if (this.leadership.isLeader()) start();
  }

  /** Starts the election (the first try is made before this resolves). */
  async campaign(): Promise<void> {
    await this.leadership.start();
  }

  /** One sync of every account, then the site rebuild when `rebuildSite`. */
  async syncRound(o: {
    requestedBy: string;
    full?: boolean;
    onProgress?: (p: SyncProgress) => void;
    rebuildSite: boolean;
  }): Promise<{ outcomes: SyncOutcome[]; site?: BuildSiteResult | undefined }> {
    const outcomes = await this.rt.services.sync.syncAll({
      requestedBy: o.requestedBy,
      ...(o.full ? { full: true } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    const site = o.rebuildSite ? await this.buildSite() : undefined;
    return { outcomes, site };
  }

  /** The data the site was last built from (reports.dataFingerprint). */
  private siteBuiltFrom: string | undefined;

  /**
   * Rebuilds the site whenever the data changed since its last build, checked every
   * `everyMs`: syncs run in the scheduler, in chat workers or in other terminals, each with
   * services of its own, so the database is the one place that sees them all.
   */
  followDataWithSite(everyMs = 5_000): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || this.stopping) return;
      busy = true;
      void reports
        .dataFingerprint(this.rt.db)
        .then((now) => (now !== this.siteBuiltFrom ? this.buildSite() : undefined))
        .catch((e: unknown) => this.rt.logger.warn('site freshness check failed', { error: e }))
        .finally(() => (busy = false));
    }, everyMs);
    timer.unref();
    this.cleanups.push(() => clearInterval(timer));
  }

  /** Builds the static site; a failure is logged and the last good site stays. */
  async buildSite(): Promise<BuildSiteResult | undefined> {
    try {
      // Read before the build: a write during it makes the next check build again.
      const from = await reports.dataFingerprint(this.rt.db);
      const r = await buildSite({
        dbPath: this.rt.config.db.path,
        dbUrl: this.rt.config.db.url,
        outDir: this.rt.config.site.outDir,
        base: this.rt.config.site.base,
        env: process.env,
      });
      this.siteBuiltFrom = from;
      this.rt.logger.info('site rebuilt', {
        outDir: r.outDir,
        pages: r.pages,
        ms: Math.round(r.ms),
      });
      return r;
    } catch (e) {
      this.rt.logger.error('site rebuild failed; the last good site stays', { error: e });
      return undefined;
    }
  }

  async serveSite(port: number): Promise<RunningSite> {
    try {
      this.site = await serveSite({
        dir: resolve(this.rt.config.site.outDir),
        port,
        base: this.rt.config.site.base,
        logger: this.rt.logger.child({ component: 'site' }),
        metrics: this.prom.metrics,
      });
      return this.site;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new SmartlicError({
          code: 'INPUT',
          message: `the site cannot listen on 127.0.0.1:${port}: the port is taken`,
          action: 'choose another with --port (0 = any free port), or stop what uses it',
          cause: e,
        });
      }
      throw e;
    }
  }

  /** The scheduler (when `sync.enabled`): each round syncs every account. */
  startScheduler(round: () => Promise<void>): SyncScheduler | undefined {
    if (!this.rt.config.sync.enabled) return undefined;
    this.scheduler = new SyncScheduler({
      cron: this.rt.config.sync.cron,
      timezone: this.rt.config.sync.timezone,
      logger: this.rt.logger,
      run: round,
    });
    const sched = this.scheduler;
    this.whileLeader(
      () => sched.start(),
      () => sched.stop(),
    );
    return this.scheduler;
  }

  /**
   * The periodic alert evaluation (`alerts.evaluateCron`, every scope, no sync): time-based
   * rules such as "no successful sync for twice the schedule" fire even when no sync runs.
   */
  startAlertEvaluation(): SyncScheduler | undefined {
    const rt = this.rt;
    this.evaluator = alertEvaluationScheduler({
      cron: rt.config.alerts.evaluateCron,
      enabled: rt.config.alerts.enabled,
      timezone: rt.config.sync.timezone,
      evaluateAll: () => rt.services.alerts.evaluateAll(),
      logger: rt.logger,
    });
    const ev = this.evaluator;
    if (ev)
      this.whileLeader(
        () => ev.start(),
        () => ev.stop(),
      );
    return this.evaluator;
  }

  /**
   * Stops everything in order: no new round starts and the running one finishes (each
   * account's writes are one transaction: what is not committed is rolled back by SQLite),
   * queued notifications are flushed (bounded), listeners close, workers end, the database
   * closes, the lock is released.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const log = this.rt.logger;
    const step = async (what: string, f: () => unknown) => {
      try {
        await f();
      } catch (e) {
        log.warn(`shutdown: ${what} failed`, { error: e });
      }
    };
    await step('scheduler', () => this.scheduler?.stop());
    await step('alert evaluation', () => this.evaluator?.stop());
    const c = this.chat;
    if (c.notifier) {
      const n = c.notifier;
      await step('notifier', async () => {
        await n.stop();
        await n.flush(5_000);
      });
    }
    await step('http listener', () => c.server?.close());
    await step('slack', () => c.slack?.stop());
    await step('webex', () => c.webex?.stop());
    await step('workers', () => c.commands?.close());
    await step('read models', () => c.readModels?.close());
    await step('site server', () => this.site?.close());
    for (const f of this.cleanups.reverse()) await step('cleanup', f);
    // Last before the database: the lease is given up so another instance leads at once.
    await step('leadership', () => this.leadership.stop());
    await step('database', () => this.rt.close());
    this.lock?.release();
  }
}

/** The election `leader.election` asks for (bin wires it; core holds the implementations). */
function createLeadership(rt: Runtime, role: HostOptions['role']): Leadership {
  const l = rt.config.leader;
  const election = leaderElection(rt.config);
  const instanceId = l.instanceId ?? defaultInstanceId();
  if (election === 'single') return new SoleLeadership(instanceId, rt.clock, rt.logger);
  // `bot` beside elected serve instances answers chat but never leads: delivery is the
  // leader's, and a second deliverer would post every alert twice.
  if (role === 'bot')
    return new FollowerLeadership(election, instanceId, rt.repos.leaderLeases, rt.logger);
  // Only serve instances elect; `start` (the demo) keeps its one-process behaviour.
  if (role !== 'serve') return new SoleLeadership(instanceId, rt.clock, rt.logger);
  const url = rt.config.db.url;
  if (election === 'advisory' && url !== undefined)
    return new AdvisoryLeadership({
      instanceId,
      connectionString: url,
      leases: rt.repos.leaderLeases,
      clock: rt.clock,
      logger: rt.logger.child({ component: 'leader' }),
      ttlMs: l.ttlMs,
      heartbeatMs: l.heartbeatMs,
    });
  return new LeaseLeadership({
    instanceId,
    leases: rt.repos.leaderLeases,
    clock: rt.clock,
    logger: rt.logger.child({ component: 'leader' }),
    ttlMs: l.ttlMs,
    heartbeatMs: l.heartbeatMs,
  });
}

/** The advisory-lock election needs the store on PostgreSQL; the lease row works on any store. */
function advisoryNeedsPostgres(): SmartlicError {
  return new SmartlicError({
    code: 'CONFIG',
    message:
      'leader.election (SMARTLIC_LEADER_ELECTION) is "advisory", a PostgreSQL advisory lock, but the store runs on SQLite',
    action:
      'use SMARTLIC_LEADER_ELECTION=lease (a lease row: works on SQLite, PostgreSQL and behind PgBouncer), or run the store on PostgreSQL',
  });
}

/** An "up" answered from a cache for 10 s, so /healthz polled often does not hammer the API. */
function cached(probe: AdapterProbe): AdapterProbe {
  let at = -Infinity;
  let last: Promise<boolean> | undefined;
  return () => {
    const now = performance.now();
    if (!last || now - at > 10_000) {
      at = now;
      const p = probe().catch(() => false);
      // Only an "up" is remembered: a "down" is asked again at the next request.
      last = p.then((up) => {
        if (!up) last = undefined;
        return up;
      });
    }
    return last;
  };
}

export function consoleLogin(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
