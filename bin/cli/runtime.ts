/**
 * What a CLI verb that touches the database needs: config from the CLI's environment, the
 * migrated database, the verified secret key, repositories, a stderr logger, the system clock
 * and the service container. `close()` releases all of it.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { SmartlicError } from '../../core/errors.ts';
import { systemClock, type Clock } from '../../core/clock.ts';
import { loadConfig, type Config } from '../../core/config.ts';
import { createLogger, type Logger } from '../../core/log.ts';
import type { Metrics } from '../../core/metrics.ts';
import { escapeControl } from './output.ts';
import { createServices, type Services } from '../../core/services/index.ts';
import {
  SecretBox,
  createRepositories,
  keyFilePath,
  migrateToLatest,
  openStore,
  redactDatabaseUrl,
  resolveSecretKey,
  checkKey,
  type Database,
  type StoreHandle,
  type Repositories,
  type ResolvedSecretKey,
} from '../../core/store/index.ts';
import { statusLineFor } from './output.ts';
import { useParseThread } from './parse-thread.ts';
import type { CliContext } from './types.ts';

/** Log lines the CLI reports itself (as its one-line error), not repeated as warnings. */
const REPORTED_BY_CLI = new Set(['job failed']);
/** Fields a text warning leaves out (they are in --log-format json). */
const QUIET_FIELDS = new Set([
  'component',
  'peer',
  'requestId',
  'jobId',
  'jobType',
  'method',
  'ms',
  'delayMs',
  'op',
]);

/**
 * The CLI's logger: with --log-format json, JSON lines on stderr at the configured level;
 * otherwise warnings and errors as text on stderr (everything with log.level debug), through
 * the status line so a progress bar is not overwritten.
 */
export function cliLogger(ctx: CliContext, config: Config, clock: Clock): Logger {
  const status = statusLineFor(ctx);
  if (ctx.logFormat === 'json') {
    return createLogger({
      level: config.log.level,
      write: (line) => status.write(line),
      now: () => clock.now(),
    });
  }
  const level =
    config.log.level === 'debug' || config.log.level === 'silent' ? config.log.level : 'warn';
  return createLogger({
    level: level === 'warn' && config.log.level === 'error' ? 'error' : level,
    now: () => clock.now(),
    write: (line) => {
      const rec = JSON.parse(line) as Record<string, unknown>;
      const { t: _t, level: lv, msg, ...rest } = rec;
      if (typeof msg === 'string' && REPORTED_BY_CLI.has(msg) && lv !== 'debug') return;
      const fields = Object.entries(rest)
        .filter(([k]) => QUIET_FIELDS.has(k) === false)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      const word = lv === 'warn' ? 'warning' : String(lv);
      status.write(escapeControl(`${word}: ${String(msg)}${fields ? ` (${fields})` : ''}`));
    },
  });
}

export interface Runtime {
  config: Config;
  handle: StoreHandle;
  db: Kysely<Database>;
  secrets: SecretBox;
  key: ResolvedSecretKey;
  repos: Repositories;
  clock: Clock;
  logger: Logger;
  services: Services;
  close(): Promise<void>;
}

export interface OpenRuntimeOptions {
  /** Overrides that win over file and environment (CLI flags). */
  overrides?: Record<string, unknown>;
  clock?: Clock;
  /** Where core reports HTTP answers and syncs (`smartlic bot` and its workers; none otherwise). */
  metrics?: Metrics;
  /** The logger to use instead of the CLI's (serve: structured JSON through pino). */
  logger?: (config: Config, clock: Clock) => Logger;
}

/** The directory smartlic is installed in (the clone, or node_modules/smartlic). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where the database lives when SMARTLIC_DB and the config file do not say, independent of
 * the current directory: `data/smartlic.db` inside a clone of the repository (so `npm start`
 * keeps using the repository's data/), otherwise `$XDG_DATA_HOME/smartlic/smartlic.db`
 * (`~/.local/share/smartlic/smartlic.db` when XDG_DATA_HOME is unset).
 */
export function defaultDbPath(env: NodeJS.ProcessEnv, root = PACKAGE_ROOT): string {
  if (existsSync(join(root, '.git'))) return join(root, 'data', 'smartlic.db');
  const xdg = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : undefined;
  const base = xdg ?? join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'smartlic', 'smartlic.db');
}

/** loadConfig options every CLI verb uses: the default database path above. */
export function configDefaults(env: NodeJS.ProcessEnv = {}): { defaultDbPath: string } {
  return { defaultDbPath: defaultDbPath(env) };
}

/** Loads the config from the CLI's environment with the CLI's defaults. */
export function cliConfig(ctx: CliContext, overrides?: Record<string, unknown>): Config {
  return loadConfig({
    env: ctx.io.env,
    ...configDefaults(ctx.io.env),
    ...(overrides ? { overrides } : {}),
  });
}

/** The database path and secret key from the config (`db migrate`, `db backup`, runtime). */
export function resolveStorage(config: Config): {
  path: string;
  /** postgres://… when the store is PostgreSQL (db.url). */
  url?: string;
  keyFile: string;
  key: () => ResolvedSecretKey;
} {
  const path = config.db.path;
  const url = config.db.url;
  if (url !== undefined) {
    // Instances sharing one PostgreSQL must share one key: a key file beside a local path
    // would be a different key on each machine.
    return {
      path: redactDatabaseUrl(url),
      url,
      keyFile: keyFilePath(path),
      key: () => {
        if (config.secretKey === undefined || config.secretKey.trim() === '') {
          throw new SmartlicError({
            code: 'SECRET_KEY',
            message: 'with PostgreSQL (db.url) the secret key must come from SMARTLIC_SECRET_KEY',
            action:
              'set SMARTLIC_SECRET_KEY (`openssl rand -hex 32`), the same on every instance; when moving a SQLite database, use the key of its key file (`cat <db>.key`)',
          });
        }
        return resolveSecretKey({ envValue: config.secretKey, dbPath: path });
      },
    };
  }
  return {
    path,
    keyFile: keyFilePath(path),
    key: () => resolveSecretKey({ envValue: config.secretKey, dbPath: path }),
  };
}

export async function openRuntime(
  ctx: CliContext,
  opts: OpenRuntimeOptions = {},
): Promise<Runtime> {
  const config = cliConfig(ctx, opts.overrides);
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ? opts.logger(config, clock) : cliLogger(ctx, config, clock);
  const storage = resolveStorage(config);
  const key = storage.key();
  const handle = await openStore({ path: storage.path, url: storage.url, clock });
  try {
    await migrateToLatest(handle.db);
    const secrets = await checkKey(handle.db, key, storage.path, clock);
    const repos = createRepositories(handle.db, secrets, clock);
    const services = createServices({
      db: handle.db,
      secrets,
      repos,
      clock,
      logger,
      config,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
    });
    // Jobs a crashed or killed smartlic left InProgress are closed as interrupted.
    await services.jobs.closeOrphaned();
    // A sync's answers are parsed on a second thread (started only once reads add up).
    const endParseThread = useParseThread();
    return {
      config,
      handle,
      db: handle.db,
      secrets,
      key,
      repos,
      clock,
      logger,
      services,
      async close() {
        try {
          await services.close();
        } finally {
          await endParseThread();
          await handle.close();
        }
      },
    };
  } catch (e) {
    await handle.close();
    throw e;
  }
}
