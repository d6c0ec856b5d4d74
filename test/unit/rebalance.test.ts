// Real: core/domain/rebalance.ts (the planner), core/domain/allocation.ts and catalog.ts it calls.
// Faked: nothing; every case is worked out by hand from DOMAIN.md §6 and the rules in the
// planner's module comment. Covers core/domain/rebalance.ts.
import { describe, expect, it } from 'vitest';
import type { LicenseRequest } from '../../core/domain/allocation.ts';
import type { LicenseTypeId, RequestMode } from '../../core/domain/catalog.ts';
import {
  modeAllows,
  planRebalance,
  proposalFacts,
  transferCommand,
  type RebalanceLine,
  type RebalanceVa,
} from '../../core/domain/rebalance.ts';

const NOW = new Date('2026-12-07T12:00:00Z');
const inDays = (d: number) => new Date(NOW.getTime() + d * 86_400_000);
const SA = 'acme.com';

const P = (type: LicenseTypeId, quantity: number): RebalanceLine => ({
  type,
  kind: 'PERPETUAL',
  quantity,
  endsAt: null,
});
const T = (type: LicenseTypeId, quantity: number, endsInDays: number): RebalanceLine => ({
  type,
  kind: 'TERM',
  quantity,
  endsAt: inDays(endsInDays),
});
const R = (
  id: string,
  type: LicenseTypeId,
  count: number,
  mode: RequestMode = 'Enterprise',
): LicenseRequest => ({ id, type, count, mode });

let nextId = 1;
function va(
  name: string,
  lines: RebalanceLine[],
  requests: LicenseRequest[],
  extra: Partial<RebalanceVa> = {},
): RebalanceVa {
  return {
    id: nextId++,
    domain: SA,
    name,
    licenseMode: 'Enterprise',
    lines,
    requests,
    growth: [],
    ...extra,
  };
}

/** Transfers as `from→to type kind q`, compact to compare. */
const moves = (p: ReturnType<typeof planRebalance>) =>
  p.transfers.map((t) => `${t.fromVa}→${t.toVa} ${t.type} ${t.licenseType} ${t.quantity}`);

