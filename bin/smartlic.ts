/**
 * smartlic's composition root and CLI. The only place that knows every room: it reads the
 * config, builds core services, and starts the emulator, bot adapters, scheduler or site build.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isSmartlicError } from '../core/errors.ts';
import type { CliCommand, CliContext, CliIo } from './cli/types.ts';

interface Entry {
  name: string;
  summary: string;
  load: () => Promise<CliCommand>;
}

/** Every verb; help text is built from this list. Modules load only when their verb runs. */
export const COMMANDS: readonly Entry[] = [
  {
    name: 'start',
    summary: 'the main job: sync on the embedded emulator (or real CSSM), then on a schedule',
    load: async () => (await import('./cli/start.ts')).startCommand,
  },
  {
    name: 'account',
    summary: 'smart accounts: add (provision with client credentials), list',
    load: async () => (await import('./cli/account.ts')).accountCommand,
  },
  {
    name: 'allocate',
    summary: 'what-if: run the license-allocation rules on a JSON file, offline',
    load: async () => (await import('./cli/allocate.ts')).allocateCommand,
  },
  {
    name: 'ask',
    summary: 'run one bot command on the terminal (plain text or --json)',
    load: async () => (await import('./cli/chat.ts')).askCommand,
  },
  {
    name: 'bot',
    summary: 'serve Slack / Webex commands and deliver alerts (its own process)',
    load: async () => (await import('./cli/chat.ts')).botCommand,
  },
  {
    name: 'chat',
    summary: 'interactive prompt for bot commands (history, completion)',
    load: async () => (await import('./cli/chat.ts')).chatCommand,
  },
  {
    name: 'cluster',
    summary:
      'UC clusters: add, list, show, assign, unassign, register, deregister, renew-auth, renew-id',
    load: async () => (await import('./cli/cluster.ts')).clusterCommand,
  },
  {
    name: 'config',
    summary: 'show the effective configuration (secrets redacted)',
    load: async () => (await import('./cli/config.ts')).configCommand,
  },
  {
    name: 'db',
    summary: 'database: migrate, backup <file>',
    load: async () => (await import('./cli/db.ts')).dbCommand,
  },
  {
    name: 'emulator',
    summary: 'run the Cisco emulator (CSSM cloud, On-Prem, UC apps) on 127.0.0.1',
    load: async () => (await import('./cli/emulator.ts')).emulatorCommand,
  },
  {
    name: 'forecast',
    summary: 'when a virtual account runs short at the current trend',
    load: async () => (await import('./cli/forecast.ts')).forecastCommand,
  },
  {
    name: 'jobs',
    summary: 'the job list (HCM-F job fields, error codes, who asked)',
    load: async () => (await import('./cli/jobs.ts')).jobsCommand,
  },
  {
    name: 'plan',
    summary: 'migration plan for a cluster or customer (HCS / Enterprise / Smart); changes nothing',
    load: async () => (await import('./cli/plan.ts')).planCommand,
  },
  {
    name: 'report',
    summary: 'reports: hlm (text, CSV, Excel; per VA or customer), inventory (Service Inventory)',
    load: async () => (await import('./cli/report.ts')).reportCommand,
  },
  {
    name: 'status',
    summary: 'one look: accounts, compliance, clusters, what needs attention',
    load: async () => (await import('./cli/status.ts')).statusCommand,
  },
  {
    name: 'sync',
    summary: 'sync accounts with CSSM / satellites and read cluster status',
    load: async () => (await import('./cli/sync.ts')).syncCommand,
  },
  {
    name: 'token',
    summary: 'registration tokens: create (export control choice), list (masked), revoke',
    load: async () => (await import('./cli/token.ts')).tokenCommand,
  },
  {
    name: 'usage',
    summary: 'license usage per virtual account (owned, in use, substitutions, terms) or customer',
    load: async () => (await import('./cli/usage.ts')).usageCommand,
  },
  {
    name: 'va',
    summary: 'virtual accounts: list (summary), license mode, transport',
    load: async () => (await import('./cli/va.ts')).vaCommand,
  },
  {
    name: 'whatif',
    summary: 'what-if: move clusters to another VA and see both allocations; changes nothing',
    load: async () => (await import('./cli/whatif.ts')).whatifCommand,
  },
];

export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
  return `smartlic — Cisco Smart Licensing for hosted collaboration, from chat and a report site

Usage: smartlic <command> [options]      smartlic <command> --help

Commands:
${lines.join('\n')}

Global options:
  --debug     print stack traces on failure
  --help, -h  show help

Configuration comes from defaults, the file named by SMARTLIC_CONFIG, then SMARTLIC_*
environment variables; see README.md or \`smartlic config show\`.
`;
}

/** Runs one CLI invocation and returns its exit code. Never throws. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  const ctx: CliContext = { io, debug };
  const [verb, ...rest] = args;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout.write(helpText());
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === verb);
  if (!entry) {
    io.stderr.write(`smartlic: unknown command "${verb}". Run "smartlic --help" for the list.\n`);
    return 2;
  }
  try {
    const cmd = await entry.load();
    if (rest[0] === '--help' || rest[0] === '-h') {
      io.stdout.write(`${cmd.usage}\n`);
      return 0;
    }
    return await cmd.run(rest, ctx);
  } catch (e) {
    if (isSmartlicError(e)) {
      io.stderr.write(`smartlic ${verb}: ${e.toLine()}\n`);
      if (debug && e.stack) io.stderr.write(`${e.stack}\n`);
      return e.code === 'CONFIG' || e.code === 'INPUT' ? 2 : 1;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.stderr.write(
      `smartlic ${verb}: ${err.message}${debug ? '' : ' (run with --debug for details)'}\n`,
    );
    if (debug && err.stack) io.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    const self = fileURLToPath(import.meta.url);
    const target = realpathSync(arg);
    return target === self || target === self.replace(/\.ts$/, '.js');
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const code = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    isTty: Boolean(process.stdout.isTTY),
  });
  // Long-running verbs (emulator, start) resolve only when they are done.
  process.exitCode = code;
}
