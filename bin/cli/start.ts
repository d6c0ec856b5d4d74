/**
 * `smartlic start` (what `npm start` runs): the whole product on this machine, through the
 * host shared with `smartlic serve` (host.ts). With the embedded emulator (the default) it
 * starts the lab (lab.ts), provisions its smart accounts and satellite local accounts and
 * imports its cluster inventory the first time, runs a first full sync, builds and serves the
 * site, starts the chat adapters that are configured and the scheduler, until SIGINT/SIGTERM.
 * Against real CSSM (`SMARTLIC_EMULATOR=false`) it syncs the accounts already provisioned.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { chat, consoleActor } from '../../bot/index.ts';
import { PinnableClock, systemClock } from '../../core/clock.ts';
import type { SyncOutcome } from '../../core/services/index.ts';
import { isMemoryPath } from '../../core/store/index.ts';
import { commandLayer } from './chat.ts';
import { defineCommand, escapeControl, inputError, plural, singleCommand } from './common.ts';
import { Host, consoleLogin } from './host.ts';
import { MAX_SCALE } from './emulator.ts';
import { labPaths, type Lab } from './lab.ts';
import { provisionLab } from './lab-import.ts';
import { hasPastToSync, syncThePast } from './lab-history.ts';
import { outcomeJson, progressPrinter } from './sync-progress.ts';
import type { Runtime } from './runtime.ts';
import type { CliCommand, CliContext } from './types.ts';

const USAGE = `Runs the whole product on this machine. With the embedded emulator (default;
SMARTLIC_EMULATOR=false turns it off) it starts the emulator on 127.0.0.1, provisions its
accounts and imports its clusters (the first time only: the lab's state is kept beside the
database in <db>.lab.json and <db>.lab.journal), lives through a new demo lab's last 90 days
(one sync a simulated day, so trends and forecasts have a past; SMARTLIC_LAB_HISTORY_DAYS=0
skips it), syncs, builds the report site and serves it on
http://127.0.0.1:4321/ (--port), starts the Slack / Webex adapters when their variables are
set, syncs on the schedule (sync.cron, default every 24 h) and opens the terminal chat when
run in a terminal, until Ctrl-C / SIGTERM. When stdout is not a terminal it prints one JSON
line {"ready":true,"site":…,"emulator":…,"db":…} once everything is up. One start or serve
per database: a second one refuses (INSTANCE_RUNNING); CLI commands work beside it.`;

const REQUESTED_BY = 'start';

const startCmd = defineCommand({
  name: 'start',
  summary: 'the whole product on this machine: emulator, sync, site, scheduler, chat',
  options: {
    once: { type: 'boolean', help: 'exit after the first sync instead of staying up' },
    port: {
      type: 'string',
      value: 'N',
      help: 'port of the report site on 127.0.0.1 (default 4321; 0 = any free port)',
    },
    scale: {
      type: 'string',
      value: 'N',
      help: `a new lab generated with N customers (about 10 clusters each; 1 to ${MAX_SCALE}) instead of the demo scenario, to see the product at the size of an estate`,
    },
    seed: {
      type: 'string',
      value: 'S',
      help: "seed of the lab's generated data (default emulator.seed, 1)",
    },
  },
  json: "array of the first sync's outcomes (as `sync --json`); the other lines go to stderr",
  description: USAGE,
  examples: [
    'npm start',
    'smartlic start --port 8080',
    'SMARTLIC_EMULATOR=false smartlic start --once',
    'SMARTLIC_DB=/tmp/estate.db smartlic start --scale 1000 --seed 7',
  ],
  async run({ values }, ctx) {
    const once = values.once === true;
    const port = values.port === undefined ? 4321 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw inputError(
        `--port needs a whole number from 0 to 65535 (got "${String(values.port)}")`,
        'e.g. --port 4321, or --port 0 for any free port',
      );
    }
    const scale = wholeNumber('scale', values.scale, 1, MAX_SCALE, 'e.g. --scale 1000');
    const seed = wholeNumber('seed', values.seed, 0, 2 ** 32 - 1, 'e.g. --seed 7');
    // With --json the human lines go to stderr and stdout gets the first sync's outcomes.
    const out = (s: string) =>
      ctx.out.json ? ctx.out.note(escapeControl(s)) : ctx.out.print(escapeControl(s));
    // smartlic's clock: the system clock, pinned to the lab's past while start syncs it.
    const clock = new PinnableClock();
    // The lock comes first: a second start on this database refuses before touching it.
    const host = await Host.open({ ctx, role: 'start', out, clock });
    const rt = host.rt;
    try {
      let lab: Lab | undefined;
      if (!rt.config.emulator.embedded && (scale !== undefined || seed !== undefined)) {
        throw inputError(
          '--scale and --seed shape the embedded emulator, which is off (SMARTLIC_EMULATOR=false)',
          'drop --scale/--seed, or start with the emulator on',
        );
      }
      if (rt.config.emulator.embedded) {
        // Loaded only when used: against real CSSM the emulator stays out of the process.
        const { openLab } = await import('./lab.ts');
        const provisioned = (await rt.repos.smartAccounts.list()).length > 0;
        lab = await openLab({
          dbPath: rt.config.db.path,
          config: rt.config,
          // The wall clock: the lab keeps its own offset from it.
          clock: systemClock,
          reuse: provisioned,
          historyDays: rt.config.emulator.historyDays,
          persist: !isMemoryPath(rt.config.db.path),
          ...(scale !== undefined ? { scale } : {}),
          ...(seed !== undefined ? { seed } : {}),
        });
        const theLab = lab;
        host.onStop(() => theLab.close());
        const emu = lab.emu;
        out(
          `emulator: ${emu.baseUrl} (${lab.scale !== undefined ? `generated estate: --scale ${lab.scale}, seed ${lab.seed}` : `scenario ${rt.config.emulator.scenario}`})${lab.resumed ? `, lab restored from ${labPaths(rt.config.db.path).meta} (${lab.replayed} requests replayed)` : ''}`,
        );
        // A lab with a past to live through: smartlic stands at the lab's (past) time from
        // here on, provisioning included, until the past is synced (lab-history.ts).
        if (hasPastToSync(lab)) clock.pin(emu.now());
        if (lab.resumed) {
          out('reusing the accounts and clusters provisioned earlier (nothing re-imported)');
        } else {
          await provisionLab(rt, emu, out);
        }
        if (hasPastToSync(lab)) {
          const past = await syncThePast({
            lab,
            clock,
            rt,
            ctx,
            out,
            stopped: () => host.stopRequestedYet,
          });
          if (past.interrupted) {
            out(
              `stopped in the lab's past after ${past.rounds} day(s); the next start goes on from there`,
            );
            return 130;
          }
          out(
            `the lab's past: ${past.rounds} days synced in ${(past.ms / 1000).toFixed(1)} s${past.failedRounds ? ` (${past.failedRounds} with a failed sync)` : ''}; now ${past.to.toISOString()}`,
          );
        }
      }
      const progress = progressPrinter(ctx);
      const first = await host.syncRound({
        requestedBy: REQUESTED_BY,
        full: true,
        onProgress: progress.onProgress,
        rebuildSite: !once || rt.config.site.rebuildAfterSync,
      });
      progress.end();
      const outcomes = first.outcomes;
      printSummary(outcomes, out);
      await printAttention(rt, out);
      if (ctx.out.json) ctx.out.data(outcomes.map(outcomeJson));
      if (!lab && outcomes.length === 0) {
        out('No accounts are provisioned yet: add one with `smartlic account add` (see --help).');
      }
      const failed = outcomes.filter((o) => o.status === 'Failed').length;
      if (once) return failed > 0 ? 1 : 0;

      if (!first.site) out('site: the build failed (see the log); serving the last good site');
      const site = await host.serveSite(port);
      host.followDataWithSite();
      await host.startChat(false);
      // The lab's clock can be moved (POST /__emulator/clock) while smartlic's follows the wall
      // clock: when the lab jumped since the last round, nothing smartlic read before can be
      // trusted to be current, so that round reads everything (a full sync).
      const labOffset = () => (lab ? lab.emu.now() - rt.clock.now().getTime() : 0);
      let lastOffset = labOffset();
      const scheduler = host.startScheduler(async () => {
        const offset = labOffset();
        const full = Math.abs(offset - lastOffset) > 60_000;
        lastOffset = offset;
        if (full) out("the lab's clock moved: this round reads everything");
        const round = await host.syncRound({ requestedBy: 'scheduler', full, rebuildSite: true });
        printSummary(round.outcomes, out);
      });
      const evaluator = host.startAlertEvaluation();
      const b = rt.config.bot;
      const chatOn = Boolean(b.slack.botToken || b.webex.botToken);
      for (const line of [
        '',
        'smartlic is running:',
        `  site      ${site.url}`,
        `  database  ${resolve(rt.config.db.path)}`,
        ...(lab
          ? [`  emulator  ${lab.emu.baseUrl} (its clock: POST ${lab.emu.baseUrl}/__emulator/clock)`]
          : []),
        `  log       stderr (SMARTLIC_LOG_LEVEL=${rt.config.log.level}; --log-format json for JSON lines)`,
        `  schedule  ${scheduler ? `"${rt.config.sync.cron}" (${rt.config.sync.timezone}), next ${scheduler.nextRun()?.toISOString() ?? 'never'}` : 'off (sync.enabled = false)'}`,
        `  alerts    ${evaluator ? `evaluated after every sync and on "${rt.config.alerts.evaluateCron ?? ''}"` : 'evaluated after every sync (periodic evaluation off)'}`,
        'Try, in another terminal (same database):',
        '  smartlic ask "status"      smartlic clusters --failed           smartlic alerts',
        chatOn
          ? `  chat: ${[b.slack.botToken && 'Slack', b.webex.botToken && 'Webex'].filter(Boolean).join(' and ')} connected; \`subscribe\` in a channel to get alerts there`
          : '  chat: set SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) or WEBEX_BOT_TOKEN + WEBEX_WEBHOOK_URL + WEBEX_WEBHOOK_SECRET and start again (README: Slack / Webex)',
        'Press Ctrl-C to stop.',
      ])
        out(line);
      if (!ctx.io.isTty) {
        // For scripts and tests: one JSON line when everything is up.
        ctx.io.stdout.write(
          `${JSON.stringify({
            ready: true,
            site: site.url,
            emulator: lab?.emu.baseUrl ?? null,
            db: resolve(rt.config.db.path),
            pid: process.pid,
            ...(host.chat.server ? { http: host.chat.server.url } : {}),
          })}\n`,
        );
      }
      const stdin = ctx.io.stdin as NodeJS.ReadStream;
      if (ctx.io.isTty && stdin.isTTY === true) {
        void terminalChat(host, ctx).finally(() => host.requestStop());
      }
      await host.waitForStop();
      out('stopping…');
      if (stdin.isTTY === true) stdin.destroy();
      return 0;
    } finally {
      await host.stop();
    }
  },
});

export const startCommand: CliCommand = singleCommand(startCmd);

/** The terminal chat of `npm start`: the bot's commands on the same database, right away. */
async function terminalChat(host: Host, ctx: CliContext): Promise<void> {
  const historyFile = join(homedir(), '.smartlic_chat_history');
  let history: string[] = [];
  try {
    history = readFileSync(historyFile, 'utf8').split('\n').filter(Boolean);
  } catch {
    history = [];
  }
  // readline keeps Ctrl-C for itself on a terminal: it stops smartlic here, as elsewhere.
  ctx.io.stdin.on('keypress', (_s: string, key: { ctrl?: boolean; name?: string } | undefined) => {
    if (key?.ctrl === true && (key.name === 'c' || key.name === 'd')) host.requestStop();
  });
  await chat(commandLayer(host.rt), consoleActor(consoleLogin()), {
    input: ctx.io.stdin,
    output: ctx.io.stdout,
    terminal: true,
    history,
    onHistory: (h: string[]) => writeFileSync(historyFile, `${h.join('\n')}\n`, { mode: 0o600 }),
  });
}

