/**
 * The rebalancer (issue 25): for every virtual account short of licenses now or within a
 * horizon, the transfers from other VAs of the same smart account that would cover it, and
 * what remains to order. Pure: the read model (core/reports/rebalance) gathers the inputs, the
 * allocation engine (./allocation) decides what is short before and after every move.
 *
 * Rules this module fixes [design unless marked]:
 * - Shortage: what `allocate` leaves unserved, now (the lines in force now, today's requests)
 *   and at the horizon (the lines still in force at `now + horizonDays`, today's requests plus
 *   the forecast growth). A VA is a target when either is above zero.
 * - A source never gives what it needs: after every move its shortage of every type, now and
 *   at the horizon, is no larger than before the plan. Only units `allocate` leaves unused
 *   both now and at the horizon are candidates, and every move is checked again with
 *   `allocate` before it is kept.
 * - Same smart account only (CSSM transfers inside one SA [code]). Substitution follows the
 *   allocation hierarchy (DOMAIN §6): the target's short request may draw its own type, a
 *   higher tier of its chain, or (Enterprise mode) the mapped HCS type and the tiers above it.
 * - License modes: an HCS-mode VA gets only HCS-family licenses (its apps ask for HCS types,
 *   rule 3); an Enterprise VA gets Enterprise licenses or HCS ones (dual parenting, rule 2).
 *   HCS-LE VAs (a retired model: gone from 14(1)SU1) trade only with HCS-LE VAs, so no license
 *   ends up where its mode cannot draw it once HCS-LE is gone.
 * - Term vs perpetual: a transfer names TERM or PERPETUAL, not a subscription, so CSSM picks
 *   the term lines. The plan assumes the worst on both sides: the source loses its
 *   longest-lasting term lines, the target receives the ones that end first. A moved term
 *   line that ends within the horizon therefore helps the target now but not at the horizon.
 *   DEMO / STANDARD lines are never moved (`license transfer` takes TERM or PERPETUAL).
 * - Never more than needed: the quantity of each move is the least that gives the target the
 *   smallest total shortage (now + horizon) that source can give.
 * - Competing shortages (the fairness rule): targets are served in order of urgency — short
 *   now first, then by the first day of the forecast shortage — then the smaller total
 *   shortage first (a surplus that cannot cover both makes one VA whole instead of leaving two
 *   short), then by `<domain>/<va>`. Within a target, sources are taken in the order of the
 *   allocation preference of the license moved (own type before higher tiers before HCS),
 *   then the source with the most to give first (fewest transfers), then by name. Input order
 *   never matters.
 * - A VA that receives in the plan gives nothing in it (no licenses passed along a chain).
 * - Shortages are keyed by the type CSSM counts (an HCS-mode request of an Enterprise type is
 *   its HCS type), and each proposal is split per short type (`licenses`): the transfers that
 *   cover that type, checked with `allocate` on just those (what one shortage alert carries).
 */
import { allocate, type Entitlement, type LicenseRequest } from './allocation.ts';
import {
  catalogIndex,
  eligibleSources,
  licenseType,
  type LicenseTypeId,
  type RequestMode,
} from './catalog.ts';
import { DAY_MS } from './lifecycle.ts';

export type TransferKind = 'TERM' | 'PERPETUAL';
export type VaLicenseMode = 'Enterprise' | 'HCS' | 'HCS-LE';

/** One entitlement line as CSSM lists it in `licenseDetails`. */
export interface RebalanceLine {
  type: LicenseTypeId;
  /** DEMO / STANDARD count as supply but are never moved. */
  kind: TransferKind | 'DEMO' | 'STANDARD';
  quantity: number;
  /** null: perpetual (or no end). A line that ended at or before `now` is ignored. */
  endsAt: Date | null;
}

/** Forecast growth of one requested type: more requests per day at the current trend. */
export interface RebalanceGrowth {
  type: LicenseTypeId;
  mode: RequestMode;
  perDay: number;
}

export interface RebalanceVa {
  id: number;
  /** Smart account domain: the scope of a transfer. */
  domain: string;
  name: string;
  licenseMode: VaLicenseMode | null;
  lines: RebalanceLine[];
  /** Today's requests (what the clusters drawing on the VA report). */
  requests: LicenseRequest[];
  growth: RebalanceGrowth[];
  /**
   * CSSM's `available` per license at the last sync (owned minus in use, what the allocation
   * lends up the tiers counted as in use). CSSM refuses a transfer of more, and `allocate`'s
   * unused units can exceed it, so no source gives more than this (absent: no cap).
   */
  available?: Partial<Record<LicenseTypeId, number>>;
}

