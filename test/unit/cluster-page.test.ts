// Real: core/reports/whole-estate.ts clusterPage (pure: what a chat worker receives for
// `clusters` instead of every row). Faked: nothing; the rows are written by hand with only the
// fields the page reads set.
import { describe, expect, it } from 'vitest';
import { CLUSTER_PAGE_ROWS, clusterPage } from '../../core/reports/whole-estate.ts';
import type { ClusterSummaryRow } from '../../core/reports/clusters.ts';

const row = (i: number, source: 'product' | 'timers' = 'product') =>
  ({ id: i, name: `c-${i}`, lifecycle: { source } }) as unknown as ClusterSummaryRow;

describe('clusterPage', () => {
  it('keeps the first rows in order and counts them all', () => {
    const rows = Array.from({ length: 60 }, (_, i) => row(i));
    const p = clusterPage(rows);
    expect(p.total).toBe(60);
    expect(p.rows).toEqual(rows.slice(0, CLUSTER_PAGE_ROWS));
    expect(p.timers).toBe(false);
  });

  it('says a row is by the timers even when that row is past the page', () => {
    const rows = Array.from({ length: 60 }, (_, i) => row(i, i === 59 ? 'timers' : 'product'));
    const p = clusterPage(rows);
    expect(p.rows.some((r) => r.lifecycle.source === 'timers')).toBe(false);
    expect(p.timers).toBe(true);
  });

  it('a short summary is the page whole', () => {
    const rows = [row(1), row(2, 'timers')];
    expect(clusterPage(rows)).toEqual({ rows, total: 2, timers: true });
    expect(clusterPage([])).toEqual({ rows: [], total: 0, timers: false });
  });
});
