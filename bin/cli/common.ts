/**
 * Helpers every CLI verb shares: who asked, one-line failures, flag parsing, tables, secrets
 * from an environment variable or stdin, and the shape of a verb with subcommands.
 */
import { userInfo } from 'node:os';
import type { Readable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SmartlicError, isSmartlicError } from '../../core/errors.ts';
import { JobFailedError } from '../../core/services/jobs.service.ts';
import type { CliCommand, CliContext } from './types.ts';

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

/**
 * Prints one line — `smartlic <verb>: CODE: message — action (job N)` — and returns the exit
 * code (2 for bad input, 1 otherwise). A stack only with --debug.
 */
export function reportFailure(ctx: CliContext, verb: string, e: unknown): number {
  const job = e instanceof JobFailedError ? e.job : undefined;
  const err = e instanceof JobFailedError ? e.error : e;
  if (isSmartlicError(err)) {
    ctx.io.stderr.write(`smartlic ${verb}: ${err.toLine()}${job ? ` (job ${job.id})` : ''}\n`);
    if (ctx.debug && err.stack) ctx.io.stderr.write(`${err.stack}\n`);
    return err.code === 'INPUT' || err.code === 'CONFIG' ? 2 : 1;
  }
  const x = err instanceof Error ? err : new Error(String(err));
  ctx.io.stderr.write(
    `smartlic ${verb}: ${x.message}${ctx.debug ? '' : ' (run with --debug for details)'}\n`,
  );
  if (ctx.debug && x.stack) ctx.io.stderr.write(`${x.stack}\n`);
  return 1;
}

/** node:util parseArgs, strict, with its complaints turned into INPUT errors. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  help: string,
) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw inputError((e as Error).message, `see "${help}"`);
  }
}

/** A plain-text table: left-aligned columns, a header and a rule. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return (
    [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n'
  );
}

export function when(d: Date | null | undefined): string {
  return d ? d.toISOString().replace('T', ' ').slice(0, 19) : '';
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** A secret from an environment variable or standard input; never from argv. */
export async function readSecret(
  ctx: CliContext,
  from: { env?: string | undefined; stdin?: boolean | undefined },
  what: string,
  flags: { env: string; stdin: string },
): Promise<string> {
  if (from.env) {
    const v = ctx.io.env[from.env];
    if (v === undefined || v === '') {
      throw inputError(
        `the environment variable ${from.env} (${what}) is not set`,
        `export ${from.env}=…`,
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

/** Refuses `--password …`/`--secret …` style flags: argv is readable by every local user. */
export function refuseSecretFlag(args: string[], names: readonly string[], instead: string): void {
  for (const a of args) {
    for (const n of names) {
      if (a === `--${n}` || a.startsWith(`--${n}=`)) {
        throw inputError(
          `--${n} is not accepted: a secret on the command line is visible to every user of the machine (ps, /proc) and stays in shell history`,
          instead,
        );
      }
    }
  }
}

/** A verb whose first argument picks a subcommand; failures become one line and an exit code. */
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
        return reportFailure(ctx, `${name}${sub ? ` ${sub}` : ''}`, e);
      }
    },
  };
}
