/**
 * License allocation for one virtual account (DOMAIN §6 rules 1–4): which owned license type
 * serves which request, as CSSM computes it.
 *
 * The problem is a tiny transportation problem. Requests are aggregated into demand groups
 * (requested type × mode: at most 40), each group may draw from its `eligibleSources` (at most
 * 7 of the 20 license types), and a min-cost max-flow over source → groups → license types →
 * sink decides the group flows. Group flows are then split back onto the individual requests
 * in a canonical order. The work per call is O(n log n) for sorting the requests plus a
 * constant-size flow problem, so cost grows linearly with the number of requests.
 *
 * Semantics this module fixes [design]:
 * - Served demand is maximal: a shortage is only reported when no choice of sources avoids
 *   it. Among maximal allocations the preference cost is minimal, where the cost of serving a
 *   unit from a source is its position in `eligibleSources` (own type 0, nearest higher tier
 *   1, …, Enterprise before HCS Foundation before HCS Standard). Ties are broken first by the
 *   fewest borrowed units (own type first), then by the smallest sum of squared positions
 *   (borrowers spread over the nearest tiers instead of one reaching far so another can stay
 *   home), and whatever tie is left by the fixed order in which the solver visits groups
 *   (catalog order, Enterprise before HCS) and sources (preference order). Input order never
 *   enters the computation.
 * - Requests are split in the order id, then type, then mode (code-unit string order, not
 *   locale). Within one group the first requests take the most preferred sources; the last
 *   ones carry the group's shortage.
 * - Duplicate request ids are rejected, not merged: two rows with one id are most likely a
 *   bug upstream, and silently merging them would hide demand or double it.
 * - `licenses` lists every type owned (quantity > 0) and every type with a shortage. `inUse`
 *   is what was drawn from that type's own entitlement, including what it lent to other
 *   types, so inUse ≤ quantity and `available = quantity − inUse` is never negative; unserved
 *   demand shows in `shortages` (and a demanded type that is not owned appears in `licenses`
 *   with quantity 0, inUse 0, available 0, so a report row exists for it). A type that was
 *   requested but fully served by substitution and is not owned is not listed; its demand
 *   appears in `substitutions`.
 * - Entitlement rows of one type add up; rows with quantity 0 are allowed and own nothing.
 */
import { LICENSE_TYPE_IDS, eligibleSources } from './catalog.ts';
import type { LicenseTypeId, RequestMode } from './catalog.ts';

export interface Entitlement {
  type: LicenseTypeId;
  quantity: number;
}

export interface LicenseRequest {
  id: string;
  type: LicenseTypeId;
  count: number;
  mode: RequestMode;
}

export interface AllocationInput {
  entitlements: Entitlement[];
  requests: LicenseRequest[];
}

export interface AllocationResult {
  /** Every type owned or short, catalog order. */
  licenses: { type: LicenseTypeId; quantity: number; inUse: number; available: number }[];
  /**
   * Borrowing as CSSM's `licenseSubstitutions` shows it: `from` = the requested type, `to` =
   * the license type lent to it; only where they differ. Sorted by catalog order of `from`,
   * then `to`.
   */
  substitutions: { from: LicenseTypeId; to: LicenseTypeId; quantity: number }[];
  /** Unserved demand per requested type, catalog order; only types with a shortage. */
  shortages: { type: LicenseTypeId; quantity: number }[];
  /**
   * Per request (in id order) and serving type (in preference order): `type` = requested type,
   * `from` = the license type that served it. Only entries with quantity > 0.
   */
  allocations: { request: string; type: LicenseTypeId; from: LicenseTypeId; quantity: number }[];
}

/** Bad allocation input; the message starts with the field path (`requests[3].count: …`). */
export class AllocationInputError extends Error {
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'AllocationInputError';
    this.path = path;
  }
}

// ---- static tables, built once ------------------------------------------------------------

const TYPE_COUNT = LICENSE_TYPE_IDS.length;
const MODES: readonly RequestMode[] = ['Enterprise', 'HCS'];
const GROUP_COUNT = TYPE_COUNT * MODES.length;
const TYPE_INDEX = new Map<string, number>(LICENSE_TYPE_IDS.map((id, i) => [id, i]));

