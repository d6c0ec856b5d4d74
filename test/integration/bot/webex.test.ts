// Real: webex-node-bot-framework (and the Webex SDK under it) in webhook mode, the adapter's
// /webex/events route on smartlic's HTTP listener on 127.0.0.1 with real HMAC-SHA1 signatures,
// the command layer over real services, a SQLite temp file and the emulator; bot/notify's
// Notifier over the real alert store. Faked: Webex — a fake Webex API on loopback
// (test/fakes/fake-webex.ts: JSON and multipart POST /messages, PUT /messages/{id}).
import { hostname } from 'node:os';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatServer, type ChatServer } from '../../../bot/http.ts';
import { WebexAdapter } from '../../../bot/webex/webex-adapter.ts';
import { Notifier, tellInterrupted } from '../../../bot/notify/index.ts';
import { loadConfig } from '../../../core/config.ts';
import { reports } from '../../../core/index.ts';
import { silentLogger } from '../../../core/log.ts';
import { startFakeWebex, type FakePerson, type FakeWebex } from '../../fakes/fake-webex.ts';
import { provisionCloud, seedClusters, setup, type Fixture } from '../sync-fixture.ts';
import { fixtureLayer } from './layer-fixture.ts';

const SECRET = 'webex-webhook-secret-for-tests';
let fx: Fixture;
let webex: FakeWebex;
let adapter: WebexAdapter;
let http: ChatServer;
let alice: FakePerson;
let oscar: FakePerson;
let olga: FakePerson;
let clusterName: string;
let startOptions: Parameters<typeof WebexAdapter.start>[0];

