/**
 * The CLI framework every verb shares. To add or convert a command:
 *
 *   const listCmd = defineCommand({
 *     name: 'widget list',                       // the words after `smartlic`
 *     summary: 'the widgets, newest first',      // one line (group help, --help title)
 *     args: '[<sa-domain>]', arity: [0, 1],      // positional synopsis and how many
 *     options: { customer: { type: 'string', value: 'C', help: 'only this customer' } },
 *     table: true,                               // accepts --wide (a table is printed)
 *     json: 'array of {name, status}',          // the --json shape, also in README
 *     examples: ['smartlic widget list --customer "Stark Industries"'],
 *     async run({ values, positionals }, c) {    // c.out prints, c.by names who asked
 *       if (c.out.json) return c.out.data(rows), 0;
 *       c.out.table(['Name', { header: 'Status', optional: true }], rows);
 *       return 0;
 *     },
 *   });
 *   export const widgetCommand = defineGroup({ name: 'widget', summary: '…', commands: [listCmd] });
 *   // a verb without subcommands: export const fooCommand = singleCommand(fooCmd);
 *
 * What it gives every command: `--help`/`-h` with usage, options and an example (exit 0);
 * `--json` (results as JSON on stdout, failures as `{"error":{…}}` too); `--wide` for tables;
 * "did you mean" for unknown flags and subcommands; a wrong number of arguments, a missing
 * value or an unknown option is exit 2 in our words. Failures print one line on stderr,
 * `smartlic <verb>: CODE: message — action`, and map to the exit-code rule: 0 ok, 1 the
 * operation failed, 2 bad usage or bad input (INPUT, CONFIG, NOT_FOUND, SECRET_KEY, EXISTS).
 * Throw `inputError(...)` for bad input; throw any SmartlicError for the rest.
 */
import { type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Readable } from 'node:stream';
import { SmartlicError, isSmartlicError } from '../../core/errors.ts';
import { JobFailedError } from '../../core/services/jobs.service.ts';
import { didYouMean, parseArgv, type OptionSpecs, type ParsedArgs } from './args.ts';
import { createOutput, escapeControl, renderTable, type Output } from './output.ts';
import type { CliCommand, CliContext } from './types.ts';

export { plural, when, escapeControl } from './output.ts';
export type { Output, Column } from './output.ts';
export type { OptionSpecs, ParsedArgs } from './args.ts';

/** `cli:<login name>`: the audit entry of every job names who asked. */
export function requester(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
}

export function inputError(message: string, action: string): SmartlicError {
  return new SmartlicError({ code: 'INPUT', message, action });
}

/** Codes that mean "bad usage or bad input": exit 2. Everything else that fails is exit 1. */
export const BAD_INPUT_CODES: ReadonlySet<string> = new Set([
  'INPUT',
  'CONFIG',
  'NOT_FOUND',
  'SECRET_KEY',
  'EXISTS',
]);

export function exitCodeFor(e: unknown): number {
  const err = e instanceof JobFailedError ? e.error : e;
  return isSmartlicError(err) && BAD_INPUT_CODES.has(err.code) ? 2 : 1;
}

/** The error as the JSON `--json` prints on failure. */
export function errorJson(e: unknown): Record<string, unknown> {
  const job = e instanceof JobFailedError ? e.job : undefined;
  const err = e instanceof JobFailedError ? e.error : e;
  if (isSmartlicError(err)) {
    return {
      error: {
        code: err.code,
        message: err.message,
        action: err.action ?? null,
        job: job ? job.id : null,
      },
    };
  }
  return {
    error: {
      code: 'INTERNAL',
      message: err instanceof Error ? err.message : String(err),
      action: null,
      job: null,
    },
  };
}

/**
 * Prints one line — `smartlic <verb>: CODE: message — action (job N)` — and returns the exit
 * code (2 for bad input, 1 otherwise). A stack only with --debug. With `json`, also prints
 * `{"error":{code,message,action,job}}` on stdout.
 */