/** SOURCES[g]: type indices that may serve group g (= type * 2 + mode), most preferred first. */
const SOURCES: Int32Array[] = [];
let maxSources = 0;
for (let t = 0; t < TYPE_COUNT; t++) {
  for (const mode of MODES) {
    const list = eligibleSources(LICENSE_TYPE_IDS[t]!, mode).map((id) => TYPE_INDEX.get(id)!);
    SOURCES.push(Int32Array.from(list));
    maxSources = Math.max(maxSources, list.length);
  }
}
const MAX_SOURCES = maxSources;

// Edge cost of position p, a lexicographic (position, borrowed?, position²) packed into one
// number. The weights exceed the largest sum the lower levels can reach along any simple
// cycle of the residual graph (< NODE_COUNT edges), so a min-cost flow under the packed cost
// is lexicographically optimal. Path costs stay far below 2^53.
const NODE_COUNT = 2 + GROUP_COUNT + TYPE_COUNT;
const SQUARE_BOUND = NODE_COUNT * (MAX_SOURCES - 1) ** 2 + 1;
const BORROW_WEIGHT = SQUARE_BOUND;
const POSITION_WEIGHT = NODE_COUNT * (BORROW_WEIGHT + (MAX_SOURCES - 1) ** 2) + 1;
const COST_AT = Float64Array.from({ length: MAX_SOURCES }, (_, p) =>
  p === 0 ? 0 : p * POSITION_WEIGHT + BORROW_WEIGHT + p * p,
);

// Flow network scratch space, reused by every call: allocate() is synchronous and never
// re-entered, so sharing it is invisible to callers and saves allocations per virtual account.
const SOURCE = 0;
const SINK = 1;
const groupNode = (g: number): number => 2 + g;
const typeNode = (t: number): number => 2 + GROUP_COUNT + t;
const MAX_EDGES = 2 * (GROUP_COUNT + GROUP_COUNT * MAX_SOURCES + TYPE_COUNT);
const eTo = new Int32Array(MAX_EDGES);
const eNext = new Int32Array(MAX_EDGES);
const eCap = new Float64Array(MAX_EDGES);
const eCost = new Float64Array(MAX_EDGES);
const head = new Int32Array(NODE_COUNT);
const dist = new Float64Array(NODE_COUNT);
const prevEdge = new Int32Array(NODE_COUNT);
const inQueue = new Uint8Array(NODE_COUNT);
const queue = new Int32Array(NODE_COUNT);
/** Edge id of group g → its p-th source, or −1 when that source is not owned. */
const sourceEdge = new Int32Array(GROUP_COUNT * MAX_SOURCES);
let edgeCount = 0;

function addEdge(u: number, v: number, cap: number, cost: number): number {
  const e = edgeCount;
  eTo[e] = v;
  eCap[e] = cap;
  eCost[e] = cost;
  eNext[e] = head[u]!;
  head[u] = e;
  eTo[e + 1] = u;
  eCap[e + 1] = 0;
  eCost[e + 1] = -cost;
  eNext[e + 1] = head[v]!;
  head[v] = e + 1;
  edgeCount += 2;
  return e;
}

/** Successive shortest paths (SPFA): maximum flow of minimum cost from SOURCE to SINK. */
function minCostMaxFlow(): void {
  for (;;) {
    dist.fill(Infinity);
    dist[SOURCE] = 0;
    let qHead = 0;
    let qLen = 1;
    queue[0] = SOURCE;
    inQueue[SOURCE] = 1;
    while (qLen > 0) {
      const u = queue[qHead]!;
      qHead = qHead + 1 === NODE_COUNT ? 0 : qHead + 1;
      qLen--;
      inQueue[u] = 0;
      const du = dist[u]!;
      for (let e = head[u]!; e !== -1; e = eNext[e]!) {
        if (eCap[e]! <= 0) continue;
        const v = eTo[e]!;
        const dv = du + eCost[e]!;
        if (dv < dist[v]!) {
          dist[v] = dv;
          prevEdge[v] = e;
          if (inQueue[v] === 0) {
            inQueue[v] = 1;
            let tail = qHead + qLen;
            if (tail >= NODE_COUNT) tail -= NODE_COUNT;
            queue[tail] = v;
            qLen++;
          }
        }
      }
    }
    if (dist[SINK] === Infinity) return;
    let push = Infinity;
    for (let v = SINK; v !== SOURCE; v = eTo[prevEdge[v]! ^ 1]!) {
      push = Math.min(push, eCap[prevEdge[v]!]!);
    }
    for (let v = SINK; v !== SOURCE; v = eTo[prevEdge[v]! ^ 1]!) {
      const e = prevEdge[v]!;
      eCap[e] = eCap[e]! - push;
      eCap[e ^ 1] = eCap[e ^ 1]! + push;
    }
  }
}

