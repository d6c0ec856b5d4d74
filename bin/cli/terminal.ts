/**
 * The terminal face of the command registry: `smartlic <verb> …` runs the very CommandSpec the
 * chat runs (bot/commands), as the local console user (`bot.consoleRole`, admin by default).
 * This file only adapts: it takes the terminal's own flags (--json, --wide, --out), asks y/N
 * on a terminal before a destructive command (scripts pass --yes), and renders the Reply for
 * a terminal — tables fitted to its width, the first (name) column never shortened, control
 * characters escaped. Validation, errors, roles and the audit are the layer's.
 */
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { userInfo } from 'node:os';
import {
  defaultRegistry,
  helpReply,
  tokenize,
  consoleActor,
  exitCode,
  escapeLines,
  renderTerminal,
  replyDocument,
  type CommandLayer,
  type ConsolePorts,
  type Reply,
} from '../../bot/index.ts';
import { SmartlicError } from '../../core/errors.ts';
import { escapeControl as coreEscapeControl } from '../../core/index.ts';
import { commandLayer } from './chat.ts';
import { readInputFile, readSecret } from './common.ts';
import { progressPrinter } from './sync-progress.ts';
import { statusLineFor } from './output.ts';
import { openRuntime } from './runtime.ts';
import type { CliContext } from './types.ts';

/** Flags every registry verb takes on the terminal, besides its own and --yes / --help. */
export const TERMINAL_FLAGS = [
  { flag: '--json', help: "the reply's typed data as JSON (the same document as `ask --json`)" },
  {
    flag: '--wide',
    help: 'tables in full (they fit the terminal otherwise; 100 columns in a pipe)',
  },
  { flag: '--out FILE', help: "write the result (a report's file, or the text / JSON) to FILE" },
  { flag: '--yes', help: 'run a destructive command without asking (scripts)' },
] as const;

interface TerminalFlags {
  json: boolean;
  wide: boolean;
  out?: string;
  words: string[];
}

/** Takes --json, --wide and --out out of the words (not after `--`). */
export function terminalFlags(argv: readonly string[]): TerminalFlags {
  const words: string[] = [];
  let json = false;
  let wide = false;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      words.push(...argv.slice(i));
      break;
    }
    if (a === '--json') json = true;
    else if (a === '--wide') wide = true;
    else if (a === '--out') out = argv[++i] ?? '';
    else if (a.startsWith('--out=')) out = a.slice('--out='.length);
    else words.push(a);
  }
  return { json, wide, ...(out !== undefined ? { out } : {}), words };
}

