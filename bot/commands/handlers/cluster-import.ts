/**
 * `cluster import FILE`: many clusters at once from a CSV (with a header) or JSON-lines file,
 * as HCM-F's bulk loading does, instead of one `cluster add` + `cluster assign` a cluster.
 * Every row is checked first (the rules of `cluster add` and `cluster assign`, the VAs, the
 * duplicates in the file) and every bad row answered with its line and fix; nothing is written
 * while one is bad. Then one job and one transaction (core: clusters/bulk-import.ts).
 *
 * Terminal only. The file is read on the machine that runs the command, and a chat message
 * carries neither a file path that means anything to smartlic's host nor the admin passwords
 * the rows point to (environment variables, a secrets file): chat and MCP get an error naming
 * the terminal command. An attachment is not taken: it would put the inventory, and with a
 * secrets file the passwords, in the chat platform's storage.
 */
import {
  importSummary,
  detectImportFormat,
  parseImportFile,
  parseSecretsFile,
  type ClusterImportReport,
  type ClusterImportRow,
  type ImportFormat,
  type ImportProblem,
} from '../../../core/index.ts';
import type { CommandContext, CommandSpec } from '../registry.ts';
import { context, fields, ok, section, table, type Reply } from '../reply.ts';
import { inputError, requestedBy } from './common.ts';

/** Problems listed in the answer; `--json` has every one. */
const SHOWN_PROBLEMS = 50;

function problemsReply(file: string, problems: readonly ImportProblem[], rows: number): Reply {
  const lines = new Set(problems.map((p) => p.line)).size;
  const shown = problems.slice(0, SHOWN_PROBLEMS);
  return {
    status: 'error',
    title: `cluster import: ${problems.length} problem(s) on ${lines} line(s) of ${file}; nothing was written`,
    blocks: [
      table(
        ['line', 'column', 'problem', 'fix'],
        shown.map((p) => [p.line === 0 ? '—' : p.line, p.column ?? '', p.message, p.action]),
      ),
      context(
        `${problems.length > shown.length ? `${shown.length} of ${problems.length} problems shown (--json lists all). ` : ''}Fix the file and run the import again; --dry-run checks it without writing.${rows > 0 ? ` ${rows} row(s) read.` : ''}`,
      ),
    ],
    code: 'INPUT',
    data: { file, problems, written: false },
  };
}

function reportReply(file: string, r: ClusterImportReport): Reply {
  return {
    ...ok(
      r.dryRun ? `cluster import --dry-run: ${file} is good` : `cluster import: ${file} imported`,
      section(importSummary(r)),
      fields({
        rows: r.rows,
        added: r.added,
        updated: r.updated,
        unchanged: r.unchanged,
        'assigned to a VA': r.assigned,
        'new customers': r.customersAdded,
        ...(r.job ? { 'core job': r.job.id } : {}),
      }),
    ),
    data: { file, ...r, written: !r.dryRun },
  };
}

/**
 * The rows with their passwords read: `env:VAR` from this terminal's environment (each
 * variable read once), `file:KEY` from the secrets file. A reference that cannot be read is a
 * problem of its row; a value is never shown.
 */
async function resolvePasswords(
  ctx: CommandContext,
  drafts: ReturnType<typeof parseImportFile>['drafts'],
  secrets: Map<string, string> | undefined,
  secretsFile: string | undefined,
): Promise<{ rows: ClusterImportRow[]; problems: ImportProblem[] }> {
  const rows: ClusterImportRow[] = [];
  const problems: ImportProblem[] = [];
  const env = new Map<string, { value: string } | { error: string; action: string }>();
  for (const d of drafts) {
    const { password, ...rest } = d;
    let value: string | undefined;
    if ('env' in password) {
      let got = env.get(password.env);
      if (!got) {
        try {
          got = {
            value: await ctx.console!.readSecret({ env: password.env }, 'admin password', {
              env: 'password_ref env:',
              stdin: '--secrets FILE',
            }),
          };
        } catch {
          got = {
            error: `environment variable ${password.env} is not set`,
            action: `export ${password.env}=… before the import, or point the row at --secrets FILE (file:KEY)`,
          };
        }
        env.set(password.env, got);
      }
      if ('value' in got) value = got.value;
      else
        problems.push({
          line: d.line,
          column: 'password_ref',
          message: got.error,
          action: got.action,
        });
    } else if (!secrets) {
      problems.push({
        line: d.line,
        column: 'password_ref',
        message: `file:${password.key} needs a secrets file`,
        action: 'pass --secrets FILE (KEY=value lines, readable by you only)',
      });
    } else {
      value = secrets.get(password.key);
      if (value === undefined || value === '') {
        problems.push({
          line: d.line,
          column: 'password_ref',
          message: `key ${password.key} is not in ${secretsFile ?? 'the secrets file'}${value === '' ? ' (its value is empty)' : ''}`,
          action: `add a line ${password.key}=… to it`,
        });
      }
    }
    if (value !== undefined && value !== '') rows.push({ ...rest, adminPassword: value });
  }
  return { rows, problems };
}

