// The read-side SQL that issue 8's speed work changed: the forecast's least-squares sums computed
// by SQLite, statusOverview reading each summary once, and migration 0010's indexes being the
// ones the queries use. Real: SQLite (in memory), kysely, every migration, the repositories and
// core/reports. Faked: time (TestClock); the snapshots are written through the repository at
// times chosen here. Expected fits are worked out in this file with the textbook two-pass
// formula over the same points, not with core's code. Also: migration 0019's indexes serve the
// chat read-model version (core/reports/read-cache.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { TestClock } from '../../core/clock.ts';
import * as reports from '../../core/reports/index.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
  type DatabaseHandle,
  type Repositories,
} from '../../core/store/index.ts';
import type { Database } from '../../core/store/schema.ts';

const DAY = 86_400_000;
const now = new Date('2026-06-01T12:00:00.000Z');
let h: DatabaseHandle;
let r: Repositories;
let vaId: number;
let otherVaId: number;

/** Least squares of in-use over days from now, by hand (two-pass). */
function fit(points: readonly { at: number; y: number }[]): { a: number; b: number } {
  const xs = points.map((p) => (p.at - now.getTime()) / DAY);
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  xs.forEach((x, i) => {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (points[i]!.y - my);
  });
  const b = sxy / sxx;
  return { a: my - b * mx, b };
}

// Irregular times (not whole days): 40 points over 80 days, in use growing about 3 a day with
// a wobble, 1 000 owned. Plus a point 200 days ago that the 90-day window must leave out.
const growth = Array.from({ length: 40 }, (_, i) => ({
  at: now.getTime() - (80 - 2 * i) * DAY + ((i * 7919) % 86_400) * 1000 + (i % 3),
  y: 400 + 6 * i + (i % 4 === 0 ? 5 : i % 4 === 2 ? -4 : 0),
}));

beforeAll(async () => {
  const clock = new TestClock(now);
  h = openDatabase({ path: ':memory:', clock });
  await migrateToLatest(h.db);
  r = createRepositories(h.db, SecretBox.random(), clock);
  const sa = await r.smartAccounts.upsert({ domain: 'forecast.example.com', name: 'Forecast' });
  vaId = (await r.virtualAccounts.upsert(sa.id, { name: 'va-trend' })).id;
  otherVaId = (await r.virtualAccounts.upsert(sa.id, { name: 'va-other' })).id;
  await r.usageSnapshots.append(
    vaId,
    [{ licenseType: 'HUCM_Standard', quantity: 1000, inUse: 100, available: 900 }],
    new Date(now.getTime() - 200 * DAY),
  );
  for (const p of growth) {
    await r.usageSnapshots.append(
      vaId,
      [
        { licenseType: 'HUCM_Standard', quantity: 1000, inUse: p.y, available: 1000 - p.y },
        // Flat: every point the same.
        { licenseType: 'HUCM_Foundation', quantity: 50, inUse: 20, available: 30 },
      ],
      new Date(p.at),
    );
  }
  // Two points at the very same time: x does not vary.
  const same = new Date(now.getTime() - 3 * DAY);
  await r.usageSnapshots.append(
    otherVaId,
    [{ licenseType: 'HCER_User', quantity: 10, inUse: 2, available: 8 }],
    same,
  );
  // Same time, later id: this one is the latest point (its counts are what "owned" shows).
  await r.usageSnapshots.append(
    otherVaId,
    [{ licenseType: 'HCER_User', quantity: 12, inUse: 3, available: 9 }],
    same,
  );
  // Only before the window: no series at all.
  await r.usageSnapshots.append(
    otherVaId,
    [{ licenseType: 'HUCM_Basic', quantity: 5, inUse: 1, available: 4 }],
    new Date(now.getTime() - 120 * DAY),
  );
  // Already short at the latest point.
  await r.usageSnapshots.append(
    otherVaId,
    [{ licenseType: 'HUCM_Foundation', quantity: 5, inUse: 7, available: -2 }],
    new Date(now.getTime() - DAY),
  );
});

afterAll(async () => {
  await h.close();
});

