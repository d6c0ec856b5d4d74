/**
 * `smartlic chat` and `smartlic ask`: the bot's command layer on the terminal (bot/console),
 * over this installation's database and services.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import {
  CommandLayer,
  ask,
  chat,
  consoleActor,
  defaultRegistry,
  type BotCore,
} from '../../bot/index.ts';
import { inputError, parseFlags, reportFailure } from './common.ts';
import { Host } from './host.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import type { CliCommand } from './types.ts';

function login(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export function commandLayer(
  rt: Runtime,
  readDb = rt.db,
  /** Where audit entries go, when not straight to rt.repos.audit (bot-worker.ts). */
  audit?: BotCore['audit'],
): CommandLayer {
  return new CommandLayer(
    {
      db: readDb,
      ...(audit ? { audit } : {}),
      services: rt.services,
      repos: rt.repos,
      clock: rt.clock,
      logger: rt.logger,
      config: rt.config,
      ...(rt.services.deps.metrics ? { metrics: rt.services.deps.metrics } : {}),
      // A `sync` command rebuilds the site when site.rebuildAfterSync says so (loaded then only).
      afterSync: async () => (await import('./site.ts')).rebuildSiteAfterSync(rt.config, rt.logger),
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

Examples:
  smartlic ask "clusters --failed"
  smartlic ask "status" --as slack:U0123 --json`;

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
~/.smartlic_chat_history. \`help\` lists the commands; \`exit\` leaves.

Examples:
  smartlic chat
  smartlic chat --as webex:alice@example.com`;

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

const BOT_USAGE = `Usage: smartlic bot

Serves chat: the Slack adapter (SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN for
Socket Mode) and the Webex adapter (WEBEX_BOT_TOKEN + WEBEX_WEBHOOK_URL + WEBEX_WEBHOOK_SECRET)
on one HTTP listener (SMARTLIC_HTTP_PORT, 127.0.0.1; Slack at /slack/events, Webex at
/webex/events, GET /healthz, GET /metrics in Prometheus text format), and delivers alerts to
subscribed channels, until interrupted. \`smartlic start\` and \`smartlic serve\` run the same
adapters themselves; run \`smartlic bot\` alone beside a \`start --once\` or a sync from cron. It
takes no instance lock: do not give it the chat variables of a running start or serve, or
alerts are delivered twice. Beside several elected serve instances (leader.election lease or
advisory, the default on PostgreSQL) it answers chat but never leads: it delivers no alerts (the
leader does), and /healthz and /metrics say which instance leads; its writes hold the account
lease like every instance's (docs/high-availability.md).

Examples:
  SLACK_BOT_TOKEN=xoxb-… SLACK_SIGNING_SECRET=… smartlic bot`;

export const botCommand: CliCommand = {
  name: 'bot',
  summary: 'serve Slack / Webex commands and deliver alerts (its own process)',
  usage: BOT_USAGE,
  async run(args, ctx) {
    if (args.length > 0) {
      ctx.io.stderr.write(
        `smartlic bot: unexpected argument ${args[0]} (see smartlic bot --help)\n`,
      );
      return 2;
    }
    const out = (s: string) => ctx.io.stdout.write(`${s}\n`);
    let host: Host | undefined;
    try {
      // The adapters, their command workers, alert delivery and the listener (/healthz,
      // /metrics) are the host's, as in start and serve; bot takes no instance lock.
      host = await Host.open({ ctx, role: 'bot', out });
      const b = host.config.bot;
      if (!b.slack.botToken && !b.webex.botToken) {
        ctx.io.stderr.write(
          'smartlic bot: no chat adapter is configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN), or WEBEX_BOT_TOKEN, WEBEX_WEBHOOK_URL and WEBEX_WEBHOOK_SECRET\n',
        );
        return 2;
      }
      const parts = await host.startChat(true);
      out(`listening on ${parts.server?.url ?? ''}`);
      if (host.leadership.election !== 'single') {
        out(
          `alerts: delivered by the elected leader (leader.election ${host.leadership.election}), not by this process; it answers chat only`,
        );
      }
      out('smartlic bot is running; press Ctrl-C to stop.');
      await host.waitForStop();
      return 0;
    } catch (e) {
      return reportFailure(ctx, 'bot', e);
    } finally {
      await host?.stop();
    }
  },
};
