// The alert store (migration 0008, AlertsRepository): one evaluation's apply (open, change,
// reopen, resolve within its scope only), mutes by alert and by rule + entity, history, counters.
// Real: SQLite in a temp file and PostgreSQL when SMARTLIC_TEST_PG is set (test/support/pg.ts),
// kysely, every migration. Faked: time (TestClock).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import { dedupeKey, type AlertCandidate, type AlertEntity } from '../../core/domain/alerts.ts';
import { SecretBox, createRepositories, migrateToLatest } from '../../core/store/index.ts';
import type { Repositories, StoreHandle } from '../../core/store/index.ts';
import { openTestStore, storeKinds } from '../support/pg.ts';

describe.each(storeKinds())('alert store on %s', (kind) => {
  let dir: string;
  let h: StoreHandle;
  let clock: TestClock;
  let repos: Repositories;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smartlic-alerts-store-'));
    clock = new TestClock('2026-03-01T10:00:00Z');
    h = await openTestStore(kind, { path: join(dir, 'smartlic.db'), clock });
    await migrateToLatest(h.db);
    repos = createRepositories(h.db, SecretBox.random(), clock);
  });

  afterEach(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const va: AlertEntity = { kind: 'VA', id: '7', name: 'acme-ops' };
  const cluster: AlertEntity = { kind: 'cluster', id: '3', name: 'cucm-01' };

  function shortage(n: number, scope: 'sa:1' | 'sa:2' = 'sa:1'): AlertCandidate {
    return {
      rule: 'insufficient-licenses',
      dedupeKey: dedupeKey('insufficient-licenses', va, 'UCM_Basic'),
      severity: n > 3 ? 'critical' : 'warning',
      entity: va,
      scope,
      smartAccount: { id: 1, domain: 'acme.com' },
      customer: { id: 4, name: 'Acme' },
      title: `acme-ops is short of ${n} UCM_Basic`,
      facts: { licenseType: 'UCM_Basic', shortage: n },
      action: 'add licenses',
    };
  }

  function auth(days: number, scope: 'sa:1' | 'sa:2' = 'sa:1'): AlertCandidate {
    return {
      rule: 'authorization-expiry',
      dedupeKey: dedupeKey('authorization-expiry', cluster),
      severity: 'info',
      entity: cluster,
      scope,
      title: `Authorization of cucm-01 expires in ${days} days`,
      facts: { daysLeft: days },
    };
  }

  describe('AlertsRepository.apply', () => {
    it('opens, counts, changes, resolves and reopens, with history', async () => {
      const r1 = await repos.alerts.apply('sa:1', [shortage(2), auth(20)]);
      expect(r1.opened.map((a) => a.rule).sort()).toEqual([
        'authorization-expiry',
        'insufficient-licenses',
      ]);
      expect(r1.opened[0]).toMatchObject({ state: 'open', evaluations: 1, scope: 'sa:1' });

      clock.advance({ hours: 1 });
      const r2 = await repos.alerts.apply('sa:1', [shortage(2), auth(20)]);
      expect(r2).toMatchObject({
        opened: [],
        reopened: [],
        changed: [],
        resolved: [],
        unchanged: 2,
      });
      const kept = await repos.alerts.getByDedupeKey(shortage(2).dedupeKey);
      expect(kept).toMatchObject({
        evaluations: 2,
        firstSeen: new Date('2026-03-01T10:00:00Z'),
        lastSeen: new Date('2026-03-01T11:00:00Z'),
        changedAt: null,
        customer: { id: 4, name: 'Acme' },
        action: 'add licenses',
      });

      clock.advance({ hours: 1 });
      const r3 = await repos.alerts.apply('sa:1', [shortage(5)]);
      expect(r3.changed).toHaveLength(1);
      expect(r3.changed[0]!.changes).toEqual(['severity', 'title', 'facts']);
      expect(r3.changed[0]!.previous.severity).toBe('warning');
      expect(r3.changed[0]!.alert).toMatchObject({
        severity: 'critical',
        evaluations: 3,
        changedAt: clock.now(),
        facts: { licenseType: 'UCM_Basic', shortage: 5 },
      });
      expect(r3.resolved.map((a) => a.rule)).toEqual(['authorization-expiry']);
      expect(r3.resolved[0]!.resolvedAt).toEqual(clock.now());

      clock.advance({ hours: 1 });
      const r4 = await repos.alerts.apply('sa:1', [shortage(5), auth(10)]);
      expect(r4.reopened.map((a) => a.rule)).toEqual(['authorization-expiry']);
      expect(r4.reopened[0]).toMatchObject({
        firstSeen: clock.now(),
        resolvedAt: null,
        evaluations: 1,
      });
      expect(r4.unchanged).toBe(1);

      const authId = r4.reopened[0]!.id;
      expect((await repos.alerts.history(authId)).map((e) => e.kind)).toEqual([
        'opened',
        'resolved',
        'reopened',
      ]);
      // One row per key, whatever happened.
      expect(await repos.alerts.list({ state: 'all' })).toHaveLength(2);
    });

    it('never resolves alerts of another scope', async () => {
      await repos.alerts.apply('sa:1', [shortage(2)]);
      await repos.alerts.apply('sa:2', [
        { ...auth(5, 'sa:2'), dedupeKey: 'authorization-expiry:cluster:9' },
      ]);
      const r = await repos.alerts.apply('sa:2', []);
      expect(r.resolved.map((a) => a.dedupeKey)).toEqual(['authorization-expiry:cluster:9']);
      expect((await repos.alerts.list()).map((a) => a.dedupeKey)).toEqual([shortage(2).dedupeKey]);
    });

    it('applyMany: one batch gives each scope the result it would have had alone', async () => {
      const other = { ...auth(5, 'sa:2'), dedupeKey: 'authorization-expiry:cluster:9' };
      await repos.alerts.applyMany(
        new Map([
          ['sa:1', [shortage(2), auth(20)]],
          ['sa:2', [other]],
        ]),
      );
      clock.advance({ days: 1 });
      const r = await repos.alerts.applyMany(
        new Map([
          ['sa:1', [shortage(5)]], // severity up; the authorization alert no longer holds
          ['sa:2', [other]], // unchanged
          ['global', []], // nothing, and no result borrowed from another scope
        ]),
      );
      expect(r.get('sa:1')!.changed.map((c) => [c.alert.dedupeKey, c.changes])).toEqual([
        [shortage(5).dedupeKey, ['severity', 'title', 'facts']],
      ]);
      expect(r.get('sa:1')!.resolved.map((a) => a.dedupeKey)).toEqual([auth(20).dedupeKey]);
      expect(r.get('sa:2')).toMatchObject({ opened: [], changed: [], resolved: [], unchanged: 1 });
      expect(r.get('global')).toMatchObject({
        opened: [],
        changed: [],
        resolved: [],
        unchanged: 0,
      });
      // History: two opened + one in sa:2 on day one; one changed and one resolved on day two.
      const kinds = (
        await h.db.selectFrom('alert_events').select('kind').orderBy('id').execute()
      ).map((e) => e.kind);
      expect(kinds).toEqual(['opened', 'opened', 'opened', 'changed', 'resolved']);
    });

    it('applyMany: an alert whose entity moved to another scope of the batch moves, not resolves', async () => {
      await repos.alerts.apply('sa:1', [auth(20)]);
      const r = await repos.alerts.applyMany(
        new Map([
          ['sa:1', []],
          ['sa:2', [auth(20, 'sa:2')]],
        ]),
      );
      expect(r.get('sa:1')!.resolved).toEqual([]);
      expect(r.get('sa:2')!.changed).toEqual([]);
      const [a] = await repos.alerts.list();
      expect(a).toMatchObject({ dedupeKey: auth(20).dedupeKey, scope: 'sa:2', state: 'open' });
    });

    it('lists by severity, customer and account; sorts most severe and nearest deadline first', async () => {
      const due = (d: number, key: string, sev: 'info' | 'warning'): AlertCandidate => ({
        ...auth(d),
        dedupeKey: key,
        severity: sev,
        dueAt: new Date(clock.now().getTime() + d * 86_400_000),
      });
      await repos.alerts.apply('sa:1', [
        due(20, 'a:far', 'info'),
        due(3, 'a:near', 'info'),
        due(9, 'a:warn', 'warning'),
        shortage(5),
      ]);
      expect((await repos.alerts.list()).map((a) => a.dedupeKey)).toEqual([
        shortage(5).dedupeKey,
        'a:warn',
        'a:near',
        'a:far',
      ]);
      expect((await repos.alerts.list({ minSeverity: 'warning' })).length).toBe(2);
      expect((await repos.alerts.list({ customer: 'Acme' })).map((a) => a.rule)).toEqual([
        'insufficient-licenses',
      ]);
      expect((await repos.alerts.list({ customer: '4' })).length).toBe(1);
      expect((await repos.alerts.list({ smartAccountId: 1 })).length).toBe(1);
      expect((await repos.alerts.countOpenBySmartAccount()).get(1)).toEqual({
        critical: 1,
        warning: 0,
        info: 0,
        muted: 0,
      });
    });
  });

  describe('mutes', () => {
    it('a muted alert keeps updating, reads as muted until the mute ends', async () => {
      const { opened } = await repos.alerts.apply('sa:1', [shortage(2), auth(20)]);
      const s = opened.find((a) => a.rule === 'insufficient-licenses')!;
      const muted = await repos.alerts.muteAlert(s.id, {
        until: new Date('2026-03-08T10:00:00Z'),
        reason: 'order placed',
        by: 'cli:ops',
      });
      expect(muted?.mute).toMatchObject({
        by: 'alert',
        reason: 'order placed',
        mutedBy: 'cli:ops',
      });
      expect((await repos.alerts.list({ includeMuted: false })).map((a) => a.rule)).toEqual([
        'authorization-expiry',
      ]);

      clock.advance({ days: 1 });
      const r = await repos.alerts.apply('sa:1', [shortage(5), auth(19)]);
      const changed = r.changed.find((c) => c.alert.id === s.id)!;
      expect(changed.alert.severity).toBe('critical');
      expect(changed.alert.mute?.until).toEqual(new Date('2026-03-08T10:00:00Z'));

      clock.set('2026-03-08T10:00:00Z');
      expect((await repos.alerts.getById(s.id))?.mute).toBeNull();
      expect((await repos.alerts.history(s.id)).map((e) => e.kind)).toEqual([
        'opened',
        'muted',
        'changed',
      ]);
    });

    it('a rule mute covers every alert of the rule on the entity, also new ones; unmute ends it', async () => {
      const m = await repos.alerts.muteRule({
        rule: 'insufficient-licenses',
        entityKind: 'VA',
        entityId: '7',
        until: new Date('2026-03-02T10:00:00Z'),
        reason: 'migration weekend',
      });
      const r = await repos.alerts.apply('sa:1', [shortage(2), auth(20)]);
      const s = r.opened.find((a) => a.rule === 'insufficient-licenses')!;
      expect(s.mute).toMatchObject({ by: 'rule', muteId: m.id, reason: 'migration weekend' });
      expect(r.opened.find((a) => a.rule === 'authorization-expiry')!.mute).toBeNull();
      expect(await repos.alerts.listRuleMutes()).toHaveLength(1);

      await repos.alerts.unmuteAlert(s.id, 'cli:ops');
      expect((await repos.alerts.getById(s.id))?.mute).toBeNull();
      expect(await repos.alerts.listRuleMutes()).toHaveLength(0);
    });
  });

  describe('counters', () => {
    it('bump counts up from 1 and keeps since; reset deletes', async () => {
      await repos.alerts.updateCounters([{ key: 'unreadable:1' }, { key: 'unreadable:2' }], []);
      clock.advance({ hours: 6 });
      await repos.alerts.updateCounters(
        [{ key: 'unreadable:1', detail: 'CAA1005' }],
        ['unreadable:2'],
      );
      const c = await repos.alerts.counters('unreadable:');
      expect([...c.keys()]).toEqual(['unreadable:1']);
      expect(c.get('unreadable:1')).toMatchObject({
        count: 2,
        since: new Date('2026-03-01T10:00:00Z'),
        lastAt: new Date('2026-03-01T16:00:00Z'),
        detail: 'CAA1005',
      });
    });
  });
});