export function reportFailure(ctx: CliContext, verb: string, e: unknown, json = false): number {
  const job = e instanceof JobFailedError ? e.job : undefined;
  const err = e instanceof JobFailedError ? e.error : e;
  if (json) ctx.io.stdout.write(`${JSON.stringify(errorJson(e))}\n`);
  const line = (s: string) => escapeControl(s);
  const who = verb ? `smartlic ${verb}` : 'smartlic';
  if (isSmartlicError(err)) {
    ctx.io.stderr.write(`${who}: ${line(err.toLine())}${job ? ` (job ${job.id})` : ''}\n`);
    if (ctx.debug && err.stack) ctx.io.stderr.write(`${err.stack}\n`);
    return exitCodeFor(err);
  }
  const x = err instanceof Error ? err : new Error(String(err));
  ctx.io.stderr.write(
    `${who}: INTERNAL: ${line(x.message)}${ctx.debug ? '' : ' — run with --debug for details'}\n`,
  );
  if (ctx.debug && x.stack) ctx.io.stderr.write(`${x.stack}\n`);
  return 1;
}

/**
 * Flag parsing for verbs not yet converted to defineCommand: the same parser (our words,
 * "did you mean"), node:util-like result. `help` is the help command named in errors.
 */
export function parseFlags<T extends OptionSpecs>(args: string[], options: T, help: string) {
  const r = parseArgv(args, options, help);
  return { values: r.values, positionals: r.positionals };
}

/** A plain-text table without a width limit (cells escaped); prefer `Output.table`. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return renderTable(headers, rows).text;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** An environment variable name we may print: conventional names only, never a secret. */
function showableVarName(name: string): boolean {
  return /^[A-Z_][A-Z0-9_]{0,63}$/.test(name);
}

/** A secret from an environment variable or standard input; never from argv. */
export async function readSecret(
  ctx: CliContext,
  from: { env?: string | undefined; stdin?: boolean | undefined },
  what: string,
  flags: { env: string; stdin: string },
): Promise<string> {
  if (from.env !== undefined) {
    const name = from.env;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      // Most likely the secret itself: say so without printing it.
      throw inputError(
        `${flags.env} takes the name of an environment variable holding the ${what}, and the value given is not a variable name (not shown, in case it is the ${what} itself)`,
        `export SOME_NAME=… and pass ${flags.env} SOME_NAME, or use ${flags.stdin}`,
      );
    }
    const v = ctx.io.env[name];
    if (v === undefined || v === '') {
      const shown = showableVarName(name) ? ` ${name}` : ' given';
      throw inputError(
        `the environment variable${shown} (${what}) is not set${showableVarName(name) ? '' : ' (its name is not shown, in case it is the secret itself)'}`,
        showableVarName(name)
          ? `export ${name}=… first`
          : `pass the name of the variable to ${flags.env}, or use ${flags.stdin}`,
      );
    }
    return v;
  }
  if (from.stdin) {
    const v = (await readAll(ctx.io.stdin)).replace(/\r?\n$/, '');
    if (!v) throw inputError(`nothing on standard input (${what})`, `pipe the ${what} in`);
    return v;
  }
  throw inputError(`the ${what} is missing`, `pass ${flags.env} VAR or ${flags.stdin}`);
}

/** Largest input file a command reads whole (a 100,000-cluster CSV is about 20 MB). */
const MAX_INPUT_FILE_BYTES = 256 * 1024 * 1024;

/**
 * A file of this machine as UTF-8 text, for a command that takes one (`cluster import`). A
 * `secret` file (passwords) readable by group or others is refused, as the key file is.
 */