// ---- validation ---------------------------------------------------------------------------

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return String(value);
  }
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

// Validators take the path in pieces and only build it on failure: no string work per valid row.
const pathOf = (list: string, i: number, field?: string): string =>
  field === undefined ? `${list}[${i}]` : `${list}[${i}].${field}`;

function countOf(value: unknown, list: string, i: number, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new AllocationInputError(
      pathOf(list, i, field),
      `expected a non-negative integer, got ${show(value)}`,
    );
  }
  return value;
}

function typeOf(value: unknown, list: string, i: number): number {
  const t = typeof value === 'string' ? TYPE_INDEX.get(value) : undefined;
  if (t === undefined) {
    throw new AllocationInputError(
      pathOf(list, i, 'type'),
      typeof value === 'string'
        ? `unknown license type ${show(value)}`
        : `expected a license type id, got ${show(value)}`,
    );
  }
  return t;
}

function arrayOf(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) {
    throw new AllocationInputError(path, `expected an array, got ${show(value)}`);
  }
  return value;
}

function rowOf(value: unknown, list: string, i: number): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AllocationInputError(pathOf(list, i), `expected an object, got ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

function checkTotal(total: number, path: string, type: number): void {
  if (total > Number.MAX_SAFE_INTEGER) {
    throw new AllocationInputError(
      path,
      `total for ${LICENSE_TYPE_IDS[type]} exceeds ${Number.MAX_SAFE_INTEGER}`,
    );
  }
}

// ---- allocate -----------------------------------------------------------------------------

/**
 * Serves as much demand as the entitlements allow, from the most preferred sources (see the
 * module comment); the same input in any order gives the same result. Throws
 * AllocationInputError on malformed input.
 */
export function allocate(input: AllocationInput): AllocationResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AllocationInputError('input', `expected an object, got ${show(input)}`);
  }
  const root = input as unknown as Record<string, unknown>;
  const entitlements = arrayOf(root.entitlements, 'entitlements');
  const requests = arrayOf(root.requests, 'requests') as readonly LicenseRequest[];

  const owned = new Float64Array(TYPE_COUNT);
  for (let i = 0; i < entitlements.length; i++) {
    const row = rowOf(entitlements[i], 'entitlements', i);
    const t = typeOf(row.type, 'entitlements', i);
    owned[t] = owned[t]! + countOf(row.quantity, 'entitlements', i, 'quantity');
  }
  for (let t = 0; t < TYPE_COUNT; t++) checkTotal(owned[t]!, 'entitlements', t);

  const n = requests.length;
  const groupOfRequest = new Int32Array(n);
  const ids: string[] = new Array<string>(n);
  const demand = new Float64Array(GROUP_COUNT);
  for (let i = 0; i < n; i++) {
    const row = rowOf(requests[i], 'requests', i);
    const id: unknown = row.id;
    if (typeof id !== 'string' || id.length === 0) {
      throw new AllocationInputError(
        `requests[${i}].id`,
        `expected a non-empty string, got ${show(id)}`,
      );
    }
    const t = typeOf(row.type, 'requests', i);
    const count = countOf(row.count, 'requests', i, 'count');
    const m = row.mode === 'Enterprise' ? 0 : row.mode === 'HCS' ? 1 : -1;
    if (m < 0) {
      throw new AllocationInputError(
        `requests[${i}].mode`,
        `expected "Enterprise" or "HCS", got ${show(row.mode)}`,
      );
    }
    const g = t * 2 + m;
    ids[i] = id;
    groupOfRequest[i] = g;
    demand[g] = demand[g]! + count;
  }
  for (let g = 0; g < GROUP_COUNT; g++) checkTotal(demand[g]!, 'requests', g >> 1);

  // Canonical request order: id, then type, then mode (= group key), code-unit comparison.
  const order: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => {
    const ia = ids[a]!;
    const ib = ids[b]!;
    if (ia !== ib) return ia < ib ? -1 : 1;
    return groupOfRequest[a]! - groupOfRequest[b]! || a - b;
  });
  for (let k = 1; k < n; k++) {
    const a = order[k - 1]!;
    const b = order[k]!;
    if (ids[a] === ids[b]) {
      // Name the first two rows with this id, in input order.
      let first = Math.min(a, b);
      let second = Math.max(a, b);
      for (let j = k + 1; j < n && ids[order[j]!] === ids[a]; j++) {
        const c = order[j]!;
        if (c < first) [first, second] = [c, first];
        else if (c < second) second = c;
      }
      throw new AllocationInputError(
        `requests[${second}].id`,
        `duplicate id ${show(ids[b])} (also at requests[${first}].id)`,
      );
    }
  }

  // Build the network: SOURCE → group (demand) → owned type (∞) → SINK (quantity).
  edgeCount = 0;
  head.fill(-1);
  sourceEdge.fill(-1);
  for (let t = 0; t < TYPE_COUNT; t++) {
    if (owned[t]! > 0) addEdge(typeNode(t), SINK, owned[t]!, 0);
  }
  for (let g = 0; g < GROUP_COUNT; g++) {
    const d = demand[g]!;
    if (d === 0) continue;
    addEdge(SOURCE, groupNode(g), d, 0);
    const sources = SOURCES[g]!;
    for (let p = 0; p < sources.length; p++) {
      const t = sources[p]!;
      if (owned[t]! > 0) {
        sourceEdge[g * MAX_SOURCES + p] = addEdge(groupNode(g), typeNode(t), d, COST_AT[p]!);
      }
    }
  }
  minCostMaxFlow();

  // Group flows per source position (flow = capacity of the reverse edge).
  const left = new Float64Array(GROUP_COUNT * MAX_SOURCES);
  const inUse = new Float64Array(TYPE_COUNT);
  const short = new Float64Array(TYPE_COUNT);
  const lent = new Float64Array(TYPE_COUNT * TYPE_COUNT);
  for (let g = 0; g < GROUP_COUNT; g++) {
    const d = demand[g]!;
    if (d === 0) continue;
    const t = g >> 1;
    const sources = SOURCES[g]!;
    let served = 0;
    for (let p = 0; p < sources.length; p++) {
      const e = sourceEdge[g * MAX_SOURCES + p]!;
      if (e < 0) continue;
      const flow = eCap[e ^ 1]!;
      if (flow === 0) continue;
      const s = sources[p]!;
      left[g * MAX_SOURCES + p] = flow;
      served += flow;
      inUse[s] = inUse[s]! + flow;
      if (s !== t) lent[t * TYPE_COUNT + s] = lent[t * TYPE_COUNT + s]! + flow;
    }
    short[t] = short[t]! + (d - served);
  }

  const licenses: AllocationResult['licenses'] = [];
  const shortages: AllocationResult['shortages'] = [];
  const substitutions: AllocationResult['substitutions'] = [];
  for (let t = 0; t < TYPE_COUNT; t++) {
    const type = LICENSE_TYPE_IDS[t]!;
    const quantity = owned[t]!;
    if (quantity > 0 || short[t]! > 0) {
      licenses.push({ type, quantity, inUse: inUse[t]!, available: quantity - inUse[t]! });
    }
    if (short[t]! > 0) shortages.push({ type, quantity: short[t]! });
    for (let s = 0; s < TYPE_COUNT; s++) {
      const q = lent[t * TYPE_COUNT + s]!;
      if (q > 0) substitutions.push({ from: type, to: LICENSE_TYPE_IDS[s]!, quantity: q });
    }
  }

  const allocations: AllocationResult['allocations'] = [];
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const request = requests[i]!;
    const g = groupOfRequest[i]!;
    const type = LICENSE_TYPE_IDS[g >> 1]!;
    const sources = SOURCES[g]!;
    let rest = request.count;
    const base = g * MAX_SOURCES;
    for (let p = 0; p < sources.length && rest > 0; p++) {
      const avail = left[base + p]!;
      if (avail === 0) continue;
      const take = avail < rest ? avail : rest;
      left[base + p] = avail - take;
      rest -= take;
      allocations.push({
        request: request.id,
        type,
        from: LICENSE_TYPE_IDS[sources[p]!]!,
        quantity: take,
      });
    }
  }

  return { licenses, substitutions, shortages, allocations };
}
