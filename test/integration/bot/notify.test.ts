// Real: bot/notify's Notifier over the real alert store, its event log and subscriptions and
// its own tables (migrations 0007, 0009) in a SQLite temp file (and in PostgreSQL when
// SMARTLIC_TEST_PG is set, test/support/pg.ts), with a second connection to the same store
// standing for another process that syncs; core's AlertEvents port; the Slack adapter's sender (Bolt's WebClient) posting
// over loopback; the command layer for button presses. Faked: Slack (test/fakes/fake-slack.ts,
// which can answer 429 with Retry-After); alerts are written with the alert repository as the
// alert service would after a sync, and time is a TestClock moved by hours and days.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CommandLayer, defaultRegistry } from '../../../bot/commands/index.ts';
import { Notifier } from '../../../bot/notify/index.ts';
import { SlackAdapter } from '../../../bot/slack/slack-adapter.ts';
import { TestClock } from '../../../core/clock.ts';
import { AlertEvents } from '../../../core/services/alert-events.ts';
import type * as alertsDomain from '../../../core/domain/alerts.ts';
import { loadConfig } from '../../../core/config.ts';
import { silentLogger } from '../../../core/log.ts';
import { createServices } from '../../../core/services/index.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  type Repositories,
  type StoreHandle,
} from '../../../core/store/index.ts';
import { openTestStore, reopenTestStore, storeKinds } from '../../support/pg.ts';
import { startFakeSlack, type FakeSlack } from '../../fakes/fake-slack.ts';

