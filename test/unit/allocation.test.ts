// Real: core/domain/allocation.ts and core/domain/catalog.ts. Faked: nothing; random cases come
// from a seeded PRNG, and the optimum is checked against oracles written here (a min-cut
// formula for the maximum served demand, brute force for the minimum preference cost).
import { describe, expect, it } from 'vitest';
import { allocate, AllocationInputError } from '../../core/domain/allocation.ts';
import type {
  AllocationInput,
  AllocationResult,
  Entitlement,
  LicenseRequest,
} from '../../core/domain/allocation.ts';
import { LICENSE_TYPE_IDS, catalogIndex, eligibleSources } from '../../core/domain/catalog.ts';
import type { LicenseTypeId, RequestMode } from '../../core/domain/catalog.ts';

const E = (type: LicenseTypeId, quantity: number): Entitlement => ({ type, quantity });
const R = (
  id: string,
  type: LicenseTypeId,
  count: number,
  mode: RequestMode = 'Enterprise',
): LicenseRequest => ({ id, type, count, mode });

/** Served quantity per (request, serving type) as `id:from=q`, for compact expectations. */
const served = (r: AllocationResult): string[] =>
  r.allocations.map((a) => `${a.request}:${a.from}=${a.quantity}`);

interface Case {
  name: string;
  entitlements: Entitlement[];
  requests: LicenseRequest[];
  served: string[];
  shortages?: AllocationResult['shortages'];
  substitutions?: AllocationResult['substitutions'];
  licenses?: AllocationResult['licenses'];
}

