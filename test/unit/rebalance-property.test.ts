// Real: core/domain/rebalance.ts (the planner) and core/domain/allocation.ts. Faked: nothing;
// 400 estates come from the emulator's seeded Rng (the same every run). Each plan is applied
// here, independently of the planner's own bookkeeping, in the two extreme ways CSSM could
// pick term lines (the ones ending first, the ones ending last — both VAs see the same lines),
// and every VA's shortage now and at the horizon is recomputed with `allocate`: a plan must
// never leave any VA shorter than it was, of any type. Covers core/domain/rebalance.ts.
import { describe, expect, it } from 'vitest';
import { allocate, type LicenseRequest } from '../../core/domain/allocation.ts';
import type { LicenseTypeId, RequestMode } from '../../core/domain/catalog.ts';
import {
  planRebalance,
  type RebalanceLine,
  type RebalancePlan,
  type RebalanceVa,
  type VaLicenseMode,
} from '../../core/domain/rebalance.ts';
import { Rng } from '../../emulator/util/rng.ts';

const NOW = new Date('2026-12-07T12:00:00Z');
const DAY = 86_400_000;
const HORIZON = 30;

// A few chains, so substitution and dual parenting happen often.
const TYPES: LicenseTypeId[] = [
  'UCM_Basic',
  'UCM_Enhanced',
  'UCM_EnhancedPlus',
  'UCM_CUWL',
  'HUCM_Foundation',
  'HUCM_Standard',
  'CER_USER',
  'HCER_User',
];

function estate(rng: Rng): RebalanceVa[] {
  const vas: RebalanceVa[] = [];
  let id = 1;
  for (const domain of ['a.com', 'b.com']) {
    const n = rng.int(2, 7);
    for (let i = 0; i < n; i++) {
      const licenseMode = rng.pick<VaLicenseMode | null>(['Enterprise', 'HCS', 'HCS-LE', null]);
      const mode: RequestMode =
        licenseMode === 'HCS' || licenseMode === 'HCS-LE' ? 'HCS' : 'Enterprise';
      const lines: RebalanceLine[] = [];
      for (let k = rng.int(0, 5); k > 0; k--) {
        const kind = rng.pick(['TERM', 'PERPETUAL', 'TERM', 'DEMO'] as const);
        lines.push({
          type: rng.pick(TYPES),
          kind,
          quantity: rng.int(0, 60),
          endsAt: kind === 'TERM' ? new Date(NOW.getTime() + rng.int(-5, 90) * DAY) : null,
        });
      }
      const requests: LicenseRequest[] = [];
      for (let k = rng.int(0, 4); k > 0; k--) {
        requests.push({ id: `r${k}`, type: rng.pick(TYPES), count: rng.int(1, 50), mode });
      }
      const growth = rng.chance(0.4)
        ? [{ type: rng.pick(TYPES), mode, perDay: rng.int(0, 20) / 10 }]
        : [];
      vas.push({ id: id++, domain, name: `va-${i}`, licenseMode, lines, requests, growth });
    }
  }
  return vas;
}

interface Held {
  type: LicenseTypeId;
  kind: string;
  quantity: number;
  end: number;
}

function shortTotals(held: Held[], requests: LicenseRequest[], at: number) {
  const by = new Map<LicenseTypeId, number>();
  for (const h of held)
    if (h.end > at && h.quantity > 0) by.set(h.type, (by.get(h.type) ?? 0) + h.quantity);
  const r = allocate({
    entitlements: [...by].map(([type, quantity]) => ({ type, quantity })),
    requests,
  });
  return new Map(r.shortages.map((s) => [s.type, s.quantity]));
}

function horizonRequests(v: RebalanceVa): LicenseRequest[] {
  return [
    ...v.requests,
    ...v.growth
      .map((g, i) => ({
        id: `g${i}`,
        type: g.type,
        mode: g.mode,
        count: Math.ceil(g.perDay * HORIZON - 1e-9),
      }))
      .filter((r) => r.count > 0),
  ];
}

/** Applies the plan; `earliestFirst` decides which term lines CSSM moves. */
function apply(vas: RebalanceVa[], plan: RebalancePlan, earliestFirst: boolean) {
  const held = new Map<number, Held[]>(
    vas.map((v) => [
      v.id,
      v.lines
        .filter((l) => !l.endsAt || l.endsAt.getTime() > NOW.getTime())
        .map((l) => ({
          type: l.type,
          kind: l.kind,
          quantity: l.quantity,
          end: l.endsAt ? l.endsAt.getTime() : Infinity,
        })),
    ]),
  );
  for (const t of plan.transfers) {
    const from = held
      .get(t.fromVaId)!
      .filter((h) => h.type === t.type && h.kind === t.licenseType && h.quantity > 0)
      .sort((a, b) => (earliestFirst ? a.end - b.end : b.end - a.end));
    let rest = t.quantity;
    for (const h of from) {
      const q = Math.min(rest, h.quantity);
      h.quantity -= q;
      held.get(t.toVaId)!.push({ ...h, quantity: q });
      rest -= q;
    }
    expect(rest, `transfer ${t.command} moves more than the source holds`).toBe(0);
  }
  return held;
}

describe('planRebalance (property)', () => {
  it('never creates a shortage, now or within the horizon, whatever term lines CSSM moves', () => {
    const rng = new Rng(2025);
    let transfers = 0;
    let covered = 0;
    for (let c = 0; c < 400; c++) {
      const vas = estate(rng);
      const plan = planRebalance({ now: NOW, horizonDays: HORIZON, vas });
      transfers += plan.transfers.length;
      covered += plan.proposals.filter((p) => p.coverage === 'full').length;
      const byId = new Map(vas.map((v) => [v.id, v]));
      for (const t of plan.transfers) {
        expect(byId.get(t.fromVaId)!.domain).toBe(byId.get(t.toVaId)!.domain);
        expect(t.fromVaId).not.toBe(t.toVaId);
        expect(Number.isSafeInteger(t.quantity) && t.quantity > 0).toBe(true);
      }
      const horizon = NOW.getTime() + HORIZON * DAY;
      for (const earliestFirst of [true, false]) {
        const after = apply(vas, plan, earliestFirst);
        const before = apply(vas, { ...plan, transfers: [] }, earliestFirst);
        for (const v of vas) {
          for (const [at, reqs] of [
            [NOW.getTime(), v.requests],
            [horizon, horizonRequests(v)],
          ] as const) {
            const b = shortTotals(before.get(v.id)!, reqs, at);
            const a = shortTotals(after.get(v.id)!, reqs, at);
            for (const [type, q] of a) {
              expect(
                q,
                `case ${c}: ${v.domain}/${v.name} ${type} at ${at === horizon ? 'horizon' : 'now'}`,
              ).toBeLessThanOrEqual(b.get(type) ?? 0);
            }
          }
        }
      }
    }
    // The generator must exercise the planner, or the property says nothing.
    expect(transfers).toBeGreaterThan(100);
    expect(covered).toBeGreaterThan(50);
  });
});