describe.each(storeKinds())('notifier on %s', (kind) => {
  let dir: string;
  let h: StoreHandle;
  let repos: Repositories;
  let clock: TestClock;
  let slack: FakeSlack;
  let adapter: SlackAdapter;
  let layer: CommandLayer;
  let seq = 0;
  let secrets: SecretBox;

  const INTERVAL = 200;
  const notifier = () =>
    new Notifier({
      repos,
      clock,
      logger: silentLogger,
      senders: { slack: adapter.sender() },
      renotifyMs: 24 * 3_600_000,
      channelIntervalMs: INTERVAL,
    });

  function channel(): string {
    return `C${++seq}`;
  }
  const inChannel = (c: string) => slack.messages.filter((m) => m.channel === c);

  // The alert store is driven as the alert service drives it: one evaluation of one scope with
  // the alerts that hold now (those left out resolve).
  const holding = new Map<string, alertsDomain.AlertCandidate>();
  const SCOPE = 'global' as const;

  async function openAlert(
    key: string,
    over: { message?: string; severity?: 'info' | 'warning' | 'critical' } = {},
  ) {
    holding.set(`authorization-expiring:${key}`, {
      rule: 'authorization-expiry',
      dedupeKey: `authorization-expiring:${key}`,
      severity: over.severity ?? 'warning',
      entity: { kind: 'cluster', id: `acme.com/va-ops/${key}`, name: key },
      scope: SCOPE,
      title: over.message ?? `cluster ${key}: authorization expires in 10 days`,
      facts: { customer: 'acme' },
    });
    await repos.alerts.apply(SCOPE, [...holding.values()], clock.now());
    return (await repos.alerts.getByDedupeKey(`authorization-expiring:${key}`))!;
  }

  async function resolveAlert(dedupeKey: string) {
    holding.delete(dedupeKey);
    await repos.alerts.apply(SCOPE, [...holding.values()], clock.now());
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smartlic-notify-'));
    h = await openTestStore(kind, { path: join(dir, 'db.sqlite') });
    await migrateToLatest(h.db);
    clock = new TestClock('2026-06-01T12:00:00Z');
    secrets = SecretBox.random();
    repos = createRepositories(h.db, secrets, clock);
    slack = await startFakeSlack();
    const config = loadConfig({
      env: {},
      overrides: {
        bot: {
          slack: {
            botToken: slack.botToken,
            signingSecret: slack.signingSecret,
            apiUrl: slack.apiUrl,
          },
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
    layer = new CommandLayer(
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
  beforeEach(async () => {
    // Each test starts from resolved alerts so that others' alerts do not reach new channels.
    holding.clear();
    await repos.alerts.apply(SCOPE, [], clock.now());
    await notifier().flush();
  });

  describe('alert delivery', () => {
    it('posts once, updates in place and in the thread, says all clear, and never repeats, also after a restart', async () => {
      const c = channel();
      await repos.subscriptions.subscribe({ platform: 'slack', channelId: c, filters: {} });
      await openAlert('cucm-1');
      await notifier().flush();
      expect(inChannel(c)).toHaveLength(1);
      const msg = inChannel(c)[0]!;
      expect(msg.text).toContain('authorization expires in 10 days');
      expect(JSON.stringify(msg.blocks)).toContain('Mute 1 day');
      expect(JSON.stringify(msg.blocks)).toContain('renew auth cucm-1');

      await openAlert('cucm-1', {
        message: 'cluster cucm-1: authorization expires in 2 days',
        severity: 'critical',
      });
      await notifier().flush();
      expect(msg.edits).toHaveLength(1);
      expect(msg.text).toContain('2 days');
      const thread = () => inChannel(c).filter((m) => m.threadTs === msg.ts);
      expect(thread()).toHaveLength(1);
      expect(thread()[0]!.text).toContain('Changed');

      await resolveAlert('authorization-expiring:cucm-1');
      await notifier().flush();
      expect(msg.text).toContain('Resolved');
      expect(thread().map((m) => m.text)).toEqual([
        expect.stringContaining('Changed'),
        expect.stringContaining('All clear'),
      ]);

      const before = slack.calls.length;
      await notifier().flush();
      await notifier().flush();
      expect(slack.calls.length).toBe(before);
    });

    it('a name cannot ping the channel: post, update and thread texts are escaped (issue 20)', async () => {
      const c = channel();
      await repos.subscriptions.subscribe({ platform: 'slack', channelId: c, filters: {} });
      const name = '<!here>-cuc';
      await openAlert(name, { message: `${name} failed <!channel>` });
      await notifier().flush();
      const msg = inChannel(c)[0]!;
      await openAlert(name, { message: `${name} failed again <!channel>`, severity: 'critical' });
      await notifier().flush();
      expect(msg.edits).toHaveLength(1);
      const thread = inChannel(c).filter((m) => m.threadTs === msg.ts);
      expect(thread).toHaveLength(1);
      // What Slack got: the post as sent, the update, and the thread reply.
      const texts = slack.calls
        .filter(
          (x) => ['chat.postMessage', 'chat.update'].includes(x.method) && x.body.channel === c,
        )
        .map((x) => String(x.body.text));
      expect(texts).toHaveLength(3);
      for (const t of texts) {
        expect(t).not.toMatch(/<!/);
        expect(t).toContain('&lt;!here&gt;-cuc');
      }
    });

    it('the mute button mutes as the presser, by role, and the message shows it', async () => {
      const c = channel();
      await repos.subscriptions.subscribe({ platform: 'slack', channelId: c, filters: {} });
      const a = await openAlert('cucm-2');
      await notifier().flush();
      const msg = inChannel(c)[0]!;
      const cmd = `mute ${a.id} 1d`;
      expect(JSON.stringify(msg.blocks)).toContain(cmd);
      expect(
        (await layer.execute(cmd, { platform: 'slack', userId: 'UVIEW', channelId: c })).reply
          .status,
      ).toBe('denied');
      expect(
        (await layer.execute(cmd, { platform: 'slack', userId: 'UOPER', channelId: c })).reply
          .status,
      ).toBe('ok');
      await notifier().flush();
      expect(msg.text).not.toContain('Resolved');
      expect(JSON.stringify(msg.blocks)).toContain('muted until');
    });

    it('filters by rule and severity', async () => {
      const c = channel();
      await repos.subscriptions.subscribe({
        platform: 'slack',
        channelId: c,
        filters: { severity: 'critical' },
      });
      await openAlert('cucm-3');
      await notifier().flush();
      expect(inChannel(c)).toHaveLength(0);
      await openAlert('cucm-3', { severity: 'critical' });
      await notifier().flush();
      expect(inChannel(c)).toHaveLength(1);
    });

    it('reminds in the thread after the re-notify interval', async () => {
      const c = channel();
      await repos.subscriptions.subscribe({ platform: 'slack', channelId: c, filters: {} });
      await openAlert('cucm-4');
      await notifier().flush();
      clock.advance({ hours: 25 });
      await notifier().flush();
      const [first, ...rest] = inChannel(c);
      expect(rest.map((m) => [m.threadTs, m.text])).toEqual([
        [first!.ts, expect.stringContaining('Still open')],
      ]);
    });

    it('holds alerts through quiet hours and sends one digest when they end', async () => {
      const c = channel();
      clock.set('2026-06-02T23:00:00Z');
      await repos.subscriptions.subscribe({
        platform: 'slack',
        channelId: c,
        filters: { quiet: { from: '22:00', to: '07:00', timezone: 'UTC' } },
      });
      await openAlert('cucm-5');
      await openAlert('cucm-6');
      await notifier().flush();
      expect(inChannel(c)).toHaveLength(0);
      clock.set('2026-06-03T07:30:00Z');
      await notifier().flush();
      expect(inChannel(c)).toHaveLength(1);
      const digest = inChannel(c)[0]!;
      expect(digest.text).toContain('Digest: 2 alert updates');
      await resolveAlert('authorization-expiring:cucm-5');
      await notifier().flush();
      expect(
        inChannel(c)
          .filter((m) => m.threadTs === digest.ts)
          .map((m) => m.text),
      ).toEqual([expect.stringContaining('All clear')]);
      expect(digest.edits).toHaveLength(0);
    });

    it('a 429 storm loses nothing: every alert arrives, in order, at most one per interval per channel', async () => {
      const c = channel();
      await repos.subscriptions.subscribe({ platform: 'slack', channelId: c, filters: {} });
      for (let i = 0; i < 4; i++) await openAlert(`storm-${i}`);
      slack.rateLimit(6, 1);
      const n = notifier();
      await n.flush(30_000);
      expect(slack.calls.filter((x) => x.status === 429)).toHaveLength(6);
      expect(inChannel(c).map((m) => m.text.match(/storm-\d/)?.[0])).toEqual([
        'storm-0',
        'storm-1',
        'storm-2',
        'storm-3',
      ]);
      const posts = slack.calls
        .filter((x) => x.method === 'chat.postMessage' && x.body.channel === c && x.status === 200)
        .map((x) => x.at);
      for (let i = 1; i < posts.length; i++)
        expect(posts[i]! - posts[i - 1]!).toBeGreaterThanOrEqual(INTERVAL - 20);
      expect(await repos.notifications.pending()).toHaveLength(0);
    });

    it('follows alert events written by another process through its cursor, wakes at once on its own port, and resumes after a restart without repeating', async () => {
      const c = channel();
      await repos.subscriptions.subscribe({ platform: 'slack', channelId: c, filters: {} });
      const waitFor = async (what: string, ok: () => boolean, ms = 10_000) => {
        const end = Date.now() + ms;
        while (!ok()) {
          if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      // "Another process": its own connection to the same file; its sync's evaluation writes the
      // alert and its event there. This process's port never hears of it.
      const other = await reopenTestStore(h);
      try {
        const otherRepos = createRepositories(other.db, secrets, clock);
        holding.set('authorization-expiring:far-1', {
          rule: 'authorization-expiry',
          dedupeKey: 'authorization-expiring:far-1',
          severity: 'warning',
          entity: { kind: 'cluster', id: 'acme.com/va-ops/far-1', name: 'far-1' },
          scope: SCOPE,
          title: 'cluster far-1: authorization expires in 10 days',
          facts: { customer: 'acme' },
        });
        await otherRepos.alerts.apply(SCOPE, [...holding.values()], clock.now());
      } finally {
        await other.close();
      }
      const events = new AlertEvents();
      const n = new Notifier({
        repos,
        clock,
        logger: silentLogger,
        senders: { slack: adapter.sender() },
        renotifyMs: 24 * 3_600_000,
        channelIntervalMs: INTERVAL,
        events,
      });
      // A poll interval far longer than the test: only the first poll and the port can act.
      n.start(3_600_000);
      try {
        await waitFor('the other process’s alert', () => inChannel(c).length === 1);
        expect(inChannel(c)[0]!.text).toContain('far-1');
        const changed = await openAlert('far-1', { severity: 'critical' });
        await events.publish([
          {
            kind: 'changed',
            at: clock.now(),
            alert: changed,
            reopened: false,
            changes: ['severity'],
            muted: false,
            scope: SCOPE,
          },
        ]);
        await waitFor('the change, woken by the port', () => inChannel(c).length === 2, 5_000);
        expect(inChannel(c)[1]!.threadTs).toBe(inChannel(c)[0]!.ts);
        expect(inChannel(c)[0]!.edits).toHaveLength(1);
      } finally {
        await n.stop();
      }
      expect(await repos.notifications.cursor('notify:slack')).toBe(
        await repos.notifications.lastEventId(),
      );

      // A restart between planning and sending: the queued message goes out once, and planning
      // the same events again (the cursor set back, as after a crash before it moved) adds nothing.
      await resolveAlert('authorization-expiring:far-1');
      // (every channel of this file subscribed to everything: each queues an update and a reply)
      expect(await notifier().plan()).toBeGreaterThanOrEqual(2);
      const before = inChannel(c).length;
      const again = notifier();
      await h.db.updateTable('notify_cursors').set({ last_event_id: 0 }).execute();
      expect(await again.plan()).toBe(0);
      await again.flush();
      expect(inChannel(c).length).toBe(before + 1);
      expect(inChannel(c).at(-1)!.text).toContain('All clear');
      expect(inChannel(c)[0]!.text).toContain('Resolved');
    });
  });
});