describe('planRebalance', () => {
  it('never moves more than CSSM counts available in the source, across all its transfers', () => {
    // rich has 150 unused by allocate, but CSSM counts only 30 available (it lends up the
    // tiers): CSSM would refuse more (TRANSFER_EXCEEDS_AVAILABLE), so two targets share 30.
    const p = planRebalance({
      now: NOW,
      vas: [
        va('a-short', [P('UCM_Enhanced', 100)], [R('c1', 'UCM_Enhanced', 120)]),
        va('b-short', [P('UCM_Enhanced', 100)], [R('c2', 'UCM_Enhanced', 120)]),
        va('rich', [P('UCM_Enhanced', 200)], [R('c3', 'UCM_Enhanced', 50)], {
          available: { UCM_Enhanced: 30 },
        }),
      ],
    });
    expect(moves(p)).toEqual([
      'rich→a-short UCM_Enhanced PERPETUAL 20',
      'rich→b-short UCM_Enhanced PERPETUAL 10',
    ]);
    expect(p.proposals.map((x) => x.coverage)).toEqual(['full', 'partial']);
  });

  it('moves the same license from a surplus, no more than the shortage', () => {
    const p = planRebalance({
      now: NOW,
      vas: [
        va('short', [P('UCM_Enhanced', 100)], [R('c1', 'UCM_Enhanced', 120)]),
        va('rich', [P('UCM_Enhanced', 200)], [R('c2', 'UCM_Enhanced', 50)]),
      ],
    });
    expect(moves(p)).toEqual(['rich→short UCM_Enhanced PERPETUAL 20']);
    expect(p.proposals).toHaveLength(1);
    expect(p.proposals[0]).toMatchObject({
      va: 'short',
      dueInDays: 0,
      shortages: [{ type: 'UCM_Enhanced', now: 20, atHorizon: 20 }],
      remaining: [],
      coverage: 'full',
    });
    expect(p.transfers[0]!.command).toBe(
      'smartlic license transfer acme.com/rich acme.com/short "UC Manager Enhanced License (12.x)" 20 --type PERPETUAL',
    );
  });

  it('substitutes a higher tier when no VA has the short type to spare (DOMAIN §6 rule 1)', () => {
    // Nobody has Enhanced to spare; "rich" has 30 CUWL unused, which may serve Enhanced.
    // A lower tier (Basic, 500 spare in "low") never serves a higher request.
    const p = planRebalance({
      now: NOW,
      vas: [
        va('short', [P('UCM_Enhanced', 10)], [R('c1', 'UCM_Enhanced', 25)]),
        va('rich', [P('UCM_CUWL', 40)], [R('c2', 'UCM_CUWL', 10)]),
        va('low', [P('UCM_Basic', 500)], []),
      ],
    });
    expect(moves(p)).toEqual(['rich→short UCM_CUWL PERPETUAL 15']);
    expect(p.proposals[0]!.coverage).toBe('full');
  });

  it('prefers the short type itself over a higher tier, and Enterprise over HCS (rule 2)', () => {
    const p = planRebalance({
      now: NOW,
      vas: [
        va('short', [], [R('c1', 'UCM_Basic', 5)]),
        va('hcs', [P('HUCM_Foundation', 50)], [], { licenseMode: 'Enterprise' }),
        va('cuwl', [P('UCM_CUWL', 50)], []),
        va('basic', [P('UCM_Basic', 3)], []),
      ],
    });
    // 3 Basic first (own type), then the nearest eligible tier with a surplus: CUWL (Enterprise)
    // before HCS Foundation (dual parenting comes after every Enterprise tier).
    expect(moves(p)).toEqual([
      'basic→short UCM_Basic PERPETUAL 3',
      'cuwl→short UCM_CUWL PERPETUAL 2',
    ]);
  });

  it('never gives a source what it is forecast to need within the horizon', () => {
    // "next-month" owns 100, uses 60 now but grows 2 a day: at day 30 it needs 120, so it has
    // nothing to spare even though 40 are unused today. "spare" can give.
    const p = planRebalance({
      now: NOW,
      vas: [
        va('short', [P('UCM_Enhanced', 10)], [R('c1', 'UCM_Enhanced', 20)]),
        va('next-month', [P('UCM_Enhanced', 100)], [R('c2', 'UCM_Enhanced', 60)], {
          growth: [{ type: 'UCM_Enhanced', mode: 'Enterprise', perDay: 2 }],
        }),
        va('spare', [P('UCM_Enhanced', 15)], [R('c3', 'UCM_Enhanced', 5)]),
      ],
    });
    expect(moves(p)).toEqual(['spare→short UCM_Enhanced PERPETUAL 10']);
    // "next-month" itself is short at the horizon (120 > 100) — its own proposal, after the
    // shortage of now, with nothing left to cover it: 20 to order.
    expect(p.proposals.map((x) => [x.va, x.dueInDays, x.coverage])).toEqual([
      ['short', 0, 'full'],
      ['next-month', 21, 'none'],
    ]);
    expect(p.proposals[1]!.remaining).toEqual([{ type: 'UCM_Enhanced', now: 0, atHorizon: 20 }]);
  });

  it('covers a forecast shortage before it happens, sized for the horizon', () => {
    const p = planRebalance({
      now: NOW,
      horizonDays: 30,
      vas: [
        va('growing', [P('UCM_Basic', 100)], [R('c1', 'UCM_Basic', 90)], {
          growth: [{ type: 'UCM_Basic', mode: 'Enterprise', perDay: 1 }],
        }),
        va('rich', [P('UCM_Basic', 100)], []),
      ],
    });
    // 90 + 30 = 120 at day 30: 20 short at the horizon, first short on day 11.
    expect(p.proposals[0]).toMatchObject({ va: 'growing', dueInDays: 11 });
    expect(moves(p)).toEqual(['rich→growing UCM_Basic PERPETUAL 20']);
  });

  describe('term vs perpetual', () => {
    it('a term line that ends within the horizon covers now, not the horizon', () => {
      // "source" owns 50 term (ending day 10) + 30 perpetual and uses 30. The 50 term are
      // unused now and gone by the horizon anyway, so giving 10 of them costs it nothing; the
      // target receives lines that end on day 10: short now is covered, at the horizon it is
      // short again — 10 to order. The perpetual 30 are what the source needs: never moved.
      const p = planRebalance({
        now: NOW,
        vas: [
          va('short', [], [R('c1', 'UCM_Enhanced', 10)]),
          va(
            'source',
            [T('UCM_Enhanced', 50, 10), P('UCM_Enhanced', 30)],
            [R('c2', 'UCM_Enhanced', 30)],
          ),
        ],
      });
      expect(moves(p)).toEqual(['source→short UCM_Enhanced TERM 10']);
      expect(p.proposals[0]).toMatchObject({
        coverage: 'partial',
        remaining: [{ type: 'UCM_Enhanced', now: 0, atHorizon: 10 }],
      });
    });

    it('moves term licenses that outlast the horizon before perpetual ones', () => {
      const p = planRebalance({
        now: NOW,
        vas: [
          va('short', [], [R('c1', 'UCM_Enhanced', 10)]),
          va(
            'source',
            [T('UCM_Enhanced', 40, 365), P('UCM_Enhanced', 40)],
            [R('c2', 'UCM_Enhanced', 20)],
          ),
        ],
      });
      expect(moves(p)).toEqual(['source→short UCM_Enhanced TERM 10']);
    });

    it('term units the target would lose within the horizon are counted as lost (worst case)', () => {
      // "source" has 20 term ending on day 5 and 100 ending in a year, 0 in use. Its 120 are
      // all spare, but CSSM picks which term lines move: the plan assumes the 20 ending soon
      // go first, so the target (short 10 now and at the horizon) needs 30 to be sure.
      const p = planRebalance({
        now: NOW,
        vas: [
          va('short', [], [R('c1', 'UCM_Enhanced', 10)]),
          va('source', [T('UCM_Enhanced', 20, 5), T('UCM_Enhanced', 100, 365)], []),
        ],
      });
      expect(moves(p)).toEqual(['source→short UCM_Enhanced TERM 30']);
      expect(p.proposals[0]!.coverage).toBe('full');
    });

    it('the target\u2019s own term ending within the horizon is a forecast shortage', () => {
      const p = planRebalance({
        now: NOW,
        vas: [
          va('ending', [T('CER_USER', 50, 12)], [R('c1', 'CER_USER', 40)]),
          va('rich', [P('CER_USER', 100)], [R('c2', 'CER_USER', 10)]),
        ],
      });
      expect(p.proposals[0]).toMatchObject({
        va: 'ending',
        dueInDays: 12,
        shortages: [{ type: 'CER_USER', now: 0, atHorizon: 40 }],
      });
      expect(moves(p)).toEqual(['rich→ending CER_USER PERPETUAL 40']);
    });
  });

  describe('two shortages competing for one surplus', () => {
    it('short now goes before short later; the smaller shortage before the larger; then by name', () => {
      // 30 spare CUWL. "later" is short only at the horizon; "big" and "small" are short now.
      // Order: small (10, now), big (40, now), later — small is made whole, big gets the
      // remaining 20 and orders 20, later gets nothing and orders all.
      const p = planRebalance({
        now: NOW,
        vas: [
          va('later', [P('UCM_CUWL', 10)], [R('l', 'UCM_CUWL', 10)], {
            growth: [{ type: 'UCM_CUWL', mode: 'Enterprise', perDay: 1 }],
          }),
          va('big', [], [R('b', 'UCM_CUWL', 40)]),
          va('small', [], [R('s', 'UCM_CUWL', 10)]),
          va('rich', [P('UCM_CUWL', 30)], []),
        ],
      });
      expect(p.proposals.map((x) => [x.va, x.coverage])).toEqual([
        ['small', 'full'],
        ['big', 'partial'],
        ['later', 'none'],
      ]);
      expect(moves(p)).toEqual([
        'rich→small UCM_CUWL PERPETUAL 10',
        'rich→big UCM_CUWL PERPETUAL 20',
      ]);
      expect(p.proposals[1]!.remaining).toEqual([{ type: 'UCM_CUWL', now: 20, atHorizon: 20 }]);
    });

    it('gives the same plan whatever the input order', () => {
      const vas = [
        va('a', [], [R('a', 'UCM_Basic', 7)]),
        va('b', [], [R('b', 'UCM_Basic', 7)]),
        va('c', [P('UCM_Basic', 10)], []),
      ];
      const one = planRebalance({ now: NOW, vas });
      const two = planRebalance({ now: NOW, vas: [...vas].reverse() });
      expect(moves(two)).toEqual(moves(one));
      expect(moves(one)).toEqual(['c→a UCM_Basic PERPETUAL 7', 'c→b UCM_Basic PERPETUAL 3']);
    });
  });

  it('says what remains to order when nothing covers the shortage', () => {
    const p = planRebalance({
      now: NOW,
      vas: [
        va('short', [P('CUC_BasicMessaging', 5)], [R('c1', 'CUC_BasicMessaging', 12)]),
        // Another SA's surplus is out of reach; so is a lower tier and another chain.
        { ...va('elsewhere', [P('CUC_BasicMessaging', 100)], []), domain: 'other.com' },
        va('ucm', [P('UCM_CUWL', 100)], []),
      ],
    });
    expect(p.transfers).toEqual([]);
    expect(p.proposals).toEqual([
      expect.objectContaining({
        va: 'short',
        coverage: 'none',
        remaining: [{ type: 'CUC_BasicMessaging', now: 7, atHorizon: 7 }],
      }),
    ]);
  });

  describe('license modes', () => {
    it('an HCS-mode VA gets HCS licenses only, never Enterprise ones', () => {
      const p = planRebalance({
        now: NOW,
        vas: [
          va('hcs-short', [], [R('c1', 'UCM_Enhanced', 10, 'HCS')], { licenseMode: 'HCS' }),
          va('ent', [P('UCM_Enhanced', 100)], [], { licenseMode: 'Enterprise' }),
          va('hcs-rich', [P('HUCM_Foundation', 100)], [], { licenseMode: 'HCS' }),
        ],
      });
      expect(moves(p)).toEqual(['hcs-rich→hcs-short HUCM_Foundation PERPETUAL 10']);
    });

    it('an Enterprise VA may draw HCS licenses from an HCS VA (dual parenting)', () => {
      const p = planRebalance({
        now: NOW,
        vas: [
          va('ent-short', [], [R('c1', 'UCM_CUWL', 4)]),
          va('hcs-rich', [P('HUCM_Standard', 10)], [], { licenseMode: 'HCS' }),
        ],
      });
      expect(moves(p)).toEqual(['hcs-rich→ent-short HUCM_Standard PERPETUAL 4']);
    });

    it('HCS-LE VAs trade only with HCS-LE VAs', () => {
      expect(modeAllows('HCS-LE', 'HCS', 'HUCM_Foundation')).toBe(false);
      expect(modeAllows('HCS', 'HCS-LE', 'HUCM_Foundation')).toBe(false);
      expect(modeAllows('HCS-LE', 'HCS-LE', 'HUCM_Foundation')).toBe(true);
      expect(modeAllows('Enterprise', 'HCS', 'UCM_Basic')).toBe(false);
      const p = planRebalance({
        now: NOW,
        vas: [
          va('hcs-short', [], [R('c1', 'HUCM_Foundation', 10, 'HCS')], { licenseMode: 'HCS' }),
          va('le-rich', [P('HUCM_Foundation', 100)], [], { licenseMode: 'HCS-LE' }),
        ],
      });
      expect(p.transfers).toEqual([]);
    });
  });

  it('a VA that receives gives nothing, and DEMO lines never move', () => {
    const p = planRebalance({
      now: NOW,
      vas: [
        va('a', [], [R('a', 'UCM_Basic', 5)]),
        va('demo', [{ type: 'UCM_Basic', kind: 'DEMO', quantity: 50, endsAt: null }], []),
      ],
    });
    expect(p.transfers).toEqual([]);
    expect(p.proposals[0]!.coverage).toBe('none');
  });

  it('refuses a horizon that is not a whole number of days', () => {
    expect(() => planRebalance({ now: NOW, horizonDays: 1.5, vas: [] })).toThrow(/horizonDays/);
  });

  it('quotes names with spaces in the command line', () => {
    expect(
      transferCommand({
        domain: 'acme.com',
        fromVa: 'VA one',
        toVa: 'ops',
        license: 'HCS UCM Foundation',
        quantity: 3,
        licenseType: 'TERM',
      }),
    ).toBe(
      'smartlic license transfer "acme.com/VA one" acme.com/ops "HCS UCM Foundation" 3 --type TERM',
    );
  });

  describe('per license: what each shortage alert carries', () => {
    it('a license no surplus covers gets no transfer and says what to order, whatever its VA’s other types get', () => {
      // The scale-80 case: the VA is short of HCS UCM Standard (a peer has it to spare) and of
      // HCS Emergency Responder (nobody has it). The VA's proposal is partial; the Standard
      // alert is covered by the one transfer, the HCER alert by none.
      const hcs = { licenseMode: 'HCS' as const };
      const p = planRebalance({
        now: NOW,
        vas: [
          va(
            'short',
            [P('HUCM_Standard', 100), P('HCER_User', 40)],
            [R('s', 'HUCM_Standard', 120, 'HCS'), R('e', 'HCER_User', 50, 'HCS')],
            hcs,
          ),
          va('rich', [P('HUCM_Standard', 80)], [R('r', 'HUCM_Standard', 30, 'HCS')], hcs),
        ],
      });
      const prop = p.proposals[0]!;
      expect(prop.coverage).toBe('partial');
      const [std, cer] = prop.licenses;
      expect(std).toMatchObject({ type: 'HUCM_Standard', coverage: 'full', remaining: null });
      expect(std!.transfers.map((t) => `${t.fromVa} ${t.type} ${t.quantity}`)).toEqual([
        'rich HUCM_Standard 20',
      ]);
      expect(cer).toMatchObject({
        type: 'HCER_User',
        coverage: 'none',
        transfers: [],
        remaining: { type: 'HCER_User', now: 10, atHorizon: 10 },
      });
      expect(proposalFacts(prop, cer!, 30)).toEqual({
        rebalanceVa: 'acme.com/short',
        rebalanceLicense: 'HCER_User',
        rebalanceDays: 30,
        rebalance: 'none',
        rebalanceTransfers:
          'none: no VA of the smart account has HCS Emergency Responder (or a license that may serve it) to spare',
        toOrder: '10 HCS Emergency Responder now',
      });
      expect(proposalFacts(prop, std!, 30)).toEqual({
        rebalanceVa: 'acme.com/short',
        rebalanceLicense: 'HUCM_Standard',
        rebalanceDays: 30,
        rebalance: 'full',
        rebalanceTransfers: '20 HCS UCM Standard (PERPETUAL) from rich',
        rebalanceCommands:
          'smartlic license transfer acme.com/rich acme.com/short "HCS UCM Standard" 20 --type PERPETUAL',
        toOrder: 'nothing',
      });
    });

    it('two types covered by two transfers: each alert gets its own', () => {
      const p = planRebalance({
        now: NOW,
        vas: [
          va('short', [], [R('b', 'UCM_Basic', 10), R('e', 'UCM_Enhanced', 10)]),
          va('basic', [P('UCM_Basic', 10)], []),
          va('enh', [P('UCM_Enhanced', 10)], []),
        ],
      });
      const lic = p.proposals[0]!.licenses.map(
        (l) => `${l.type} ${l.coverage}: ${l.transfers.map((t) => t.fromVa).join(',')}`,
      );
      expect(lic).toEqual(['UCM_Basic full: basic', 'UCM_Enhanced full: enh']);
    });

    it('a transfer the hierarchy serves to a higher tier first is part of the lower tier’s cover', () => {
      // Short 10 Basic and 10 Enhanced, owning neither. Spare: 10 Enhanced ("enh"), 10 Enhanced
      // Plus ("ep"), no Basic. The plan moves Enhanced (for Enhanced), then Enhanced Plus (for
      // Basic). Enhanced Plus alone would go to the Enhanced requests (nearer tier, DOMAIN §6
      // rule 1: cost 1 against Basic's 2) and leave Basic short, so Basic's cover is both
      // transfers; Enhanced's is its own transfer alone.
      const p = planRebalance({
        now: NOW,
        vas: [
          va('short', [], [R('b', 'UCM_Basic', 10), R('e', 'UCM_Enhanced', 10)]),
          va('enh', [P('UCM_Enhanced', 10)], []),
          va('ep', [P('UCM_EnhancedPlus', 10)], []),
        ],
      });
      expect(moves(p)).toEqual([
        'enh→short UCM_Enhanced PERPETUAL 10',
        'ep→short UCM_EnhancedPlus PERPETUAL 10',
      ]);
      const lic = p.proposals[0]!.licenses.map(
        (l) => `${l.type} ${l.coverage}: ${l.transfers.map((t) => t.fromVa).join(',')}`,
      );
      expect(lic).toEqual(['UCM_Basic full: enh,ep', 'UCM_Enhanced full: enh']);
    });

    it('an HCS-mode request of an Enterprise type is CSSM’s shortage of the HCS type', () => {
      // CSSM counts an HCS-mode CUWL request as HCS UCM Standard (DOMAIN §6 rule 3): that is the
      // license its alert names, so that is the type the proposal is keyed by.
      const p = planRebalance({
        now: NOW,
        vas: [
          va('short', [], [R('c', 'UCM_CUWL', 5, 'HCS')], { licenseMode: 'HCS' }),
          va('rich', [P('HUCM_Standard', 5)], [], { licenseMode: 'HCS' }),
        ],
      });
      expect(p.proposals[0]!.shortages).toEqual([{ type: 'HUCM_Standard', now: 5, atHorizon: 5 }]);
      expect(p.proposals[0]!.licenses[0]).toMatchObject({
        type: 'HUCM_Standard',
        coverage: 'full',
      });
    });
  });
});
