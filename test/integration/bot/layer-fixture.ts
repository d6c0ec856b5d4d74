// The command layer the chat tests run: the real registry and handlers over a sync fixture's
// database, services, repositories and clock (test/integration/sync-fixture.ts), silent logs.
import { CommandLayer, defaultRegistry } from '../../../bot/commands/index.ts';
import type { Config } from '../../../core/config.ts';
import { silentLogger } from '../../../core/log.ts';
import type { Fixture } from '../sync-fixture.ts';

/** The layer a chat adapter gets in bin/, built on `fx` (with `config`, e.g. chat settings). */
export function fixtureLayer(fx: Fixture, config: Config = fx.config): CommandLayer {
  return new CommandLayer(
    {
      db: fx.h.db,
      services: fx.services,
      repos: fx.repos,
      clock: fx.clock,
      logger: silentLogger,
      config,
    },
    defaultRegistry(),
  );
}
