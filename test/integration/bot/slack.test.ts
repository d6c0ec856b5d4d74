// Real: Bolt's HTTPReceiver and App (@slack/bolt) mounted on smartlic's HTTP listener on
// 127.0.0.1, receiving requests signed with Slack's v0 scheme; the command layer over the real
// services, SQLite temp file and the emulator as CSSM/UC. Faked: Slack itself — a fake Web API
// and response URLs on loopback (test/fakes/fake-slack.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatServer, type ChatServer } from '../../../bot/http.ts';
import { SlackAdapter } from '../../../bot/slack/slack-adapter.ts';
import { loadConfig } from '../../../core/config.ts';
import { reports } from '../../../core/index.ts';
import { silentLogger } from '../../../core/log.ts';
import {
  buttonPressBody,
  slashCommandBody,
  startFakeSlack,
  type FakeSlack,
} from '../../fakes/fake-slack.ts';
import { provisionCloud, seedClusters, setup, type Fixture } from '../sync-fixture.ts';
import { fixtureLayer } from './layer-fixture.ts';

let fx: Fixture;
let slack: FakeSlack;
let adapter: SlackAdapter;
let http: ChatServer;
let clusterName: string;

async function post(
  body: string,
  headers: Record<string, string>,
  type = 'application/x-www-form-urlencoded',
) {
  const t = performance.now();
  const r = await fetch(`${http.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': type, ...headers },
    body,
  });
  return { status: r.status, text: await r.text(), ms: performance.now() - t };
}

async function command(text: string, user: string, channel = 'C0OPS') {
  const responseUrl = slack.responseUrl();
  const body = slashCommandBody({ text, user, channel, responseUrl });
  const r = await post(body, slack.sign(body));
  const id = responseUrl.split('/').pop()!;
  return { ...r, id };
}

/** A signed block_actions press; resolves with what came back through its response_url. */
async function pressButton(user: string, channel: string, actionId: string, value: string) {
  const responseUrl = slack.responseUrl();
  const body = buttonPressBody({ user, channel, actionId, value, responseUrl });
  expect((await post(body, slack.sign(body))).status).toBe(200);
  return responseFor(responseUrl.split('/').pop()!);
}

const responseFor = (id: string) => slack.waitFor(() => slack.responses.find((x) => x.id === id));

beforeAll(async () => {
  fx = await setup();
  await provisionCloud(fx, 0, true);
  await seedClusters(fx);
  clusterName = (await fx.repos.clusters.list())[0]!.name;
  slack = await startFakeSlack();
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
        roles: { operator: ['slack:UOPER', 'slack:UOP2'] },
      },
    },
  });
  const layer = fixtureLayer(fx, config);
  adapter = await SlackAdapter.start({ layer, config: config.bot, logger: silentLogger });
  http = await startChatServer({ slack: adapter.requestListener! }, '127.0.0.1', 0);
});
afterAll(async () => {
  await adapter?.stop();
  await http?.close();
  await slack?.close();
  await fx?.close();
});

describe('Slack slash command through the real Bolt receiver', () => {
  it('checked the bot token at start (auth.test)', () => {
    expect(slack.calls.some((c) => c.method === 'auth.test')).toBe(true);
  });

  it('acks a signed command at once and answers through response_url', async () => {
    const r = await command('vas', 'UVIEW');
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3000);
    const resp = await responseFor(r.id);
    expect(resp.body.response_type).toBe('in_channel');
    expect(JSON.stringify(resp.body.blocks)).toContain('va-hcs-operational');
  });

  it('uploads `report hlm` to the channel through the external upload flow, byte for byte', async () => {
    const r = await command('report hlm', 'UVIEW', 'C0FILES');
    expect(r.status).toBe(200);
    const f = await slack.waitFor(() => slack.files.find((x) => x.channel === 'C0FILES'));
    const want = reports.hlmCsv(await reports.hlmReport(fx.h.db, { level: 'va' }));
    expect(f.filename).toBe('hlm.csv');
    expect(f.length).toBe(Buffer.byteLength(want));
    expect(f.bytes!.toString('utf8')).toBe(want);
    expect(f.initialComment).toContain('HLM report');
    const order = slack.calls.filter((c) => c.method.startsWith('files.')).map((c) => c.method);
    expect(order).toEqual(['files.getUploadURLExternal', 'files.completeUploadExternal']);
    // The file is the answer: once the command's follow-up has settled, nothing else went to
    // response_url.
    await adapter.idle();
    expect(slack.responses.find((x) => x.id === r.id)).toBeUndefined();
  });

  it('says how to fix it when the file cannot be shared in the channel', async () => {
    const r = await command('report inventory', 'UVIEW', 'CNOTIN1');
    const resp = await responseFor(r.id);
    expect(JSON.stringify(resp.body.blocks)).toContain('Could not upload service-inventory.txt');
    expect(JSON.stringify(resp.body.blocks)).toContain('not_in_channel');
    expect(JSON.stringify(resp.body.blocks)).toContain('invite the bot');
  });

  it('times its acks itself and shows them on /healthz', async () => {
    const since = Date.now();
    await command('whoami', 'UVIEW');
    const h = (await (await fetch(`${http.url}/healthz?since=${since}`)).json()) as {
      ok: boolean;
      acks: { n: number; p50Ms: number | null; p99Ms: number | null };
    };
    expect(h.ok).toBe(true);
    expect(h.acks.n).toBe(1);
    expect(h.acks.p99Ms).toBeGreaterThanOrEqual(0);
    expect(http.ackStats(Date.now() + 60_000)).toEqual({
      n: 0,
      p50Ms: null,
      p99Ms: null,
      maxMs: null,
    });
  });

  it('refuses a bad signature with 401 and runs nothing', async () => {
    const responseUrl = slack.responseUrl();
    const body = slashCommandBody({
      text: 'accounts',
      user: 'UVIEW',
      channel: 'C0OPS',
      responseUrl,
    });
    const headers = slack.sign(body);
    headers['x-slack-signature'] = headers['x-slack-signature']!.replace(/.$/, (c) =>
      c === '0' ? '1' : '0',
    );
    const id = responseUrl.split('/').pop()!;
    expect((await post(body, headers)).status).toBe(401);
    // Settle it by events, not by the clock: the same command, correctly signed and sent after
    // the forged one, is answered; then every follow-up the adapter still runs has ended.
    const barrier = await command('accounts', 'UVIEW');
    await responseFor(barrier.id);
    await adapter.idle();
    expect(slack.responses.find((x) => x.id === id)).toBeUndefined();
  });

  it('refuses a correctly signed request that is ten minutes old with 401', async () => {
    const body = slashCommandBody({
      text: 'accounts',
      user: 'UVIEW',
      channel: 'C0OPS',
      responseUrl: slack.responseUrl(),
    });
    expect((await post(body, slack.sign(body, Math.floor(Date.now() / 1000) - 600))).status).toBe(
      401,
    );
  });

  it('answers errors and usage ephemerally', async () => {
    const r = await command('clustrs', 'UVIEW');
    const resp = await responseFor(r.id);
    expect(resp.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(resp.body)).toContain('Did you mean');
  });

  it('denies a viewer a write, ephemerally', async () => {
    const r = await command(`register ${clusterName}`, 'UVIEW');
    const resp = await responseFor(r.id);
    expect(resp.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(resp.body)).toContain('needs the operator role');
  });

  it('confirm flow: a dialog button, then the job in the channel and its follow-up in the thread', async () => {
    const r = await command(`deregister ${clusterName}`, 'UOPER');
    const ask = await responseFor(r.id);
    expect(ask.body.response_type).toBe('ephemeral');
    const actions = (
      ask.body.blocks as {
        type: string;
        elements?: { action_id: string; value: string; confirm?: unknown }[];
      }[]
    ).find((b) => b.type === 'actions')!;
    const btn = actions.elements![0]!;
    expect(btn.confirm).toBeDefined();
    const responseUrl = slack.responseUrl();
    const press = buttonPressBody({
      user: 'UOPER',
      channel: 'C0OPS',
      actionId: btn.action_id,
      value: btn.value,
      responseUrl,
    });
    expect((await post(press, slack.sign(press))).status).toBe(200);
    const started = await slack.waitFor(() =>
      slack.messages.find((m) => m.channel === 'C0OPS' && !m.threadTs && m.text.includes('job')),
    );
    const follow = await slack.waitFor(
      () => slack.messages.find((m) => m.threadTs === started.ts),
      20_000,
    );
    expect(follow.text).toContain(`Deregister ${clusterName}: done`);
    const cluster = (await fx.repos.clusters.list()).find((c) => c.name === clusterName)!;
    expect(cluster.status).toBe('Deregistered');
    // The same button again: it ran once.
    const again = await pressButton('UOPER', 'C0OPS', btn.action_id, btn.value);
    expect(again.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(again.body)).toContain('already used');
  });

  it('a confirm press runs only what was asked, by whom, where', async () => {
    const other = (await fx.repos.clusters.list()).at(-1)!.name;
    const r = await command(`unassign ${other}`, 'UOPER');
    const ask = await responseFor(r.id);
    const btn = (
      ask.body.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]
    ).find((b) => b.type === 'actions')!.elements![0]!;
    const jobsBefore = (await fx.repos.jobs.list({ limit: 1 }))[0]?.id ?? 0;
    const refusedWith = async (p: Promise<{ body: Record<string, unknown> }>, says: string) => {
      const x = await p;
      expect(x.body.response_type).toBe('ephemeral');
      expect(JSON.stringify(x.body)).toContain('Confirmation refused');
      expect(JSON.stringify(x.body)).toContain(says);
    };
    // A signed press carrying a command nobody asked, with no ticket.
    await refusedWith(
      pressButton('UOPER', 'C0OPS', btn.action_id, `unassign ${clusterName}`),
      'never issued',
    );
    // The real ticket with another line, from another channel, by another operator.
    const { ticket } = JSON.parse(btn.value) as { ticket: string };
    await refusedWith(
      pressButton(
        'UOPER',
        'C0OPS',
        btn.action_id,
        JSON.stringify({ ticket, command: `deregister ${other}` }),
      ),
      'not `deregister',
    );
    await refusedWith(pressButton('UOPER', 'C0ELSE', btn.action_id, btn.value), 'another channel');
    await refusedWith(
      pressButton('UOP2', 'C0OPS', btn.action_id, btn.value),
      'belongs to slack:UOPER',
    );
    expect((await fx.repos.jobs.list({ limit: 1 }))[0]?.id ?? 0).toBe(jobsBefore);
    const audit = await fx.repos.audit.list({ entityType: 'chat', limit: 4 });
    expect(audit.map((a) => (a.details as { reason?: string }).reason).sort()).toEqual([
      'other-channel',
      'other-command',
      'other-person',
      'unknown',
    ]);
  });

  it('publishes the App Home tab when it is opened', async () => {
    const body = JSON.stringify({
      token: 'legacy',
      team_id: 'T0FAKE',
      api_app_id: 'A0FAKE',
      type: 'event_callback',
      event_id: 'Ev1',
      event_time: Math.floor(Date.now() / 1000),
      event: {
        type: 'app_home_opened',
        user: 'UVIEW',
        channel: 'D0HOME',
        tab: 'home',
        event_ts: '1.2',
      },
    });
    expect((await post(body, slack.sign(body), 'application/json')).status).toBe(200);
    const view = await slack.waitFor(() => slack.homeViews.find((v) => v.user === 'UVIEW'));
    expect(view.view.type).toBe('home');
    expect(JSON.stringify(view.view.blocks)).toContain('alerts');
  });
});