export interface RebalanceInput {
  now: Date;
  /** Days ahead a forecast shortage counts (default 30). */
  horizonDays?: number;
  vas: RebalanceVa[];
}

/** One transfer: exactly the arguments of `license transfer`. */
export interface PlannedTransfer {
  domain: string;
  fromVa: string;
  toVa: string;
  fromVaId: number;
  toVaId: number;
  /** CSSM's license name, as `license transfer` takes it. */
  license: string;
  type: LicenseTypeId;
  licenseType: TransferKind;
  quantity: number;
  /** The command line that runs it. */
  command: string;
}

export interface ShortageLine {
  type: LicenseTypeId;
  /** Unserved now. */
  now: number;
  /** Unserved at the horizon (forecast growth, terms ended). */
  atHorizon: number;
}

/**
 * One short license type of a target VA: the transfers of the proposal that cover *it*, and
 * what remains of it once just those run. What a shortage alert (one license of one VA)
 * carries, and what its "Apply transfer" button runs.
 */
export interface LicenseProposal {
  type: LicenseTypeId;
  shortage: ShortageLine;
  /** A subset of the proposal's transfers, in plan order. */
  transfers: PlannedTransfer[];
  /** What is still short of this type once these transfers are made (checked by `allocate`). */
  remaining: ShortageLine | null;
  coverage: 'full' | 'partial' | 'none';
}

export interface RebalanceProposal {
  vaId: number;
  domain: string;
  va: string;
  /** `<domain>/<va>` */
  label: string;
  /** 0 when short now, else the first day (from now) the forecast shows a shortage. */
  dueInDays: number;
  shortages: ShortageLine[];
  transfers: PlannedTransfer[];
  /** What is still short after the transfers: what to order. Empty when fully covered. */
  remaining: ShortageLine[];
  coverage: 'full' | 'partial' | 'none';
  /** Per short type (the order of `shortages`): the transfers that cover that type. */
  licenses: LicenseProposal[];
}

export interface RebalancePlan {
  horizonDays: number;
  /** One per VA short now or within the horizon, most urgent first (the fairness order). */
  proposals: RebalanceProposal[];
  /** Every transfer in the order it was planned. */
  transfers: PlannedTransfer[];
}

export const DEFAULT_HORIZON_DAYS = 30;

/** Arguments quoted for a POSIX shell when they hold anything but safe characters. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9._@%+=:,/-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, '\\$1')}"`;
}

export function transferCommand(
  t: Pick<PlannedTransfer, 'domain' | 'fromVa' | 'toVa' | 'license' | 'quantity' | 'licenseType'>,
): string {
  return [
    'smartlic license transfer',
    shellWord(`${t.domain}/${t.fromVa}`),
    shellWord(`${t.domain}/${t.toVa}`),
    `"${t.license.replace(/(["\\$`])/g, '\\$1')}"`,
    String(t.quantity),
    `--type ${t.licenseType}`,
  ].join(' ');
}

// ---- state of one VA while planning ---------------------------------------------------------

interface Line {
  type: LicenseTypeId;
  kind: RebalanceLine['kind'];
  quantity: number;
  /** ms since the epoch; Infinity for no end. */
  end: number;
}

interface VaState {
  va: RebalanceVa;
  label: string;
  lines: Line[];
  requestsNow: LicenseRequest[];
  requestsAt: LicenseRequest[];
  baseNow: Map<LicenseTypeId, number>;
  baseAt: Map<LicenseTypeId, number>;
  received: boolean;
  /** What the plan has taken from this VA so far, per type (against `va.available`). */
  given: Map<LicenseTypeId, number>;
}

const sum = (m: Map<LicenseTypeId, number>): number => {
  let s = 0;
  for (const v of m.values()) s += v;
  return s;
};

function entitlementsAt(lines: readonly Line[], at: number): Entitlement[] {
  const by = new Map<LicenseTypeId, number>();
  for (const l of lines) {
    if (l.end > at && l.quantity > 0) by.set(l.type, (by.get(l.type) ?? 0) + l.quantity);
  }
  return [...by].map(([type, quantity]) => ({ type, quantity }));
}