const CASES: Case[] = [
  {
    name: "Cisco's worked example: 50 CUWL lent to Enhanced Plus, 40 CUWL available",
    entitlements: [E('UCM_CUWL', 100)],
    requests: [R('cuwl', 'UCM_CUWL', 10), R('ep', 'UCM_EnhancedPlus', 50)],
    served: ['cuwl:UCM_CUWL=10', 'ep:UCM_CUWL=50'],
    licenses: [{ type: 'UCM_CUWL', quantity: 100, inUse: 60, available: 40 }],
    substitutions: [{ from: 'UCM_EnhancedPlus', to: 'UCM_CUWL', quantity: 50 }],
    shortages: [],
  },
  {
    name: 'own type first',
    entitlements: [E('UCM_Basic', 10), E('UCM_Enhanced', 10)],
    requests: [R('b', 'UCM_Basic', 5)],
    served: ['b:UCM_Basic=5'],
    substitutions: [],
  },
  {
    name: 'own type first, then the nearest higher tier owned',
    entitlements: [E('UCM_Basic', 2), E('UCM_CUWL', 10), E('UCM_EnhancedPlus', 3)],
    requests: [R('b', 'UCM_Basic', 8)],
    served: ['b:UCM_Basic=2', 'b:UCM_EnhancedPlus=3', 'b:UCM_CUWL=3'],
    substitutions: [
      { from: 'UCM_Basic', to: 'UCM_EnhancedPlus', quantity: 3 },
      { from: 'UCM_Basic', to: 'UCM_CUWL', quantity: 3 },
    ],
  },
  {
    name: 'a lower tier never serves a higher request',
    entitlements: [E('UCM_Essential', 100), E('UCM_Basic', 100)],
    requests: [R('e', 'UCM_Enhanced', 10)],
    served: [],
    shortages: [{ type: 'UCM_Enhanced', quantity: 10 }],
    licenses: [
      { type: 'UCM_Essential', quantity: 100, inUse: 0, available: 100 },
      { type: 'UCM_Basic', quantity: 100, inUse: 0, available: 100 },
      { type: 'UCM_Enhanced', quantity: 0, inUse: 0, available: 0 },
    ],
  },
  {
    name: 'TelePresence Room is outside the user chain',
    entitlements: [E('UCM_CUWL', 10)],
    requests: [R('tp', 'UCM_TelePresenceRoom', 1)],
    served: [],
    shortages: [{ type: 'UCM_TelePresenceRoom', quantity: 1 }],
  },
  {
    name: 'dual parenting: Enterprise, then HCS Foundation, then HCS Standard',
    entitlements: [E('HUCM_Standard', 5), E('HUCM_Foundation', 5), E('UCM_Basic', 3)],
    requests: [R('b', 'UCM_Basic', 10)],
    served: ['b:UCM_Basic=3', 'b:HUCM_Foundation=5', 'b:HUCM_Standard=2'],
    shortages: [],
    licenses: [
      { type: 'UCM_Basic', quantity: 3, inUse: 3, available: 0 },
      { type: 'HUCM_Foundation', quantity: 5, inUse: 5, available: 0 },
      { type: 'HUCM_Standard', quantity: 5, inUse: 2, available: 3 },
    ],
    substitutions: [
      { from: 'UCM_Basic', to: 'HUCM_Foundation', quantity: 5 },
      { from: 'UCM_Basic', to: 'HUCM_Standard', quantity: 2 },
    ],
  },
  {
    name: 'dual parenting: a higher Enterprise tier comes before HCS Foundation',
    entitlements: [E('HUCM_Foundation', 5), E('UCM_CUWL', 5)],
    requests: [R('b', 'UCM_Basic', 5)],
    served: ['b:UCM_CUWL=5'],
  },
  {
    name: 'HCS Standard back-fills a Foundation shortfall',
    entitlements: [E('HUCM_Foundation', 2), E('HUCM_Standard', 10)],
    requests: [R('f', 'HUCM_Foundation', 4, 'HCS')],
    served: ['f:HUCM_Foundation=2', 'f:HUCM_Standard=2'],
    substitutions: [{ from: 'HUCM_Foundation', to: 'HUCM_Standard', quantity: 2 }],
  },
  {
    name: 'HCS Foundation never serves a Standard request',
    entitlements: [E('HUCM_Foundation', 10)],
    requests: [R('s', 'HUCM_Standard', 4, 'HCS')],
    served: [],
    shortages: [{ type: 'HUCM_Standard', quantity: 4 }],
  },
  {
    name: 'HCS Foundation never serves Enterprise Enhanced Plus',
    entitlements: [E('HUCM_Foundation', 10)],
    requests: [R('ep', 'UCM_EnhancedPlus', 4)],
    served: [],
    shortages: [{ type: 'UCM_EnhancedPlus', quantity: 4 }],
  },
  {
    name: 'HCS mode: Enhanced consumes HCS Foundation, never the Enterprise license',
    entitlements: [E('UCM_Enhanced', 10), E('HUCM_Foundation', 10)],
    requests: [R('e', 'UCM_Enhanced', 6, 'HCS')],
    served: ['e:HUCM_Foundation=6'],
    substitutions: [{ from: 'UCM_Enhanced', to: 'HUCM_Foundation', quantity: 6 }],
  },
  {
    name: 'HCS mode: Essential and Basic take their HCS type, then HCS Foundation',
    entitlements: [E('HUCM_Essential', 2), E('HUCM_Basic', 1), E('HUCM_Foundation', 10)],
    requests: [R('es', 'UCM_Essential', 5, 'HCS'), R('ba', 'UCM_Basic', 3, 'HCS')],
    served: [
      'ba:HUCM_Basic=1',
      'ba:HUCM_Foundation=2',
      'es:HUCM_Essential=2',
      'es:HUCM_Foundation=3',
    ],
  },
  {
    name: 'HCS mode: Enhanced Plus and CUWL consume HCS Standard only',
    entitlements: [E('UCM_CUWL', 10), E('HUCM_Standard', 5)],
    requests: [R('cuwl', 'UCM_CUWL', 4, 'HCS'), R('ep', 'UCM_EnhancedPlus', 4, 'HCS')],
    served: ['cuwl:HUCM_Standard=4', 'ep:HUCM_Standard=1'],
    shortages: [{ type: 'UCM_EnhancedPlus', quantity: 3 }],
  },
  {
    name: 'CUC Basic borrows Enhanced Messaging, then falls back to HCS Unity Connection Basic',
    entitlements: [E('CUC_EnhancedMessaging', 2), E('HCUC_BasicMessaging', 5)],
    requests: [R('vm', 'CUC_BasicMessaging', 4)],
    served: ['vm:CUC_EnhancedMessaging=2', 'vm:HCUC_BasicMessaging=2'],
  },
  {
    name: 'CUC Enhanced Messaging maps to HCS Unity Connection Standard, not Enhanced',
    entitlements: [E('HCUC_EnhancedMessaging', 5), E('HCUC_StandardMessaging', 1)],
    requests: [R('vm', 'CUC_EnhancedMessaging', 3)],
    served: ['vm:HCUC_StandardMessaging=1'],
    shortages: [{ type: 'CUC_EnhancedMessaging', quantity: 2 }],
  },
  {
    name: 'CUC Speech Connect has no HCS mapping in Enterprise mode',
    entitlements: [E('HCUC_SpeechConnectPort', 5)],
    requests: [R('p1', 'CUC_SpeechConnectPort', 2), R('p2', 'CUC_SpeechConnectPort', 2, 'HCS')],
    served: ['p2:HCUC_SpeechConnectPort=2'],
    shortages: [{ type: 'CUC_SpeechConnectPort', quantity: 2 }],
  },
  {
    name: 'CER users fall back to HCS Emergency Responder',
    entitlements: [E('CER_USER', 1), E('HCER_User', 5)],
    requests: [R('cer', 'CER_USER', 3), R('hcer', 'CER_USER', 2, 'HCS')],
    served: ['cer:CER_USER=1', 'cer:HCER_User=2', 'hcer:HCER_User=2'],
    shortages: [],
  },
  {
    name: 'greedy trap: Enhanced Plus must not take the CUWL that CUWL needs',
    entitlements: [E('UCM_CUWL', 10), E('HUCM_Standard', 10)],
    requests: [R('a-ep', 'UCM_EnhancedPlus', 10), R('b-cuwl', 'UCM_CUWL', 10)],
    served: ['a-ep:HUCM_Standard=10', 'b-cuwl:UCM_CUWL=10'],
    shortages: [],
  },
  {
    name: 'maximum flow beats preference: Basic takes HCS Foundation so CUWL is served',
    entitlements: [E('UCM_CUWL', 10), E('HUCM_Foundation', 10)],
    requests: [R('a-basic', 'UCM_Basic', 10), R('b-cuwl', 'UCM_CUWL', 10)],
    served: ['a-basic:HUCM_Foundation=10', 'b-cuwl:UCM_CUWL=10'],
    shortages: [],
  },
  {
    name: 'tie on position cost: own type first (Basic keeps Basic, Essential borrows two tiers)',
    entitlements: [E('UCM_Basic', 1), E('UCM_Enhanced', 1)],
    requests: [R('b', 'UCM_Basic', 1), R('e', 'UCM_Essential', 1)],
    served: ['b:UCM_Basic=1', 'e:UCM_Enhanced=1'],
  },
  {
    name: 'tie on position and borrowing: borrowers take the nearest tiers in tier order',
    entitlements: [E('UCM_CUWL', 1), E('UCM_EnhancedPlus', 1)],
    requests: [R('b', 'UCM_Basic', 1), R('e', 'UCM_Essential', 1)],
    served: ['b:UCM_CUWL=1', 'e:UCM_EnhancedPlus=1'],
  },
  {
    name: 'shortage: every unserved unit per requested type, not-owned type listed with 0',
    entitlements: [E('UCM_Enhanced', 3)],
    requests: [
      R('a', 'UCM_Basic', 2),
      R('b', 'UCM_Basic', 2, 'HCS'),
      R('c', 'UCM_Enhanced', 2),
      R('d', 'UCM_CUWL', 7),
    ],
    served: ['a:UCM_Enhanced=1', 'c:UCM_Enhanced=2'],
    shortages: [
      { type: 'UCM_Basic', quantity: 3 },
      { type: 'UCM_CUWL', quantity: 7 },
    ],
    licenses: [
      { type: 'UCM_Basic', quantity: 0, inUse: 0, available: 0 },
      { type: 'UCM_Enhanced', quantity: 3, inUse: 3, available: 0 },
      { type: 'UCM_CUWL', quantity: 0, inUse: 0, available: 0 },
    ],
  },
  {
    name: 'requests of one group are served in id order; the last ids carry the shortage',
    entitlements: [E('UCM_Basic', 5), E('UCM_Enhanced', 4)],
    requests: [R('r3', 'UCM_Basic', 4), R('r1', 'UCM_Basic', 4), R('r2', 'UCM_Basic', 4)],
    served: ['r1:UCM_Basic=4', 'r2:UCM_Basic=1', 'r2:UCM_Enhanced=3', 'r3:UCM_Enhanced=1'],
    shortages: [{ type: 'UCM_Basic', quantity: 3 }],
  },
  {
    name: 'duplicate entitlement rows add up; zero rows own nothing; zero counts take nothing',
    entitlements: [E('UCM_CUWL', 4), E('UCM_CUWL', 6), E('UCM_Basic', 0)],
    requests: [R('a', 'UCM_CUWL', 10), R('z', 'UCM_Basic', 0)],
    served: ['a:UCM_CUWL=10'],
    licenses: [{ type: 'UCM_CUWL', quantity: 10, inUse: 10, available: 0 }],
    shortages: [],
  },
  {
    name: 'nothing in, nothing out',
    entitlements: [],
    requests: [],
    served: [],
    licenses: [],
    substitutions: [],
    shortages: [],
  },
];

