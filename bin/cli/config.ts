import { loadConfig, redactedConfig } from '../../core/config.ts';
import type { CliCommand } from './types.ts';

export const configCommand: CliCommand = {
  name: 'config',
  summary: 'show the effective configuration (secrets redacted)',
  usage: `Usage: smartlic config show [--json]

Prints the configuration smartlic would run with: defaults, then the file named by
SMARTLIC_CONFIG (JSON or YAML), then SMARTLIC_* environment variables. Secrets are redacted.`,
  run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub !== 'show' || rest.some((a) => a !== '--json')) {
      ctx.io.stderr.write(`smartlic config: expected "config show [--json]"\n`);
      return Promise.resolve(2);
    }
    const config = loadConfig({ env: ctx.io.env });
    ctx.io.stdout.write(`${JSON.stringify(redactedConfig(config), null, 2)}\n`);
    return Promise.resolve(0);
  },
};