function shortMap(ents: Entitlement[], requests: LicenseRequest[]): Map<LicenseTypeId, number> {
  return new Map(
    allocate({ entitlements: ents, requests }).shortages.map((s) => [s.type, s.quantity]),
  );
}

function growthRequests(va: RebalanceVa, days: number): LicenseRequest[] {
  const out: LicenseRequest[] = [];
  for (const g of va.growth) {
    const count = Math.ceil(Math.max(0, g.perDay) * days - 1e-9);
    if (count > 0)
      out.push({ id: `\u0000growth:${g.type}:${g.mode}`, type: g.type, mode: g.mode, count });
  }
  return out;
}

/**
 * A request as CSSM counts it: an HCS-mode app asks for the HCS type of its Enterprise license
 * (DOMAIN §6 rule 3), so its shortage is CSSM's shortage of that HCS type — the license a
 * shortage alert names. The sources it may draw are the same either way.
 */
export function asCssmRequest(r: LicenseRequest): LicenseRequest {
  if (r.mode !== 'HCS') return r;
  const entry = licenseType(r.type).hcsEntry;
  return entry && licenseType(r.type).family === 'Enterprise' ? { ...r, type: entry } : r;
}

/**
 * Requests summed per (type, mode): `allocate` serves demand groups, so its shortages are the
 * same, and a VA of a hundred clusters costs one request per group instead of one per row.
 */
function grouped(requests: readonly LicenseRequest[]): LicenseRequest[] {
  const by = new Map<string, LicenseRequest>();
  for (const r0 of requests) {
    const r = asCssmRequest(r0);
    const id = `${r.type}:${r.mode}`;
    const g = by.get(id);
    if (g) g.count += r.count;
    else by.set(id, { id, type: r.type, mode: r.mode, count: r.count });
  }
  return [...by.values()];
}

function shortNow(s: VaState, now: number, lines = s.lines) {
  return shortMap(entitlementsAt(lines, now), s.requestsNow);
}
function shortAt(s: VaState, horizon: number, lines = s.lines) {
  return shortMap(entitlementsAt(lines, horizon), s.requestsAt);
}

/** Worst case for the source: it loses its longest-lasting lines of the kind first. */
function removeUnits(
  lines: readonly Line[],
  type: LicenseTypeId,
  kind: TransferKind,
  q: number,
): Line[] {
  const out = lines.map((l) => ({ ...l }));
  const mine = out
    .filter((l) => l.type === type && l.kind === kind && l.quantity > 0)
    .sort((a, b) => b.end - a.end);
  let rest = q;
  for (const l of mine) {
    const take = Math.min(rest, l.quantity);
    l.quantity -= take;
    rest -= take;
    if (rest === 0) break;
  }
  return out;
}

/** Worst case for the target: it receives the source's lines of the kind that end first. */
function receivedLines(
  source: readonly Line[],
  type: LicenseTypeId,
  kind: TransferKind,
  q: number,
): Line[] {
  const mine = source
    .filter((l) => l.type === type && l.kind === kind && l.quantity > 0)
    .sort((a, b) => a.end - b.end);
  const out: Line[] = [];
  let rest = q;
  for (const l of mine) {
    const take = Math.min(rest, l.quantity);
    out.push({ type, kind, quantity: take, end: l.end });
    rest -= take;
    if (rest === 0) break;
  }
  return out;
}

function movable(
  lines: readonly Line[],
  type: LicenseTypeId,
  kind: TransferKind,
  now: number,
): number {
  let n = 0;
  for (const l of lines) if (l.type === type && l.kind === kind && l.end > now) n += l.quantity;
  return n;
}

function noWorse(after: Map<LicenseTypeId, number>, base: Map<LicenseTypeId, number>): boolean {
  for (const [t, q] of after) if (q > (base.get(t) ?? 0)) return false;
  return true;
}

/** Whether licenses of `type` may go from `from` to `to` under the mode rules above. */
export function modeAllows(
  from: VaLicenseMode | null,
  to: VaLicenseMode | null,
  type: LicenseTypeId,
): boolean {
  if ((from === 'HCS-LE') !== (to === 'HCS-LE')) return false;
  if (to === 'HCS' && licenseType(type).family !== 'HCS') return false;
  return true;
}

