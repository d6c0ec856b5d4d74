/**
 * `smartlic jobs`: HCM-F's job list (DOMAIN §7.5). Also the small helpers the cluster, token,
 * va and plan verbs share: who asked, one-line failures, tables, secrets from env or stdin.
 */
import { userInfo } from 'node:os';
import type { Readable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SmartlicError, isSmartlicError } from '../../core/errors.ts';
import { JobFailedError } from '../../core/services/jobs.service.ts';
import type { Job } from '../../core/store/index.ts';
import { openRuntime } from './runtime.ts';
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

export function jobLine(job: Job): string {
  return `job ${job.id} ${job.jobType} ${job.status}${job.statusInformation ? `: ${job.statusInformation}` : ''}`;
}

const USAGE = `Usage: smartlic jobs [--failed] [--entity NAME] [--limit N] [--json]

HCM-F's job list, newest first: Job Type, Entity Type, Entity Name, Date/Time Initiated,
Date/Time Completed, Status, Description, Status Information, Recommended Action — and the
error code and who asked.
  --failed       only failed jobs
  --entity NAME  only jobs about this entity (cluster, VA as <domain>/<va>, account)
  --limit N      at most N jobs (default 50)
  --json         JSON instead of a table`;

export const jobsCommand: CliCommand = {
  name: 'jobs',
  summary: 'the job list (HCM-F job fields, error codes, who asked)',
  usage: USAGE,
  async run(args, ctx) {
    try {
      const { values, positionals } = parseFlags(
        args,
        {
          failed: { type: 'boolean' },
          json: { type: 'boolean' },
          entity: { type: 'string' },
          limit: { type: 'string' },
        },
        'smartlic jobs --help',
      );
      if (positionals.length > 0) {
        throw inputError(`unexpected argument "${positionals[0]}"`, 'see "smartlic jobs --help"');
      }
      const limit = values.limit === undefined ? 50 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) {
        throw inputError(`--limit needs a positive whole number`, 'e.g. --limit 20');
      }
      const rt = await openRuntime(ctx);
      try {
        const jobs = await rt.repos.jobs.list({
          ...(values.failed ? { status: 'Failed' as const } : {}),
          ...(values.entity ? { entityName: values.entity } : {}),
          limit,
        });
        if (values.json) {
          ctx.io.stdout.write(`${JSON.stringify(jobs, null, 2)}\n`);
          return 0;
        }
        if (jobs.length === 0) {
          ctx.io.stdout.write(values.failed ? 'no failed jobs\n' : 'no jobs\n');
          return 0;
        }
        ctx.io.stdout.write(
          table(
            [
              'Id',
              'Job Type',
              'Entity Type',
              'Entity Name',
              'Description',
              'Initiated',
              'Completed',
              'Status',
              'Error',
              'Requested By',
              'Status Information',
              'Recommended Action',
            ],
            jobs.map((j) => [
              String(j.id),
              j.jobType,
              j.entityType,
              j.entityName,
              j.description ?? '',
              when(j.initiatedAt),
              when(j.completedAt),
              j.status,
              j.errorCode ?? '',
              j.requestedBy ?? '',
              j.statusInformation ?? '',
              j.recommendedAction ?? '',
            ]),
          ),
        );
        return 0;
      } finally {
        await rt.close();
      }
    } catch (e) {
      return reportFailure(ctx, 'jobs', e);
    }
  },
};