describe('forecast: least-squares sums in SQLite', () => {
  it('fits irregular points as the two-pass formula does, window edges included', async () => {
    const f = await reports.forecast(h.db, { virtualAccountId: vaId, now });
    const std = f.rows.find((x) => x.licenseType === 'HUCM_Standard')!;
    const { a, b } = fit(growth);
    const days = (1000 - a) / b;
    expect(std.outcome).toBe('crosses');
    expect(std.points).toBe(40); // the point 200 days ago is outside the 90-day window
    expect(std.owned).toBe(1000);
    expect(std.inUse).toBe(growth[growth.length - 1]!.y);
    expect(std.slopePerDay! / b).toBeCloseTo(1, 12);
    expect(std.daysUntil).toBe(Math.ceil(days));
    expect(Math.abs(std.crossesAt!.getTime() - (now.getTime() + days * DAY))).toBeLessThan(2);
    const flat = f.rows.find((x) => x.licenseType === 'HUCM_Foundation')!;
    expect(flat).toMatchObject({ outcome: 'no growth', points: 40, owned: 50, inUse: 20 });
    expect(flat.slopePerDay).toBe(0);
    // A wider window takes the old point in: 41 points, a different fit.
    const wide = await reports.forecast(h.db, { virtualAccountId: vaId, now, windowDays: 365 });
    const w = wide.rows.find((x) => x.licenseType === 'HUCM_Standard')!;
    expect(w.points).toBe(41);
    const all = [{ at: now.getTime() - 200 * DAY, y: 100 }, ...growth];
    expect(w.slopePerDay! / fit(all).b).toBeCloseTo(1, 12);
  });

  it('same-time points are "not enough data"; the latest point is the last id; short wins', async () => {
    const f = await reports.forecast(h.db, { virtualAccountId: otherVaId, now });
    expect(f.rows.map((x) => [x.licenseType, x.outcome, x.points, x.owned, x.inUse])).toEqual([
      ['HUCM_Foundation', 'already short', 1, 5, 7],
      ['HCER_User', 'not enough data', 2, 12, 3],
    ]);
  });

  it('forecastsFor (alert evaluation) gives exactly what forecast gives, per VA', async () => {
    const many = await reports.forecastsFor(h.db, { virtualAccountIds: [vaId, otherVaId], now });
    expect(many.get(vaId)).toEqual(
      (await reports.forecast(h.db, { virtualAccountId: vaId, now })).rows,
    );
    expect(many.get(otherVaId)).toEqual(
      (await reports.forecast(h.db, { virtualAccountId: otherVaId, now })).rows,
    );
    // A VA with no snapshot in the window is left out.
    const none = await reports.forecastsFor(h.db, {
      virtualAccountIds: [otherVaId],
      now: new Date(now.getTime() + 400 * DAY),
    });
    expect(none.size).toBe(0);
  });
});

describe('statusOverview', () => {
  it('reads the Cluster Summary and the Smart Account Summary once each', async () => {
    const customer = await r.customers.upsert({ name: 'Acme' });
    await r.clusters.upsert({
      customerId: customer.id,
      name: 'acme-cucm-01',
      type: 'CUCM',
      version: '14.0.1.10000-1',
      publisherAddress: 'https://cucm.acme.example',
      adminUsername: 'administrator',
      adminPassword: 'not-a-real-password',
    });
    // The same connection, with every statement's text recorded.
    const seen: string[] = [];
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: h.sqlite }),
      log: (e) => {
        seen.push(e.query.sql);
      },
    });
    const status = await reports.statusOverview(db, { now });
    const count = (from: string) => seen.filter((q) => q.includes(from)).length;
    expect(count('from "clusters" as "c" inner join "customers" as "k"')).toBe(1);
    expect(count('from "smart_accounts" as "s" left join "local_accounts"')).toBe(1);
    // And the attention list is the one attentionList gives on its own.
    expect(status.attention).toEqual((await reports.attentionList(h.db, { now })).items);
    expect(status.clusters.total).toBe(1);
    expect(status.accounts.map((a) => a.domain)).toEqual(['forecast.example.com']);
  });
});