/**
 * The plan: for every VA short now or within the horizon, transfers from VAs of its smart
 * account that cover it without creating a shortage anywhere, and what remains to order.
 */
export function planRebalance(input: RebalanceInput): RebalancePlan {
  const horizonDays = input.horizonDays ?? DEFAULT_HORIZON_DAYS;
  if (!Number.isInteger(horizonDays) || horizonDays < 0 || horizonDays > 3650) {
    throw new RangeError(`horizonDays must be a whole number from 0 to 3650, got ${horizonDays}`);
  }
  const now = input.now.getTime();
  const horizon = now + horizonDays * DAY_MS;

  const states: VaState[] = [...input.vas]
    .sort((a, b) =>
      a.domain < b.domain
        ? -1
        : a.domain > b.domain
          ? 1
          : a.name < b.name
            ? -1
            : a.name > b.name
              ? 1
              : a.id - b.id,
    )
    .map((va) => {
      const lines: Line[] = va.lines.map((l) => ({
        type: l.type,
        kind: l.kind,
        quantity: l.quantity,
        end: l.endsAt ? l.endsAt.getTime() : Infinity,
      }));
      const s: VaState = {
        va,
        label: `${va.domain}/${va.name}`,
        lines,
        requestsNow: grouped(va.requests),
        requestsAt: grouped([...va.requests, ...growthRequests(va, horizonDays)]),
        baseNow: new Map(),
        baseAt: new Map(),
        received: false,
        given: new Map(),
      };
      const e = examine(s, s.lines, now, horizon);
      s.baseNow = e.shortNow;
      s.baseAt = e.shortAt;
      return s;
    });

  // Targets and their urgency.
  const targets = states
    .filter((s) => sum(s.baseNow) + sum(s.baseAt) > 0)
    .map((s) => ({ s, due: sum(s.baseNow) > 0 ? 0 : firstShortDay(s, now, horizonDays) }))
    .sort(
      (a, b) =>
        a.due - b.due ||
        sum(a.s.baseNow) + sum(a.s.baseAt) - (sum(b.s.baseNow) + sum(b.s.baseAt)) ||
        (a.s.label < b.s.label ? -1 : a.s.label > b.s.label ? 1 : a.s.va.id - b.s.va.id),
    );

  const bySa = new Map<string, VaState[]>();
  for (const s of states) {
    const list = bySa.get(s.va.domain);
    if (list) list.push(s);
    else bySa.set(s.va.domain, [s]);
  }

  const proposals: RebalanceProposal[] = [];
  const all: PlannedTransfer[] = [];
  for (const { s: target, due } of targets) {
    const shortages = shortageLines(target.baseNow, target.baseAt);
    const transfers: PlannedTransfer[] = [];
    // Per transfer: the lines the target receives and the types whose shortage it lowered.
    const moved: { got: Line[]; lowered: Set<LicenseTypeId> }[] = [];
    const linesBefore = target.lines;
    let curNow = target.baseNow;
    let curAt = target.baseAt;
    const peers = (bySa.get(target.va.domain) ?? []).filter((p) => p !== target);
    for (let guard = 0; guard < 200 && sum(curNow) + sum(curAt) > 0; guard++) {
      const move = bestMove(target, peers, curNow, curAt, now, horizon);
      if (!move) break;
      const { source, type, kind, quantity } = move;
      const got = receivedLines(source.lines, type, kind, quantity);
      source.lines = move.sourceLines;
      source.given.set(type, (source.given.get(type) ?? 0) + quantity);
      target.lines = [...target.lines, ...got];
      target.received = true;
      const lowered = new Set<LicenseTypeId>();
      for (const [ty, q] of curNow) if ((move.after.now.get(ty) ?? 0) < q) lowered.add(ty);
      for (const [ty, q] of curAt) if ((move.after.at.get(ty) ?? 0) < q) lowered.add(ty);
      moved.push({ got, lowered });
      curNow = move.after.now;
      curAt = move.after.at;
      const t: PlannedTransfer = {
        domain: target.va.domain,
        fromVa: source.va.name,
        toVa: target.va.name,
        fromVaId: source.va.id,
        toVaId: target.va.id,
        license: licenseType(type).displayName,
        type,
        licenseType: kind,
        quantity,
        command: '',
      };
      t.command = transferCommand(t);
      transfers.push(t);
      all.push(t);
    }
    const remaining = shortageLines(curNow, curAt);
    const licenses = shortages.map((line) =>
      licenseProposal(target, linesBefore, line, transfers, moved, remaining, now, horizon),
    );
    proposals.push({
      vaId: target.va.id,
      domain: target.va.domain,
      va: target.va.name,
      label: target.label,
      dueInDays: due,
      shortages,
      transfers,
      remaining,
      coverage: remaining.length === 0 ? 'full' : transfers.length > 0 ? 'partial' : 'none',
      licenses,
    });
  }
  return { horizonDays, proposals, transfers: all };
}

