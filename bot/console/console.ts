/**
 * The terminal adapter: `smartlic ask "<command>"` (one command) and `smartlic chat` (a
 * prompt with history and verb completion). The same command layer and permissions as chat:
 * the person at the terminal is `console:<login>` with `bot.consoleRole`, or acts as a chat
 * user with `--as` (recorded in the audit as such). Writes wait for their job and print both
 * the start and the follow-up; `--yes` confirms a destructive command.
 */
import { createInterface, type Completer } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { CommandLayer, Outcome } from '../commands/index.ts';
import { parseUserRef, type Actor, type Reply } from '../commands/index.ts';
import { escapeControl, renderText } from '../render/index.ts';

/** Codes that mean "what you typed is wrong" (a name that does not exist included): exit 2. */
const BAD_INPUT = new Set([
  'INPUT',
  'CONFIG',
  'NOT_FOUND',
  'SECRET_KEY',
  'EXISTS',
  // A transfer whose words are wrong (core/domain/transfers.ts); not one the state refuses.
  'TRANSFER_QUANTITY',
  'TRANSFER_TYPE',
  'TRANSFER_SAME_VA',
  'TRANSFER_UNKNOWN_LICENSE',
]);

/** Exit code for a reply: 0 ok, 2 usage or bad input, 1 any other failure. */
export function exitCode(r: Reply): number {
  if (r.status === 'usage') return 2;
  if (r.status === 'error' && r.code !== undefined && BAD_INPUT.has(r.code)) return 2;
  return r.status === 'error' || r.status === 'denied' || r.status === 'confirm' ? 1 : 0;
}

export function consoleActor(login: string, as?: string): Actor {
  if (as === undefined) return { platform: 'console', userId: login, channelId: 'terminal' };
  const ref = parseUserRef(as, 'console');
  if (!ref)
    throw new Error(
      `--as: "${as}" is not a user (use slack:U0123, webex:alice@example.com or console:name)`,
    );
  return {
    platform: ref.platform,
    userId: ref.userId,
    channelId: 'terminal',
    onBehalfOf: `console:${login}`,
  };
}

function replyJson(r: Reply): unknown {
  return r.file
    ? {
        ...r,
        file: {
          ...r.file,
          content: Buffer.from(r.file.content).toString('base64'),
          encoding: 'base64',
        },
      }
    : r;
}

/**
 * What `--json` prints, on every face (`smartlic <verb> --json`, `smartlic ask "<verb>" --json`):
 * the reply's typed data when it has some (the follow-up's for a write), an error as
 * `{error: {code, title, message}}`, otherwise the replies themselves.
 */
export function replyDocument(reply: Reply, followUp?: Reply): unknown {
  const last = followUp ?? reply;
  if (last.status === 'error' || last.status === 'denied' || last.status === 'usage') {
    return {
      error: {
        // A usage answer is bad input, as the CLI has always called it.
        code: last.code ?? (last.status === 'usage' ? 'INPUT' : last.status.toUpperCase()),
        title: last.title,
        message: last.blocks
          .map((b) => (b.kind === 'section' || b.kind === 'context' ? b.text : ''))
          .filter(Boolean)
          .join('\n'),
        ...(last.jobId !== undefined ? { jobId: last.jobId } : {}),
        // What the error is about, as data (every bad line of a `cluster import`).
        ...(last.data !== undefined ? { details: last.data } : {}),
      },
    };
  }
  if (last.data !== undefined) return last.data;
  return { reply: replyJson(reply), ...(followUp ? { followUp: replyJson(followUp) } : {}) };
}

/** Runs one command; prints text or JSON; returns the exit code (of the follow-up, if any). */
export async function ask(
  layer: CommandLayer,
  line: string,
  actor: Actor,
  out: Writable,
  opts: { json?: boolean } = {},
): Promise<number> {
  const o: Outcome = await layer.execute(line, actor);
  const follow = o.followUp ? await o.followUp : undefined;
  if (opts.json) {
    out.write(`${JSON.stringify(replyDocument(o.reply, follow), null, 2)}\n`);
  } else {
    out.write(renderText(o.reply));
    // On the terminal a report file is printed after its reply (redirect it to save it).
    if (o.reply.file)
      out.write(
        `\n${escapeControl(Buffer.from(o.reply.file.content).toString('utf8'), { keepLines: true })}`,
      );
    if (follow) out.write(`\n${renderText(follow)}`);
    // A token created from the terminal is shown once, after its reply (never in chat).
    if (follow?.file)
      out.write(
        `\n${escapeControl(Buffer.from(follow.file.content).toString('utf8'), { keepLines: true })}`,
      );
  }
  return exitCode(follow ?? o.reply);
}

export interface ChatOptions {
  input: Readable;
  output: Writable;
  terminal: boolean;
  /** Earlier lines, newest first (readline's order); the session's lines are added. */
  history?: string[];
  onHistory?: (history: string[]) => void;
}

/** Completion of verbs (one or two words) from the registry. */
export function completer(layer: CommandLayer): Completer {
  const verbs = [...layer.registry.verbs(), 'help'].sort();
  return (line: string) => {
    const l = line.trimStart().toLowerCase();
    const hits = verbs.filter((v) => v.startsWith(l));
    return [hits.length > 0 ? hits.map((h) => `${h} `) : [], line];
  };
}

/** The interactive prompt; resolves when the input ends or on `exit` / `quit`. */
export async function chat(layer: CommandLayer, actor: Actor, opts: ChatOptions): Promise<void> {
  const rl = createInterface({
    input: opts.input,
    output: opts.output,
    terminal: opts.terminal,
    completer: completer(layer),
    history: opts.history ?? [],
    historySize: 1000,
    removeHistoryDuplicates: true,
  });
  const history = [...(opts.history ?? [])];
  // Piped input can end (and close the interface) while a command still runs; on Node 24 a
  // prompt or close after that throws ERR_USE_AFTER_CLOSE, so both wait for an open interface.
  let closed = false;
  rl.once('close', () => (closed = true));
  rl.setPrompt('smartlic> ');
  opts.output.write('smartlic chat — `help` lists the commands, `exit` leaves.\n');
  rl.prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === 'exit' || line === 'quit') break;
    if (line !== '') {
      if (history[0] !== line) history.unshift(line);
      const o = await layer.execute(line, actor);
      opts.output.write(renderText(o.reply));
      if (o.followUp) opts.output.write(`\n${renderText(await o.followUp)}`);
    }
    if (!closed) rl.prompt();
  }
  if (!closed) rl.close();
  opts.onHistory?.(history.slice(0, 1000));
}
