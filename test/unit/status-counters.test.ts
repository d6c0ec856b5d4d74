// Real: the pure parts of the counters' read model (core/reports/overview.ts statusVerdict,
// core/reports/attention.ts attentionFor, clustersInTrouble, severityCounts). Faked: nothing —
// the attention items and counters are plain objects worked out by hand.
import { describe, expect, it } from 'vitest';
import {
  attentionFor,
  clustersInTrouble,
  severityCounts,
  statusVerdict,
  type AttentionItem,
  type StatusCounts,
} from '../../core/reports/index.ts';

function item(
  id: number,
  severity: AttentionItem['severity'],
  concerns: Partial<AttentionItem['concerns']>,
): AttentionItem {
  return {
    id,
    severity,
    rule: 'r',
    entity: { kind: 'cluster', id: '1', name: 'c' },
    subject: 'cluster c',
    message: `alert ${id}`,
    action: null,
    dueAt: null,
    firstSeen: new Date('2026-01-01T00:00:00Z'),
    customer: null,
    smartAccountId: null,
    concerns: { clusters: [], virtualAccounts: [], customers: [], smartAccounts: [], ...concerns },
  };
}

const items = [
  item(1, 'warning', { clusters: [10], customers: [5], virtualAccounts: [3] }),
  item(2, 'warning', { clusters: [10], customers: [5] }),
  item(3, 'critical', { virtualAccounts: [3], customers: [5, 6], clusters: [11] }),
  item(4, 'info', { smartAccounts: [2] }),
];

function counts(part: {
  vaOut?: number;
  failed?: number;
  open?: number;
  sev?: Partial<StatusCounts['alertsBySeverity']>;
  inTrouble?: number;
}): StatusCounts {
  return {
    virtualAccounts: { total: 11, outOfCompliance: part.vaOut ?? 0, missing: 0 },
    clusters: {
      total: 24,
      byAuthorization: {},
      unreachable: 0,
      failed: part.failed ?? 0,
      inTrouble: part.inTrouble ?? 0,
    },
    customers: { total: 6, compliant: 6, withAlerts: 0 },
    openAlerts: part.open ?? 0,
    alertsBySeverity: { critical: 0, warning: 0, info: 0, ...part.sev },
    mutedAlerts: 0,
  };
}

describe('the attention list, filtered and counted', () => {
  it('a page takes the items that concern it, in the list’s order', () => {
    expect(attentionFor(items, { customerId: 5 }).map((i) => i.id)).toEqual([1, 2, 3]);
    expect(attentionFor(items, { customerId: 6 }).map((i) => i.id)).toEqual([3]);
    expect(attentionFor(items, { virtualAccountId: 3 }).map((i) => i.id)).toEqual([1, 3]);
    expect(attentionFor(items, { clusterId: 10 }).map((i) => i.id)).toEqual([1, 2]);
    expect(attentionFor(items, { smartAccountId: 2 }).map((i) => i.id)).toEqual([4]);
    expect(attentionFor(items, { customerId: 99 })).toEqual([]);
  });
  it('clusters in trouble: each named cluster once, however many alerts name it', () => {
    expect([...clustersInTrouble(items)].sort()).toEqual([10, 11]);
    expect(clustersInTrouble([]).size).toBe(0);
  });
  it('severities add up to the list', () => {
    expect(severityCounts(items)).toEqual({ critical: 1, warning: 2, info: 1 });
  });
});

describe('statusVerdict', () => {
  it('compliant and quiet', () => {
    expect(statusVerdict({ ...counts({}), compliant: true, customer: null })).toBe(
      'Everything is in compliance; nothing needs attention.',
    );
  });
  it('compliant with alerts: counts by severity and the clusters they name', () => {
    expect(
      statusVerdict({
        ...counts({ open: 2, sev: { warning: 2 }, inTrouble: 1 }),
        compliant: true,
        customer: { name: 'Hooli' },
      }),
    ).toBe(
      'Hooli is in compliance; 2 open alerts need attention (2 warning), naming 1 of 24 clusters.',
    );
    expect(
      statusVerdict({ ...counts({ open: 1, sev: { info: 1 } }), compliant: true, customer: null }),
    ).toBe('Everything is in compliance; 1 open alert needs attention (1 info).');
  });
  it('not compliant: says why, then the alerts', () => {
    expect(
      statusVerdict({
        ...counts({ vaOut: 1, failed: 1, open: 6, sev: { warning: 4, info: 2 }, inTrouble: 3 }),
        compliant: false,
        customer: null,
      }),
    ).toBe(
      'Not in compliance: 1 of 11 virtual accounts out of compliance, 1 of 24 clusters failed; 6 open alerts need attention (4 warning, 2 info), naming 3 of 24 clusters.',
    );
    expect(
      statusVerdict({ ...counts({ failed: 2 }), compliant: false, customer: { name: 'Globex' } }),
    ).toBe('Globex is not in compliance: 2 of 24 clusters failed; nothing needs attention.');
  });
});
