// The shortage alert's "Apply transfer" button (issue 25): the alert of va-globex, as the
// notifier renders it for Slack, carries a button that runs `rebalance --apply <domain>/<va>`
// as whoever presses it. An operator's press gets the registry's confirmation (the plan, each
// VA before and after, a one-time ticket); the confirm press runs the transfer as a job whose
// follow-up lands in the thread; at the next evaluation the alert is resolved. A viewer's press
// is refused and moves nothing.
// Real: Bolt's HTTPReceiver (Slack v0 signatures) on smartlic's HTTP listener on 127.0.0.1, the
// notifier's alert rendering (bot/notify alertReply → bot/render/slack), the command layer over
// the real services, a SQLite temp file, the emulator (demo) as CSSM with its request journal,
// real syncs and alert evaluation. Faked: Slack itself (test/fakes/fake-slack.ts).
// Covers: bot/notify/notifier.ts (alertButtons), bot/commands/handlers/rebalance.ts
// (rebalanceApply), bot/commands/layer.ts (role check, preview, ticket), bot/slack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatServer, type ChatServer } from '../../../bot/http.ts';
import { alertReply } from '../../../bot/notify/notifier.ts';
import { renderSlack } from '../../../bot/render/slack.ts';
import { renderWebex } from '../../../bot/render/webex.ts';
import { SlackAdapter } from '../../../bot/slack/slack-adapter.ts';
import { loadConfig } from '../../../core/config.ts';
import { silentLogger } from '../../../core/log.ts';
import type { store } from '../../../core/index.ts';
import type { JournalEntry } from '../../../emulator/index.ts';
import { buttonPressBody, startFakeSlack, type FakeSlack } from '../../fakes/fake-slack.ts';
import { provisionCloud, seedClusters, setup, type Fixture } from '../sync-fixture.ts';
import { fixtureLayer } from './layer-fixture.ts';

const HCS = 'nimbus-hcs.example.com';
const GLOBEX = `${HCS}/va-globex`;
let fx: Fixture;
let slack: FakeSlack;
let slackAdapter: SlackAdapter;
let http: ChatServer;
const journal: JournalEntry[] = [];
const transfers = () => journal.filter((e) => e.url.includes('/licenses/transfer'));

type Elem = { action_id: string; value: string; text: { text: string } };

async function owned(va: string): Promise<number> {
  const st = await fx.state();
  return (
    st.smartAccounts
      .find((s) => s.domain === HCS)!
      .virtualAccounts.find((v) => v.name === va)!
      .licenses.find((l) => l.license === 'HCS UCM Standard')?.quantity ?? 0
  );
}

/** va-globex's insufficient-licenses alerts, as the notifier reads them. */
async function globexAlerts(): Promise<store.NotifiableAlert[]> {
  const rows = await fx.h.db
    .selectFrom('alerts')
    .select('id')
    .where('rule', '=', 'insufficient-licenses')
    .execute();
  const all = await fx.repos.notifications.alertsByIds(rows.map((r) => r.id));
  return all.filter((a) => a.entityName.includes('va-globex') || a.details.rebalanceVa === GLOBEX);
}

