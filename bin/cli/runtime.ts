/**
 * What a CLI verb that touches the database needs: config from the CLI's environment, the
 * migrated database, the verified secret key, repositories, a stderr logger, the system clock
 * and the service container. `close()` releases all of it.
 */
import type { Kysely } from 'kysely';
import { systemClock, type Clock } from '../../core/clock.ts';
import { loadConfig, type Config } from '../../core/config.ts';
import { createLogger, type Logger } from '../../core/log.ts';
import { createServices, type Services } from '../../core/services/index.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
  resolveSecretKey,
  verifySecretKey,
  type Database,
  type DatabaseHandle,
  type Repositories,
  type ResolvedSecretKey,
} from '../../core/store/index.ts';
import type { CliContext } from './types.ts';

export interface Runtime {
  config: Config;
  handle: DatabaseHandle;
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
}

/** The database path and secret key from the config (`db migrate`, `db backup`, runtime). */
export function resolveStorage(config: Config): { path: string; key: () => ResolvedSecretKey } {
  const path = config.db.path;
  return { path, key: () => resolveSecretKey({ envValue: config.secretKey, dbPath: path }) };
}

export async function openRuntime(
  ctx: CliContext,
  opts: OpenRuntimeOptions = {},
): Promise<Runtime> {
  const config = loadConfig({
    env: ctx.io.env,
    ...(opts.overrides ? { overrides: opts.overrides } : {}),
  });
  const clock = opts.clock ?? systemClock;
  const logger = createLogger({
    level: config.log.level,
    write: (line) => ctx.io.stderr.write(`${line}\n`),
    now: () => clock.now(),
  });
  const storage = resolveStorage(config);
  const key = storage.key();
  const handle = openDatabase({ path: storage.path, clock });
  try {
    await migrateToLatest(handle.db);
    const secrets = new SecretBox(key.key);
    await verifySecretKey(handle.db, secrets, clock);
    const repos = createRepositories(handle.db, secrets, clock);
    const services = createServices({ db: handle.db, secrets, repos, clock, logger, config });
    // Jobs a crashed or killed smartlic left InProgress are closed as interrupted.
    await services.jobs.closeOrphaned();
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
          await handle.close();
        }
      },
    };
  } catch (e) {
    await handle.close();
    throw e;
  }
}
