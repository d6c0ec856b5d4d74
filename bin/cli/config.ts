/** `smartlic config show`: the effective configuration, secrets redacted, validated in full. */
import { leaderElection, loadConfig, redactedConfig } from '../../core/config.ts';
import { defineCommand, defineGroup } from './common.ts';
import { configDefaults, resolveStorage } from './runtime.ts';
import type { CliCommand } from './types.ts';

const show = defineCommand({
  name: 'config show',
  summary: 'print the effective configuration (secrets redacted)',
  options: {},
  json: 'the settings object (the text form is the same JSON)',
  description: `Prints the configuration smartlic would run with: defaults, then the file named by
SMARTLIC_CONFIG (JSON or YAML), then SMARTLIC_* environment variables. Secrets are redacted.
The secret key is checked the same way every other command checks it (exit 2 when invalid);
"db" shows where the database and its key file are.`,
  examples: ['smartlic config show', 'SMARTLIC_CONFIG=smartlic.yaml smartlic config show --json'],
  run(_p, c) {
    const config = loadConfig({ env: c.io.env, ...configDefaults() });
    const storage = resolveStorage(config);
    // Validates SMARTLIC_SECRET_KEY like every other command (throws SECRET_KEY, exit 2),
    // without creating a key file.
    const key = config.secretKey ? storage.key() : undefined;
    const shown = redactedConfig(config);
    const pg = storage.url !== undefined;
    c.out.data({
      ...shown,
      db: {
        ...(shown.db as object),
        // Which store runs: with db.url, db.path is only what `db copy` reads.
        store: pg ? 'postgres' : 'sqlite',
        // PostgreSQL has no key file: the key is SMARTLIC_SECRET_KEY, and without it no
        // command but this one runs.
        keyFile: key || pg ? null : storage.keyFile,
        keySource: key ? key.source : pg ? 'missing: set SMARTLIC_SECRET_KEY' : 'key-file',
      },
      // The election in effect (unset, it follows the store: advisory on PostgreSQL).
      leader: { ...(shown.leader as object), election: leaderElection(config) },
    });
    return Promise.resolve(0);
  },
});

export const configCommand: CliCommand = defineGroup({
  name: 'config',
  summary: 'show the effective configuration (secrets redacted)',
  commands: [show],
});