/**
 * The transfers of a target's proposal that cover one of its short types, and what they leave
 * of it — checked with `allocate` on the target's lines plus just those transfers, never
 * assumed. First candidate: the transfers that lowered that type's shortage when planned. The
 * allocation hierarchy can make that too few (a transfer planned for a higher tier is served
 * to it, and the one meant for this type then goes to the higher tier's requests instead), so
 * the second candidate is every transfer up to the last that lowered it: the plan's own state
 * at that point. The one that leaves less of the type short wins; the first on a tie (fewer
 * transfers).
 */
function licenseProposal(
  target: VaState,
  linesBefore: readonly Line[],
  line: ShortageLine,
  transfers: readonly PlannedTransfer[],
  moved: readonly { got: Line[]; lowered: Set<LicenseTypeId> }[],
  remaining: readonly ShortageLine[],
  now: number,
  horizon: number,
): LicenseProposal {
  const type = line.type;
  const left = (idx: readonly number[]) => {
    const lines = [...linesBefore, ...idx.flatMap((i) => moved[i]!.got)];
    const n = shortNow(target, now, lines).get(type) ?? 0;
    const a = shortAt(target, horizon, lines).get(type) ?? 0;
    return { idx, n, a, total: n + a };
  };
  const own = transfers.map((_, i) => i).filter((i) => moved[i]!.lowered.has(type));
  let best = left(own);
  const last = own.length === 0 ? -1 : own[own.length - 1]!;
  const planLeft = remaining.find((r) => r.type === type);
  const planTotal = (planLeft?.now ?? 0) + (planLeft?.atHorizon ?? 0);
  if (best.total > planTotal && last >= 0) {
    const prefix = left(transfers.slice(0, last + 1).map((_, i) => i));
    if (prefix.total < best.total) best = prefix;
  }
  // Transfers that leave the type as short as it was are not its cover, whatever they did
  // for the VA's other types.
  const helps = best.total < line.now + line.atHorizon;
  const mine = helps ? best.idx.map((i) => transfers[i]!) : [];
  const rest = best.total === 0 ? null : { type, now: best.n, atHorizon: best.a };
  return {
    type,
    shortage: line,
    transfers: mine,
    remaining: rest,
    coverage: rest === null ? 'full' : mine.length > 0 ? 'partial' : 'none',
  };
}

function shortageLines(
  nowMap: Map<LicenseTypeId, number>,
  atMap: Map<LicenseTypeId, number>,
): ShortageLine[] {
  const types = [...new Set([...nowMap.keys(), ...atMap.keys()])].sort(
    (a, b) => catalogIndex(a) - catalogIndex(b),
  );
  return types
    .map((type) => ({ type, now: nowMap.get(type) ?? 0, atHorizon: atMap.get(type) ?? 0 }))
    .filter((l) => l.now > 0 || l.atHorizon > 0);
}

/** The first day (1…horizon) a VA not short now is short, by bisection (shortage grows with d). */
function firstShortDay(s: VaState, now: number, horizonDays: number): number {
  const shortOn = (d: number) => {
    const reqs = grouped([...s.va.requests, ...growthRequests(s.va, d)]);
    return sum(shortMap(entitlementsAt(s.lines, now + d * DAY_MS), reqs)) > 0;
  };
  let lo = 1;
  let hi = horizonDays;
  // Term lines can end and come back only by a new order, so shortage never shrinks with d.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (shortOn(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface Evaluated {
  now: Map<LicenseTypeId, number>;
  at: Map<LicenseTypeId, number>;
  total: number;
}