describe('allocate: rules of DOMAIN §6', () => {
  it.each(CASES)('$name', (c) => {
    const result = allocate({ entitlements: c.entitlements, requests: c.requests });
    expect(served(result)).toEqual(c.served);
    if (c.shortages) expect(result.shortages).toEqual(c.shortages);
    if (c.substitutions) expect(result.substitutions).toEqual(c.substitutions);
    if (c.licenses) expect(result.licenses).toEqual(c.licenses);
  });

  it("reproduces Cisco's worked example exactly", () => {
    expect(
      allocate({
        entitlements: [E('UCM_CUWL', 100)],
        requests: [R('pub-1', 'UCM_CUWL', 10), R('pub-2', 'UCM_EnhancedPlus', 50)],
      }),
    ).toEqual({
      licenses: [{ type: 'UCM_CUWL', quantity: 100, inUse: 60, available: 40 }],
      substitutions: [{ from: 'UCM_EnhancedPlus', to: 'UCM_CUWL', quantity: 50 }],
      shortages: [],
      allocations: [
        { request: 'pub-1', type: 'UCM_CUWL', from: 'UCM_CUWL', quantity: 10 },
        { request: 'pub-2', type: 'UCM_EnhancedPlus', from: 'UCM_CUWL', quantity: 50 },
      ],
    });
  });

  it('sorts substitutions by requested type, then lent type, in catalog order', () => {
    const r = allocate({
      entitlements: [E('HUCM_Standard', 50), E('UCM_CUWL', 2), E('HUCM_Foundation', 1)],
      requests: [R('x', 'UCM_CUWL', 5), R('y', 'UCM_Essential', 3), R('z', 'UCM_EnhancedPlus', 4)],
    });
    // Position cost: a CUWL unit saves 2 for Essential (CUWL at 4 instead of HCS Standard at 6,
    // Enterprise before HCS) but only 1 for CUWL or Enhanced Plus, so Essential gets both.
    expect(r.substitutions.map((s) => `${s.from}>${s.to}=${s.quantity}`)).toEqual([
      'UCM_Essential>UCM_CUWL=2',
      'UCM_Essential>HUCM_Foundation=1',
      'UCM_EnhancedPlus>HUCM_Standard=4',
      'UCM_CUWL>HUCM_Standard=5',
    ]);
  });
});

