// Real: Bolt's App in Socket Mode (@slack/bolt with @slack/socket-mode's client and its `ws`
// WebSocket) started by the Slack adapter, the command layer over real services and a SQLite
// temp file. Faked: Slack — the fake Web API answers apps.connections.open (app-level token
// only) with the URL of a loopback WebSocket server that says `hello` and sends Socket Mode
// envelopes; answers go to the fake's response URLs (test/fakes/fake-slack.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandLayer, defaultRegistry } from '../../../bot/commands/index.ts';
import { SlackAdapter } from '../../../bot/slack/slack-adapter.ts';
import { TestClock } from '../../../core/clock.ts';
import { loadConfig } from '../../../core/config.ts';
import { silentLogger } from '../../../core/log.ts';
import { createServices } from '../../../core/services/index.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
  type DatabaseHandle,
} from '../../../core/store/index.ts';
import { startFakeSlack, type FakeSlack } from '../../fakes/fake-slack.ts';

let dir: string;
let h: DatabaseHandle;
let slack: FakeSlack;
let adapter: SlackAdapter;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smartlic-socket-'));
  h = openDatabase({ path: join(dir, 'db.sqlite') });
  await migrateToLatest(h.db);
  const clock = new TestClock('2026-06-01T12:00:00Z');
  const secrets = SecretBox.random();
  const repos = createRepositories(h.db, secrets, clock);
  slack = await startFakeSlack();
  const config = loadConfig({
    env: {},
    overrides: {
      bot: {
        slack: { botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl },
        roles: { operator: ['slack:UOPER'] },
      },
    },
  });
  const services = createServices({
    db: h.db,
    secrets,
    repos,
    clock,
    logger: silentLogger,
    config,
  });
  const layer = new CommandLayer(
    { db: h.db, services, repos, clock, logger: silentLogger, config },
    defaultRegistry(),
  );
  adapter = await SlackAdapter.start({ layer, config: config.bot, logger: silentLogger });
});
afterAll(async () => {
  await adapter?.stop();
  await slack?.close();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const slashPayload = (text: string, user: string, responseUrl: string) => ({
  token: 'legacy-verification-token',
  team_id: 'T0FAKE',
  team_domain: 'fake',
  channel_id: 'C0OPS',
  channel_name: 'ops',
  user_id: user,
  user_name: user.toLowerCase(),
  command: '/license',
  text,
  api_app_id: 'A0FAKE',
  is_enterprise_install: 'false',
  response_url: responseUrl,
  trigger_id: `${Date.now()}.trigger`,
});

describe('Slack in Socket Mode (SLACK_APP_TOKEN)', () => {
  it('opened its connection with the app-level token and needs no HTTP listener', async () => {
    expect(adapter.mode).toBe('socket');
    expect(adapter.requestListener).toBeUndefined();
    expect(
      slack.calls.filter((c) => c.method === 'apps.connections.open').map((c) => c.status),
    ).toEqual([200]);
    await slack.waitFor(() => slack.socketClients() === 1);
  });

  it('acks a slash command envelope at once and answers through response_url', async () => {
    const responseUrl = slack.responseUrl();
    const id = responseUrl.split('/').pop()!;
    const { ack, ms } = await slack.sendEnvelope(
      'slash_commands',
      slashPayload('whoami', 'UOPER', responseUrl),
    );
    expect(typeof ack.envelope_id).toBe('string');
    expect(ms).toBeLessThan(3000);
    const resp = await slack.waitFor(() => slack.responses.find((x) => x.id === id));
    expect(resp.body.response_type).toBe('in_channel');
    expect(JSON.stringify(resp.body.blocks)).toContain('slack:UOPER');
    expect(JSON.stringify(resp.body.blocks)).toContain('operator');
  });

  it('applies roles over Socket Mode too: a viewer is denied a write, ephemerally', async () => {
    const responseUrl = slack.responseUrl();
    const id = responseUrl.split('/').pop()!;
    await slack.sendEnvelope(
      'slash_commands',
      slashPayload('register cucm-x', 'UVIEW', responseUrl),
    );
    const resp = await slack.waitFor(() => slack.responses.find((x) => x.id === id));
    expect(resp.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(resp.body)).toContain('needs the operator role');
  });
});
