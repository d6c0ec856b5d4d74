/**
 * A fake Slack on 127.0.0.1: the Web API methods smartlic calls (`POST /api/<method>`, form or
 * JSON, Bearer token checked), response URLs (`POST /response/<id>`), and a signer for the
 * requests Slack sends to an app (slash commands, interactions, events) with the real v0
 * signature scheme. Messages are kept per channel so tests can read what was posted, updated
 * or threaded. `rateLimit(n, s)` answers the next n Web API calls with 429 + Retry-After.
 *
 * Files follow Slack's external upload flow (what WebClient.filesUploadV2 does):
 * `files.getUploadURLExternal` (filename, length) answers an `upload_url` and a `file_id`; the
 * bytes are POSTed to that URL (raw, or as multipart form data); `files.completeUploadExternal`
 * (files = [{id, title}], channel_id, optional thread_ts and initial_comment) shares them. A
 * file whose bytes never arrived, or not as many as announced, cannot be completed.
 *
 * Socket Mode: `apps.connections.open` with the app-level token (xapp-…) answers the URL of a
 * WebSocket server on loopback, which greets each connection with a `hello` message and can
 * deliver envelopes (`{envelope_id, type, payload, accepts_response_payload}`) the app must
 * acknowledge by sending back `{envelope_id}` (optionally with a `payload`).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { startFakeServer, json, parseMultipart, type FakeServer } from './fake-http.ts';

export interface SlackMessageRecord {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks: unknown[];
  /** Each chat.update appends the new text. */
  edits: string[];
  /** Message metadata posted with it (event_type, event_payload). */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

export interface SlackFileRecord {
  id: string;
  filename: string;
  length: number;
  title?: string;
  /** The bytes posted to the upload URL (undefined until they arrive). */
  bytes?: Buffer;
  /** Where completeUploadExternal shared it. */
  channel?: string;
  threadTs?: string;
  initialComment?: string;
}

export interface FakeSlack {
  server: FakeServer;
  apiUrl: string;
  botToken: string;
  signingSecret: string;
  messages: SlackMessageRecord[];
  responses: { id: string; body: Record<string, unknown>; at: number }[];
  calls: { method: string; body: Record<string, unknown>; status: number; at: number }[];
  homeViews: { user: string; view: Record<string, unknown> }[];
  /** Files by id, as the upload flow left them. */
  files: SlackFileRecord[];
  /** The app-level token that opens Socket Mode connections. */
  appToken: string;
  /** Open Socket Mode connections. */
  socketClients(): number;
  /**
   * Sends an envelope to the connected app and resolves with its acknowledgement and how long
   * it took (rejects after `ms` without one).
   */
  sendEnvelope(
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: Record<string, unknown>,
    ms?: number,
  ): Promise<{ ack: Record<string, unknown>; ms: number }>;
  rateLimit(times: number, retryAfterS: number): void;
  /**
   * Each chat.postMessage is recorded at once but answered `ms` later (0: at once): a sender
   * killed meanwhile has posted without learning the message's ts.
   */
  slowPosts(ms: number): void;
  /**
   * From now on each chat.postMessage is recorded at once and its answer held until
   * `releasePosts()`: a sender killed meanwhile has posted without learning the message's ts,
   * however long the kill takes to land (no race against a delay).
   */
  holdPosts(): void;
  /** Answers every held post (a sender that died meanwhile gets nothing) and stops holding. */
  releasePosts(): void;
  /** The messages whose chat.postMessage answers are held now, oldest first. */
  heldPosts(): SlackMessageRecord[];
  /** Waits until `pred` holds (polling), or throws after `ms`. */
  waitFor<T>(pred: () => T | undefined | false, ms?: number): Promise<T>;
  responseUrl(): string;
  sign(body: string, at?: number): Record<string, string>;
  close(): Promise<void>;
}

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);

