/**
 * `smartlic serve`: the production process. No emulator: the accounts provisioned with
 * `smartlic account add` are synced on the schedule against real CSSM / satellites; the Slack
 * and / or Webex adapters answer commands and deliver alerts; GET /healthz on the HTTP
 * listener; the site is rebuilt after each sync round when `site.rebuildAfterSync` is set;
 * structured JSON logs (pino) on stderr; SIGTERM lets the running sync finish, flushes queued
 * notifications and exits 0. It shares its host (host.ts) with `smartlic start`.
 */
import { resolve } from 'node:path';
import { defineCommand, inputError, plural, singleCommand } from './common.ts';
import { Host } from './host.ts';
import type { CliCommand } from './types.ts';

const USAGE = `The production process: configuration from SMARTLIC_CONFIG and the environment (every problem
reported at once), no emulator, the Slack and / or Webex adapters whose variables are set, the
sync scheduler (sync.cron), a site rebuild after each round (site.rebuildAfterSync), and one
HTTP listener on bot.httpHost:bot.httpPort (SMARTLIC_HTTP_PORT, default 127.0.0.1:3000) with
GET /healthz (200 healthy / 503 not: database reachable, last sync per account, adapters up)
and the chat callbacks. Logs are JSON lines (pino) on stderr with secrets redacted. SIGTERM
or Ctrl-C lets a running sync finish, flushes queued alert messages and exits 0. One start or
serve per database (INSTANCE_RUNNING otherwise), unless leader.election
(SMARTLIC_LEADER_ELECTION) is lease: then several serve instances share the database, every one
answers chat, /healthz, /metrics and reads, and one elected leader runs the scheduler, the alert
evaluation and alert delivery (docs/high-availability.md). CLI commands work beside it.`;

const serveCmd = defineCommand({
  name: 'serve',
  summary: 'the production process: scheduler, chat adapters, /healthz, JSON logs (no emulator)',
  options: {
    'site-port': {
      type: 'string',
      value: 'N',
      help: 'also serve the built site on 127.0.0.1:N (default: not served; a web server does)',
    },
  },
  description: USAGE,
  examples: [
    'SMARTLIC_CONFIG=/etc/smartlic/config.yaml smartlic serve',
    'SLACK_BOT_TOKEN=xoxb-… SLACK_SIGNING_SECRET=… smartlic serve',
  ],
  async run({ values }, ctx) {
    let sitePort: number | undefined;
    if (values['site-port'] !== undefined) {
      sitePort = Number(values['site-port']);
      if (!Number.isInteger(sitePort) || sitePort < 0 || sitePort > 65535) {
        throw inputError(
          `--site-port needs a whole number from 0 to 65535 (got "${values['site-port']}")`,
          'e.g. --site-port 4321',
        );
      }
    }
    const host = await Host.open({
      ctx,
      role: 'serve',
      jsonLogs: true,
      // No emulator in production, whatever the file says.
      overrides: { emulator: { embedded: false } },
      out: () => undefined,
    });
    const { rt } = host;
    const log = rt.logger.child({ component: 'serve' });
    try {
      const accounts = await rt.repos.smartAccounts.list();
      if (accounts.length === 0) {
        log.warn('no account is provisioned: add one with `smartlic account add` (see --help)');
      }
      const b = rt.config.bot;
      if (!b.slack.botToken && !b.webex.botToken) {
        log.warn(
          'no chat adapter is configured: set SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN), or WEBEX_BOT_TOKEN + WEBEX_WEBHOOK_URL + WEBEX_WEBHOOK_SECRET',
        );
      }
      const chat = await host.startChat(true);
      const site = sitePort === undefined ? undefined : await host.serveSite(sitePort);
      const scheduler = host.startScheduler(async () => {
        const { outcomes } = await host.syncRound({
          requestedBy: 'scheduler',
          rebuildSite: rt.config.site.rebuildAfterSync,
        });
        const failed = outcomes.filter((o) => o.status === 'Failed');
        log.info('sync round done', {
          accounts: outcomes.length,
          failed: failed.map((o) => ({ domain: o.domain, code: o.error?.code })),
        });
      });
      const evaluator = host.startAlertEvaluation();
      // Several instances on one database: the leader runs the scheduler, the evaluation and
      // delivery (started and stopped with the leadership); every instance serves the rest.
      await host.campaign();
      const lead = host.leadership;
      const ready = {
        ready: true,
        role: 'serve',
        http: chat.server?.url ?? null,
        ...(site ? { site: site.url } : {}),
        db: resolve(rt.config.db.path),
        pid: process.pid,
        adapters: { slack: Boolean(chat.slack), webex: Boolean(chat.webex) },
        schedule: scheduler ? rt.config.sync.cron : null,
        nextSync: scheduler?.nextRun()?.toISOString() ?? null,
        alertEvaluation: evaluator ? rt.config.alerts.evaluateCron : null,
        ...(lead.election === 'single'
          ? {}
          : { instance: lead.instanceId, election: lead.election, leader: lead.isLeader() }),
      };
      const { pid: _pid, role: _role, ...fields } = ready;
      log.info(`serving ${plural(accounts.length, 'account')}`, fields);
      // One JSON line on stdout when ready (for scripts and orchestrators).
      ctx.io.stdout.write(`${JSON.stringify(ready)}\n`);
      const why = await host.waitForStop();
      log.info('stopping', { signal: why });
      return 0;
    } finally {
      await host.stop();
      log.info('stopped');
    }
  },
});

export const serveCommand: CliCommand = singleCommand(serveCmd);