function printSummary(outcomes: SyncOutcome[], out: (s: string) => void): void {
  for (const o of outcomes) {
    const c = o.counts;
    if (o.status === 'Completed') {
      out(
        `sync ${o.domain}: ok in ${o.durationMs} ms — ${c.virtualAccounts} VA, ${plural(c.licenses, 'license')}, ${plural(c.tokens, 'token')}, ${plural(c.clusters, 'cluster')} (${c.clustersRead} read)${o.clusterErrors.length ? `, ${o.clusterErrors.length} cluster error(s)` : ''}${o.satellite?.overdue ? ', satellite sync OVERDUE' : ''}`,
      );
    } else {
      out(
        `sync ${o.domain}: FAILED — ${o.error?.code ?? ''}: ${o.error?.message ?? ''}${o.error?.action ? ` — ${o.error.action}` : ''}`,
      );
    }
  }
}

/**
 * What an operator should look at after a sync: the open alerts the sync raised (core's alert
 * rules, evaluated after every sync), most severe first. Muted ones are counted, not listed.
 */
async function printAttention(rt: Runtime, out: (s: string) => void) {
  const open = await rt.services.alerts.list();
  const shown = open.filter((a) => !a.mute);
  const muted = open.length - shown.length;
  const mutedText = muted ? ` (+${muted} muted)` : '';
  if (shown.length === 0) {
    out(`needs attention: nothing${mutedText}`);
    return;
  }
  out(
    `needs attention (${shown.length} open alert${shown.length === 1 ? '' : 's'}${mutedText}; smartlic alerts):`,
  );
  for (const a of shown) out(`  - ${a.severity.padEnd(8)} ${a.title}`);
}

/** A whole-number option from `lo` to `hi`, or undefined when not given. */
function wholeNumber(
  name: string,
  raw: string | boolean | undefined,
  lo: number,
  hi: number,
  example: string,
): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < lo || n > hi) {
    throw inputError(
      `--${name} needs a whole number from ${lo} to ${hi} (got "${String(raw)}")`,
      example,
    );
  }
  return n;
}
