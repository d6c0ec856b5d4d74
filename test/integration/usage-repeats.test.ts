// Real: SQLite (two in-memory databases migrated to the latest schema), the usage-snapshot
// repository's two write forms and retention, and the read models that read usage history
// (core/reports: usageTrend, forecastsFor, usageTrendTotals; the repository's series). Nothing
// faked. Covers core/store/repositories/usage-snapshots.repository.ts (record, thin) and the
// usage_points view of migration 0013: a database where syncs that changed nothing wrote a
// repeat must answer exactly as one where every sync wrote its rows (issue 23).
import { afterEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import * as reports from '../../core/reports/index.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
  type DatabaseHandle,
  type Repositories,
  type UsagePoint,
} from '../../core/store/index.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const handles: DatabaseHandle[] = [];

afterEach(async () => {
  for (const h of handles.splice(0)) await h.close();
});

async function database(): Promise<{ h: DatabaseHandle; repos: Repositories; vas: number[] }> {
  const h = openDatabase({ path: ':memory:' });
  handles.push(h);
  await migrateToLatest(h.db);
  const repos = createRepositories(h.db, SecretBox.random(), new TestClock(T0));
  const sa = await repos.smartAccounts.upsert({ domain: 'acme.example', name: 'Acme' });
  const vas: number[] = [];
  for (const name of ['Prod', 'Lab', 'Quiet'])
    vas.push((await repos.virtualAccounts.upsert(sa.id, { name })).id);
  return { h, repos, vas };
}

type Sync = { at: Date; entries: { virtualAccountId: number; points: UsagePoint[] }[] };

/** A history of syncs every 6 hours for 40 days: mostly unchanged, sometimes not. */
function history(vas: number[]): Sync[] {
  const [prod, lab, quiet] = vas as [number, number, number];
  const out: Sync[] = [];
  for (let i = 0; i < 160; i++) {
    const at = new Date(T0 + i * 6 * 3_600_000 + (i % 3) * 60_000);
    const step = Math.floor(i / 9); // Prod's use grows every 9 syncs
    const prodPoints: UsagePoint[] = [
      { licenseType: 'UCM_ENH', quantity: 100, inUse: 40 + step, available: 60 - step },
      { licenseType: 'UCM_BASIC', quantity: 20, inUse: 5, available: 15 },
    ];
    // Lab: a license type appears for a while, then goes, then comes back; a shortage once.
    const labPoints: UsagePoint[] = [
      {
        licenseType: 'CUC_BASIC',
        quantity: 10,
        inUse: i >= 50 && i < 60 ? 12 : 3,
        available: i >= 50 && i < 60 ? -2 : 7,
        shortage: i >= 50 && i < 60 ? 2 : 0,
      },
    ];
    if ((i >= 20 && i < 40) || i >= 90)
      labPoints.push({ licenseType: 'ER_USER', quantity: 5, inUse: 1, available: 4 });
    out.push({
      at,
      entries: [
        { virtualAccountId: prod, points: prodPoints },
        { virtualAccountId: lab, points: labPoints },
        // Quiet never changes; twice a sync misses it (the VA not listed that time).
        ...(i === 70 || i === 71
          ? []
          : [
              {
                virtualAccountId: quiet,
                points: [{ licenseType: 'UCM_ENH', quantity: 50, inUse: 10, available: 40 }],
              },
            ]),
      ],
    });
  }
  return out;
}

async function answers(h: DatabaseHandle, repos: Repositories, vas: number[], now: Date) {
  const db = h.db;
  return {
    trends: await Promise.all(vas.map((id) => reports.usageTrend(db, { virtualAccountId: id }))),
    windowed: await Promise.all(
      vas.map((id) =>
        reports.usageTrend(db, {
          virtualAccountId: id,
          from: new Date(T0 + 9.5 * DAY),
          to: new Date(T0 + 21.2 * DAY),
        }),
      ),
    ),
    forecasts: [...(await reports.forecastsFor(db, { virtualAccountIds: vas, now })).entries()],
    totals: await reports.usageTrendTotals(db),
    series: await Promise.all(
      vas.map((id) => repos.usageSnapshots.series({ virtualAccountId: id })),
    ),
  };
}

