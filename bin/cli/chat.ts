/**
 * `smartlic chat` and `smartlic ask`: the bot's command layer on the terminal (bot/console),
 * over this installation's database and services.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { CommandLayer, ask, chat, consoleActor, defaultRegistry } from '../../bot/index.ts';
import { inputError, parseFlags, reportFailure } from './common.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import type { CliCommand } from './types.ts';

function login(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export function commandLayer(rt: Runtime): CommandLayer {
  return new CommandLayer(
    {
      db: rt.db,
      services: rt.services,
      repos: rt.repos,
      clock: rt.clock,
      logger: rt.logger,
      config: rt.config,
    },
    defaultRegistry(),
  );
}

const ASK_USAGE = `Usage: smartlic ask "<command>" [--as <user>] [--json]

Runs one bot command (the same verbs, roles and confirmations as Slack and Webex) and prints
the answer; a write waits for its job and prints the follow-up too. Exit code 0 ok, 1 failed
or denied, 2 bad usage.

  --as USER   act as a chat user (slack:U0123, webex:alice@example.com) to see what they may do
  --json      print the Reply (and follow-up) as JSON
  --yes       (inside the command) confirm a destructive command

Example: smartlic ask "clusters --failed"`;

export const askCommand: CliCommand = {
  name: 'ask',
  summary: 'run one bot command on the terminal (plain text or --json)',
  usage: ASK_USAGE,
  async run(args, ctx) {
    try {
      // Flags of `ask` itself come after the quoted command; everything else is the command.
      const own: string[] = [];
      const words: string[] = [];
      for (let i = 0; i < args.length; i++) {
        const a = args[i]!;
        if (a === '--json') own.push(a);
        else if (a === '--as') own.push(a, args[++i] ?? '');
        else if (a.startsWith('--as=')) own.push(a);
        else words.push(a);
      }
      const { values } = parseFlags(
        own,
        { json: { type: 'boolean' }, as: { type: 'string' } },
        'smartlic ask --help',
      );
      if (words.length === 0) throw inputError('no command given', 'e.g. smartlic ask "status"');
      if (values.as === '') throw inputError('--as needs a user', 'e.g. --as slack:U0123ABCD');
      const actor = consoleActor(login(), values.as);
      const rt = await openRuntime(ctx);
      try {
        return await ask(commandLayer(rt), words.join(' '), actor, ctx.io.stdout, {
          json: values.json === true,
        });
      } finally {
        await rt.close();
      }
    } catch (e) {
      return reportFailure(ctx, 'ask', e);
    }
  },
};

const CHAT_USAGE = `Usage: smartlic chat [--as <user>]

An interactive prompt for bot commands: Tab completes verbs, history is kept in
~/.smartlic_chat_history. \`help\` lists the commands; \`exit\` leaves.`;

export const chatCommand: CliCommand = {
  name: 'chat',
  summary: 'interactive prompt for bot commands (history, completion)',
  usage: CHAT_USAGE,
  async run(args, ctx) {
    try {
      const { values } = parseFlags(args, { as: { type: 'string' } }, 'smartlic chat --help');
      const actor = consoleActor(login(), values.as);
      const historyFile = join(homedir(), '.smartlic_chat_history');
      let history: string[] = [];
      if (ctx.io.isTty) {
        try {
          history = readFileSync(historyFile, 'utf8').split('\n').filter(Boolean);
        } catch {
          history = [];
        }
      }
      const rt = await openRuntime(ctx);
      try {
        await chat(commandLayer(rt), actor, {
          input: ctx.io.stdin,
          output: ctx.io.stdout,
          terminal: ctx.io.isTty,
          history,
          // Only an interactive session keeps history (a piped script would flood it).
          ...(ctx.io.isTty
            ? {
                onHistory: (h: string[]) =>
                  writeFileSync(historyFile, `${h.join('\n')}\n`, { mode: 0o600 }),
              }
            : {}),
        });
        return 0;
      } finally {
        await rt.close();
      }
    } catch (e) {
      return reportFailure(ctx, 'chat', e);
    }
  },
};