interface Move {
  source: VaState;
  type: LicenseTypeId;
  kind: TransferKind;
  quantity: number;
  /** The target's shortages once it has moved. */
  after: Evaluated;
  /** The source's lines once it has moved (examined: its unused units are cached). */
  sourceLines: Line[];
}

/** The license types that could serve the target's short requests, most preferred first. */
function candidateTypes(
  target: VaState,
  curNow: Map<LicenseTypeId, number>,
  curAt: Map<LicenseTypeId, number>,
): LicenseTypeId[] {
  const short = [...new Set([...curNow.keys(), ...curAt.keys()])].sort(
    (a, b) =>
      ((curNow.get(b) ?? 0) > 0 ? 1 : 0) - ((curNow.get(a) ?? 0) > 0 ? 1 : 0) ||
      catalogIndex(a) - catalogIndex(b),
  );
  const out: LicenseTypeId[] = [];
  for (const type of short) {
    const modes = new Set<RequestMode>(
      target.requestsAt.filter((r) => r.type === type).map((r) => r.mode),
    );
    for (const mode of (['Enterprise', 'HCS'] as const).filter((m) => modes.has(m))) {
      for (const src of eligibleSources(type, mode)) if (!out.includes(src)) out.push(src);
    }
  }
  return out;
}

function bestMove(
  target: VaState,
  peers: readonly VaState[],
  curNow: Map<LicenseTypeId, number>,
  curAt: Map<LicenseTypeId, number>,
  now: number,
  horizon: number,
): Move | undefined {
  const before = sum(curNow) + sum(curAt);
  for (const type of candidateTypes(target, curNow, curAt)) {
    const offers: { source: VaState; kind: TransferKind; spare: number }[] = [];
    for (const p of peers) {
      if (p.received) continue;
      if (!modeAllows(p.va.licenseMode, target.va.licenseMode, type)) continue;
      for (const kind of ['TERM', 'PERPETUAL'] as const) {
        const spare = spareOf(p, type, kind, now, horizon);
        if (spare > 0) offers.push({ source: p, kind, spare });
      }
    }
    // Most to give first (fewest transfers); TERM before PERPETUAL (a perpetual license is the
    // asset a VA keeps); then by name.
    offers.sort(
      (a, b) =>
        b.spare - a.spare ||
        (a.kind === b.kind ? 0 : a.kind === 'TERM' ? -1 : 1) ||
        (a.source.label < b.source.label ? -1 : a.source.label > b.source.label ? 1 : 0),
    );
    for (const o of offers) {
      // The target's shortages with q units of this offer, memoised: each costs two allocations.
      const tried = new Map<number, Evaluated>();
      const gain = (q: number): Evaluated => {
        let e = tried.get(q);
        if (!e) {
          const lines = [...target.lines, ...receivedLines(o.source.lines, type, o.kind, q)];
          const n = shortNow(target, now, lines);
          const a = shortAt(target, horizon, lines);
          e = { now: n, at: a, total: sum(n) + sum(a) };
          tried.set(q, e);
        }
        return e;
      };
      // The least quantity that gives the target the smallest shortage this offer can (it
      // falls as q grows). Most moves need exactly the shortage that is left: try that first;
      // when it leaves nothing short, no larger quantity can do better.
      const guess = Math.min(o.spare, Math.max(sum(curNow), sum(curAt)));
      let best: number;
      let hi: number;
      if (gain(guess).total === 0) {
        best = 0;
        hi = guess;
      } else {
        best = gain(o.spare).total;
        hi = gain(guess).total <= best ? guess : o.spare;
      }
      if (best >= before) continue;
      // One unit serves at most one unit of demand, now and at the horizon alike: when the
      // whole shortage left is covered by exactly that many units, fewer cannot do it.
      const exact = best === 0 && hi === Math.max(sum(curNow), sum(curAt));
      let lo = exact || (hi > 1 && gain(hi - 1).total > best) ? hi : 1;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (gain(mid).total <= best) hi = mid;
        else lo = mid + 1;
      }
      // The source must stay as it was: checked with the allocation engine, not assumed.
      const left = removeUnits(o.source.lines, type, o.kind, lo);
      const checked = examine(o.source, left, now, horizon);
      if (
        !noWorse(checked.shortNow, o.source.baseNow) ||
        !noWorse(checked.shortAt, o.source.baseAt)
      ) {
        continue;
      }
      return {
        source: o.source,
        type,
        kind: o.kind,
        quantity: lo,
        after: gain(lo),
        sourceLines: left,
      };
    }
  }
  return undefined;
}