function login(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Asks "Run …? [y/N]" on the terminal; anything but y / yes is no. */
async function confirmOnTty(ctx: CliContext, question: string): Promise<boolean> {
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr, terminal: true });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question(`${question} [y/N] `, resolve);
      rl.once('close', () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Runs one registry command from the terminal's words; returns the exit code. */
export async function runRegistryCommand(
  argv: readonly string[],
  ctx: CliContext,
  layerFor: (rt: Awaited<ReturnType<typeof openRuntime>>) => CommandLayer = (rt) =>
    commandLayer(rt),
): Promise<number> {
  const f = terminalFlags(argv);
  const end = f.words.indexOf('--');
  const head = end < 0 ? f.words : f.words.slice(0, end);
  if (head.includes('--help') || head.includes('-h')) {
    // Help comes from the registry alone: no database is opened for it.
    // A verb may itself hold a flag-like word (`rebalance --apply`): the registry's own match
    // first, then the plain words.
    const words = head.filter((w) => w !== '--help' && w !== '-h');
    const matched = defaultRegistry().match(words);
    const verb = matched
      ? matched.spec.verb.split(' ')
      : head.filter((w) => !w.startsWith('-')).slice(0, 2);
    const r = helpReply(defaultRegistry(), verb);
    const own = TERMINAL_FLAGS.map((t) => `  ${t.flag.padEnd(12)}${t.help}`).join('\n');
    ctx.io.stdout.write(`${renderTerminal(r, Infinity).text}\nOn the terminal also:\n${own}\n`);
    return exitCode(r);
  }
  const rt = await openRuntime(ctx);
  const progress = progressPrinter(ctx);
  try {
    const layer = layerFor(rt);
    const actor = consoleActor(login());
    // What only a terminal gives a command: a secret from env / stdin, a progress line.
    const ports: ConsolePorts = {
      readSecret: (from, what, flags) => readSecret(ctx, from, what, flags),
      readFile: readInputFile,
      syncProgress: progress.onProgress,
      endProgress: progress.end,
    };
    let o = await layer.executeWords(f.words, actor, { console: ports });
    if (o.reply.status === 'confirm') {
      const line = o.reply.title.replace(/^Confirm: /, '');
      // A script (no terminal, or --json) must say --yes: nothing is asked, nothing changes.
      if (!ctx.io.isTty || f.json) return refuseUnconfirmed(ctx, line, o.reply, f.json);
      // What the chat's confirmation shows (a transfer's before → after) is shown before y/N.
      ctx.io.stderr.write(confirmationText(o.reply));
      if (await confirmOnTty(ctx, `Run \`smartlic ${line}\`?`)) {
        o = await layer.executeWords(f.words, actor, { confirmed: true, console: ports });
      } else {
        ctx.io.stderr.write('Cancelled; nothing was changed.\n');
        return 1;
      }
    }
    const follow = o.followUp ? await o.followUp : undefined;
    const last = follow ?? o.reply;
    const code = exitCode(last);
    const failed = code !== 0;
    if (f.json) {
      const doc = `${JSON.stringify(replyDocument(o.reply, follow), null, 2)}\n`;
      if (f.out !== undefined && !failed) write(f.out, doc);
      else ctx.io.stdout.write(doc);
      return code;
    }
    // A file gets every column in full; a terminal gets tables fitted to its width.
    const width =
      f.wide || f.out !== undefined ? Infinity : ctx.io.isTty ? (ctx.io.columns ?? 100) : 100;
    const status = statusLineFor(ctx);
    const shown = [o.reply, ...(follow ? [follow] : [])].map((r) => renderTerminal(r, width));
    const text = shown.map((s) => s.text).join('\n');
    // A report's file comes with the reply; a token's value (shown once) with its job's follow-up.
    const file = o.reply.file ?? follow?.file;
    // A failure, a denial and a usage answer go to stderr, so a pipe gets results only.
    if (failed) {
      ctx.io.stderr.write(
        last.status === 'error'
          ? errorLine(last)
          : last.status === 'usage'
            ? usageLine(last)
            : text,
      );
      return code;
    }
    if (f.out !== undefined) {
      if (f.out === '') {
        ctx.io.stderr.write('smartlic: --out needs a file name (e.g. --out report.csv)\n');
        return 2;
      }
      // A report's file goes to FILE whole; any other answer is written as shown, in full.
      write(f.out, file ? shownFile(file) : shown.map((s) => s.text).join('\n'));
      status.write(`wrote ${f.out}`);
      return code;
    }
    if (file) {
      // The report itself is the result on stdout; what the reply says about it goes to stderr.
      if (typeof file.content !== 'string' && !isText(file.mime)) {
        ctx.io.stderr.write(
          `smartlic: ${file.name} is binary (${file.mime}); write it with --out FILE\n`,
        );
        return 2;
      }
      // A value shown once (a new token): what the replies say goes to stderr, so a pipe or a
      // variable gets the value alone.
      if (!o.reply.file) ctx.io.stderr.write(text);
      ctx.io.stdout.write(shownFile(file));
      return code;
    }
    ctx.io.stdout.write(text);
    const notes = [...new Set(shown.flatMap((s) => s.notes))];
    if (notes.length > 0)
      status.write(`(${notes.join('; ')}; --wide shows everything, --json all fields)`);
    return code;
  } finally {
    progress.end();
    await rt.close();
  }
}

/**
 * A destructive command without --yes where nobody can answer y/N: refused (exit 2, bad usage),
 * saying what it would do and the line to run.
 */
function refuseUnconfirmed(ctx: CliContext, line: string, r: Reply, json: boolean): number {
  const message = `\`${line}\` changes things and asks first; nothing was changed (no terminal to ask y/N on)`;
  const action = `add --yes to run it: smartlic ${line} --yes`;
  if (json) {
    ctx.io.stdout.write(
      `${JSON.stringify({ error: { code: 'CONFIRM', title: r.title, message: `${message} — ${action}` } }, null, 2)}\n`,
    );
  } else {
    ctx.io.stderr.write(
      `${escapeLines(`smartlic ${verbOf(line)}: CONFIRM: ${message} — ${action}`)}\n${confirmationText(r)}`,
    );
  }
  return 2;
}

/** A confirmation as the terminal shows it: what it would do, without the chat's buttons. */
function confirmationText(r: Reply): string {
  const blocks = r.blocks.filter((b) => b.kind !== 'buttons' && b.kind !== 'context');
  const text = renderTerminal({ ...r, title: '', blocks }, Infinity).text.trim();
  return text === '' ? '' : `${text}\n`;
}

/** The verb a command line runs (`cluster remove x` → `cluster remove`), for a one-line error. */
function verbOf(line: string): string {
  try {
    return defaultRegistry().match(tokenize(line))?.spec.verb ?? line.split(' ')[0]!;
  } catch {
    return line.split(' ')[0]!;
  }
}

/** A usage answer in one line: `smartlic <verb>: INPUT: problem — usage: …`. */
function usageLine(r: Reply): string {
  const problem = r.blocks.flatMap((b) => (b.kind === 'section' ? [b.text] : []));
  const usage = r.blocks.flatMap((b) =>
    b.kind === 'fields' ? b.fields.filter((x) => x.label === 'usage').map((x) => x.value) : [],
  );
  const verb = r.title.replace(/^Usage: /, '');
  const line = `smartlic ${verb === r.title ? '' : verb}`.trimEnd();
  return `${escapeLines(`${line}: INPUT: ${problem.join(' ').replace(/\.$/, '')}${usage[0] ? ` — usage: ${usage[0]}` : ''}`)}\n`;
}

/** An error as the CLI has always said it: `smartlic <verb>: CODE: message — action`. */
function errorLine(r: Reply): string {
  const texts = r.blocks.flatMap((b) =>
    b.kind === 'section' || b.kind === 'context' ? [b.text] : [],
  );
  const [what = r.title, ...actions] = texts;
  // A write's job is typed `Chat: <verb>` on every face; the terminal names the verb alone.
  const verb = r.title.replace(/ failed.*$/, '').replace(/^Chat: /, '');
  const line = `smartlic ${verb}: ${what}${actions.length ? ` — ${actions.join('; ')}` : ''}${r.jobId !== undefined ? ` (job ${r.jobId})` : ''}`;
  return `${escapeLines(line)}\n`;
}

/**
 * A report's content as it leaves smartlic: text (not a workbook) shows a name's control
 * characters escaped, on stdout or in the file (issue 20: one escaping rule at every sink).
 */
function shownFile(file: { content: Buffer | string; mime: string }): Buffer | string {
  if (typeof file.content !== 'string' && !isText(file.mime)) return file.content;
  const text =
    typeof file.content === 'string' ? file.content : Buffer.from(file.content).toString('utf8');
  return coreEscapeControl(text, { keepLines: true });
}

function isText(mime: string): boolean {
  return mime.startsWith('text/') || mime === 'application/json';
}

function write(path: string, content: string | Buffer): void {
  try {
    writeFileSync(path, content);
  } catch (e) {
    throw new SmartlicError({
      code: 'IO',
      message: `cannot write ${path}: ${(e as Error).message}`,
      action: 'check the path and that its directory is writable',
      cause: e,
    });
  }
}
