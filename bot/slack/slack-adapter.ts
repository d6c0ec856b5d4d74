/**
 * The Slack adapter (@slack/bolt): transport only. A slash command (`/license` by default) is
 * acknowledged at once — Slack allows 3 s — and the answer follows through `response_url`
 * (errors and confirmations ephemeral); a write's "job started" is posted to the channel and
 * its follow-up in that message's thread. Buttons run their command as the person who pressed
 * them; a confirm button runs only what its one-time ticket was issued for. The App Home tab shows the
 * compliance summary. HTTP (Bolt's HTTPReceiver, mounted at /slack/events on the shared
 * listener) unless an app token is set, then Socket Mode.
 *
 * Slack signs each request over `v0:<timestamp>:<body>`; a timestamp more than 5 minutes away
 * from this machine's clock, past or future, is refused before the signature is looked at
 * (Bolt refuses only the past ones), so that a captured request cannot be replayed later.
 */
import { App, HTTPReceiver, LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { BotConfig, Logger } from '../../core/index.ts';
import type { ChatThreadsPort } from '../notify/interrupted.ts';
import type { Actor, CommandRunner, Outcome, Reply } from '../commands/index.ts';
import { recordThread } from '../notify/interrupted.ts';
import { RetryLater, type ChatSender } from '../notify/notifier.ts';
import {
  ACTION_PREFIX,
  CONFIRM_PREFIX,
  parseConfirmValue,
  renderSlack,
  type SlackMessage,
} from '../render/index.ts';

type WebClient = App['client'];

/** How far a request's X-Slack-Request-Timestamp may be from now, either way (Slack's rule). */
export const SLACK_MAX_SKEW_S = 300;

/**
 * Whether a request's X-Slack-Request-Timestamp (seconds) is within 5 minutes of `nowMs`.
 * A missing header is left to Bolt (it refuses it, except on Slack's unsigned ssl_check).
 */
export function slackTimestampFresh(header: string | string[] | undefined, nowMs: number): boolean {
  if (header === undefined) return true;
  if (typeof header !== 'string' || !/^\d{1,12}$/.test(header)) return false;
  return Math.abs(nowMs / 1000 - Number(header)) <= SLACK_MAX_SKEW_S;
}
type RespondFn = (m: Record<string, unknown>) => Promise<unknown>;

export interface SlackAdapterOptions {
  /** The command layer, in this thread or in workers (bot/commands/remote.ts). */
  layer: CommandRunner;
  config: BotConfig;
  logger: Logger;
  /** Commands whose answers make up the App Home tab, run as the user who opens it. */
  homeCommands?: string[];
  /** Where a write's "job started" went, so that a restart can follow up in its thread. */
  threads?: ChatThreadsPort;
}

function boltLogger(logger: Logger): SlackLogger {
  const log = logger.child({ component: 'slack' });
  const line = (m: unknown[]) => ({
    detail: m.map((x) => (x instanceof Error ? x.message : String(x))).join(' '),
  });
  return {
    debug: (...m: unknown[]) => log.debug('bolt', line(m)),
    info: (...m: unknown[]) => log.debug('bolt', line(m)),
    warn: (...m: unknown[]) => log.warn('bolt', line(m)),
    error: (...m: unknown[]) => log.error('bolt', line(m)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

/** Slack message metadata type of smartlic's alert messages (carries the delivery key). */
const DELIVERY_EVENT = 'smartlic_alert';

export class SlackAdapter {
  readonly app: App;
  readonly receiver: HTTPReceiver | undefined;
  readonly mode: 'http' | 'socket';
  private readonly log: Logger;
  /** Follow-ups still running (so a shutdown can wait for them). */
  private readonly pending = new Set<Promise<unknown>>();

  private constructor(private readonly opts: SlackAdapterOptions) {
    const s = opts.config.slack;
    this.log = opts.logger.child({ component: 'slack' });
    this.mode = s.appToken ? 'socket' : 'http';
    const clientOptions = {
      ...(s.apiUrl ? { slackApiUrl: s.apiUrl.endsWith('/') ? s.apiUrl : `${s.apiUrl}/` } : {}),
      // Delivery retries are ours (bot/notify honours Retry-After and never drops a message).
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    };
    const logger = boltLogger(opts.logger);
    if (this.mode === 'socket') {
      this.receiver = undefined;
      this.app = new App({
        token: s.botToken!,
        appToken: s.appToken!,
        socketMode: true,
        deferInitialization: true,
        clientOptions,
        // The Socket Mode client's own WebClient (apps.connections.open) takes the same base.
        installerOptions: { clientOptions },
        logger,
      });
    } else {
      this.receiver = new HTTPReceiver({
        signingSecret: s.signingSecret!,
        endpoints: '/slack/events',
        logger,
        // Slack re-sends what it got no answer to within 3 s; never let a slow handler hold the ack.
        processBeforeResponse: false,
        // Bolt's default answers too, but may throw when the answer has begun; this one never
        // throws (its caller is a promise nobody awaits: a throw would end the process).
        processEventErrorHandler: ({ error, response }) => {
          try {
            this.log.warn('slack event processing failed', { error });
            if (!response.headersSent) {
              response.writeHead(500);
              response.end();
            }
          } catch {
            response.destroy();
          }
          return Promise.resolve(false);
        },
      });
      this.app = new App({
        token: s.botToken!,
        receiver: this.receiver,
        deferInitialization: true,
        clientOptions,
        logger,
      });
    }
    this.routes();
  }

  /** Builds the app, checks the bot token (auth.test) and, in Socket Mode, connects. */
  static async start(opts: SlackAdapterOptions): Promise<SlackAdapter> {
    const a = new SlackAdapter(opts);
    await a.app.init();
    if (a.mode === 'socket') await a.app.start();
    return a;
  }

  /**
   * For the shared HTTP listener (HTTP mode only), which hands it POSTs to /slack/events only
   * (Bolt throws on anything else). Requests whose timestamp is stale or in the future get 401.
   */
  get requestListener(): RequestListener | undefined {
    const bolt = this.receiver?.requestListener;
    if (!bolt) return undefined;
    return (req: IncomingMessage, res: ServerResponse) => {
      const ts = req.headers['x-slack-request-timestamp'];
      if (!slackTimestampFresh(ts, Date.now())) {
        this.log.warn('refused a Slack request: its timestamp is more than 5 minutes off', {
          skewSeconds:
            typeof ts === 'string' && /^\d{1,12}$/.test(ts)
              ? Math.round(Number(ts) - Date.now() / 1000)
              : null,
        });
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end('stale or future request timestamp\n');
        return;
      }
      bolt(req, res);
    };
  }

  get client(): WebClient {
    return this.app.client;
  }

  /** The send side for alert delivery (bot/notify). */
  sender(): ChatSender {
    const client = this.client;
    const rate = (e: unknown): never => {
      const x = e as { code?: string; retryAfter?: number; message?: string };
      if (x.code === 'slack_webapi_rate_limited_error') {
        throw new RetryLater((x.retryAfter ?? 1) * 1000, `Slack rate limit: ${x.message ?? ''}`);
      }
      throw e;
    };
    return {
      post: async (channel, reply, threadRef, deliveryKey) => {
        const m = renderSlack(reply);
        const r = await client.chat
          .postMessage({
            channel,
            text: m.text,
            blocks: m.blocks as never,
            ...(threadRef ? { thread_ts: threadRef } : {}),
            // The key rides along as message metadata, so that after a failover the next
            // leader can find a message the dead one posted but did not record.
            ...(deliveryKey
              ? {
                  metadata: {
                    event_type: DELIVERY_EVENT,
                    event_payload: { delivery_key: deliveryKey },
                  },
                }
              : {}),
          })
          .catch(rate);
        if (!r.ts) throw new Error('Slack accepted the message but returned no ts');
        return r.ts;
      },
      // conversations.history / .replies with include_all_metadata (scopes channels:history,
      // groups:history). Only the newest page is read: an in-doubt message is at most a few
      // minutes old, and a busy channel has not moved it past 200 since.
      find: async (channel, deliveryKey, threadRef) => {
        const args = { channel, limit: 200, include_all_metadata: true };
        const r = threadRef
          ? await client.conversations.replies({ ...args, ts: threadRef }).catch(rate)
          : await client.conversations.history(args).catch(rate);
        const hit = (r.messages ?? []).find((x) => {
          const md = (x as { metadata?: { event_type?: string; event_payload?: unknown } })
            .metadata;
          return (
            md?.event_type === DELIVERY_EVENT &&
            (md.event_payload as { delivery_key?: unknown } | undefined)?.delivery_key ===
              deliveryKey
          );
        });
        return hit?.ts;
      },
      update: async (channel, ts, reply) => {
        const m = renderSlack(reply);
        await client.chat
          .update({ channel, ts, text: m.text, blocks: m.blocks as never })
          .catch(rate);
      },
    };
  }

  /**
   * Resolves once every follow-up in flight, and any it started meanwhile, has settled: the
   * moment a caller (a shutdown, a test) may say "nothing else will be answered".
   */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async stop(): Promise<void> {
    await this.idle();
    if (this.mode === 'socket') await this.app.stop();
  }

  private track(p: Promise<unknown>): void {
    const q = p
      .catch((e: unknown) => this.log.warn('slack delivery failed', { error: e }))
      .finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  private routes(): void {
    const { app } = this;
    const command = this.opts.config.slack.command;
    app.command(command, async ({ command: c, ack, respond, client }) => {
      await ack();
      const actor: Actor = {
        platform: 'slack',
        userId: c.user_id,
        displayName: c.user_name,
        channelId: c.channel_id,
      };
      this.track(this.run(c.text, actor, { respond, client, channel: c.channel_id }));
    });

    app.action(
      new RegExp(`^(${ACTION_PREFIX}|${CONFIRM_PREFIX})\\d+$`),
      async ({ ack, body, action, respond, client }) => {
        await ack();
        if (
          action.type !== 'button' ||
          !('action_id' in action) ||
          typeof action.value !== 'string'
        )
          return;
        const channel = 'channel' in body && body.channel ? body.channel.id : undefined;
        const actor: Actor = {
          platform: 'slack',
          userId: body.user.id,
          ...(channel ? { channelId: channel } : {}),
        };
        // A confirm press runs only what its ticket was issued for (checked by the command
        // layer); a plain button runs its line as the presser, unconfirmed.
        const confirm = action.action_id.startsWith(CONFIRM_PREFIX);
        const { ticket, command } = confirm
          ? parseConfirmValue(action.value)
          : { ticket: undefined, command: action.value };
        this.track(
          this.run(command, actor, {
            respond,
            client,
            ...(channel ? { channel } : {}),
            ...(ticket !== undefined ? { ticket } : {}),
            replaceOriginal: confirm,
          }),
        );
      },
    );

    app.event('app_home_opened', async ({ event, client }) => {
      if (event.tab !== 'home') return;
      const actor: Actor = { platform: 'slack', userId: event.user };
      const blocks: Record<string, unknown>[] = [];
      for (const line of this.homeCommands()) {
        const o = await this.opts.layer.execute(line, actor);
        blocks.push(...renderSlack(o.reply).blocks, { type: 'divider' });
      }
      await client.views.publish({
        user_id: event.user,
        view: { type: 'home', blocks: blocks.slice(0, 100) as never },
      });
    });

    app.error(async (e) => {
      this.log.warn('slack handler error', { error: e });
      return Promise.resolve();
    });
  }

  private homeCommands(): string[] {
    return this.opts.homeCommands ?? ['status', 'alerts'];
  }

  private async run(
    line: string,
    actor: Actor,
    to: {
      respond: RespondFn;
      client: WebClient;
      channel?: string;
      ticket?: string;
      replaceOriginal?: boolean;
    },
  ): Promise<void> {
    const o: Outcome = await this.opts.layer.execute(
      line,
      actor,
      to.ticket !== undefined ? { ticket: to.ticket } : {},
    );
    const first = renderSlack(o.reply);
    if (!o.followUp) {
      if (o.reply.file && to.channel) {
        // A report: uploaded to the channel with Slack's external upload flow
        // (files.getUploadURLExternal → the bytes to its upload_url → files.completeUploadExternal).
        try {
          await this.upload(to.client, to.channel, o.reply, first.text);
          return;
        } catch (e) {
          this.log.warn('file upload to Slack failed', { error: e, channel: to.channel });
          const why = e instanceof Error ? e.message : String(e);
          const reply: Reply = {
            ...o.reply,
            blocks: [
              ...o.reply.blocks,
              {
                kind: 'context',
                text: `Could not upload ${o.reply.file.name} here (${why}): invite the bot to this channel, or set bot.siteUrl (SMARTLIC_SITE_URL) so that reports are links to the site.`,
              },
            ],
          };
          await to.respond(this.responseBody(reply, renderSlack(reply), false));
          return;
        }
      }
      await to.respond(this.responseBody(o.reply, first, to.replaceOriginal === true));
      return;
    }
    // A write: post "job started" to the channel, so that the follow-up can go in its thread.
    let ts: string | undefined;
    if (to.channel) {
      try {
        const r = await to.client.chat.postMessage({
          channel: to.channel,
          text: first.text,
          blocks: first.blocks as never,
        });
        ts = r.ts;
        if (ts !== undefined && o.reply.jobId !== undefined)
          await recordThread(this.opts.threads, this.log, {
            jobId: o.reply.jobId,
            platform: 'slack',
            channel: to.channel,
            threadRef: ts,
          });
      } catch (e) {
        this.log.debug('cannot post in the channel; answering through response_url', { error: e });
      }
    }
    if (ts === undefined)
      await to.respond(this.responseBody(o.reply, first, to.replaceOriginal === true));
    else if (to.replaceOriginal) await to.respond({ delete_original: true });
    const done = await o.followUp;
    const follow = renderSlack(done);
    if (ts !== undefined && to.channel) {
      await to.client.chat.postMessage({
        channel: to.channel,
        thread_ts: ts,
        text: follow.text,
        blocks: follow.blocks as never,
      });
    } else {
      await to.respond({
        response_type: 'in_channel',
        replace_original: false,
        text: follow.text,
        blocks: follow.blocks,
      });
    }
  }

  /** Uploads a reply's file to a channel (in a thread when `threadTs` is given). */
  async upload(
    client: WebClient,
    channel: string,
    reply: Reply,
    comment: string,
    threadTs?: string,
  ): Promise<void> {
    const f = reply.file!;
    const common = {
      file: Buffer.from(f.content),
      filename: f.name,
      title: f.name,
      initial_comment: comment,
    };
    await (threadTs
      ? client.filesUploadV2({ ...common, channel_id: channel, thread_ts: threadTs })
      : client.filesUploadV2({ ...common, channel_id: channel }));
  }

  private responseBody(r: Reply, m: SlackMessage, replace: boolean): Record<string, unknown> {
    return {
      response_type: r.ephemeral ? 'ephemeral' : 'in_channel',
      ...(replace ? { replace_original: true } : { replace_original: false }),
      text: m.text,
      blocks: m.blocks,
    };
  }
}
