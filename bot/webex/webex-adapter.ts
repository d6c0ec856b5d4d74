/**
 * The Webex adapter (webex-node-bot-framework in webhook mode): transport only. A message
 * `license <verb> …` in a 1:1 space (the keyword is optional there) or one that mentions the
 * bot in a group space runs the command; answers are markdown, confirmations and alert actions
 * Adaptive Cards, a write's follow-up a threaded reply. Webhooks arrive at /webex/events on the
 * shared listener; their X-Spark-Signature (HMAC-SHA1 of the raw body with the webhook secret)
 * is checked with a constant-time compare before anything is parsed: a forged one gets 401.
 *
 * That check is the only one. The framework's own webhook handler verifies again over
 * `JSON.stringify(body)`, which differs from the bytes Webex signed as soon as the JSON has a
 * space, a `\/` or a `\u00e9` escape, and then drops the event without a word (issue 20); so
 * the adapter never calls it: it fetches the message or card action itself and hands it to the
 * framework's `onMessageCreated` / `onAttachmentActions` (which find the space's bot, build the
 * trigger and emit the events below). Every verified event either runs, or is logged and
 * counted (`chat_event_dropped`, with why) — none vanishes.
 *
 * Two calls go to Webex's Messages API directly, as its reference documents them, because the
 * SDK has no method for them: a report file is `POST /messages` as multipart/form-data (roomId,
 * parentId, markdown and one `files` part), and an alert's message is edited in place with
 * `PUT /messages/{messageId}` (roomId and the new markdown).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import {
  recordSafely,
  type BotConfig,
  type ChatEventDropReason,
  type Logger,
  type Metrics,
} from '../../core/index.ts';
import type { Actor, CommandRunner } from '../commands/index.ts';
import type { Reply } from '../commands/index.ts';
import { recordThread, type ChatThreadsPort } from '../notify/interrupted.ts';
import { RetryLater, type ChatSender } from '../notify/notifier.ts';
import { renderWebex, renderWebexMessages, type WebexMessage } from '../render/index.ts';

/* The framework is untyped JavaScript; these are the parts we use. */
interface WebexPerson {
  id: string;
  emails?: string[];
  displayName?: string;
}
interface WebexBot {
  room: { id: string; type?: string };
  say(message: Record<string, unknown>): Promise<{ id: string }>;
  reply(replyTo: string, message: Record<string, unknown>): Promise<{ id: string }>;
}
interface WebexTrigger {
  id: string;
  text?: string;
  message?: {
    id: string;
    roomId: string;
    roomType?: string;
    mentionedPeople?: string[];
    text?: string;
  };
  attachmentAction?: {
    id: string;
    messageId: string;
    roomId: string;
    inputs?: Record<string, unknown>;
  };
  person: WebexPerson;
}
interface WebexMessageObject {
  id: string;
  roomId: string;
  personId?: string;
  text?: string;
}
interface WebexAttachmentActionObject {
  id: string;
  roomId: string;
}
interface Framework {
  person: WebexPerson;
  /** The webhook the framework registered (events carry its name). */
  webhook: { name?: string } | false;
  webex: {
    messages: {
      create(m: Record<string, unknown>): Promise<{ id: string }>;
      get(id: string): Promise<WebexMessageObject>;
    };
    attachmentActions: { get(id: string): Promise<WebexAttachmentActionObject> };
    webhooks?: { list(): Promise<{ items: unknown[] }> };
  };
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  on(event: string, fn: (...args: unknown[]) => void): void;
  onMessageCreated(m: WebexMessageObject): Promise<unknown>;
  onAttachmentActions(a: WebexAttachmentActionObject): Promise<unknown>;
}
type FrameworkCtor = new (options: Record<string, unknown>) => Framework;
/** The framework's handling of one event body, signature unchecked (lib/process-event.js). */
type ProcessEvent = (f: Framework, body: unknown) => Promise<unknown>;

export interface WebexAdapterOptions {
  /** The command layer, in this thread or in workers (bot/commands/remote.ts). */
  layer: CommandRunner;
  config: BotConfig;
  logger: Logger;
  /** Counts the verified events that ran nothing (`chat_event_dropped`). */
  metrics?: Metrics;
  /** Where a write's "job started" went, so that a restart can follow up in its thread. */
  threads?: ChatThreadsPort;
}

/** What a Webex webhook POST carries (the envelope; the message itself is fetched). */
const webhookEnvelope = z.object({
  name: z.string(),
  resource: z.string(),
  event: z.string(),
  data: z.object({ id: z.string().min(1) }).passthrough(),
});