function buttons(blocks: unknown[]): Elem[] {
  return (blocks as { type: string; elements?: Elem[] }[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);
}

async function slackPost(body: string) {
  const r = await fetch(`${http.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...slack.sign(body) },
    body,
  });
  expect(r.status).toBe(200);
}

/** A press as Slack sends it; the answer the adapter gives on the response_url. */
async function press(user: string, b: Elem) {
  const responseUrl = slack.responseUrl();
  await slackPost(
    buttonPressBody({
      user,
      channel: 'C0ALERT',
      actionId: b.action_id,
      value: b.value,
      responseUrl,
    }),
  );
  const id = responseUrl.split('/').pop()!;
  return slack.waitFor(() => slack.responses.find((x) => x.id === id));
}

beforeAll(async () => {
  fx = await setup({ emulator: { journal: (e) => journal.push(e) } });
  await provisionCloud(fx, 0, true);
  await seedClusters(fx);
  await fx.services.sync.syncAll({ requestedBy: 'test', full: true });
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
        roles: { operator: ['slack:UOPER'], viewer: ['slack:UVIEW'] },
      },
    },
  });
  const layer = fixtureLayer(fx, config);
  slackAdapter = await SlackAdapter.start({ layer, config: config.bot, logger: silentLogger });
  http = await startChatServer({ slack: slackAdapter.requestListener! }, '127.0.0.1', 0);
}, 60_000);
afterAll(async () => {
  await slackAdapter?.stop();
  await http?.close();
  await slack?.close();
  await fx?.close();
});

describe('the shortage alert\u2019s Apply transfer button', () => {
  /**
   * The Apply transfer button on va-globex's open shortage alert, as Slack shows it. Each test
   * reads it itself, so each passes by itself (`npm run test:alone`), not only after the first.
   */
  const applyButton = async (): Promise<Elem> => {
    const [alert] = (await globexAlerts()).filter((a) => a.state !== 'resolved');
    expect(alert, 'the demo starts with va-globex short').toBeDefined();
    const found = buttons(renderSlack(alertReply(alert!)).blocks).find(
      (b) => b.text.text === 'Apply transfer',
    );
    expect(found).toBeDefined();
    return found!;
  };

  it('is on va-globex\u2019s shortage alert in Slack and Webex, running rebalance --apply for its VA and license', async () => {
    const [alert] = (await globexAlerts()).filter((a) => a.state !== 'resolved');
    expect(alert, 'the demo starts with va-globex short').toBeDefined();
    const slackButtons = buttons(renderSlack(alertReply(alert!)).blocks);
    const apply = slackButtons.find((b) => b.text.text === 'Apply transfer')!;
    expect(apply).toBeDefined();
    expect(apply.value).toBe(
      `rebalance --apply ${GLOBEX} --days ${Number(alert!.details.rebalanceDays)} --license HUCM_Standard`,
    );
    expect(JSON.stringify(renderWebex(alertReply(alert!)))).toContain('Apply transfer');
  });

  it('refuses a viewer: nothing asked, nothing moved', async () => {
    const apply = await applyButton();
    const sent = transfers().length;
    const r = await press('UVIEW', apply);
    expect(JSON.stringify(r.body)).toContain('needs the operator role');
    expect(JSON.stringify(r.body)).not.toContain('Yes, do it');
    expect(transfers().length).toBe(sent);
    expect(await owned('va-globex')).toBe(150);
  });

  it('asks an operator with the plan, runs it on the confirm press, and the alert resolves at the next evaluation', async () => {
    const apply = await applyButton();
    const sent = transfers().length;
    const ask = await press('UOPER', apply);
    const shown = JSON.stringify(ask.body.blocks);
    expect(shown).toContain('70 TERM HCS UCM Standard from va-hcs-ordered to va-globex');
    expect(shown).toContain('short before');
    expect(transfers().length, 'asking sends nothing').toBe(sent);
    const yes = buttons(ask.body.blocks as unknown[]).find((b) => b.text.text === 'Yes, do it')!;
    // The line confirmed is the one the alert's button carried.
    expect(JSON.parse(yes.value)).toMatchObject({ command: apply.value });

    // Someone else cannot redeem the operator's ticket.
    const other = await press('UVIEW', yes);
    expect(JSON.stringify(other.body)).toMatch(/needs the operator role|Confirmation refused/);
    expect(transfers().length).toBe(sent);

    await slackPost(
      buttonPressBody({
        user: 'UOPER',
        channel: 'C0ALERT',
        actionId: yes.action_id,
        value: yes.value,
        responseUrl: slack.responseUrl(),
      }),
    );
    const started = await slack.waitFor(() =>
      slack.messages.find(
        (m) => m.channel === 'C0ALERT' && !m.threadTs && m.text.includes('rebalance --apply'),
      ),
    );
    const follow = await slack.waitFor(
      () => slack.messages.find((m) => m.threadTs === started.ts),
      30_000,
    );
    expect(follow.text).toContain(`Rebalanced ${GLOBEX} (HCS UCM Standard): 1 transfer made`);
    expect(transfers().length).toBe(sent + 1);
    expect(await owned('va-globex')).toBe(220);

    await fx.services.sync.syncAll({ requestedBy: 'test', full: true });
    const after = await globexAlerts();
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((a) => a.state !== 'resolved')).toEqual([]);
  }, 60_000);
});