describe('Cluster Summary pages', () => {
  it('a page (ids first, then the rows) is exactly that slice of the whole summary', async () => {
    // Names out of id order, two customers, so the order (customer, name, id) matters.
    for (const [customer, name] of [
      ['Zeta', 'b-cucm'],
      ['Beta', 'z-cuc'],
      ['Zeta', 'a-cer'],
      ['Beta', 'c-cucm'],
      ['Beta', 'a-cucm'],
    ] as const) {
      const k = await r.customers.upsert({ name: customer });
      await r.clusters.upsert({
        customerId: k.id,
        name,
        type: name.endsWith('cer') ? 'CER' : name.endsWith('cuc') ? 'CUC' : 'CUCM',
        version: '15.0.1.10000-1',
        publisherAddress: `https://${name}.example`,
        adminUsername: 'administrator',
        adminPassword: 'not-a-real-password',
      });
    }
    const all = await reports.clusterSummary(h.db, { now });
    expect(all.length).toBeGreaterThanOrEqual(5);
    const names = (rows: { customer: string; name: string }[]) =>
      rows.map((x) => `${x.customer}/${x.name}`);
    for (const [limit, offset] of [
      [2, 0],
      [2, 1],
      [3, 4],
      [10, 0],
      [1, all.length - 1],
      [2, all.length],
      [undefined, 2],
      [0, 1],
    ] as const) {
      const page = await reports.clusterSummary(h.db, {
        now,
        ...(limit !== undefined ? { limit } : {}),
        offset,
      });
      expect(names(page)).toEqual(
        names(all.slice(offset, limit === undefined ? undefined : offset + limit)),
      );
      expect(page).toEqual(all.slice(offset, limit === undefined ? undefined : offset + limit));
    }
    const beta = await reports.clusterSummary(h.db, { now, filter: { customer: 'Beta' } });
    expect(names(beta)).toEqual(['Beta/a-cucm', 'Beta/c-cucm', 'Beta/z-cuc']);
    expect(
      names(
        await reports.clusterSummary(h.db, {
          now,
          filter: { customer: 'Beta' },
          limit: 1,
          offset: 1,
        }),
      ),
    ).toEqual(['Beta/c-cucm']);
  });
});

describe('migration 0010: the plans use its indexes', () => {
  const plan = (q: string, ...params: unknown[]): string =>
    (h.sqlite.prepare(`explain query plan ${q}`).all(...params) as { detail: string }[])
      .map((x) => x.detail)
      .join(' | ');

  it('a usage series is read from usage_snapshots_series_idx alone, in order', () => {
    const p = plan(
      `select taken_at, license_type, quantity, in_use, available, shortage from usage_snapshots
       where virtual_account_id = ? order by license_type, taken_at, id`,
      vaId,
    );
    expect(p).toContain('COVERING INDEX usage_snapshots_series_idx');
    expect(p).not.toContain('TEMP B-TREE');
  });

  it("the read-model version's newest cluster and VA stamps come from one index entry (migration 0019)", () => {
    // Read 4 times a second by the bot's read-model thread (issue 23): without the index each
    // read every cluster row.
    expect(plan(`select max(updated_at) from clusters`)).toContain(
      'COVERING INDEX clusters_updated_at_idx',
    );
    expect(plan(`select max(updated_at) from virtual_accounts`)).toContain(
      'COVERING INDEX virtual_accounts_updated_at_idx',
    );
  });

  it('terms ending soon are found by end date; VA counts come from clusters_va_customer_idx', async () => {
    expect(
      plan(
        `select d.id from license_details d where d.end_date is not null and d.end_date > ? and d.end_date <= ?`,
        '2026-01-01',
        '2026-04-01',
      ),
    ).toContain('license_details_end_idx');
    expect(
      plan(
        `select count(distinct c.customer_id) from clusters c where c.virtual_account_id = ?`,
        vaId,
      ),
    ).toContain('COVERING INDEX clusters_va_customer_idx');
    const names = (
      await sql<{ name: string }>`select name from sqlite_master where type = 'index'`.execute(h.db)
    ).rows.map((x) => x.name);
    expect(names).not.toContain('clusters_va_idx');
    expect(names).not.toContain('usage_snapshots_va_type_at_idx');
  });
});
