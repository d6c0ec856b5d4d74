// Issue 20, "Webex events must not vanish": a webhook validly signed over its raw bytes runs
// its command whatever the JSON's spelling (spaces, `\/`, `\u00e9` escapes), and a verified
// event that cannot run is logged and counted, never silently dropped.
// Real: webex-node-bot-framework (and the Webex SDK under it) behind the adapter, the
// adapter's /webex/events route on smartlic's HTTP listener on 127.0.0.1 with real HMAC-SHA1
// signatures, the command layer over real services and a SQLite temp file; a logger and a
// metrics port that keep what they are given. Faked: Webex's API (test/fakes/fake-webex.ts).
// Covers bot/webex/webex-adapter.ts (handler, dispatch), bot/http.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatServer, type ChatServer } from '../../../bot/http.ts';
import { WebexAdapter } from '../../../bot/webex/webex-adapter.ts';
import { loadConfig } from '../../../core/config.ts';
import { createLogger } from '../../../core/log.ts';
import type { MetricEvent } from '../../../core/index.ts';
import { startFakeWebex, type FakePerson, type FakeWebex } from '../../fakes/fake-webex.ts';
import { setup, type Fixture } from '../sync-fixture.ts';
import { fixtureLayer } from './layer-fixture.ts';

const SECRET = 'webex-webhook-secret-raw-body';
let fx: Fixture;
let webex: FakeWebex;
let adapter: WebexAdapter;
let http: ChatServer;
let alice: FakePerson;
const events: MetricEvent[] = [];
const logs: Record<string, unknown>[] = [];

async function deliver(body: string) {
  const r = await fetch(`${http.url}/webex/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-spark-signature': webex.sign(body, SECRET) },
    body,
  });
  return r.status;
}

const drops = () =>
  events.filter((e): e is Extract<MetricEvent, { kind: 'chat_event_dropped' }> => {
    return e.kind === 'chat_event_dropped';
  });

beforeAll(async () => {
  fx = await setup();
  webex = await startFakeWebex();
  alice = webex.addPerson('alice@example.com', 'Alice');
  const config = loadConfig({
    env: {},
    overrides: {
      ...fx.config,
      bot: {
        webex: {
          botToken: webex.token,
          webhookUrl: 'https://smartlic.example.com/webex/events',
          webhookSecret: SECRET,
          apiUrl: webex.apiUrl,
        },
      },
    },
  });
  const layer = fixtureLayer(fx, config);
  process.env.HYDRA_SERVICE_URL = config.bot.webex.apiUrl;
  adapter = await WebexAdapter.start({
    layer,
    config: config.bot,
    logger: createLogger({
      level: 'warn',
      write: (l) => logs.push(JSON.parse(l) as Record<string, unknown>),
    }),
    metrics: { record: (e) => events.push(e) },
  });
  http = await startChatServer({ webex: adapter.handler }, '127.0.0.1', 0);
});
afterAll(async () => {
  await adapter?.stop();
  await http?.close();
  await webex?.close();
  await fx?.close();
});

describe('a Webex webhook is verified once, over the bytes Webex signed', () => {
  const spellings: [string, (compact: string) => string][] = [
    ['spaced JSON', (b) => JSON.stringify(JSON.parse(b) as unknown, null, 2)],
    ['`\\/` escapes', (b) => b.replace(/\//g, '\\/')],
    [
      '`\\u00e9` escapes',
      (b) =>
        b.replace(
          '"orgId":"ORG"',
          '"orgId":"ORG","orgName":"Soci\\u00e9t\\u00e9 G\\u00e9n\\u00e9rale"',
        ),
    ],
  ];
  for (const [what, spell] of spellings) {
    it(`answers the command of a signed webhook written with ${what}`, async () => {
      const room = webex.direct(alice);
      const id = webex.incoming(room, alice, 'license whoami');
      const body = spell(webex.webhookBody('messages', id, room, alice));
      // Not what the framework's check would have compared against.
      expect(body).not.toBe(JSON.stringify(JSON.parse(body) as unknown));
      expect(await deliver(body)).toBe(200);
      const sent = await webex.waitFor(() => webex.sent.find((m) => m.parentId === id));
      expect(sent.markdown).toContain('webex:alice@example.com');
    });
  }

  it('runs a card press signed with escapes too', async () => {
    const room = webex.direct(alice);
    const action = webex.cardAction(room, alice, { smartlic: 'cancel' });
    const body = webex.webhookBody('attachmentActions', action, room, alice).replace(/\//g, '\\/');
    expect(await deliver(body)).toBe(200);
    const sent = await webex.waitFor(() => webex.sent.find((m) => m.markdown === 'Cancelled.'));
    expect(sent.roomId).toBe(room.id);
  });
});

describe('a verified event that cannot run is logged and counted', () => {
  it('a body that is not a Webex event: malformed', async () => {
    const before = drops().length;
    expect(await deliver('{"hello":"world"}')).toBe(200);
    await webex.waitFor(() => drops().length > before);
    expect(drops().at(-1)).toEqual({
      kind: 'chat_event_dropped',
      platform: 'webex',
      reason: 'malformed',
    });
    expect(logs.at(-1)).toMatchObject({
      msg: 'a verified Webex event was not processed',
      reason: 'malformed',
    });
  });

  it('an event of another webhook: other_webhook', async () => {
    const room = webex.direct(alice);
    const id = webex.incoming(room, alice, 'license whoami');
    const body = webex
      .webhookBody('messages', id, room, alice)
      .replace(/"name":"[^"]*"/, '"name":"somebody else\'s webhook"');
    const before = drops().length;
    expect(await deliver(body)).toBe(200);
    await webex.waitFor(() => drops().length > before);
    expect(drops().at(-1)?.reason).toBe('other_webhook');
    expect(webex.sent.find((m) => m.parentId === id)).toBeUndefined();
  });

  it('a message Webex cannot give back: fetch_failed, with the error', async () => {
    const room = webex.direct(alice);
    const body = webex.webhookBody('messages', 'MESSAGE-THAT-IS-GONE', room, alice);
    const before = drops().length;
    expect(await deliver(body)).toBe(200);
    await webex.waitFor(() => drops().length > before);
    expect(drops().at(-1)?.reason).toBe('fetch_failed');
    expect(logs.at(-1)).toMatchObject({ reason: 'fetch_failed', resource: 'messages' });
    // The bot's token never reaches the log.
    expect(JSON.stringify(logs)).not.toContain(webex.token);
  });

  it('the bot’s own message and a message for nobody are processed quietly (nothing counted)', async () => {
    const room = webex.group();
    const quiet = webex.incoming(room, alice, 'just chatting', false);
    const before = drops().length;
    const body = webex.webhookBody('messages', quiet, room, alice);
    expect(await deliver(body)).toBe(200);
    // Settled by the event, not the clock: the webhook's processing has ended.
    await adapter.idle();
    expect(drops().length).toBe(before);
  });
});