describe('allocate: input validation', () => {
  const ok = (): { entitlements: unknown[]; requests: unknown[] } => ({
    entitlements: [E('UCM_CUWL', 10)],
    requests: [R('a', 'UCM_CUWL', 1), R('b', 'UCM_CUWL', 1), R('c', 'UCM_CUWL', 1)],
  });
  const withRequest = (i: number, patch: Record<string, unknown>) => {
    const input = ok();
    input.requests[i] = { ...(input.requests[i] as object), ...patch };
    return input;
  };
  const without = (i: number, key: string) => {
    const input = ok();
    const row = { ...(input.requests[i] as Record<string, unknown>) };
    delete row[key];
    input.requests[i] = row;
    return input;
  };

  it.each<[string, unknown, string]>([
    [
      'negative count',
      { ...ok(), requests: [...ok().requests, R('d', 'UCM_CUWL', -1)] },
      'requests[3].count: expected a non-negative integer, got -1',
    ],
    [
      'fractional count',
      withRequest(0, { count: 1.5 }),
      'requests[0].count: expected a non-negative integer, got 1.5',
    ],
    [
      'count as a string',
      withRequest(1, { count: '3' }),
      'requests[1].count: expected a non-negative integer, got "3"',
    ],
    [
      'missing count',
      without(2, 'count'),
      'requests[2].count: expected a non-negative integer, got nothing',
    ],
    [
      'unsafe integer count',
      withRequest(0, { count: 2 ** 60 }),
      `requests[0].count: expected a non-negative integer, got ${2 ** 60}`,
    ],
    [
      'unknown request type',
      withRequest(0, { type: 'UCM_Foo' }),
      'requests[0].type: unknown license type "UCM_Foo"',
    ],
    [
      'display name instead of id (the CLI normalizes, the core does not)',
      withRequest(0, { type: 'UC Manager CUWL License (12.x)' }),
      'requests[0].type: unknown license type "UC Manager CUWL License (12.x)"',
    ],
    [
      'non-string type',
      withRequest(1, { type: 7 }),
      'requests[1].type: expected a license type id, got 7',
    ],
    [
      'bad mode',
      withRequest(1, { mode: 'hcs' }),
      'requests[1].mode: expected "Enterprise" or "HCS", got "hcs"',
    ],
    [
      'missing mode',
      without(0, 'mode'),
      'requests[0].mode: expected "Enterprise" or "HCS", got nothing',
    ],
    ['empty id', withRequest(2, { id: '' }), 'requests[2].id: expected a non-empty string, got ""'],
    ['numeric id', withRequest(2, { id: 3 }), 'requests[2].id: expected a non-empty string, got 3'],
    [
      'duplicate id',
      withRequest(2, { id: 'a' }),
      'requests[2].id: duplicate id "a" (also at requests[0].id)',
    ],
    [
      'negative quantity',
      { ...ok(), entitlements: [E('UCM_CUWL', 1), E('UCM_Basic', -5)] },
      'entitlements[1].quantity: expected a non-negative integer, got -5',
    ],
    [
      'unknown entitlement type',
      { ...ok(), entitlements: [{ type: 'UCM_Foo', quantity: 1 }] },
      'entitlements[0].type: unknown license type "UCM_Foo"',
    ],
    [
      'entitlement total beyond 2^53',
      {
        ...ok(),
        entitlements: [E('UCM_CUWL', Number.MAX_SAFE_INTEGER), E('UCM_CUWL', 2)],
      },
      `entitlements: total for UCM_CUWL exceeds ${Number.MAX_SAFE_INTEGER}`,
    ],
    ['entitlements not an array', { requests: [] }, 'entitlements: expected an array, got nothing'],
    [
      'requests not an array',
      { entitlements: [], requests: {} },
      'requests: expected an array, got a object',
    ],
    [
      'row not an object',
      { entitlements: [], requests: [null] },
      'requests[0]: expected an object, got null',
    ],
  ])('%s', (_name, input, message) => {
    let caught: unknown;
    try {
      allocate(input as AllocationInput);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AllocationInputError);
    expect(caught).toBeInstanceOf(Error);
    expect((caught as Error).message).toBe(message);
    expect((caught as AllocationInputError).path).toBe(message.slice(0, message.indexOf(':')));
    expect((caught as Error).name).toBe('AllocationInputError');
  });
});