async function deliver(body: string, signature: string) {
  return (
    await fetch(`${http.url}/webex/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-spark-signature': signature },
      body,
    })
  ).status;
}

/** Presses a card button (a signed attachmentActions webhook); resolves with the next answer. */
async function press(
  room: ReturnType<FakeWebex['direct']>,
  who: FakePerson,
  inputs: Record<string, unknown>,
  answer?: string,
) {
  const seen = webex.sent.length;
  const actionId = webex.cardAction(room, who, inputs);
  const body = webex.webhookBody('attachmentActions', actionId, room, who);
  expect(await deliver(body, webex.sign(body, SECRET))).toBe(200);
  return webex.waitFor(
    () =>
      webex.sent
        .slice(seen)
        .find((m) => m.roomId === room.id && (!answer || m.markdown?.includes(answer))),
    20_000,
  );
}

beforeAll(async () => {
  fx = await setup();
  await provisionCloud(fx, 0, true);
  await seedClusters(fx);
  clusterName = (await fx.repos.clusters.list())[0]!.name;
  webex = await startFakeWebex();
  alice = webex.addPerson('Alice@Example.com', 'Alice');
  oscar = webex.addPerson('oscar@example.com', 'Oscar');
  olga = webex.addPerson('olga@example.com', 'Olga');
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
        roles: { operator: ['webex:oscar@example.com', 'webex:olga@example.com'] },
      },
    },
  });
  const layer = fixtureLayer(fx, config);
  // What bin/ does before the SDK's first import: its API base comes from the environment.
  process.env.HYDRA_SERVICE_URL = config.bot.webex.apiUrl;
  startOptions = {
    layer,
    config: config.bot,
    logger: silentLogger,
    threads: fx.repos.chatThreads,
  };
  adapter = await WebexAdapter.start(startOptions);
  http = await startChatServer({ webex: adapter.handler }, '127.0.0.1', 0);
});
afterAll(async () => {
  await adapter?.stop();
  await http?.close();
  await webex?.close();
  await fx?.close();
});

describe('Webex adapter through webex-node-bot-framework', () => {
  it('created its webhooks with the secret at start', () => {
    expect(webex.webhooks.map((w) => w.resource).sort()).toEqual(['all', 'attachmentActions']);
    expect(webex.webhooks.every((w) => w.secret === SECRET)).toBe(true);
  });

  it('answers a signed webhook for "license vas" in a 1:1 space, in markdown', async () => {
    const room = webex.direct(alice);
    const id = webex.incoming(room, alice, 'license vas');
    const body = webex.webhookBody('messages', id, room, alice);
    expect(await deliver(body, webex.sign(body, SECRET))).toBe(200);
    const sent = await webex.waitFor(() => webex.sent.find((m) => m.parentId === id));
    expect(sent.roomId).toBe(room.id);
    expect(sent.markdown).toContain('va-hcs-operational');
  });

  it('a second instance stopping cleanly leaves the shared webhook: the first still hears Webex', async () => {
    // Two instances behind one webhook URL (docs/high-availability.md): the second's start
    // replaces the webhooks of the bot's name; its clean stop must not delete them.
    const second = await WebexAdapter.start(startOptions);
    const before = webex.webhooks.map((w) => `${w.name}|${w.resource}`).sort();
    expect(before).toHaveLength(2);
    await second.stop();
    expect(webex.webhooks.map((w) => `${w.name}|${w.resource}`).sort()).toEqual(before);
    const room = webex.direct(alice);
    const id = webex.incoming(room, alice, 'license whoami');
    const body = webex.webhookBody('messages', id, room, alice);
    expect(await deliver(body, webex.sign(body, SECRET))).toBe(200);
    const sent = await webex.waitFor(() => webex.sent.find((m) => m.parentId === id));
    expect(sent.markdown).toContain('webex:alice@example.com');
  });

  it('answers in a group space only when mentioned', async () => {
    const room = webex.group();
    const id = webex.incoming(room, alice, 'license whoami');
    const body = webex.webhookBody('messages', id, room, alice);
    expect(await deliver(body, webex.sign(body, SECRET))).toBe(200);
    const sent = await webex.waitFor(() => webex.sent.find((m) => m.parentId === id));
    expect(sent.markdown).toContain('webex:alice@example.com');
    const quiet = webex.incoming(room, alice, 'license whoami', false);
    const b2 = webex.webhookBody('messages', quiet, room, alice);
    expect(await deliver(b2, webex.sign(b2, SECRET))).toBe(200);
    // Settled by events, not by the clock: the webhook's processing (and any reply it started)
    // has ended.
    await adapter.idle();
    expect(webex.sent.find((m) => m.parentId === quiet)).toBeUndefined();
  });

  it('refuses a forged or unsigned webhook with 401 and answers nothing', async () => {
    const room = webex.direct(alice);
    const id = webex.incoming(room, alice, 'license accounts');
    const body = webex.webhookBody('messages', id, room, alice);
    expect(await deliver(body, webex.sign(body, 'not-the-secret'))).toBe(401);
    expect(await deliver(body, '')).toBe(401);
    expect(await deliver(body.replace('"created"', '"created" '), webex.sign(body, SECRET))).toBe(
      401,
    );
    // A signed message sent after the forged ones is answered; then nothing is in flight.
    const after = webex.incoming(room, alice, 'license whoami');
    const b3 = webex.webhookBody('messages', after, room, alice);
    expect(await deliver(b3, webex.sign(b3, SECRET))).toBe(200);
    await webex.waitFor(() => webex.sent.find((m) => m.parentId === after));
    await adapter.idle();
    expect(webex.sent.find((m) => m.parentId === id)).toBeUndefined();
  });

  it('asks for confirmation with an Adaptive Card; pressing it runs the job and replies in the thread', async () => {
    const room = webex.direct(oscar);
    const id = webex.incoming(room, oscar, `license deregister ${clusterName}`);
    const body = webex.webhookBody('messages', id, room, oscar);
    expect(await deliver(body, webex.sign(body, SECRET))).toBe(200);
    const card = await webex.waitFor(() => webex.sent.find((m) => m.parentId === id));
    const content = (
      card.attachments![0] as { content: { actions: { data: Record<string, unknown> }[] } }
    ).content;
    const data = content.actions[0]!.data;
    expect(data).toMatchObject({ command: `deregister ${clusterName}` });
    expect(data.ticket).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(data).not.toHaveProperty('confirmed');
    // Another operator pressing Oscar's card: refused, and the ticket is still Oscar's.
    const other = await press(room, olga, data);
    expect(other.markdown).toContain('belongs to webex:oscar@example.com');
    const first = await press(room, oscar, data, `Deregister ${clusterName}: done`);
    expect(first.parentId).toBeDefined();
    // The write started from Webex: where it started is on record, for a restart to tell.
    const recorded = await fx.h.db
      .selectFrom('chat_job_threads')
      .selectAll()
      .where('platform', '=', 'webex')
      .where('channel', '=', room.id)
      .execute();
    expect(recorded.length).toBeGreaterThan(0);
    // The same card again: it ran once.
    const again = await press(room, oscar, data);
    expect(again.markdown).toContain('already used');
    const [entry] = await fx.repos.audit.list({
      actor: 'webex:oscar@example.com',
      entityType: 'chat',
      limit: 1,
    });
    expect(entry?.details).toMatchObject({ outcome: 'confirm-refused', reason: 'used' });
  });

  // That a write started from Webex is recorded is checked where one runs (the confirm flow
  // above); this test records its own thread, so it passes alone (npm run test:alone).
  it('a job a dead process left running is told in the thread it started from', async () => {
    // A chat job whose process died (a pid that is not running), with its thread.
    const room = webex.direct(oscar);
    const asked = webex.incoming(room, oscar, 'license sync');
    const job = await fx.repos.jobs.create({
      jobType: 'Chat: sync',
      entityType: 'Smart Account',
      entityName: 'all',
      description: 'Sync every account',
      requestedBy: 'webex:oscar@example.com',
      runner: `${hostname()}|999999999|gone`,
    });
    await fx.repos.jobs.start(job.id);
    await fx.repos.chatThreads.record({
      jobId: job.id,
      platform: 'webex',
      channel: room.id,
      threadRef: asked,
    });
    // What a restart does: the runtime closes it, the host tells its thread.
    expect((await fx.services.jobs.closeOrphaned()).map((j) => j.id)).toContain(job.id);
    const senders = { webex: adapter.sender() };
    expect(
      await tellInterrupted({ threads: fx.repos.chatThreads, senders, logger: silentLogger }),
    ).toBe(1);
    const said = await webex.waitFor(() => webex.sent.find((m) => m.parentId === asked));
    expect(said.roomId).toBe(room.id);
    expect(said.markdown).toContain(`job ${job.id} was interrupted`);
    expect(
      await tellInterrupted({ threads: fx.repos.chatThreads, senders, logger: silentLogger }),
    ).toBe(0);
  });

  it('a card submit claiming confirmed, with no ticket, runs nothing and says so', async () => {
    const room = webex.direct(oscar);
    const jobsBefore = (await fx.repos.jobs.list({ limit: 1 }))[0]?.id ?? 0;
    const tokensBefore = JSON.stringify(await fx.repos.tokens.list());
    for (const forged of [
      { smartlic: 'command', command: 'token revoke 1', confirmed: true },
      { smartlic: 'command', command: 'token revoke 1', ticket: 'A'.repeat(22) },
    ]) {
      const r = await press(room, oscar, forged);
      expect(r.markdown).toContain('Confirmation refused');
      expect(r.markdown).toContain('never issued');
    }
    expect((await fx.repos.jobs.list({ limit: 1 }))[0]?.id ?? 0).toBe(jobsBefore);
    expect(JSON.stringify(await fx.repos.tokens.list())).toBe(tokensBefore);
    const [entry] = await fx.repos.audit.list({
      actor: 'webex:oscar@example.com',
      entityType: 'chat',
      limit: 1,
    });
    expect(entry?.details).toMatchObject({
      outcome: 'confirm-refused',
      reason: 'unknown',
      command: 'token revoke 1',
    });
  });

  it('keeps every message within Webex’s 7,439 bytes: a 5,005-character name, and help', async () => {
    const long = `cucm-${'x'.repeat(5000)}`;
    const victim = (await fx.repos.clusters.list()).at(-1)!;
    await sql`UPDATE clusters SET name = ${long} WHERE id = ${victim.id}`.execute(fx.h.db);
    try {
      for (const line of ['license clusters', 'license help', `license cluster ${long}`]) {
        const room = webex.direct(alice);
        const refusedBefore = webex.refused.length;
        const id = webex.incoming(room, alice, line);
        const body = webex.webhookBody('messages', id, room, alice);
        expect(await deliver(body, webex.sign(body, SECRET))).toBe(200);
        await webex.waitFor(() => webex.sent.find((m) => m.parentId === id));
        // Every part of a long answer is out once the adapter's work has settled (not after a
        // guess at how long the rest takes).
        await adapter.idle();
        const answers = webex.sent.filter((m) => m.parentId === id);
        expect(webex.refused.length, line).toBe(refusedBefore);
        expect(answers.length).toBeGreaterThan(0);
        for (const a of answers)
          expect(Buffer.byteLength(a.markdown ?? '')).toBeLessThanOrEqual(7439);
        const all = answers.map((a) => a.markdown).join('\n');
        if (line !== 'license help') expect(all).toContain('cucm-xxxx');
        if (line === 'license help') expect(all).toContain('token create');
      }
    } finally {
      await sql`UPDATE clusters SET name = ${victim.name} WHERE id = ${victim.id}`.execute(fx.h.db);
    }
  });

  it('denies a viewer a write', async () => {
    const room = webex.direct(alice);
    const id = webex.incoming(room, alice, `license register ${clusterName}`);
    const body = webex.webhookBody('messages', id, room, alice);
    await deliver(body, webex.sign(body, SECRET));
    const sent = await webex.waitFor(() => webex.sent.find((m) => m.parentId === id));
    expect(sent.markdown).toContain('needs the operator role');
  });

  it('attaches `report hlm` to its answer as a file (multipart, in the thread), byte for byte', async () => {
    const room = webex.direct(alice);
    const id = webex.incoming(room, alice, 'license report hlm');
    const body = webex.webhookBody('messages', id, room, alice);
    expect(await deliver(body, webex.sign(body, SECRET))).toBe(200);
    const sent = await webex.waitFor(() => webex.sent.find((m) => m.parentId === id));
    const want = reports.hlmCsv(await reports.hlmReport(fx.h.db, { level: 'va' }));
    expect(sent.roomId).toBe(room.id);
    expect(sent.markdown).toContain('HLM report');
    expect(sent.file?.filename).toBe('hlm.csv');
    expect(sent.file?.contentType).toBe('text/csv');
    expect(sent.file?.bytes.toString('utf8')).toBe(want);
  });

  it('edits an alert’s message in place as it changes and answers in its thread', async () => {
    const room = webex.group();
    await fx.repos.subscriptions.subscribe({ platform: 'webex', channelId: room.id, filters: {} });
    const candidate = (severity: 'warning' | 'critical', days: number) => ({
      rule: 'authorization-expiry' as const,
      dedupeKey: 'authorization-expiring:wx-1',
      severity,
      entity: { kind: 'cluster' as const, id: 'acme.com/va-ops/wx-1', name: 'wx-1' },
      scope: 'global' as const,
      title: `cluster wx-1: authorization expires in ${days} days`,
      facts: {},
    });
    const notifier = new Notifier({
      repos: fx.repos,
      clock: fx.clock,
      logger: silentLogger,
      senders: { webex: adapter.sender() },
      renotifyMs: 0,
      channelIntervalMs: 50,
    });
    await fx.repos.alerts.apply('global', [candidate('warning', 10)], fx.clock.now());
    await notifier.flush();
    const post = await webex.waitFor(() =>
      webex.sent.find((m) => m.roomId === room.id && m.markdown?.includes('wx-1') && !m.parentId),
    );
    expect(post.attachments).toHaveLength(1);
    await fx.repos.alerts.apply('global', [candidate('critical', 2)], fx.clock.now());
    await notifier.flush();
    expect(post.edits).toHaveLength(1);
    expect(post.markdown).toContain('expires in 2 days');
    await fx.repos.alerts.apply('global', [], fx.clock.now());
    await notifier.flush();
    expect(post.edits).toHaveLength(2);
    expect(post.markdown).toContain('Resolved');
    expect(
      webex.sent.filter((m) => m.parentId === post.id).map((m) => m.markdown?.split('\n')[0]),
    ).toEqual([expect.stringContaining('Changed'), expect.stringContaining('All clear')]);
  });
});