/** Constant-time check of X-Spark-Signature against the raw body. */
export function validWebexSignature(
  raw: Buffer,
  header: string | undefined,
  secret: string,
): boolean {
  if (!header || !/^[0-9a-f]{40}$/i.test(header)) return false;
  const want = createHmac('sha1', secret).update(raw).digest();
  return timingSafeEqual(want, Buffer.from(header, 'hex'));
}

/** Webex's webhook bodies are a few hundred bytes (the message is fetched): 1 MB is plenty. */
const MAX_BODY = 1_000_000;

export class WebexAdapter {
  private readonly log: Logger;
  private readonly pending = new Set<Promise<unknown>>();

  /** Messages and card actions the framework handed to this adapter (by id), while handled. */
  private readonly reached = new Set<string>();

  private constructor(
    private readonly opts: WebexAdapterOptions,
    readonly framework: Framework,
    private readonly processEvent: ProcessEvent,
  ) {
    this.log = opts.logger.child({ component: 'webex' });
  }

  /**
   * Starts the framework: reads the bot's identity, (re)creates its webhooks at
   * `bot.webex.webhookUrl` with the secret, and spawns a bot per space it is in.
   */
  static async start(opts: WebexAdapterOptions): Promise<WebexAdapter> {
    const w = opts.config.webex;
    // The Webex SDK reads its API base (HYDRA_SERVICE_URL) once, when it is first loaded:
    // the composition root sets it from bot.webex.apiUrl before this runs.
    const mod = (await import('webex-node-bot-framework')) as unknown as { default: FrameworkCtor };
    const processEvent =
      (await import('webex-node-bot-framework/lib/process-event.js')) as unknown as {
        default: ProcessEvent;
      };
    const framework = new mod.default({
      token: w.botToken,
      webhookUrl: w.webhookUrl,
      webhookSecret: w.webhookSecret,
      messageFormat: 'markdown',
      removeWebhooksOnStart: false,
    });
    const a = new WebexAdapter(opts, framework, processEvent.default);
    a.routes();
    const initialized = new Promise<void>((resolve) =>
      framework.on('initialized', () => resolve()),
    );
    await framework.start();
    await initialized;
    return a;
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
    // The framework's stop deletes the bot's webhook (found by listing them, by name). Every
    // instance of a pair shares that one webhook (issue 24): deleting it when one instance stops
    // cleanly would leave the other deaf to Webex until it restarted. So the stop lists none and
    // the webhook stays; a start re-creates it anyway (the framework replaces the one of its
    // name), and while no instance runs Webex's posts simply fail.
    const hooks = this.framework.webex.webhooks;
    if (hooks) hooks.list = () => Promise.resolve({ items: [] });
    await this.framework.stop();
  }