export const clusterImport: CommandSpec = {
  verb: 'cluster import',
  summary:
    'adds, updates and assigns many clusters from a CSV / JSON-lines file, all or nothing; terminal only',
  args: [{ name: 'file' }],
  flags: [
    {
      name: 'dry-run',
      boolean: true,
      help: 'check every row and say what the import would do; write nothing',
    },
    {
      name: 'secrets',
      value: 'FILE',
      help: 'KEY=value lines the rows point to with password_ref file:KEY (must be readable by you only)',
    },
    {
      name: 'format',
      value: 'csv|jsonl',
      help: 'the file format (default: from the extension, .csv / .jsonl, else the first character)',
    },
    {
      name: 'registered',
      boolean: true,
      help: 'the clusters are registered already (outside smartlic): record the ones assigned now as Manually Registered',
    },
  ],
  example: 'cluster import clusters.csv --secrets cluster-passwords.env --dry-run',
  role: 'operator',
  async run(ctx, { values, flags }) {
    const file = values.file!;
    const console_ = ctx.console;
    if (!console_?.readFile) {
      throw inputError(
        'cluster import reads its file (and the admin passwords it points to) on the machine that runs it, so it does not run from chat or MCP',
        `run \`smartlic cluster import ${file} --dry-run\` in a terminal on the smartlic host, then without --dry-run`,
      );
    }
    let format: ImportFormat | undefined;
    if (typeof flags.format === 'string') {
      const f = flags.format.toLowerCase();
      if (f !== 'csv' && f !== 'jsonl')
        throw inputError(`--format is csv or jsonl, not "${flags.format}"`, 'e.g. --format csv');
      format = f;
    }
    const text = await console_.readFile(file);
    const parsed = parseImportFile(text, format ?? detectImportFormat(file, text));
    let secrets: Map<string, string> | undefined;
    const secretsFile = typeof flags.secrets === 'string' ? flags.secrets : undefined;
    const fileProblems: ImportProblem[] = [...parsed.problems];
    if (secretsFile !== undefined) {
      const s = parseSecretsFile(await console_.readFile(secretsFile, { secret: true }));
      secrets = s.secrets;
      fileProblems.push(
        ...s.problems.map((p) => ({ ...p, message: `${secretsFile}: ${p.message}` })),
      );
    }
    const resolved = await resolvePasswords(ctx, parsed.drafts, secrets, secretsFile);
    const problems = [...fileProblems, ...resolved.problems];
    const rowCount = parsed.drafts.length + new Set(parsed.problems.map((p) => p.line)).size;
    if (problems.length > 0) return problemsReply(file, sortProblems(problems), rowCount);

    const clusters = ctx.core.services.clusters;
    const input = {
      rows: resolved.rows,
      requestedBy: requestedBy(ctx.actor),
      source: file,
      ...(flags.registered === true ? { assignedStatus: 'Manually Registered' as const } : {}),
    };
    // The store's checks first, with no job: a refused import leaves no job behind.
    const check = await clusters.import({ ...input, dryRun: true });
    if (check.problems.length > 0) return problemsReply(file, check.problems, check.rows);
    if (flags['dry-run'] === true) return reportReply(file, check);
    return ctx.job({
      jobType: 'Chat: cluster import',
      entityType: 'Cluster',
      entityName: file,
      description: `Import ${resolved.rows.length} cluster row(s) from ${file}`,
      run: () => clusters.import(input),
      done: (r) =>
        r.problems.length > 0 ? problemsReply(file, r.problems, r.rows) : reportReply(file, r),
    });
  },
};

function sortProblems(p: ImportProblem[]): ImportProblem[] {
  return [...p].sort((a, b) => a.line - b.line);
}