export async function readInputFile(
  path: string,
  opts: { secret?: boolean } = {},
): Promise<string> {
  const shown = escapeControl(path);
  let st: Stats;
  try {
    st = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError(
      code === 'ENOENT'
        ? `${shown} does not exist`
        : `cannot read ${shown} (${code ?? (e as Error).message})`,
      'check the path (relative paths are from the current directory)',
    );
  }
  if (!st.isFile()) throw inputError(`${shown} is not a file`, 'give the path of a file');
  if (st.size > MAX_INPUT_FILE_BYTES) {
    throw inputError(
      `${shown} is ${Math.round(st.size / 1048576)} MB; at most ${MAX_INPUT_FILE_BYTES / 1048576} MB are read`,
      'split it into smaller files and import them one after the other',
    );
  }
  if (opts.secret && (st.mode & 0o077) !== 0) {
    throw inputError(
      `${shown} holds passwords and others than its owner may read it (mode ${(st.mode & 0o777).toString(8)})`,
      `chmod 600 ${shown}`,
    );
  }
  const buf = await readFile(path);
  const text = buf.toString('utf8');
  if (text.includes('\uFFFD') && !Buffer.from(text, 'utf8').equals(buf)) {
    throw inputError(`${shown} is not UTF-8 text`, 'save it as UTF-8 (CSV UTF-8 in a spreadsheet)');
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Commands

export interface RunContext extends CliContext {
  out: Output;
  /** Who asked (audit): `cli:<login>`. */
  by: string;
}

export interface CommandDef<O extends OptionSpecs> {
  /** The words after `smartlic`: `jobs`, `cluster register`. */
  name: string;
  summary: string;
  /** Positional synopsis for the usage line, e.g. `NAME` or `<sa-domain> <va>`. */
  args?: string;
  /** Minimum and maximum number of positionals (default none). */
  arity?: [number, number];
  options: O;
  /** Text after the usage line (what it does, rules, codes). */
  description?: string;
  /** At least one example command line. */
  examples: readonly string[];
  /** Prints a table: accepts and lists --wide. */
  table?: boolean;
  /** The shape --json prints (listed in help; the README has the details). */
  json?: string;
  /** Flags checked before parsing (e.g. refuse --password); throw inputError. */
  precheck?: (args: string[]) => void;
  run(parsed: ParsedArgs<O>, c: RunContext): Promise<number>;
}

export interface Command {
  name: string;
  summary: string;
  help(): string;
  exec(args: string[], ctx: CliContext): Promise<number>;
}

const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  wide: { type: 'boolean' },
} as const satisfies OptionSpecs;

function optionLines(options: OptionSpecs, def: { table?: boolean; json?: string }): string[] {
  const entries: [string, string][] = [];
  for (const [name, o] of Object.entries(options)) {
    if (!o.help) continue;
    const left = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    entries.push([left, o.help]);
  }
  entries.push([
    '--json',
    def.json ? `print the result as JSON: ${def.json}` : 'print the result as JSON',
  ]);
  if (def.table)
    entries.push(['--wide', 'show every column in full (tables fit the terminal otherwise)']);
  entries.push(['-h, --help', 'show this help']);
  const w = Math.min(28, Math.max(...entries.map(([l]) => l.length)) + 2);
  return entries.map(([l, r]) =>
    l.length + 2 > w ? `  ${l}\n  ${' '.repeat(w)}${r}` : `  ${l.padEnd(w)}${r}`,
  );
}

/** Builds a command from its definition: help, parsing, output, failures, exit codes. */
export function defineCommand<O extends OptionSpecs>(def: CommandDef<O>): Command {
  const helpRef = `smartlic ${def.name} --help`;
  const help = () =>
    [
      `smartlic ${def.name} — ${def.summary}`,
      '',
      `Usage: smartlic ${def.name}${def.args ? ` ${def.args}` : ''} [options]`,
      ...(def.description ? ['', def.description.trimEnd()] : []),
      '',
      'Options:',
      ...optionLines(def.options, def),
      '',
      def.examples.length > 1 ? 'Examples:' : 'Example:',
      ...def.examples.map((e) => `  ${e}`),
      '',
    ].join('\n');
  return {
    name: def.name,
    summary: def.summary,
    help,
    async exec(args, ctx) {
      const json = args.includes('--json');
      try {
        if (args.includes('--help') || args.includes('-h')) {
          const dd = args.indexOf('--');
          const h = args.findIndex((a) => a === '--help' || a === '-h');
          if (dd < 0 || h < dd) {
            ctx.io.stdout.write(help());
            return 0;
          }
        }
        def.precheck?.(args);
        const options = { ...COMMON_OPTIONS, ...def.options } as O & typeof COMMON_OPTIONS;
        const parsed = parseArgv(args, options, helpRef);
        const [min, max] = def.arity ?? [0, 0];
        const n = parsed.positionals.length;
        if (n < min) {
          throw inputError(
            `smartlic ${def.name} needs ${def.args ?? `${min} argument(s)`}`,
            `see "${helpRef}"`,
          );
        }
        if (n > max) {
          throw inputError(
            `unexpected argument "${escapeControl(parsed.positionals[max]!)}"${max === 0 ? ` (smartlic ${def.name} takes no arguments)` : ''}`,
            `see "${helpRef}"`,
          );
        }
        const out = createOutput(ctx, parsed.values as { json?: boolean; wide?: boolean });
        return await def.run(parsed, { ...ctx, out, by: requester() });
      } catch (e) {
        return reportFailure(ctx, def.name, e, json);
      }
    },
  };
}

/** A verb with subcommands (`cluster add|list|…`): dispatch, group help, "did you mean". */
export function defineGroup(g: {
  name: string;
  summary: string;
  description?: string;
  commands: readonly Command[];
}): CliCommand {
  const subName = (c: Command) => c.name.slice(g.name.length + 1);
  const usage = (): string => {
    const w = Math.max(...g.commands.map((c) => subName(c).length)) + 2;
    return [
      `smartlic ${g.name} — ${g.summary}`,
      '',
      `Usage: smartlic ${g.name} <command> [options]`,
      ...(g.description ? ['', g.description.trimEnd()] : []),
      '',
      'Commands:',
      ...g.commands.map((c) => `  ${subName(c).padEnd(w)}${c.summary}`),
      '',
      `Run "smartlic ${g.name} <command> --help" for its options and an example.`,
      '',
    ].join('\n');
  };
  return {
    name: g.name,
    summary: g.summary,
    get usage() {
      return usage();
    },
    handlesHelp: true,
    async run(args, ctx) {
      const [sub, ...rest] = args;
      if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
        if (sub === undefined) {
          return reportFailure(
            ctx,
            g.name,
            inputError(
              `smartlic ${g.name} needs a command: ${g.commands.map(subName).join(', ')}`,
              `see "smartlic ${g.name} --help"`,
            ),
            args.includes('--json'),
          );
        }
        ctx.io.stdout.write(usage());
        return 0;
      }
      const cmd = g.commands.find((c) => subName(c) === sub);
      if (!cmd) {
        return reportFailure(
          ctx,
          g.name,
          inputError(
            `unknown command "${escapeControl(sub)}"${didYouMean(sub, g.commands.map(subName), `${g.name} `)}`,
            `see "smartlic ${g.name} --help"`,
          ),
          args.includes('--json'),
        );
      }
      return cmd.exec(rest, ctx);
    },
  };
}

/** A verb without subcommands (`jobs`, `plan`, `doctor`). */
export function singleCommand(cmd: Command): CliCommand {
  return {
    name: cmd.name,
    summary: cmd.summary,
    get usage() {
      return cmd.help();
    },
    handlesHelp: true,
    run: (args, ctx) => cmd.exec(args, ctx),
  };
}

/**
 * Legacy shape (a verb whose first argument picks a subcommand, each parsing with parseFlags):
 * kept so verbs not yet converted to defineGroup still work; main() answers their --help.
 */
export function subcommandVerb(
  name: string,
  summary: string,
  usage: string,
  run: (sub: string | undefined, args: string[], ctx: CliContext) => Promise<number>,
): CliCommand {
  return {
    name,
    summary,
    usage,
    async run(args, ctx) {
      const [sub, ...rest] = args;
      try {
        return await run(sub, rest, ctx);
      } catch (e) {
        return reportFailure(ctx, `${name}${sub ? ` ${sub}` : ''}`, e, args.includes('--json'));
      }
    },
  };
}
