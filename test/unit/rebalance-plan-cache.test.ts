// Real: RebalancePlanCache and crosses (core/reports/rebalance.ts) over the real planner
// (core/domain/rebalance.ts) and allocation engine. Faked: nothing; no database is involved
// (the cache takes the planner's inputs as alert evaluation has read them). Cases worked by
// hand from the rule in the cache's comment: `now` enters the plan only through `end > now +
// d days`, 0 ≤ d ≤ horizon. Covers core/reports/rebalance.ts (the plan cache).
import { describe, expect, it } from 'vitest';
import type { RebalanceVa } from '../../core/domain/rebalance.ts';
import { crosses, RebalancePlanCache } from '../../core/reports/rebalance.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-12-07T12:00:00Z');
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

function estate(shortBy = 20, termEndsInDays = 90): RebalanceVa[] {
  return [
    {
      id: 1,
      domain: 'acme.com',
      name: 'short',
      licenseMode: 'Enterprise',
      lines: [{ type: 'UCM_Enhanced', kind: 'PERPETUAL', quantity: 100, endsAt: null }],
      requests: [{ id: 'c1', type: 'UCM_Enhanced', count: 100 + shortBy, mode: 'Enterprise' }],
      growth: [],
    },
    {
      id: 2,
      domain: 'acme.com',
      name: 'rich',
      licenseMode: 'Enterprise',
      lines: [{ type: 'UCM_Enhanced', kind: 'TERM', quantity: 200, endsAt: at(termEndsInDays) }],
      requests: [{ id: 'c2', type: 'UCM_Enhanced', count: 50, mode: 'Enterprise' }],
      growth: [],
    },
  ];
}

describe('crosses', () => {
  const end = NOW.getTime() + 40 * DAY;
  it('is false while no end passes now + d days for any d up to the horizon', () => {
    // 40 days out, horizon 30: the nearest comparison is now + 30 days, 10 days short of it.
    expect(crosses([end], NOW.getTime(), NOW.getTime() + 5 * DAY, 30)).toBe(false);
  });
  it('is true when the end passes now + horizon between the two', () => {
    expect(crosses([end], NOW.getTime(), NOW.getTime() + 10 * DAY, 30)).toBe(true);
  });
  it('is true when an end passes now + d for a d within the horizon, even an hour later', () => {
    // The end 12 h after now + 3 days: 13 h later now + 3 days has passed it.
    const e = NOW.getTime() + 3 * DAY + 12 * 3_600_000;
    expect(crosses([e], NOW.getTime(), NOW.getTime() + 13 * 3_600_000, 30)).toBe(true);
    expect(crosses([e], NOW.getTime(), NOW.getTime() + 11 * 3_600_000, 30)).toBe(false);
  });
  it('is true when the clock went back', () => {
    expect(crosses([], NOW.getTime(), NOW.getTime() - 1, 30)).toBe(true);
  });
});

describe('RebalancePlanCache', () => {
  it('plans once while the inputs and the term-line comparisons stay the same', () => {
    const cache = new RebalancePlanCache();
    const first = cache.proposalsFor('acme.com', estate(), NOW, 30);
    expect(first[0]!.transfers.map((t) => t.quantity)).toEqual([20]);
    // An hour later, the same inputs read again: the same plan, not planned again.
    const again = cache.proposalsFor('acme.com', estate(), new Date(NOW.getTime() + 3_600_000), 30);
    expect(again).toBe(first);
    expect(cache.stats).toEqual({ planned: 1, reused: 1 });
  });

  it('plans again when the account\u2019s inputs change, and only that account', () => {
    const cache = new RebalancePlanCache();
    cache.proposalsFor('acme.com', estate(20), NOW, 30);
    const other = estate(5).map((v) => ({ ...v, id: v.id + 10, domain: 'other.com' }));
    cache.proposalsFor('other.com', other, NOW, 30);
    const changed = cache.proposalsFor('acme.com', estate(30), NOW, 30);
    expect(changed[0]!.transfers.map((t) => t.quantity)).toEqual([30]);
    cache.proposalsFor('other.com', other, NOW, 30);
    expect(cache.stats).toEqual({ planned: 3, reused: 1 });
  });

  it('plans again when a term line\u2019s end comes within the horizon, with the same inputs', () => {
    // rich's 200 TERM end in 35 days: planned now they outlast a 30-day horizon; six days
    // later they do not, so rich has nothing to spare at the horizon and the plan changes.
    const cache = new RebalancePlanCache();
    const before = cache.proposalsFor('acme.com', estate(20, 35), NOW, 30);
    expect(before[0]!.coverage).toBe('full');
    const later = at(6);
    const shifted = estate(20, 35);
    const after = cache.proposalsFor('acme.com', shifted, later, 30);
    expect(cache.stats).toEqual({ planned: 2, reused: 0 });
    expect(after).not.toBe(before);
  });

  it('plans again when the horizon differs', () => {
    const cache = new RebalancePlanCache();
    cache.proposalsFor('acme.com', estate(), NOW, 30);
    cache.proposalsFor('acme.com', estate(), NOW, 60);
    expect(cache.stats).toEqual({ planned: 2, reused: 0 });
  });
});
