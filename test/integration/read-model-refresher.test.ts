// Whole-estate answers computed ahead of the asks (issue 23; core/reports/read-model-refresher.ts,
// read-cache.ts fed mode, whole-estate.ts, bot/commands/handlers `status` / `clusters` / `alerts`;
// `clusters` fed gets the page chat shows, and the message is the one every row would give):
// the refresher computes every model on one read snapshot and publishes it over a MessagePort;
// a fed cache serves the newest snapshot without computing, says `current: false` (and the reply
// says "As of …") while the data changed since, and is current again after the next round.
// Real: the emulator's demo estate over loopback HTTP, provisioning and a full sync by the real
// services into a real SQLite temp file; the refresher and the asking cache each on a read-only
// connection of their own to that file (as the bot's read-model thread and command worker);
// a worker_threads MessageChannel between them (structured clone, as between threads); the
// command layer with its real handlers. Faked: nothing; the clock is the fixture's TestClock.
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandLayer, defaultRegistry, type Actor } from '../../bot/commands/index.ts';
import { forChat, type Reply } from '../../bot/commands/reply.ts';
import { silentLogger } from '../../core/log.ts';
import * as reports from '../../core/reports/index.ts';
import { createRepositories, openDatabase, type DatabaseHandle } from '../../core/store/index.ts';
import {
  provisionCloud,
  provisionSatellite,
  seedClusters,
  setup,
  type Fixture,
} from './sync-fixture.ts';

const viewer: Actor = { platform: 'slack', userId: 'UREAD', channelId: 'CREAD' };

