// `license transfer` and `cluster remove-instance` from chat (issue 25): the confirmation shows
// both VAs' allocation before and after, a confirm press runs the transfer as a job whose
// follow-up lands in the thread, and a refusal asks nothing and sends nothing.
// Real: Bolt's HTTPReceiver (Slack v0 signatures) and webex-node-bot-framework (HMAC-SHA1
// webhooks) on smartlic's HTTP listener on 127.0.0.1; the command layer over the real services,
// a SQLite temp file and the emulator as CSSM (its request journal as the request log).
// Faked: Slack and Webex themselves (test/fakes/fake-slack.ts, test/fakes/fake-webex.ts).
// Covers: bot/commands/handlers/transfers.ts, bot/commands/layer.ts (preview before the
// confirmation), bot/slack and bot/webex (transport of the confirmation).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatServer, type ChatServer } from '../../../bot/http.ts';
import { SlackAdapter } from '../../../bot/slack/slack-adapter.ts';
import { WebexAdapter } from '../../../bot/webex/webex-adapter.ts';
import { loadConfig } from '../../../core/config.ts';
import { silentLogger } from '../../../core/log.ts';
import type { JournalEntry } from '../../../emulator/index.ts';
import {
  buttonPressBody,
  slashCommandBody,
  startFakeSlack,
  type FakeSlack,
} from '../../fakes/fake-slack.ts';
import { startFakeWebex, type FakePerson, type FakeWebex } from '../../fakes/fake-webex.ts';
import { provisionCloud, seedClusters, setup, type Fixture } from '../sync-fixture.ts';
import { fixtureLayer } from './layer-fixture.ts';

const HCS = 'nimbus-hcs.example.com';
const SECRET = 'webex-webhook-secret-for-transfer-tests';
let fx: Fixture;
let slack: FakeSlack;
let slackAdapter: SlackAdapter;
let webex: FakeWebex;
let webexAdapter: WebexAdapter;
let oscar: FakePerson;
let http: ChatServer;
const journal: JournalEntry[] = [];
const transfers = () => journal.filter((e) => e.url.includes('/licenses/transfer'));

async function owned(va: string, license: string): Promise<number> {
  const st = await fx.state();
  return (
    st.smartAccounts
      .find((s) => s.domain === HCS)!
      .virtualAccounts.find((v) => v.name === va)!
      .licenses.find((l) => l.license === license)?.quantity ?? 0
  );
}

async function slackPost(body: string) {
  const r = await fetch(`${http.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...slack.sign(body) },
    body,
  });
  expect(r.status).toBe(200);
}

async function slash(text: string, user: string, channel = 'C0XFER') {
  const responseUrl = slack.responseUrl();
  await slackPost(slashCommandBody({ text, user, channel, responseUrl }));
  const id = responseUrl.split('/').pop()!;
  return slack.waitFor(() => slack.responses.find((x) => x.id === id));
}

async function deliver(body: string) {
  const r = await fetch(`${http.url}/webex/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-spark-signature': webex.sign(body, SECRET) },
    body,
  });
  expect(r.status).toBe(200);
}

beforeAll(async () => {
  fx = await setup({ emulator: { journal: (e) => journal.push(e) } });
  await provisionCloud(fx, 0, true);
  await seedClusters(fx);
  await fx.services.sync.syncAll({ requestedBy: 'test', full: true });
  slack = await startFakeSlack();
  webex = await startFakeWebex();
  oscar = webex.addPerson('oscar@example.com', 'Oscar');
  const config = loadConfig({
    env: {},
    overrides: {
      ...fx.config,
      bot: {
        slack: {
          botToken: slack.botToken,
          signingSecret: slack.signingSecret,
          apiUrl: slack.apiUrl,
        },
        webex: {
          botToken: webex.token,
          webhookUrl: 'https://smartlic.example.com/webex/events',
          webhookSecret: SECRET,
          apiUrl: webex.apiUrl,
        },
        roles: { operator: ['slack:UOPER', 'webex:oscar@example.com'] },
      },
    },
  });
  const layer = fixtureLayer(fx, config);
  slackAdapter = await SlackAdapter.start({ layer, config: config.bot, logger: silentLogger });
  process.env.HYDRA_SERVICE_URL = config.bot.webex.apiUrl;
  webexAdapter = await WebexAdapter.start({
    layer,
    config: config.bot,
    logger: silentLogger,
    threads: fx.repos.chatThreads,
  });
  http = await startChatServer(
    { slack: slackAdapter.requestListener!, webex: webexAdapter.handler },
    '127.0.0.1',
    0,
  );
}, 60_000);
afterAll(async () => {
  await slackAdapter?.stop();
  await webexAdapter?.stop();
  await http?.close();
  await slack?.close();
  await webex?.close();
  await fx?.close();
});

