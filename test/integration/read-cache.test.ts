// The whole-estate read models kept per data version (core/reports/read-cache.ts): reused while
// nothing was written and the minute is the same, recomputed after a write of any kind the
// answers show (a cluster, a mute, an alert evaluation, a sync's account row) or a new minute;
// asks at once share one computation; a failure is not kept.
// Real: SQLite (an in-memory database migrated to the latest schema) and, when SMARTLIC_TEST_PG
// is set, PostgreSQL (a database of test/support/pg.ts, emptied per test); the repositories, the
// Cluster Summary read model, readModelVersion's raw SQL on both. Faked: nothing (the
// computations are counted by a wrapper).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import * as reports from '../../core/reports/index.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  type Repositories,
  type StoreHandle,
} from '../../core/store/index.ts';
import { openTestStore, storeKinds } from '../support/pg.ts';

const T0 = new Date('2026-03-01T10:00:00Z');
describe.each(storeKinds())('read cache (%s)', (kind) => {
  let h: StoreHandle;
  let repos: Repositories;
  let clock: TestClock;

  beforeEach(async () => {
    clock = new TestClock(T0);
    h = await openTestStore(kind, { path: ':memory:', clock });
    await migrateToLatest(h.db);
    repos = createRepositories(h.db, SecretBox.random(), clock);
    const customer = await repos.customers.upsert({ name: 'Globex' });
    await repos.clusters.upsert({
      customerId: customer.id,
      name: 'globex-cucm',
      type: 'CUCM',
      version: '15.0',
      publisherAddress: 'https://globex-pub.example.com',
    });
  });

  afterEach(async () => {
    await h.close();
  });

  function counted(cache: reports.ReadModelCache) {
    let runs = 0;
    const ask = (now = clock.now()) =>
      cache.get('clusters', now, async (at) => {
        runs++;
        return reports.clusterSummary(h.db, { now: at });
      });
    return { ask, runs: () => runs };
  }

  describe('ReadModelCache', () => {
    it('answers again from the kept model while nothing is written, within the minute', async () => {
      const c = counted(new reports.ReadModelCache(h.db));
      const first = await c.ask();
      clock.advance({ seconds: 30 });
      const again = await c.ask();
      expect(c.runs()).toBe(1);
      expect(again).toBe(first);
      expect(first.map((r) => r.name)).toEqual(['globex-cucm']);
    });

    it('recomputes after a write the answers show, and in a new minute', async () => {
      const cache = new reports.ReadModelCache(h.db);
      const c = counted(cache);
      await c.ask();
      const customer = await repos.customers.upsert({ name: 'Initech' });
      await repos.clusters.upsert({
        customerId: customer.id,
        name: 'initech-cuc',
        type: 'CUC',
        version: '14.0',
        publisherAddress: 'https://pub.example.com',
      });
      const after = await c.ask();
      expect(c.runs()).toBe(2);
      expect(after.map((r) => r.name).sort()).toEqual(['globex-cucm', 'initech-cuc']);
      clock.advance({ seconds: 61 });
      await c.ask();
      expect(c.runs()).toBe(3);
      expect(cache.stats).toEqual({ hits: 0, misses: 3, stale: 0 });
    });

    it('sees a sync (the account row) and an alert mute as writes', async () => {
      const c = counted(new reports.ReadModelCache(h.db));
      const sa = await repos.smartAccounts.upsert({ domain: 'globex.example.com', name: 'Globex' });
      await c.ask();
      await repos.smartAccounts.updateSyncStatus(sa.id, {
        at: clock.now(),
        status: 'Success',
        error: null,
      });
      await c.ask();
      expect(c.runs()).toBe(2);
      const before = await reports.readModelVersion(h.db);
      await h.db
        .insertInto('alert_mutes')
        .values({
          rule: 'term-license',
          entity_type: 'VA',
          entity_id: '1',
          until: new Date(T0.getTime() + 86_400_000).toISOString(),
          reason: 'test',
          created_by: 'test',
          created_at: T0.toISOString(),
        })
        .execute();
      expect(await reports.readModelVersion(h.db)).not.toBe(before);
    });

    it('shares one computation between asks at once, and keeps no failure', async () => {
      const cache = new reports.ReadModelCache(h.db);
      let runs = 0;
      const slow = () =>
        cache.get('status', clock.now(), async () => {
          runs++;
          await new Promise((r) => setTimeout(r, 20));
          return runs;
        });
      const [a, b] = await Promise.all([slow(), slow()]);
      expect([a, b, runs]).toEqual([1, 1, 1]);

      let fail = true;
      const flaky = () =>
        cache.get('flaky', clock.now(), () =>
          fail ? Promise.reject(new Error('disk on fire')) : Promise.resolve('fine'),
        );
      await expect(flaky()).rejects.toThrow('disk on fire');
      fail = false;
      await expect(flaky()).resolves.toBe('fine');
    });

    it('is one cache per database handle', () => {
      expect(reports.readCache(h.db)).toBe(reports.readCache(h.db));
    });
  });
});