describe('read-model refresher and a fed read cache', () => {
  let fx: Fixture;
  let refresherDb: DatabaseHandle;
  let askerDb: DatabaseHandle;
  let channel: MessageChannel;
  let refresher: reports.ReadModelRefresher;
  let cache: reports.ReadModelCache;
  let layer: CommandLayer;
  const published: reports.ReadModelSnapshot[] = [];

  /** Resolves when the refresher has published a round after `rounds` rounds. */
  const nextRound = async (rounds: number) => {
    const until = Date.now() + 20_000;
    while (refresher.stats.rounds <= rounds) {
      if (Date.now() > until) throw new Error('no refresh round within 20 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    // The snapshots cross the channel as messages: let them arrive.
    await new Promise((r) => setTimeout(r, 50));
  };

  beforeAll(async () => {
    fx = await setup();
    await provisionCloud(fx, 0);
    await provisionCloud(fx, 1);
    await provisionSatellite(fx, 'la-initech');
    await seedClusters(fx);
    await fx.services.sync.syncAll({ requestedBy: 'test', full: true });
    refresherDb = openDatabase({ path: fx.dbPath, readonly: true, clock: fx.clock });
    askerDb = openDatabase({ path: fx.dbPath, readonly: true, clock: fx.clock });
    channel = new MessageChannel();
    const secrets = fx.secrets;
    refresher = new reports.ReadModelRefresher({
      db: refresherDb.db,
      clock: fx.clock,
      pollMs: 20,
      minGapMs: 0,
      compute: (snap, now) =>
        reports.wholeEstateModels(
          snap,
          (filter, at) => createRepositories(snap, secrets, fx.clock).alerts.list(filter, at),
          now,
        ),
      publish: (s) => {
        published.push(s);
        const { message, transfer } = reports.snapshotMessage(s);
        channel.port1.postMessage(message, transfer);
      },
    });
    channel.port1.on('message', (m: unknown) => {
      if ((m as reports.ReadModelMessage).kind === 'asked') refresher.asked();
    });
    cache = reports.readCache(askerDb.db);
    cache.attach(channel.port2);
    layer = new CommandLayer(
      {
        db: askerDb.db,
        services: fx.services,
        repos: fx.repos,
        clock: fx.clock,
        logger: silentLogger,
        config: fx.config,
      },
      defaultRegistry(),
    );
    refresher.start();
    await nextRound(0);
  }, 120_000);

  afterAll(async () => {
    await refresher?.stop();
    channel?.port1.close();
    channel?.port2.close();
    await refresherDb?.close();
    await askerDb?.close();
    await fx?.close();
  });

  it('publishes every whole-estate model, equal to what the read models answer directly', async () => {
    const keys = new Set(published.map((s) => s.key));
    expect([...keys].sort()).toEqual([...reports.WHOLE_ESTATE_KEYS].sort());
    const now = published[0]!.at;
    const db = fx.h.db;
    const of = (key: string) => published.filter((s) => s.key === key).at(-1)!.value;
    const clusters = await reports.clusterSummary(db, { now });
    expect(clusters.length).toBeGreaterThan(3);
    // The Cluster Summary goes as the page chat shows (whole-estate.ts ClusterPage).
    expect(of('clusters:page')).toEqual(reports.clusterPage(clusters));
    // `--failed` as the rows clusterFailed keeps: the same rows, in the same order, as the filter.
    const failed = await reports.clusterSummary(db, { now, filter: { failed: true } });
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(clusters.length);
    expect(of('clusters:failed:page')).toEqual(reports.clusterPage(failed));
    expect(of('status')).toEqual(await reports.statusOverview(db, { now }));
    const open = await fx.repos.alerts.list({ state: 'open', includeMuted: false }, now);
    expect(open.length).toBeGreaterThan(0);
    expect(of('alerts:open')).toEqual(open);
    expect(of('alerts:muted')).toEqual(
      await fx.repos.alerts.list({ state: 'open', includeMuted: true }, now),
    );
  });

  it('answers from the snapshot without computing, current while nothing was written', async () => {
    let computed = 0;
    const a = await cache.answer('clusters:page', fx.clock.now(), () => {
      computed++;
      return Promise.resolve(reports.clusterPage([]));
    });
    expect(computed).toBe(0);
    expect(a.current).toBe(true);
    expect(a.value.total).toBeGreaterThan(3);
    const reply = (await layer.execute('status', viewer)).reply;
    expect(reply.status).toBe('ok');
    expect(JSON.stringify(reply.blocks)).not.toContain('As of');
  });

  it('clusters (and --failed) from the page: the message chat shows is the one of every row', async () => {
    // Not fed: fx.h.db has a cache of its own that computes every row.
    const whole = new CommandLayer(
      {
        db: fx.h.db,
        services: fx.services,
        repos: fx.repos,
        clock: fx.clock,
        logger: silentLogger,
        config: fx.config,
      },
      defaultRegistry(),
    );
    const shown = (r: Reply) => {
      const { data: _data, ...rest } = forChat(r);
      return rest;
    };
    for (const line of ['clusters', 'clusters --failed']) {
      const fed = (await layer.execute(line, viewer)).reply;
      const all = (await whole.execute(line, viewer)).reply;
      expect(fed.status).toBe('ok');
      expect(shown(fed)).toEqual(shown(all));
      // The fed reply carries the page, not every row.
      expect(Array.isArray(all.data)).toBe(true);
      expect((fed.data as reports.ClusterPage).total).toBe((all.data as unknown[]).length);
    }
  });

  it('after a write: the last answer, labelled as of its time, then the new one', async () => {
    const none = () => Promise.resolve(reports.clusterPage([]));
    const before = await cache.answer('clusters:page', fx.clock.now(), none);
    // Stop the refresher from seeing the write before we ask: a pause longer than the test.
    await refresher.stop();
    const customer = await fx.repos.customers.upsert({ name: 'Late Arrival' });
    await fx.repos.clusters.upsert({
      customerId: customer.id,
      name: 'late-cucm',
      type: 'CUCM',
      version: '15.0',
      publisherAddress: 'https://late-pub.example.com',
    });
    let computed = 0;
    const stale = await cache.answer('clusters:page', fx.clock.now(), () => {
      computed++;
      return none();
    });
    expect(computed).toBe(0);
    expect(stale.current).toBe(false);
    expect(stale.asOf).toEqual(before.asOf);
    expect(stale.value.total).toBe(before.value.total);
    const reply = (await layer.execute('clusters', viewer)).reply;
    const note = reply.blocks.find((b) => b.kind === 'context' && b.text.startsWith('As of'));
    expect(note).toBeDefined();
    expect(note).toMatchObject({
      text: expect.stringContaining(
        `As of ${before.asOf.toISOString().replace('T', ' ').slice(0, 19)} UTC`,
      ),
    });

    // A refresher running again sees the new version and publishes it.
    refresher = new reports.ReadModelRefresher({ ...refresherOptions(), pollMs: 20, minGapMs: 0 });
    refresher.start();
    await nextRound(0);
    const fresh = await cache.answer('clusters:page', fx.clock.now(), none);
    expect(fresh.current).toBe(true);
    expect(fresh.value.total).toBe(before.value.total + 1);
    const again = (await layer.execute('clusters', viewer)).reply;
    expect(JSON.stringify(again.blocks)).not.toContain('As of');
  });

  it('ages: past its maximum age an answer is recomputed by the refresher before it is served stale', async () => {
    const rounds = refresher.stats.rounds;
    fx.clock.advance({ seconds: 55 });
    await nextRound(rounds);
    const a = await cache.answer('status', fx.clock.now(), () => Promise.reject(new Error('no')));
    expect(a.current).toBe(true);
    expect(a.asOf).toEqual(fx.clock.now());
  });

  it('serves no snapshot past its stale limit: waits for a newer one, else computes itself', async () => {
    await refresher.stop();
    const ch = new MessageChannel();
    const send = (snap: reports.ReadModelSnapshot) => {
      const { message, transfer } = reports.snapshotMessage(snap);
      ch.port1.postMessage(message, transfer);
    };
    const own = new reports.ReadModelCache(askerDb.db, { firstSnapshotWaitMs: 300 });
    own.attach(ch.port2);
    send(published.filter((p) => p.key === 'clusters:page').at(-1)!);
    await new Promise((r) => setTimeout(r, 50));
    fx.clock.advance({ minutes: 6 });
    let computed = 0;
    const compute = async (at: Date) => {
      computed++;
      return reports.clusterPage(await reports.clusterSummary(askerDb.db, { now: at }));
    };
    // Nobody publishes a newer one: after the wait, the ask computes.
    const a = await own.answer('clusters:page', fx.clock.now(), compute);
    expect(computed).toBe(1);
    expect(a.current).toBe(true);
    expect(a.asOf).toEqual(fx.clock.now());

    // A refresher that answers: the ask waits for its round and computes nothing.
    fx.clock.advance({ minutes: 6 });
    const r2 = new reports.ReadModelRefresher({
      ...refresherOptions(),
      publish: send,
      pollMs: 20,
      minGapMs: 0,
    });
    ch.port1.on('message', (m: unknown) => {
      if ((m as reports.ReadModelMessage).kind === 'asked') r2.asked();
    });
    try {
      r2.start();
      const b = await own.answer('clusters:page', fx.clock.now(), compute);
      expect(computed).toBe(1);
      expect(b.current).toBe(true);
      expect(b.asOf).toEqual(fx.clock.now());
    } finally {
      await r2.stop();
      ch.port1.close();
    }
  });

  function refresherOptions(): reports.ReadModelRefresherOptions {
    return {
      db: refresherDb.db,
      clock: fx.clock,
      compute: (snap, now) =>
        reports.wholeEstateModels(
          snap,
          (filter, at) => createRepositories(snap, fx.secrets, fx.clock).alerts.list(filter, at),
          now,
        ),
      publish: (s) => {
        const { message, transfer } = reports.snapshotMessage(s);
        channel.port1.postMessage(message, transfer);
      },
    };
  }
});

describe('ReadModelRefresher, while the data keeps moving', () => {
  it('computes once per maxLagMs while a sync writes, and once more when it stops', async () => {
    const { TestClock } = await import('../../core/clock.ts');
    const { openTestStore } = await import('../support/pg.ts');
    const { migrateToLatest, createRepositories, SecretBox } =
      await import('../../core/store/index.ts');
    const clock = new TestClock('2026-03-01T10:00:00Z');
    const h = await openTestStore('sqlite', { path: ':memory:', clock });
    await migrateToLatest(h.db);
    const repos = createRepositories(h.db, SecretBox.random(), clock);
    const r = new reports.ReadModelRefresher({
      db: h.db,
      clock,
      pollMs: 10,
      minGapMs: 0,
      settleMs: 150,
      maxLagMs: 600,
      compute: () => Promise.resolve({}),
      publish: () => {},
    });
    const rounds = () => r.stats.rounds;
    const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
    try {
      r.start();
      while (rounds() < 1) await sleep(10);
      // A sync's writes: a new data version every 20 ms for 1.5 s (each would have been a round
      // of its own, one per poll, before rounds waited for the version to settle).
      const end = Date.now() + 1500;
      let writes = 0;
      while (Date.now() < end) {
        await repos.customers.upsert({ name: `customer ${writes++}` });
        await sleep(20);
      }
      const during = rounds() - 1;
      expect(writes).toBeGreaterThan(20);
      expect(during).toBeGreaterThanOrEqual(1);
      expect(during).toBeLessThanOrEqual(3);
      // Settled: one round on the last version, then none.
      const settled = Date.now() + 5000;
      while (r.stats.version !== (await reports.readModelVersion(h.db))) {
        if (Date.now() > settled) throw new Error('no round on the settled version within 5 s');
        await sleep(20);
      }
      const after = rounds();
      expect(after - 1).toBeLessThanOrEqual(during + 1);
      await sleep(300);
      expect(rounds()).toBe(after);
    } finally {
      await r.stop();
      await h.close();
    }
  });
});

describe('ReadModelRefresher, idle', () => {
  it('runs no round while nobody asks, and one soon after an ask', async () => {
    const { TestClock } = await import('../../core/clock.ts');
    const { openTestStore } = await import('../support/pg.ts');
    const { migrateToLatest } = await import('../../core/store/index.ts');
    const clock = new TestClock('2026-03-01T10:00:00Z');
    const h = await openTestStore('sqlite', { path: ':memory:', clock });
    await migrateToLatest(h.db);
    let rounds = 0;
    const r = new reports.ReadModelRefresher({
      db: h.db,
      clock,
      pollMs: 10,
      minGapMs: 0,
      idleAfterMs: 60_000,
      compute: () => Promise.resolve({ n: ++rounds }),
      publish: () => {},
    });
    try {
      r.start();
      await new Promise((res) => setTimeout(res, 100));
      expect(rounds).toBe(1);
      // Idle: the answers age past refreshAgeMs but nobody asked for ten minutes.
      clock.advance({ minutes: 11 });
      await new Promise((res) => setTimeout(res, 100));
      expect(rounds).toBe(1);
      r.asked();
      await new Promise((res) => setTimeout(res, 100));
      expect(rounds).toBe(2);
    } finally {
      await r.stop();
      await h.close();
    }
  });
});
