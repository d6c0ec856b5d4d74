/**
 * Automatic sync on a cron schedule (node-cron), HCM-F's "every 24 hours" by default. The
 * scheduler only triggers; the sync service's single-flight guard keeps a scheduled and an
 * asked-for sync of one account from running at once. The same class runs the periodic alert
 * evaluation (`alertEvaluationScheduler`).
 */
import { createTask, validate, type ScheduledTask } from 'node-cron';
import { SmartlicError } from '../errors.ts';
import type { Logger } from '../log.ts';

export interface SchedulerOptions {
  cron: string;
  timezone: string;
  /** Runs one scheduled round (e.g. sync every account). Errors are logged, never thrown. */
  run: () => Promise<void>;
  logger: Logger;
  /** What a round does, for the log and the errors: "sync" (default), "alert evaluation". */
  what?: string;
  /** The setting that holds `cron`, named when it is invalid (default sync.cron). */
  setting?: string;
}

export class SyncScheduler {
  private task: ScheduledTask | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: SchedulerOptions) {
    if (!validate(opts.cron)) {
      throw new SmartlicError({
        code: 'CONFIG',
        message: `invalid ${opts.what ?? 'sync'} schedule "${opts.cron}"`,
        action: `set ${opts.setting ?? 'sync.cron (SMARTLIC_SYNC_CRON)'} to a cron expression such as "0 3 * * *"`,
      });
    }
  }

  start(): void {
    if (this.task) return;
    this.task = createTask(this.opts.cron, () => this.tick(), {
      timezone: this.opts.timezone,
      name: `smartlic-${(this.opts.what ?? 'sync').replace(/\W+/g, '-')}`,
      noOverlap: true,
      // node-cron's own notes (an overlap blocked, a missed run) would go to the console as
      // plain text, breaking the JSON log lines: they go through the product's logger.
      logger: cronLogger(this.opts.logger, this.opts.what ?? 'sync'),
    });
    void this.task.start();
    this.opts.logger.info(`${this.opts.what ?? 'sync'} scheduler started`, {
      cron: this.opts.cron,
      timezone: this.opts.timezone,
      nextRun: this.nextRun()?.toISOString(),
    });
  }

  nextRun(): Date | null {
    return this.task?.getNextRun() ?? null;
  }

  /** One scheduled round; a round still running when the next is due is not doubled. */
  async tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        await this.opts.run();
      } catch (e) {
        this.opts.logger.error(`scheduled ${this.opts.what ?? 'sync'} round failed`, { error: e });
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    const t = this.task;
    this.task = undefined;
    if (t) await t.destroy();
    await this.running;
  }
}

/**
 * The periodic alert evaluation (`alerts.evaluateCron`): every scope evaluated on its own
 * schedule, without a sync, so the time-based rules (no successful sync for twice the
 * schedule, countdowns changing stage) hold between syncs. Undefined when it is off.
 */
export function alertEvaluationScheduler(opts: {
  cron: string | null;
  enabled: boolean;
  timezone: string;
  evaluateAll: () => Promise<unknown>;
  logger: Logger;
}): SyncScheduler | undefined {
  if (!opts.enabled || opts.cron === null) return undefined;
  return new SyncScheduler({
    cron: opts.cron,
    timezone: opts.timezone,
    logger: opts.logger,
    what: 'alert evaluation',
    setting: 'alerts.evaluateCron',
    run: async () => {
      await opts.evaluateAll();
    },
  });
}

/** node-cron's logger interface, speaking through ours. */
function cronLogger(log: Logger, what: string) {
  const fields = (err?: unknown) => ({ scheduler: what, ...(err ? { error: err } : {}) });
  return {
    info: (m: string) => log.info(`node-cron: ${m}`, fields()),
    warn: (m: string) => log.warn(`node-cron: ${m}`, fields()),
    error: (m: string | Error, err?: Error) =>
      log.error(`node-cron: ${m instanceof Error ? m.message : m}`, fields(err ?? m)),
    debug: (m: string | Error, err?: Error) =>
      log.debug(`node-cron: ${m instanceof Error ? m.message : m}`, fields(err)),
  };
}