describe('license transfer in Slack', () => {
  it('confirms with both VAs before and after, then runs the job and follows up in the thread', async () => {
    const line = `transfer ${HCS}/va-hcs-ordered ${HCS}/va-globex "HCS UCM Standard" 70`;
    const sentBefore = transfers().length;
    const ask = await slash(line, 'UOPER');
    expect(ask.body.response_type).toBe('ephemeral');
    const shown = JSON.stringify(ask.body.blocks);
    expect(shown).toContain(`${HCS}/va-hcs-ordered (source)`);
    expect(shown).toContain(`${HCS}/va-globex (target)`);
    expect(shown).toContain('before → after');
    expect(shown).toContain('shortages resolved in');
    expect(transfers().length, 'asking sends nothing').toBe(sentBefore);
    const actions = (
      ask.body.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]
    ).find((b) => b.type === 'actions')!;
    const btn = actions.elements![0]!;
    expect(JSON.parse(btn.value)).toMatchObject({
      command: `license transfer ${HCS}/va-hcs-ordered ${HCS}/va-globex "HCS UCM Standard" 70`,
    });
    await slackPost(
      buttonPressBody({
        user: 'UOPER',
        channel: 'C0XFER',
        actionId: btn.action_id,
        value: btn.value,
        responseUrl: slack.responseUrl(),
      }),
    );
    const started = await slack.waitFor(() =>
      slack.messages.find((m) => m.channel === 'C0XFER' && !m.threadTs && m.text.includes('job')),
    );
    const follow = await slack.waitFor(
      () => slack.messages.find((m) => m.threadTs === started.ts),
      20_000,
    );
    expect(follow.text).toContain(
      `Transferred 70 TERM HCS UCM Standard from ${HCS}/va-hcs-ordered to ${HCS}/va-globex`,
    );
    expect(transfers().length).toBe(sentBefore + 1);
    expect(await owned('va-globex', 'HCS UCM Standard')).toBe(220);
    const [entry] = await fx.repos.audit.list({
      actor: 'slack:UOPER',
      entityType: 'chat',
      limit: 1,
    });
    expect(entry?.details).toMatchObject({ outcome: 'job-started' });
  });

  it('refuses a bad quantity at once: no confirmation, nothing sent', async () => {
    const sentBefore = transfers().length;
    const r = await slash(
      `transfer ${HCS}/va-hcs-ordered ${HCS}/va-globex "HCS UCM Standard" 2.5`,
      'UOPER',
    );
    const shown = JSON.stringify(r.body);
    expect(shown).toContain('TRANSFER_QUANTITY');
    expect(shown).toContain('positive whole number');
    expect(shown).not.toContain('"actions"');
    expect(transfers().length).toBe(sentBefore);
  });

  it('denies a viewer', async () => {
    const r = await slash(
      `transfer ${HCS}/va-hcs-ordered ${HCS}/va-globex "HCS UCM Standard" 1`,
      'UVIEW',
    );
    expect(JSON.stringify(r.body)).toContain('needs the operator role');
  });
});

describe('license transfer in Webex', () => {
  it('confirms with an Adaptive Card showing before and after; pressing it moves the licenses', async () => {
    const room = webex.direct(oscar);
    const before = await owned('va-hcs-operational', 'HCS UCM TelePresence Room');
    const id = webex.incoming(
      room,
      oscar,
      `license transfer ${HCS}/va-hcs-ordered ${HCS}/va-hcs-operational "HCS UCM TelePresence Room" 5`,
    );
    await deliver(webex.webhookBody('messages', id, room, oscar));
    const card = await webex.waitFor(() => webex.sent.find((m) => m.parentId === id));
    expect(JSON.stringify(card)).toContain('before → after');
    const content = (
      card.attachments![0] as { content: { actions: { data: Record<string, unknown> }[] } }
    ).content;
    const data = content.actions[0]!.data;
    expect(data.ticket).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const seen = webex.sent.length;
    const actionId = webex.cardAction(room, oscar, data);
    await deliver(webex.webhookBody('attachmentActions', actionId, room, oscar));
    const done = await webex.waitFor(
      () =>
        webex.sent
          .slice(seen)
          .find((m) => m.roomId === room.id && m.markdown?.includes('Transferred 5 TERM')),
      20_000,
    );
    expect(done.parentId).toBeDefined();
    expect(await owned('va-hcs-operational', 'HCS UCM TelePresence Room')).toBe(before + 5);
  });
});

describe('cluster remove-instance in Slack', () => {
  it('shows the instance it will remove, and refuses one CSSM does not list', async () => {
    const unknown = await slash(`cluster remove-instance ${HCS}/va-acme no-such-node`, 'UOPER');
    expect(JSON.stringify(unknown.body)).toContain('NOT_FOUND');
    const sa = (await fx.repos.smartAccounts.getByDomain(HCS))!;
    const va = (await fx.repos.virtualAccounts.getByName(sa.id, 'va-acme'))!;
    const d = (await fx.repos.devices.listByVirtualAccount(va.id))[0]!;
    const ask = await slash(`cluster remove-instance ${HCS}/va-acme ${d.instanceName}`, 'UOPER');
    const shown = JSON.stringify(ask.body.blocks);
    expect(shown).toContain(d.udiSerial);
    expect(shown).toContain('"actions"');
  });
});
