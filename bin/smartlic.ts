/**
 * smartlic's composition root and CLI. The only place that knows every room: it reads the
 * config, builds core services, and starts the emulator, bot adapters, scheduler or site build.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Registry } from '../bot/commands/index.ts';
import { didYouMean } from './cli/args.ts';
import { inputError, reportFailure } from './cli/common.ts';
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
    summary: 'the whole product on this machine: emulator, sync, site, scheduler, chat',
    load: async () => (await import('./cli/start.ts')).startCommand,
  },
  {
    name: 'serve',
    summary: 'the production process: scheduler, chat adapters, /healthz, JSON logs (no emulator)',
    load: async () => (await import('./cli/serve.ts')).serveCommand,
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
    name: 'config',
    summary: 'show the effective configuration (secrets redacted)',
    load: async () => (await import('./cli/config.ts')).configCommand,
  },
  {
    name: 'db',
    summary: 'database: migrate, backup <file>, restore <file>',
    load: async () => (await import('./cli/db.ts')).dbCommand,
  },
  {
    name: 'doctor',
    summary: 'diagnose the setup: config, database and key, CSSM, satellites, publishers',
    load: async () => (await import('./cli/doctor.ts')).doctorCommand,
  },
  {
    name: 'emulator',
    summary: 'run the Cisco emulator (CSSM cloud, On-Prem, UC apps) on 127.0.0.1',
    load: async () => (await import('./cli/emulator.ts')).emulatorCommand,
  },
  {
    name: 'mcp',
    summary: 'serve the command registry to an MCP client (an AI assistant) over stdio',
    load: async () => (await import('./cli/mcp.ts')).mcpCommand,
  },
  {
    name: 'site',
    summary: 'static report site: build (from the database), serve (on 127.0.0.1)',
    load: async () => (await import('./cli/site.ts')).siteCommand,
  },
];

export async function helpText(): Promise<string> {
  const reg = await registry();
  const w = Math.max(...reg.list().map((c) => c.verb.length)) + 2;
  const verbs = reg
    .list()
    .map(
      (c) =>
        `  ${c.verb.padEnd(w)}${c.summary}${c.aliases?.length ? ` (also: ${c.aliases.join(', ')})` : ''}`,
    );
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
  return `smartlic — Cisco Smart Licensing for hosted collaboration, from chat and a report site

Usage: smartlic <command> [options]      smartlic <command> --help

Commands (the process and its setup):
${lines.join('\n')}

Commands of the registry (the same in Slack, Webex, \`smartlic ask\` and here; --json, --wide,
--out FILE and --yes on the terminal):
${verbs.join('\n')}

Global options:
  --json               results as JSON on stdout (every command)
  --log-format FORMAT  text (default: warnings on stderr) or json (log lines on stderr)
  --debug              print stack traces on failure
  --version            print the version
  --help, -h           show help

Exit codes: 0 success, 1 the operation failed, 2 bad usage or bad input (a name that does
not exist included). Configuration comes from defaults, the file named by SMARTLIC_CONFIG,
then SMARTLIC_* environment variables; see README.md or \`smartlic config show\`.

Example:
  smartlic cluster list --customer "Stark Industries"
`;
}

/** The version in package.json. */
export function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The words name a registry command (bot/commands), which the terminal adapter runs. */
export async function servedByRegistry(
  args: readonly string[],
  processVerb: boolean,
): Promise<boolean> {
  const [verb] = args;
  if (verb === undefined || processVerb) return false;
  const reg = await registry();
  // A first word of registry verbs alone (`token`) gets the registry's "needs one of".
  if (reg.heads().includes(verb)) return true;
  const words = args.filter((a) => !a.startsWith('--'));
  return reg.match(words) !== undefined || reg.formerly(words) !== undefined;
}

let registryOnce: Registry | undefined;
/** Loaded only when a verb is not a process verb: `smartlic start` does not pay for it. */
export async function registry(): Promise<Registry> {
  registryOnce ??= (await import('../bot/commands/index.ts')).defaultRegistry();
  return registryOnce;
}

/** Takes the global flags (--debug, --log-format) out of argv, wherever they stand. */
function globalFlags(argv: string[]): { args: string[]; debug: boolean; logFormat?: string } {
  const args: string[] = [];
  let debug = false;
  let logFormat: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (a === '--debug') debug = true;
    else if (a === '--log-format') logFormat = argv[++i] ?? '';
    else if (a.startsWith('--log-format=')) logFormat = a.slice('--log-format='.length);
    else args.push(a);
  }
  return { args, debug, ...(logFormat !== undefined ? { logFormat } : {}) };
}

/** Runs one CLI invocation and returns its exit code. Never throws. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const g = globalFlags(argv);
  const { args, debug } = g;
  const json = args.includes('--json');
  const fail = (verb: string, e: unknown) => reportFailure({ io, debug }, verb, e, json);
  if (g.logFormat !== undefined && g.logFormat !== 'text' && g.logFormat !== 'json') {
    return fail(
      '',
      inputError(
        `--log-format must be text or json, not "${g.logFormat}"`,
        'e.g. --log-format json',
      ),
    );
  }
  const ctx: CliContext = {
    io,
    debug,
    logFormat: g.logFormat === 'json' ? 'json' : 'text',
  };
  const [verb, ...rest] = args;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout.write(await helpText());
    return 0;
  }
  if (verb === '--version' || verb === '-V' || verb === 'version') {
    io.stdout.write(
      json ? `${JSON.stringify({ version: version() })}\n` : `smartlic ${version()}\n`,
    );
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === verb);
  if (await servedByRegistry(args, entry !== undefined)) {
    try {
      const { runRegistryCommand } = await import('./cli/terminal.ts');
      return await runRegistryCommand(args, ctx);
    } catch (e) {
      return fail(verb, e);
    }
  }
  if (!entry) {
    const names = [...COMMANDS.map((c) => c.name), ...(await registry()).heads()];
    const msg = verb.startsWith('-')
      ? `unknown option ${verb}${didYouMean(verb.replace(/^-+/, ''), ['help', 'version', 'debug'], '--')}`
      : `unknown command "${verb}"${didYouMean(verb, names)}`;
    return fail('', inputError(msg, 'run "smartlic --help" for the list'));
  }
  try {
    const cmd = await entry.load();
    if (!cmd.handlesHelp) {
      const end = rest.indexOf('--');
      const head = end < 0 ? rest : rest.slice(0, end);
      if (head.includes('--help') || head.includes('-h')) {
        io.stdout.write(`${cmd.usage}\n`);
        return 0;
      }
    }
    return await cmd.run(rest, ctx);
  } catch (e) {
    return fail(verb, e);
  }
}

/** Writing to a closed pipe (`smartlic plan … | head -1`) ends the process quietly. */
export function quietOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
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
  quietOnEpipe(process.stdout);
  quietOnEpipe(process.stderr);
  const code = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    isTty: Boolean(process.stdout.isTTY),
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
  });
  // Long-running verbs (emulator, start) resolve only when they are done.
  process.exitCode = code;
}