// ---- seeded property tests ----------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rnd = () => number;
const int = (rnd: Rnd, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[int(rnd, 0, xs.length - 1)]!;
function shuffled<T>(rnd: Rnd, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = int(rnd, 0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// Most cases stay on the CUCM user chains, where tiers and dual parenting interact.
const UCM_POOL: LicenseTypeId[] = [
  'UCM_Essential',
  'UCM_Basic',
  'UCM_Enhanced',
  'UCM_EnhancedPlus',
  'UCM_CUWL',
  'HUCM_Essential',
  'HUCM_Basic',
  'HUCM_Foundation',
  'HUCM_Standard',
];
const typeFrom = (rnd: Rnd): LicenseTypeId =>
  rnd() < 0.75 ? pick(rnd, UCM_POOL) : pick(rnd, LICENSE_TYPE_IDS);

function randomInput(
  rnd: Rnd,
  size: { rows: number; requests: number; quantity: number; count: number },
): AllocationInput {
  const entitlements = Array.from({ length: int(rnd, 0, size.rows) }, () =>
    E(typeFrom(rnd), int(rnd, 0, size.quantity)),
  );
  const ids = shuffled(
    rnd,
    Array.from({ length: 40 }, (_, i) => `r${i}`),
  );
  const requests = Array.from({ length: int(rnd, 0, size.requests) }, (_, i) =>
    R(ids[i]!, typeFrom(rnd), int(rnd, 0, size.count), rnd() < 0.7 ? 'Enterprise' : 'HCS'),
  );
  return { entitlements, requests };
}

const groupKey = (r: LicenseRequest): string => `${r.type}/${r.mode}`;

/** Maximum servable demand by max-flow/min-cut: min over group subsets A of d(¬A) + q(N(A)). */
function maxServedByMinCut(input: AllocationInput): number {
  const owned = new Map<LicenseTypeId, number>();
  for (const e of input.entitlements) owned.set(e.type, (owned.get(e.type) ?? 0) + e.quantity);
  const groups = new Map<string, { demand: number; sources: LicenseTypeId[] }>();
  for (const r of input.requests) {
    const g = groups.get(groupKey(r)) ?? { demand: 0, sources: eligibleSources(r.type, r.mode) };
    g.demand += r.count;
    groups.set(groupKey(r), g);
  }
  const list = [...groups.values()];
  let best = Infinity;
  for (let mask = 0; mask < 1 << list.length; mask++) {
    let cut = 0;
    const neighbours = new Set<LicenseTypeId>();
    list.forEach((g, i) => {
      if (mask & (1 << i)) g.sources.forEach((s) => neighbours.add(s));
      else cut += g.demand;
    });
    for (const s of neighbours) cut += owned.get(s) ?? 0;
    best = Math.min(best, cut);
  }
  return best;
}

/** The objective allocate() promises, compared lexicographically. */
interface Score {
  served: number; // higher is better
  cost: number; // Σ units × position in eligibleSources
  borrowed: number; // units not served by their own type
  squares: number; // Σ units × position²
}
const better = (a: Score, b: Score): boolean =>
  a.served !== b.served
    ? a.served > b.served
    : a.cost !== b.cost
      ? a.cost < b.cost
      : a.borrowed !== b.borrowed
        ? a.borrowed < b.borrowed
        : a.squares < b.squares;

/** Brute force over every split of every request into its eligible sources. */
function bruteForceOptimum(input: AllocationInput): Score {
  const left = new Map<LicenseTypeId, number>();
  for (const e of input.entitlements) left.set(e.type, (left.get(e.type) ?? 0) + e.quantity);
  let best: Score = { served: -1, cost: 0, borrowed: 0, squares: 0 };
  const reqs = input.requests;
  const visit = (ri: number, si: number, rest: number, acc: Score): void => {
    if (ri === reqs.length) {
      if (better(acc, best)) best = acc;
      return;
    }
    const r = reqs[ri]!;
    const sources = eligibleSources(r.type, r.mode);
    if (si === sources.length || rest === 0) {
      visit(ri + 1, 0, reqs[ri + 1]?.count ?? 0, acc);
      return;
    }
    const s = sources[si]!;
    const have = left.get(s) ?? 0;
    for (let take = Math.min(have, rest); take >= 0; take--) {
      left.set(s, have - take);
      visit(ri, si + 1, rest - take, {
        served: acc.served + take,
        cost: acc.cost + take * si,
        borrowed: acc.borrowed + (s === r.type ? 0 : take),
        squares: acc.squares + take * si * si,
      });
      left.set(s, have);
    }
  };
  visit(0, 0, reqs[0]?.count ?? 0, { served: 0, cost: 0, borrowed: 0, squares: 0 });
  return best;
}

function scoreOf(input: AllocationInput, result: AllocationResult): Score {
  const byId = new Map(input.requests.map((r) => [r.id, r]));
  const score: Score = { served: 0, cost: 0, borrowed: 0, squares: 0 };
  for (const a of result.allocations) {
    const r = byId.get(a.request)!;
    const p = eligibleSources(r.type, r.mode).indexOf(a.from);
    score.served += a.quantity;
    score.cost += a.quantity * p;
    score.borrowed += a.from === a.type ? 0 : a.quantity;
    score.squares += a.quantity * p * p;
  }
  return score;
}

function checkInvariants(input: AllocationInput, result: AllocationResult): void {
  const owned = new Map<LicenseTypeId, number>();
  for (const e of input.entitlements) owned.set(e.type, (owned.get(e.type) ?? 0) + e.quantity);
  const byId = new Map(input.requests.map((r) => [r.id, r]));
  const drawn = new Map<LicenseTypeId, number>();
  const perRequest = new Map<string, number>();
  const servedPerType = new Map<LicenseTypeId, number>();
  const lent = new Map<string, number>();
  for (const a of result.allocations) {
    const r = byId.get(a.request)!;
    expect(a.type).toBe(r.type);
    expect(a.quantity).toBeGreaterThan(0);
    expect(eligibleSources(r.type, r.mode)).toContain(a.from);
    drawn.set(a.from, (drawn.get(a.from) ?? 0) + a.quantity);
    perRequest.set(a.request, (perRequest.get(a.request) ?? 0) + a.quantity);
    servedPerType.set(a.type, (servedPerType.get(a.type) ?? 0) + a.quantity);
    if (a.from !== a.type) {
      const k = `${a.type}>${a.from}`;
      lent.set(k, (lent.get(k) ?? 0) + a.quantity);
    }
  }
  // Never more allocated than owned per type.
  for (const [t, q] of drawn) expect(q).toBeLessThanOrEqual(owned.get(t) ?? 0);
  // Allocations per request never exceed its count.
  for (const r of input.requests) expect(perRequest.get(r.id) ?? 0).toBeLessThanOrEqual(r.count);
  // Shortage + served = demand, per requested type.
  const demand = new Map<LicenseTypeId, number>();
  for (const r of input.requests) demand.set(r.type, (demand.get(r.type) ?? 0) + r.count);
  const shortage = new Map(result.shortages.map((s) => [s.type, s.quantity]));
  for (const [t, d] of demand) {
    expect((servedPerType.get(t) ?? 0) + (shortage.get(t) ?? 0)).toBe(d);
  }
  for (const s of result.shortages) {
    expect(s.quantity).toBeGreaterThan(0);
    expect(demand.has(s.type)).toBe(true);
  }
  // licenses: owned or short types, catalog order, inUse = drawn, available = quantity − inUse.
  const expectedTypes = LICENSE_TYPE_IDS.filter(
    (t) => (owned.get(t) ?? 0) > 0 || (shortage.get(t) ?? 0) > 0,
  );
  expect(result.licenses.map((l) => l.type)).toEqual(expectedTypes);
  for (const l of result.licenses) {
    expect(l.quantity).toBe(owned.get(l.type) ?? 0);
    expect(l.inUse).toBe(drawn.get(l.type) ?? 0);
    expect(l.available).toBe(l.quantity - l.inUse);
    expect(l.available).toBeGreaterThanOrEqual(0);
  }
  // substitutions = borrowed allocations, aggregated and sorted.
  expect(result.substitutions.map((s) => [`${s.from}>${s.to}`, s.quantity])).toEqual(
    [...lent.entries()].sort(([a], [b]) => {
      const [af, at] = a.split('>') as [LicenseTypeId, LicenseTypeId];
      const [bf, bt] = b.split('>') as [LicenseTypeId, LicenseTypeId];
      return catalogIndex(af) - catalogIndex(bf) || catalogIndex(at) - catalogIndex(bt);
    }),
  );
  // allocations follow the canonical request order.
  const ids = result.allocations.map((a) => a.request);
  expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
}

const totalServed = (r: AllocationResult): number =>
  r.allocations.reduce((s, a) => s + a.quantity, 0);

describe('allocate: seeded properties', () => {
  it('holds the invariants, serves the maximum and ignores input order (600 cases)', () => {
    const rnd = mulberry32(20250520);
    for (let n = 0; n < 600; n++) {
      const input = randomInput(rnd, { rows: 8, requests: 8, quantity: 15, count: 12 });
      const result = allocate(input);
      const context = `case ${n}: ${JSON.stringify(input)}`;
      try {
        checkInvariants(input, result);
        expect(totalServed(result)).toBe(maxServedByMinCut(input));
        const again = allocate({
          entitlements: shuffled(rnd, input.entitlements),
          requests: shuffled(rnd, input.requests),
        });
        expect(again).toEqual(result);
      } catch (err) {
        throw new Error(`${context}\n${(err as Error).message}`);
      }
    }
  });

  it('reaches the brute-force optimum: served, then position cost, borrowing, squares (500 small cases)', () => {
    const rnd = mulberry32(7);
    for (let n = 0; n < 500; n++) {
      const input = randomInput(rnd, { rows: 4, requests: 3, quantity: 3, count: 3 });
      const result = allocate(input);
      const best = bruteForceOptimum(input);
      const context = `case ${n}: ${JSON.stringify(input)}`;
      expect(scoreOf(input, result), context).toEqual(best);
    }
  });

  it('scales: 5,000 requests in one call keep the invariants', () => {
    const rnd = mulberry32(99);
    const requests = Array.from({ length: 5000 }, (_, i) =>
      R(
        `q${(i * 7919) % 5000}`,
        typeFrom(rnd),
        int(rnd, 0, 20),
        rnd() < 0.8 ? 'Enterprise' : 'HCS',
      ),
    );
    const entitlements = LICENSE_TYPE_IDS.map((t) => E(t, int(rnd, 0, 6000)));
    const input = { entitlements, requests };
    const result = allocate(input);
    checkInvariants(input, result);
    expect(result.allocations.length).toBeGreaterThan(1000);
  });
});

describe('allocate: duplicate ids', () => {
  it('names the first two rows with the same id whatever their types', () => {
    const requests = [
      R('x', 'UCM_CUWL', 1),
      R('a', 'UCM_Basic', 1),
      R('a', 'UCM_Essential', 1),
      R('a', 'UCM_CUWL', 1, 'HCS'),
    ];
    expect(() => allocate({ entitlements: [], requests })).toThrow(
      'requests[2].id: duplicate id "a" (also at requests[1].id)',
    );
  });
});