/** Unused units per type of a source, now and at the horizon, per state of its lines. */
const FREE = new WeakMap<
  readonly Line[],
  { now: Map<LicenseTypeId, number>; at: Map<LicenseTypeId, number> }
>();

/**
 * One VA with the given lines, now and at the horizon: its shortages and its unused units
 * (cached for `spareOf`), from one allocation each — the baseline, the check of a source after
 * a move and the source's next offer all ask the same two questions.
 */
function examine(s: VaState, lines: readonly Line[], now: number, horizon: number) {
  const rNow = allocate({ entitlements: entitlementsAt(lines, now), requests: s.requestsNow });
  const rAt = allocate({ entitlements: entitlementsAt(lines, horizon), requests: s.requestsAt });
  const free = {
    now: new Map(rNow.licenses.map((l) => [l.type, l.available])),
    at: new Map(rAt.licenses.map((l) => [l.type, l.available])),
  };
  FREE.set(lines, free);
  return {
    shortNow: new Map(rNow.shortages.map((x) => [x.type, x.quantity])),
    shortAt: new Map(rAt.shortages.map((x) => [x.type, x.quantity])),
    free,
  };
}

/**
 * What a source can give of one type and kind without needing it: units `allocate` leaves
 * unused now and at the horizon (the worst case for term lines: it loses the longest-lasting).
 */
function spareOf(
  s: VaState,
  type: LicenseTypeId,
  kind: TransferKind,
  now: number,
  horizon: number,
): number {
  const have = movable(s.lines, type, kind, now);
  if (have === 0) return 0;
  const free = FREE.get(s.lines) ?? examine(s, s.lines, now, horizon).free;
  const freeNow = free.now.get(type) ?? 0;
  const freeAt = free.at.get(type) ?? 0;
  if (freeNow <= 0) return 0;
  // Units of this kind still in force at the horizon: the ones the source loses first.
  const lastingAtHorizon = s.lines
    .filter((l) => l.type === type && l.kind === kind && l.end > horizon)
    .reduce((n, l) => n + l.quantity, 0);
  // Removing q units takes q now and min(q, lastingAtHorizon) at the horizon.
  const capAt = lastingAtHorizon <= freeAt ? have : freeAt;
  // CSSM's own limit: its available count, less what this plan has taken from it already.
  const cssm = s.va.available?.[type];
  const capCssm = cssm === undefined ? Infinity : cssm - (s.given.get(type) ?? 0);
  return Math.max(0, Math.min(have, freeNow, capAt, capCssm));
}

/**
 * What a shortage alert of one license carries of its VA's proposal (flat, as alert facts
 * are): that license's coverage, the transfers that cover *it* in words, the command lines
 * that run them (one a line), and what remains of it to order. The transfers for the VA's
 * other short types are not on it: they are on those types' alerts (issue 25: an alert
 * promised `full` for a license none of its transfers covered).
 */
export function proposalFacts(
  p: RebalanceProposal,
  lic: LicenseProposal,
  horizonDays: number,
): Record<string, string | number> {
  const label = licenseType(lic.type).displayName;
  const l = lic.remaining;
  const order =
    l === null
      ? 'nothing'
      : l.now > 0 && l.now >= l.atHorizon
        ? `${l.now} ${label} now`
        : l.now > 0
          ? `${l.now} ${label} now, ${l.atHorizon} within ${horizonDays} days`
          : `${l.atHorizon} ${label} within ${horizonDays} days`;
  return {
    rebalanceVa: p.label,
    rebalanceLicense: lic.type,
    rebalanceDays: horizonDays,
    rebalance: lic.coverage,
    rebalanceTransfers:
      lic.transfers.length === 0
        ? `none: no VA of the smart account has ${label} (or a license that may serve it) to spare`
        : lic.transfers
            .map((t) => `${t.quantity} ${t.license} (${t.licenseType}) from ${t.fromVa}`)
            .join('; '),
    ...(lic.transfers.length > 0
      ? { rebalanceCommands: lic.transfers.map((t) => t.command).join('\n') }
      : {}),
    toOrder: order,
  };
}