function parseBody(ct: string | undefined, body: string): Record<string, unknown> {
  if (!body) return {};
  if (ct?.includes('application/json')) return JSON.parse(body) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    out[k] = /^[[{]/.test(v) ? (JSON.parse(v) as unknown) : v;
  }
  return out;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const botToken = `xoxb-fake-${randomUUID()}`;
  const appToken = `xapp-fake-${randomUUID()}`;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const wsPort = (wss.address() as { port: number }).port;
  const acks = new Map<string, (m: Record<string, unknown>) => void>();
  wss.on('connection', (...args: unknown[]) => {
    const ws = args[0] as WebSocket;
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: wss.clients.size,
        debug_info: { host: 'fake-slack', approximate_connection_time: 3600 },
        connection_info: { app_id: 'A0FAKE' },
      }),
    );
    ws.on('message', (data: unknown) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(String(data)) as Record<string, unknown>;
      } catch {
        return;
      }
      const id = typeof m.envelope_id === 'string' ? m.envelope_id : undefined;
      if (id) acks.get(id)?.(m);
    });
  });
  const signingSecret = randomUUID().replace(/-/g, '');
  let seq = 1_700_000_000;
  let limited = 0;
  let retryAfter = 1;
  let postDelayMs = 0;
  let holding = false;
  const held: { rec: SlackMessageRecord; answer: () => void }[] = [];
  const fake = {} as FakeSlack;
  const server = await startFakeServer((req, res) => {
    const body = parseBody(req.headers['content-type'], req.body);
    const at = Date.now();
    if (req.path.startsWith('/upload/')) {
      // The upload URL: the bytes of one file, raw or as a multipart form with one file part.
      const f = fake.files.find((x) => x.id === req.path.slice('/upload/'.length));
      if (!f || req.method !== 'POST') return json(res, 404, { ok: false });
      const parts = parseMultipart(req.raw, req.headers['content-type']);
      const bytes = parts ? parts.find((x) => x.filename !== undefined)?.data : req.raw;
      if (!bytes) return json(res, 400, { ok: false });
      f.bytes = bytes;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`OK - ${bytes.length}`);
      return;
    }
    if (req.path.startsWith('/response/')) {
      fake.responses.push({ id: req.path.slice('/response/'.length), body, at });
      return json(res, 200, { ok: true });
    }
    const m = /^\/api\/([a-zA-Z.]+)/.exec(req.path);
    if (!m) return json(res, 404, { ok: false, error: 'unknown_path' });
    const method = m[1]!;
    if (limited > 0) {
      limited--;
      fake.calls.push({ method, body, status: 429, at });
      return json(
        res,
        429,
        { ok: false, error: 'ratelimited' },
        { 'retry-after': String(retryAfter) },
      );
    }
    fake.calls.push({ method, body, status: 200, at });
    const token =
      (req.headers.authorization ?? '').replace(/^Bearer /, '') || (body.token as string);
    if (method === 'apps.connections.open') {
      // Only an app-level token opens a Socket Mode connection.
      if (token !== appToken) return json(res, 200, { ok: false, error: 'not_allowed_token_type' });
      return json(res, 200, {
        ok: true,
        url: `ws://127.0.0.1:${wsPort}/link/?ticket=${randomUUID()}&app_id=A0FAKE`,
      });
    }
    if (token !== botToken) return json(res, 200, { ok: false, error: 'invalid_auth' });
    switch (method) {
      case 'auth.test':
        return json(res, 200, {
          ok: true,
          url: 'https://fake.slack.com/',
          team: 'Fake',
          user: 'smartlic',
          team_id: 'T0FAKE',
          user_id: 'U0BOT',
          bot_id: 'B0BOT',
        });
      case 'chat.postMessage': {
        const channel = String(body.channel);
        if (channel.startsWith('CNOTIN'))
          return json(res, 200, { ok: false, error: 'not_in_channel' });
        const ts = `${seq++}.000100`;
        const md = body.metadata as SlackMessageRecord['metadata'] | undefined;
        const rec: SlackMessageRecord = {
          channel,
          ts,
          text: str(body.text),
          blocks: (body.blocks as unknown[]) ?? [],
          edits: [],
          ...(body.thread_ts ? { threadTs: str(body.thread_ts) } : {}),
          ...(md && typeof md.event_type === 'string' ? { metadata: md } : {}),
        };
        fake.messages.push(rec);
        const answer = () => json(res, 200, { ok: true, channel, ts, message: { text: rec.text } });
        if (holding) {
          held.push({ rec, answer });
          return;
        }
        if (postDelayMs > 0) {
          setTimeout(answer, postDelayMs);
          return;
        }
        return answer();
      }
      case 'conversations.history':
      case 'conversations.replies': {
        // Newest first, as Slack answers; replies: the parent and its thread. Metadata only
        // with include_all_metadata, as Slack does.
        const withMd = body.include_all_metadata === true || body.include_all_metadata === 'true';
        const list = fake.messages
          .filter(
            (x) =>
              x.channel === body.channel &&
              (method === 'conversations.history'
                ? x.threadTs === undefined
                : x.ts === body.ts || x.threadTs === body.ts),
          )
          .slice()
          .reverse()
          .slice(0, Number(body.limit ?? 100))
          .map((x) => ({
            type: 'message',
            ts: x.ts,
            text: x.text,
            ...(x.threadTs ? { thread_ts: x.threadTs } : {}),
            ...(withMd && x.metadata ? { metadata: x.metadata } : {}),
          }));
        return json(res, 200, { ok: true, messages: list, has_more: false });
      }
      case 'chat.update': {
        const rec = fake.messages.find((x) => x.channel === body.channel && x.ts === body.ts);
        if (!rec) return json(res, 200, { ok: false, error: 'message_not_found' });
        rec.text = str(body.text);
        rec.blocks = (body.blocks as unknown[]) ?? [];
        rec.edits.push(rec.text);
        return json(res, 200, { ok: true, channel: rec.channel, ts: rec.ts });
      }
      case 'files.getUploadURLExternal': {
        const length = Number(body.length);
        if (typeof body.filename !== 'string' || body.filename === '' || !(length > 0))
          return json(res, 200, { ok: false, error: 'invalid_arguments' });
        const id = `F${String(fake.files.length + 1).padStart(8, '0')}`;
        fake.files.push({ id, filename: body.filename, length });
        return json(res, 200, { ok: true, upload_url: `${server.url}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        const list = Array.isArray(body.files)
          ? (body.files as { id?: string; title?: string }[])
          : [];
        if (list.length === 0) return json(res, 200, { ok: false, error: 'invalid_arguments' });
        const channel = typeof body.channel_id === 'string' ? body.channel_id : undefined;
        if (channel?.startsWith('CNOTIN'))
          return json(res, 200, { ok: false, error: 'not_in_channel' });
        const found = list.map((x) => fake.files.find((f) => f.id === x.id));
        if (found.some((f) => !f?.bytes || f.bytes.length !== f.length))
          return json(res, 200, { ok: false, error: 'file_not_found' });
        for (const [i, f] of found.entries()) {
          Object.assign(f!, {
            ...(list[i]!.title ? { title: list[i]!.title } : {}),
            ...(channel ? { channel } : {}),
            ...(typeof body.thread_ts === 'string' ? { threadTs: body.thread_ts } : {}),
            ...(typeof body.initial_comment === 'string'
              ? { initialComment: body.initial_comment }
              : {}),
          });
        }
        return json(res, 200, {
          ok: true,
          files: found.map((f) => ({
            id: f!.id,
            name: f!.filename,
            title: f!.title ?? f!.filename,
          })),
        });
      }
      case 'views.publish':
        fake.homeViews.push({
          user: String(body.user_id),
          view: body.view as Record<string, unknown>,
        });
        return json(res, 200, { ok: true, view: { id: 'V1' } });
      default:
        return json(res, 200, { ok: false, error: 'unknown_method' });
    }
  });
  Object.assign(fake, {
    server,
    apiUrl: `${server.url}/api/`,
    botToken,
    signingSecret,
    messages: [],
    responses: [],
    calls: [],
    homeViews: [],
    files: [],
    appToken,
    socketClients: () => wss.clients.size,
    sendEnvelope(
      type: 'slash_commands' | 'interactive' | 'events_api',
      payload: Record<string, unknown>,
      ms = 10_000,
    ) {
      const ws = [...wss.clients][0];
      if (!ws) return Promise.reject(new Error('fake slack: no Socket Mode connection'));
      const envelopeId = randomUUID();
      const t0 = performance.now();
      return new Promise<{ ack: Record<string, unknown>; ms: number }>((resolve, reject) => {
        const timer = setTimeout(() => {
          acks.delete(envelopeId);
          reject(new Error(`fake slack: envelope ${type} not acknowledged in ${ms} ms`));
        }, ms);
        acks.set(envelopeId, (ack) => {
          clearTimeout(timer);
          acks.delete(envelopeId);
          resolve({ ack, ms: performance.now() - t0 });
        });
        ws.send(
          JSON.stringify({
            envelope_id: envelopeId,
            type,
            payload,
            accepts_response_payload: type !== 'events_api',
          }),
        );
      });
    },
    slowPosts(ms: number) {
      postDelayMs = ms;
    },
    holdPosts() {
      holding = true;
    },
    releasePosts() {
      holding = false;
      for (const { answer } of held.splice(0)) {
        try {
          answer();
        } catch {
          /* the sender's connection died with it: nobody to answer */
        }
      }
    },
    heldPosts: () => held.map((h) => h.rec),
    rateLimit(times: number, s: number) {
      limited = times;
      retryAfter = s;
    },
    async waitFor<T>(pred: () => T | undefined | false, ms = 10_000): Promise<T> {
      const end = Date.now() + ms;
      for (;;) {
        const v = pred();
        if (v) return v;
        if (Date.now() > end) throw new Error('fake slack: condition not met in time');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    responseUrl: () => `${server.url}/response/${randomUUID()}`,
    sign(body: string, at = Math.floor(Date.now() / 1000)) {
      const sig = createHmac('sha256', signingSecret).update(`v0:${at}:${body}`).digest('hex');
      return { 'x-slack-signature': `v0=${sig}`, 'x-slack-request-timestamp': String(at) };
    },
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await server.close();
    },
  });
  return fake;
}

/** The form body Slack posts for a slash command. */
export function slashCommandBody(f: {
  command?: string;
  text: string;
  user: string;
  channel: string;
  responseUrl: string;
}): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0FAKE',
    team_domain: 'fake',
    channel_id: f.channel,
    channel_name: 'ops',
    user_id: f.user,
    user_name: f.user.toLowerCase(),
    command: f.command ?? '/license',
    text: f.text,
    api_app_id: 'A0FAKE',
    is_enterprise_install: 'false',
    response_url: f.responseUrl,
    trigger_id: `${Date.now()}.trigger`,
  }).toString();
}

/** The form body of a block_actions interaction (a button press). */
export function buttonPressBody(f: {
  user: string;
  channel: string;
  actionId: string;
  value: string;
  responseUrl: string;
}): string {
  const payload = {
    type: 'block_actions',
    user: { id: f.user, username: f.user.toLowerCase(), team_id: 'T0FAKE' },
    api_app_id: 'A0FAKE',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: '1.1', channel_id: f.channel, is_ephemeral: true },
    trigger_id: `${Date.now()}.trigger`,
    team: { id: 'T0FAKE', domain: 'fake' },
    channel: { id: f.channel, name: 'ops' },
    response_url: f.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: f.actionId,
        block_id: 'b1',
        text: { type: 'plain_text', text: 'x' },
        value: f.value,
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