  /**
   * The /webex/events route of the shared listener (POSTs only): 413 over 1 MB, 401 unless
   * signed with the webhook secret, 400 unless JSON, else 200 and the event is processed.
   */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_BODY) {
      this.tooLarge(res);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > MAX_BODY) {
        over = true;
        chunks.length = 0;
        this.tooLarge(res);
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (over) return;
      const raw = Buffer.concat(chunks);
      const sig = req.headers['x-spark-signature'];
      if (
        !validWebexSignature(
          raw,
          typeof sig === 'string' ? sig : undefined,
          this.opts.config.webex.webhookSecret!,
        )
      ) {
        this.log.warn('refused a Webex webhook with a missing or wrong signature');
        res.writeHead(401).end();
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        this.log.warn('refused a signed Webex webhook whose body is not JSON');
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      this.track(this.dispatch(body));
    });
  };

  private tooLarge(res: ServerResponse): void {
    this.log.warn('refused a Webex webhook over 1 MB');
    if (!res.headersSent) res.writeHead(413, { connection: 'close' }).end();
  }

  /** A verified event that will run nothing: logged and counted, with why. */
  private dropped(reason: ChatEventDropReason, fields: Record<string, unknown>): void {
    this.log.warn('a verified Webex event was not processed', { reason, ...fields });
    recordSafely(this.opts.metrics, { kind: 'chat_event_dropped', platform: 'webex', reason });
  }

  /**
   * One verified event body. Messages and card actions are fetched here and handed to the
   * framework, which emits 'message' / 'attachmentAction' to `routes()`; what never reaches
   * them (and is not the bot's own message, or one without text) is dropped out loud. Other
   * resources (memberships, rooms) go to the framework's own handling, minus its signature check.
   */
  private async dispatch(body: unknown): Promise<void> {
    const ev = webhookEnvelope.safeParse(body);
    if (!ev.success) {
      this.dropped('malformed', { problem: ev.error.issues[0]?.message ?? 'not an event' });
      return;
    }
    const { name, resource, event, data } = ev.data;
    const hook = this.framework.webhook;
    if (!hook || name !== hook.name) {
      this.dropped('other_webhook', { resource, event });
      return;
    }
    const kind =
      event !== 'created'
        ? undefined
        : resource === 'messages'
          ? 'message'
          : resource === 'attachmentActions'
            ? 'attachmentAction'
            : undefined;
    if (!kind) {
      await this.processEvent(this.framework, body);
      return;
    }
    let item: WebexMessageObject | WebexAttachmentActionObject;
    try {
      item =
        kind === 'message'
          ? await this.framework.webex.messages.get(data.id)
          : await this.framework.webex.attachmentActions.get(data.id);
    } catch (e) {
      this.dropped('fetch_failed', { resource, error: e instanceof Error ? e.message : String(e) });
      return;
    }
    try {
      if (kind === 'message') await this.framework.onMessageCreated(item);
      else await this.framework.onAttachmentActions(item);
    } catch (e) {
      this.reached.delete(item.id);
      this.dropped('failed', { resource, error: e instanceof Error ? e.message : String(e) });
      return;
    }
    // The framework emits synchronously once it has the trigger: the mark is set by now.
    if (this.reached.delete(item.id)) return;
    const m = item as WebexMessageObject;
    const ours = kind === 'message' && m.personId === this.framework.person.id;
    const empty = kind === 'message' && !m.text?.trim();
    if (!ours && !empty) this.dropped('failed', { resource, why: 'the framework did not emit it' });
  }

  /** Posts a message to a space (alert delivery); returns the message id. */
  async post(roomId: string, m: WebexMessage, parentId?: string): Promise<string> {
    const r = await this.framework.webex.messages.create({
      roomId,
      ...m,
      ...(parentId ? { parentId } : {}),
    });
    return r.id;
  }

  /** Webex's REST API base (the same one the SDK was pointed at) and the bot's token. */
  private async api(path: string, init: RequestInit): Promise<Record<string, unknown>> {
    const w = this.opts.config.webex;
    const base = (w.apiUrl ?? 'https://webexapis.com/v1').replace(/\/$/, '');
    const r = await fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${w.botToken!}`, ...(init.headers ?? {}) },
    });
    const text = await r.text();
    if (r.status === 429) {
      const after = Number(r.headers.get('retry-after') ?? '1');
      throw new RetryLater((Number.isFinite(after) ? after : 1) * 1000, 'Webex rate limit');
    }
    if (!r.ok) {
      let why = text.slice(0, 200);
      try {
        const msg = (JSON.parse(text) as { message?: unknown }).message;
        if (typeof msg === 'string') why = msg;
      } catch {
        /* not JSON: keep the text */
      }
      throw new Error(`Webex ${init.method ?? 'GET'} ${path}: HTTP ${r.status} ${why}`);
    }
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  /** Edits a message the bot sent (PUT /messages/{messageId}); cards stay as they were. */
  async edit(roomId: string, messageId: string, m: WebexMessage): Promise<void> {
    await this.api(`/messages/${encodeURIComponent(messageId)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ roomId, markdown: m.markdown }),
    });
  }

  /** Posts a reply with its file attached (multipart POST /messages, one file per message). */
  async postFile(roomId: string, reply: Reply, parentId?: string): Promise<string> {
    const f = reply.file!;
    const form = new FormData();
    form.append('roomId', roomId);
    if (parentId) form.append('parentId', parentId);
    form.append('markdown', renderWebex(reply).markdown);
    form.append('files', new Blob([Buffer.from(f.content)], { type: f.mime }), f.name);
    const r = await this.api('/messages', { method: 'POST', body: form });
    return String(r.id);
  }

  /**
   * The send side for alert delivery (bot/notify): a new alert is posted, a change edits that
   * message in place and is answered in its thread.
   */
  sender(): ChatSender {
    return {
      post: (room, reply, parentId) => this.post(room, renderWebex(reply), parentId),
      update: (room, messageId, reply) => this.edit(room, messageId, renderWebex(reply)),
    };
  }

  private track(p: Promise<unknown>): void {
    const q = p
      .catch((e: unknown) => this.dropped('failed', { error: e instanceof Error ? e.message : e }))
      .finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  private actor(t: WebexTrigger, roomId: string): Actor {
    const email = (t.person.emails?.[0] ?? t.person.id).toLowerCase();
    return {
      platform: 'webex',
      userId: email,
      ...(t.person.displayName ? { displayName: t.person.displayName } : {}),
      channelId: roomId,
    };
  }

  /** The command in a message, or undefined when the message is not for us. */
  commandOf(t: WebexTrigger): string | undefined {
    const m = t.message;
    if (!m) return undefined;
    let text = (t.text ?? '').trim();
    const group = m.roomType === 'group';
    const mentioned = m.mentionedPeople?.includes(this.framework.person.id) === true;
    if (group && !mentioned) return undefined;
    const name = this.framework.person.displayName;
    if (mentioned && name && text.toLowerCase().startsWith(name.toLowerCase()))
      text = text.slice(name.length).trim();
    const kw = this.opts.config.webex.keyword.toLowerCase();
    const first = text.split(/\s+/)[0]?.toLowerCase();
    if (first === kw) return text.slice(first.length).trim();
    // In a 1:1 space the keyword may be left out; in a group it is required after the mention.
    return group ? undefined : text;
  }

  private routes(): void {
    this.framework.on('message', (...args: unknown[]) => {
      const [bot, trigger] = args as [WebexBot, WebexTrigger];
      this.reached.add(trigger.id);
      const line = this.commandOf(trigger);
      if (line === undefined || trigger.person.id === this.framework.person.id) return;
      this.track(
        this.run(bot, line, this.actor(trigger, bot.room.id), trigger.message!.id, undefined),
      );
    });
    this.framework.on('attachmentAction', (...args: unknown[]) => {
      const [bot, trigger] = args as [WebexBot, WebexTrigger];
      this.reached.add(trigger.id);
      const inputs = trigger.attachmentAction?.inputs ?? {};
      if (inputs.smartlic === 'cancel') {
        this.track(bot.reply(trigger.attachmentAction!.messageId, { markdown: 'Cancelled.' }));
        return;
      }
      if (inputs.smartlic !== 'command' || typeof inputs.command !== 'string') return;
      // A confirmation is its ticket: a submit that claims `confirmed` without one is judged
      // (and refused, audited) as a press with no ticket, never run.
      const ticket =
        typeof inputs.ticket === 'string'
          ? inputs.ticket
          : 'ticket' in inputs || inputs.confirmed !== undefined
            ? ''
            : undefined;
      this.track(
        this.run(
          bot,
          inputs.command,
          this.actor(trigger, bot.room.id),
          trigger.attachmentAction!.messageId,
          ticket,
        ),
      );
    });
  }

  /**
   * Answers in the thread, in as many messages as the reply needs within Webex's size limit
   * (bot/render/webex.ts); resolves with the first one.
   */
  private async say(bot: WebexBot, replyTo: string, reply: Reply): Promise<{ id: string }> {
    const siteUrl = this.opts.config.siteUrl;
    const [head, ...rest] = renderWebexMessages(reply, siteUrl ? { siteUrl } : {});
    const first = await bot.reply(replyTo, { ...head! });
    for (const m of rest) await bot.reply(replyTo, { ...m });
    return first;
  }

  private async run(
    bot: WebexBot,
    line: string,
    actor: Actor,
    replyTo: string,
    ticket: string | undefined,
  ): Promise<void> {
    const o = await this.opts.layer.execute(line, actor, ticket !== undefined ? { ticket } : {});
    if (o.reply.file && !o.followUp) {
      try {
        await this.postFile(bot.room.id, o.reply, replyTo);
        return;
      } catch (e) {
        this.log.warn('file upload to Webex failed', { error: e, room: bot.room.id });
        const why = e instanceof Error ? e.message : String(e);
        const reply: Reply = {
          ...o.reply,
          blocks: [
            ...o.reply.blocks,
            {
              kind: 'context',
              text: `Could not attach ${o.reply.file.name} (${why}): set bot.siteUrl (SMARTLIC_SITE_URL) so that reports are links to the site.`,
            },
          ],
        };
        await this.say(bot, replyTo, reply);
        return;
      }
    }
    const first = await this.say(bot, replyTo, o.reply);
    if (o.followUp && o.reply.jobId !== undefined)
      await recordThread(this.opts.threads, this.log, {
        jobId: o.reply.jobId,
        platform: 'webex',
        channel: bot.room.id,
        // The asking message roots the thread (Webex threads are one level deep).
        threadRef: replyTo,
      });
    if (o.followUp) {
      const done = await o.followUp;
      await this.say(bot, first.id ?? replyTo, done);
    }
  }
}