describe('usage history: a repeat for what did not change, the same answers', () => {
  it('every read model answers as when every sync wrote its rows, before and after retention', async () => {
    const old = await database();
    const compact = await database();
    expect(compact.vas).toEqual(old.vas);
    let rows = 0;
    let repeats = 0;
    const syncs = history(old.vas);
    for (const [i, s] of syncs.entries()) {
      await old.repos.usageSnapshots.appendMany(s.entries, s.at);
      const r = await compact.repos.usageSnapshots.record(s.entries, s.at);
      rows += r.rows;
      repeats += r.repeats;
      if (i === 100) {
        // The VA renamed in CSSM: its next points are rows again (the name goes with each row).
        for (const d of [old, compact])
          await d.h.db
            .updateTable('virtual_accounts')
            .set({ name: 'Quiet-2' })
            .where('id', '=', d.vas[2]!)
            .execute();
      }
      if (i % 40 === 39) {
        // Retention after some syncs, as the afterSync hook does: older than 7 days, a day each.
        const before = new Date(s.at.getTime() - 7 * DAY);
        await old.repos.usageSnapshots.thin(before);
        await compact.repos.usageSnapshots.thin(before);
      }
    }
    const now = syncs.at(-1)!.at;
    expect(await answers(compact.h, compact.repos, compact.vas, now)).toEqual(
      await answers(old.h, old.repos, old.vas, now),
    );
    // It did write less: most syncs of these VAs changed nothing.
    const written = syncs.reduce(
      (n, s) => n + s.entries.reduce((m, e) => m + e.points.length, 0),
      0,
    );
    expect(repeats).toBeGreaterThan(300);
    expect(rows).toBeLessThan(written / 4);
  });

  it('a change of any value, or a type more, is written as rows; a type fewer repeats the rest', async () => {
    const { repos, vas } = await database();
    const va = vas[0]!;
    const p = { licenseType: 'UCM_ENH', quantity: 10, inUse: 1, available: 9 };
    const at = (h: number) => new Date(T0 + h * 3_600_000);
    expect(
      await repos.usageSnapshots.record([{ virtualAccountId: va, points: [p] }], at(0)),
    ).toEqual({ rows: 1, repeats: 0 });
    expect(
      await repos.usageSnapshots.record([{ virtualAccountId: va, points: [p] }], at(1)),
    ).toEqual({ rows: 0, repeats: 1 });
    for (const [h, points] of [
      [2, [{ ...p, inUse: 2 }]],
      [3, [{ ...p, inUse: 2, shortage: 1 }]],
      [
        4,
        [
          { ...p, inUse: 2, shortage: 1 },
          { licenseType: 'UCM_BASIC', quantity: 1, inUse: 0, available: 1 },
        ],
      ],
    ] as const) {
      expect(
        await repos.usageSnapshots.record([{ virtualAccountId: va, points: [...points] }], at(h)),
      ).toMatchObject({ repeats: 0 });
    }
    expect(
      await repos.usageSnapshots.record(
        [{ virtualAccountId: va, points: [{ ...p, inUse: 2, shortage: 1 }] }],
        at(6),
      ),
    ).toEqual({ rows: 0, repeats: 1 });
    // UCM_BASIC went: the repeat names only the UCM_ENH row.
    const seen = (await repos.usageSnapshots.series({ virtualAccountId: va })).map(
      (x) => `${(x.takenAt.getTime() - T0) / 3_600_000}:${x.licenseType}:${x.inUse}:${x.shortage}`,
    );
    expect(seen).toEqual([
      '0:UCM_ENH:1:0',
      '1:UCM_ENH:1:0',
      '2:UCM_ENH:2:0',
      '3:UCM_ENH:2:1',
      '4:UCM_BASIC:0:0',
      '4:UCM_ENH:2:1',
      '6:UCM_ENH:2:1',
    ]);
  });
});
