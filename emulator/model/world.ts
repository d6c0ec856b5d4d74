/**
 * The emulated Cisco world: CSSM cloud (smart accounts, virtual accounts, licenses, tokens,
 * devices), On-Prem satellites with local accounts, and the UC clusters with their smart
 * agents — all in memory with indexes, driven by a simulated clock.
 *
 * Time: the simulated clock runs at wall-clock speed from the scenario's `now` (unless
 * frozen) and can be advanced or set. Every timed event (authorization renewal every 30 days,
 * ID certificate renewal every 180 days, ID certificate expiry, connected satellite syncs)
 * runs in time order when the clock passes it, lazily before each request.
 *
 * Allocation: CSSM computes it, so the emulator does too, with core/domain's `allocate`, once
 * per pool (cloud VA or satellite local account) and caches it until something in that pool
 * changes.
 */
import {
  catalogIndex,
  findLicenseType,
  licenseType,
  type LicenseTypeId,
} from '../../core/domain/catalog.ts';
import { allocate, type LicenseRequest } from '../../core/domain/allocation.ts';
import {
  deriveLifecycle,
  type LifecycleState,
  type ProductHistory,
} from '../../core/domain/lifecycle.ts';
import { licensingModelFor, tryParseUcVersion } from '../../core/domain/versions.ts';
import { Rng } from '../util/rng.ts';
import { DAY, iso, parseTime, ymd } from '../util/time.ts';
import type { Scenario, TimelineEvent } from './scenario-schema.ts';
import type {
  AllocView,
  Client,
  Cluster,
  DeviceView,
  LicenseLine,
  LicenseMode,
  LicenseRecord,
  LocalAccount,
  Pool,
  RegToken,
  Registration,
  Satellite,
  SmartAccount,
  SyncedUsage,
  VirtualAccount,
} from './types.ts';

/** Retry interval of a failed renewal or satellite sync [design]. */
export const RETRY_MS = DAY;
export const AUTH_RENEWAL_MS = 30 * DAY;
export const ID_RENEWAL_MS = 180 * DAY;
export const ID_VALIDITY_MS = 365 * DAY;
/** The satellite's own access token towards CSSM [doc]. */
export const SATELLITE_CLOUD_TOKEN_MS = 180 * DAY;
/** A satellite not synced for this long is flagged overdue [design]. */
export const SYNC_OVERDUE_MS = 30 * DAY;
export const OAUTH_TOKEN_SECONDS = 3599;
/** Cisco's own transfer script splits quantities into chunks of at most 998 [code]. */
export const MAX_TRANSFER_QUANTITY = 998;
/** The smart agent's text when it cannot reach its licensing server [sample]. */
export const COMM_FAILURE = 'Fail to send out Call Home HTTP message.';

const SCHEDULE_MS = { daily: DAY, weekly: 7 * DAY, monthly: 30 * DAY } as const;
const PID = { CUCM: 'UCM', CUC: 'CUC', CER: 'CER' } as const;
const PRODUCT_TAG = {
  CUCM: 'regid.2016-07.com.cisco.UCM,12.0_0b5e8c4a-1f39-4a52-9b3d-5c2f63a1c0a1',
  CUC: 'regid.2016-07.com.cisco.CUC,12.0_0b5e8c4a-1f39-4a52-9b3d-5c2f63a1c0a2',
  CER: 'regid.2016-07.com.cisco.CER,12.0_0b5e8c4a-1f39-4a52-9b3d-5c2f63a1c0a3',
} as const;
const PRODUCT_DESCRIPTION = {
  CUCM: 'Cisco Unified Communications Manager',
  CUC: 'Cisco Unity Connection',
  CER: 'Cisco Emergency Responder',
} as const;

export class WorldError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface Reachability {
  cloud: boolean;
  satellite: boolean;
  cutoff: Set<string>;
}

export type RegisterOutcome =
  | { ok: true }
  | { ok: false; kind: 'plm' | 'already' | 'token' | 'transport' | 'comm'; message: string };

export class World {
  readonly name: string;
  readonly rng: Rng;
  readonly sas = new Map<string, SmartAccount>();
  readonly satellites = new Map<string, Satellite>();
  readonly localAccounts = new Map<string, LocalAccount>();
  readonly clusters = new Map<string, Cluster>();
  readonly customers = new Map<string, { id: string; name: string }>();
  readonly clients = new Map<string, Client>();
  readonly tokens = new Map<string, RegToken>();
  /** OAuth access tokens → client and simulated expiry. */
  readonly accessTokens = new Map<string, { client: Client; expiresAt: number }>();
  readonly unreachable = { cloud: false, satellite: false };
  readonly faultCutoff = new Set<string>();

  private simMs: number;
  private realAnchor: number;
  private frozen: boolean;
  private nextDue = -Infinity;
  private readonly dirty = new Set<Pool>();
  /** The scenario's timeline, oldest first, and the index of the next one not yet applied. */
  private timeline: { at: number; event: TimelineEvent }[] = [];
  private timelineNext = 0;
  private lineSeq = 1;
  private saSeq = 1;
  private exportSeq = 1;

  constructor(scenario: Scenario, opts: { seed: number; now?: number; frozen?: boolean }) {
    this.name = scenario.name;
    this.rng = new Rng(opts.seed);
    this.simMs = opts.now ?? parseTime(scenario.now);
    this.realAnchor = performance.now();
    this.frozen = opts.frozen ?? false;
    this.load(scenario);
    this.processTo(this.now());
  }

  // ---- clock --------------------------------------------------------------------------------

  now(): number {
    return this.frozen ? this.simMs : this.simMs + Math.floor(performance.now() - this.realAnchor);
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  /** Runs every event that fell due since the last call; cheap when nothing is due. */
  catchUp(): void {
    const t = this.now();
    if (t >= this.nextDue) this.processTo(t);
  }

  private rebase(): void {
    this.simMs = this.now();
    this.realAnchor = performance.now();
  }

  advance(ms: number): number {
    if (!(ms >= 0)) throw new WorldError(400, 'advance must be a positive duration');
    this.catchUp();
    this.rebase();
    this.simMs += ms;
    return this.processTo(this.simMs);
  }

  set(ms: number): number {
    this.catchUp();
    this.rebase();
    if (ms < this.simMs) throw new WorldError(400, 'the simulated clock cannot go back');
    this.simMs = ms;
    return this.processTo(ms);
  }

  freeze(frozen: boolean): void {
    this.rebase();
    this.frozen = frozen;
  }

  // ---- loading ------------------------------------------------------------------------------

  private load(s: Scenario): void {
    const now = this.simMs;
    for (const c of s.customers) this.customers.set(c.name, c);
    for (const sa of s.smartAccounts) {
      const acc: SmartAccount = {
        domain: sa.domain,
        name: sa.name,
        id: sa.id ?? 10000 + this.saSeq++,
        type: sa.type,
        vas: new Map(),
      };
      this.sas.set(sa.domain, acc);
      for (const v of sa.virtualAccounts) {
        const va = this.newVa(acc, v.name, v.description, v.isDefault, false);
        va.commerceAccessLevel = v.commerceAccessLevel;
        va.role = v.role;
        va.licenseMode = v.licenseMode;
        va.licenses = v.licenses.map((l) => ({ ...l, id: this.lineSeq++ }));
        for (const t of v.tokens) this.addToken(va, t);
      }
    }
    for (const sat of s.satellites) {
      const lastSync = sat.lastSync === null ? null : parseTime(sat.lastSync);
      const satellite: Satellite = {
        name: sat.name,
        host: sat.host,
        version: sat.version,
        mode: sat.mode,
        schedule: sat.schedule,
        lastSync,
        lastSyncAttempt: lastSync,
        lastSyncStatus: lastSync === null ? null : 'SUCCEEDED',
        lastSyncError: null,
        cloudTokenIssuedAt:
          sat.cloudTokenIssuedAt === null ? lastSync : parseTime(sat.cloudTokenIssuedAt),
        nextSyncAt: (lastSync ?? now) + SCHEDULE_MS[sat.schedule],
        localAccounts: new Map(),
        pendingExportId: null,
      };
      this.satellites.set(sat.name, satellite);
      for (const l of sat.localAccounts) {
        const va = this.sas.get(l.smartAccount)?.vas.get(l.virtualAccount);
        if (!va) {
          throw new WorldError(
            400,
            `local account ${l.name}: no virtual account ${l.smartAccount}/${l.virtualAccount}`,
          );
        }
        const la: LocalAccount = {
          kind: 'la',
          key: `satellite:${l.name}`,
          name: l.name,
          satellite,
          saDomain: l.smartAccount,
          vaName: l.virtualAccount,
          products: new Set(),
          tokens: new Map(),
          alloc: null,
          syncedLicenses: lastSync === null ? [] : va.licenses.map((x) => ({ ...x })),
          syncedAt: lastSync,
        };
        if (this.localAccounts.has(l.name)) {
          throw new WorldError(400, `local account names must be unique: ${l.name}`);
        }
        satellite.localAccounts.set(l.name, la);
        this.localAccounts.set(l.name, la);
        for (const t of l.tokens) this.addToken(la, t);
      }
    }
    for (const c of s.clients) {
      this.clients.set(c.clientId, {
        kind: c.for,
        clientId: c.clientId,
        clientSecret: c.clientSecret,
        name: c.name ?? c.clientId,
        accounts: c.for === 'cloud' ? c.accounts : [],
        entitled: c.for === 'cloud' ? c.entitled : true,
        localAccount: c.for === 'onprem' ? c.localAccount : null,
      });
    }
    for (const sc of s.clusters) {
      const parsed = tryParseUcVersion(sc.version);
      const major = parsed.ok ? parsed.version.major : 0;
      const c: Cluster = {
        name: sc.name,
        customer: sc.customer,
        type: sc.type,
        version: sc.version,
        major,
        nodes: sc.nodes,
        licenseMode: sc.licenseMode,
        transport: { ...sc.transport },
        demand: { ...sc.demand },
        installedAt: parseTime(sc.installedAt),
        credentials: {
          ...sc.credentials,
          basic: `Basic ${Buffer.from(`${sc.credentials.username}:${sc.credentials.password}`).toString('base64')}`,
        },
        intendedPool: sc.intendedPool,
        udi: sc.registration?.udi ?? {
          pid: PID[sc.type],
          sn: this.rng.hex(5),
          uuid: this.rng.hex(32),
        },
        registration: null,
        deregisteredAt: undefined,
        lastRegisteredAt: undefined,
        lastRegistrationAttempt: sc.lastRegistrationFailure
          ? {
              at: parseTime(sc.lastRegistrationFailure.at),
              status: 'FAILED',
              reason: sc.lastRegistrationFailure.reason,
            }
          : null,
        outOfComplianceSince: undefined,
        cutoff: sc.cutoff,
      };
      if (this.clusters.has(c.name)) throw new WorldError(400, `duplicate cluster ${c.name}`);
      this.clusters.set(c.name, c);
      const r = sc.registration;
      if (r) {
        const pool = this.poolByKey(r.pool);
        if (!pool) throw new WorldError(400, `cluster ${c.name}: unknown pool ${r.pool}`);
        const registeredAt = parseTime(r.registeredAt);
        const lastAuth = r.lastAuthorizationSuccessAt
          ? parseTime(r.lastAuthorizationSuccessAt)
          : registeredAt;
        const lastId = r.lastIdRenewalAt ? parseTime(r.lastIdRenewalAt) : registeredAt;
        c.registration = {
          pool,
          udi: c.udi,
          exportControlled: r.exportControlled,
          registeredAt,
          lastAuthSuccessAt: lastAuth,
          lastIdRenewalAt: lastId,
          lastAuthAttemptAt: lastAuth,
          lastAuthStatus: 'SUCCEEDED',
          lastAuthFailReason: undefined,
          lastIdAttemptAt: lastId,
          lastIdStatus: 'SUCCEEDED',
          lastIdFailReason: undefined,
          nextAuthAttemptAt: lastAuth + AUTH_RENEWAL_MS,
          nextIdAttemptAt: lastId + ID_RENEWAL_MS,
          expired: false,
        };
        c.lastRegistrationAttempt ??= {
          at: registeredAt,
          status: 'SUCCEEDED',
          reason: 'Successful.',
        };
        pool.products.add(c);
        this.dirty.add(pool);
      }
    }
    this.loadTimeline(s.timeline);
    // The cloud's view of each local account is its usage at the last sync; a scenario
    // says nothing of how usage changed since, so take today's.
    for (const la of this.localAccounts.values()) {
      if (la.syncedAt !== null)
        this.vaOf(la).satelliteUsage.set(la.name, this.usageSnapshot(la, la.syncedAt));
      this.dirty.add(la);
      this.dirty.add(this.vaOf(la));
    }
  }

  /** Checks every timeline event names something that exists, then keeps them oldest first. */
  private loadTimeline(events: readonly TimelineEvent[]): void {
    const out: { at: number; event: TimelineEvent }[] = [];
    for (const [i, e] of events.entries()) {
      const where = `timeline[${i}] (${e.kind} at ${e.at})`;
      if ('cluster' in e && !this.clusters.has(e.cluster))
        throw new WorldError(400, `${where}: no cluster ${e.cluster}`);
      if (e.kind === 'satelliteSync' && !this.satellites.has(e.satellite))
        throw new WorldError(400, `${where}: no satellite ${e.satellite}`);
      if (e.kind === 'token' && !this.poolByKey(e.pool))
        throw new WorldError(400, `${where}: no pool ${e.pool}`);
      out.push({ at: parseTime(e.at), event: e });
    }
    // Stable: events at the same time keep the file's order.
    this.timeline = out.sort((a, b) => a.at - b.at);
    this.timelineNext = 0;
  }

  /** One timeline event, at its own time (the clock's events before it have run). */
  private applyTimeline(at: number, e: TimelineEvent): void {
    switch (e.kind) {
      case 'demand': {
        const c = this.clusters.get(e.cluster)!;
        c.demand = { ...e.demand };
        if (c.registration) this.invalidate(c.registration.pool);
        break;
      }
      case 'cutoff':
        this.clusters.get(e.cluster)!.cutoff = e.cutoff;
        break;
      case 'registrationFailure':
        this.clusters.get(e.cluster)!.lastRegistrationAttempt = {
          at,
          status: 'FAILED',
          reason: e.reason,
        };
        break;
      case 'satelliteSync': {
        const s = this.satellites.get(e.satellite)!;
        // Done by hand (a file, or "synchronize now"): it renews the satellite's CSSM token.
        s.cloudTokenIssuedAt = at;
        s.pendingExportId = null;
        this.applySync(s, at);
        if (s.mode === 'connected') s.nextSyncAt = at + SCHEDULE_MS[s.schedule];
        break;
      }
      case 'token':
        this.addToken(this.poolByKey(e.pool)!, e.token);
        break;
    }
    this.flush(at);
  }

  private newVa(
    sa: SmartAccount,
    name: string,
    description: string,
    isDefault: boolean,
    ext: boolean,
  ): VirtualAccount {
    const va: VirtualAccount = {
      kind: 'va',
      key: `cloud:${sa.domain}/${name}`,
      sa,
      name,
      description,
      isDefault,
      commerceAccessLevel: 'FULL',
      role: 'customer',
      licenseMode: null,
      licenses: [],
      satelliteUsage: new Map(),
      products: new Set(),
      tokens: new Map(),
      alloc: null,
      createdByExtension: ext,
    };
    sa.vas.set(name, va);
    return va;
  }

  private addToken(
    pool: Pool,
    t: {
      token: string;
      description: string;
      createdAt: string;
      expiresAt: string;
      exportControlled: boolean;
      createdBy: string;
      revoked: boolean;
    },
  ): void {
    const tok: RegToken = {
      token: t.token,
      description: t.description,
      createdAt: parseTime(t.createdAt),
      expiresAt: parseTime(t.expiresAt),
      exportControlled: t.exportControlled,
      createdBy: t.createdBy,
      revoked: t.revoked,
      pool,
    };
    pool.tokens.set(tok.token, tok);
    this.tokens.set(tok.token, tok);
  }

  poolByKey(key: string): Pool | undefined {
    if (key.startsWith('satellite:')) return this.localAccounts.get(key.slice('satellite:'.length));
    if (key.startsWith('cloud:')) {
      const rest = key.slice('cloud:'.length);
      const i = rest.indexOf('/');
      return this.sas.get(rest.slice(0, i))?.vas.get(rest.slice(i + 1));
    }
    return undefined;
  }

  vaOf(la: LocalAccount): VirtualAccount {
    const va = this.sas.get(la.saDomain)?.vas.get(la.vaName);
    if (!va) throw new WorldError(500, `local account ${la.name} lost its virtual account`);
    return va;
  }

  // ---- events -------------------------------------------------------------------------------

  /** Runs every due event up to `t` in time order; returns how many ran. */
  private processTo(t: number): number {
    let n = 0;
    for (;;) {
      let sat: Satellite | undefined;
      for (const s of this.satellites.values()) {
        if (s.mode === 'connected' && (!sat || s.nextSyncAt < sat.nextSyncAt)) sat = s;
      }
      const next = this.timeline[this.timelineNext];
      // A timeline event runs before a scheduled sync due at the same time.
      if (next && next.at <= t && (!sat || next.at <= sat.nextSyncAt)) {
        n += this.stepProducts(next.at);
        this.flush(next.at);
        this.timelineNext++;
        this.applyTimeline(next.at, next.event);
        n++;
        continue;
      }
      if (sat && sat.nextSyncAt <= t) {
        const at = sat.nextSyncAt;
        n += this.stepProducts(at);
        this.flush(at);
        this.scheduledSync(sat, at);
        n++;
        continue;
      }
      n += this.stepProducts(t);
      break;
    }
    this.flush(t);
    this.recomputeNextDue();
    return n;
  }

  private recomputeNextDue(): void {
    let due = this.timeline[this.timelineNext]?.at ?? Infinity;
    for (const s of this.satellites.values()) {
      if (s.mode === 'connected') due = Math.min(due, s.nextSyncAt);
    }
    for (const c of this.clusters.values()) {
      const r = c.registration;
      if (r && !r.expired)
        due = Math.min(due, r.nextAuthAttemptAt, r.nextIdAttemptAt, regExpiry(r));
    }
    this.nextDue = due;
  }

  private stepProducts(t: number): number {
    let n = 0;
    for (const c of this.clusters.values()) {
      const r = c.registration;
      if (!r || r.expired) continue;
      for (;;) {
        const expiry = regExpiry(r);
        const next = Math.min(r.nextAuthAttemptAt, r.nextIdAttemptAt, expiry);
        if (next > t) break;
        n++;
        if (next === expiry) {
          r.expired = true;
          this.dirty.add(r.pool);
          break;
        }
        const fail = this.reachFailure(c, r.pool);
        if (next === r.nextIdAttemptAt) {
          r.lastIdAttemptAt = next;
          r.lastIdStatus = fail ? 'FAILED' : 'SUCCEEDED';
          r.lastIdFailReason = fail ?? undefined;
          if (!fail) r.lastIdRenewalAt = next;
          r.nextIdAttemptAt = next + (fail ? RETRY_MS : ID_RENEWAL_MS);
        } else {
          r.lastAuthAttemptAt = next;
          r.lastAuthStatus = fail ? 'FAILED' : 'SUCCEEDED';
          r.lastAuthFailReason = fail ?? undefined;
          if (!fail) r.lastAuthSuccessAt = next;
          r.nextAuthAttemptAt = next + (fail ? RETRY_MS : AUTH_RENEWAL_MS);
        }
      }
    }
    return n;
  }

  /** Why a product cannot reach its licensing server now, or null when it can. */
  reachFailure(c: Cluster, pool: Pool): string | null {
    if (c.cutoff || this.faultCutoff.has(c.name)) return COMM_FAILURE;
    if (pool.kind === 'va' ? this.unreachable.cloud : this.unreachable.satellite)
      return COMM_FAILURE;
    return null;
  }

  // ---- allocation ---------------------------------------------------------------------------

  private invalidate(pool: Pool): void {
    pool.alloc = null;
    this.dirty.add(pool);
  }

  /** Recomputes dirty pools so compliance transitions get the time they happened. */
  private flush(at: number): void {
    for (const p of this.dirty) {
      p.alloc = null;
      this.allocOf(p, at);
    }
    this.dirty.clear();
  }

  private counts(c: Cluster): boolean {
    return c.registration !== null && !c.registration.expired;
  }

  /** The license requests of one product, as its smart agent sends them. */
  requestsOf(c: Cluster): LicenseRequest[] {
    const mode = c.licenseMode === 'Enterprise' ? 'Enterprise' : 'HCS';
    const out: LicenseRequest[] = [];
    for (const [type, count] of Object.entries(c.demand) as [LicenseTypeId, number][]) {
      if (!count) continue;
      out.push({ id: `${c.name}/${type}`, type: requestedType(type, mode), count, mode });
    }
    return out;
  }

  allocOf(pool: Pool, at = this.now()): AllocView {
    if (pool.alloc && at < pool.alloc.staleAt) return pool.alloc;
    const all = pool.kind === 'va' ? pool.licenses : pool.syncedLicenses;
    // Term licenses count from their start date through their end date (inclusive) [design].
    const lines = all.filter((l) => lineActive(l, at));
    let staleAt = Infinity;
    for (const l of all) {
      const [from, to] = lineWindow(l);
      if (from > at) staleAt = Math.min(staleAt, from);
      if (to >= at) staleAt = Math.min(staleAt, to + 1);
    }
    const requests: LicenseRequest[] = [];
    for (const c of pool.products) if (this.counts(c)) requests.push(...this.requestsOf(c));
    if (pool.kind === 'va') {
      for (const [la, u] of pool.satelliteUsage) {
        for (const r of u.requests) requests.push({ ...r, id: `satellite:${la}:${r.id}` });
      }
    }
    const result = allocate({
      entitlements: lines.map((l) => ({ type: l.type, quantity: l.quantity })),
      requests,
    });
    const served = new Map<string, number>();
    for (const a of result.allocations)
      served.set(a.request, (served.get(a.request) ?? 0) + a.quantity);
    const short = new Set<string>();
    for (const r of requests) {
      if ((served.get(r.id) ?? 0) < r.count) short.add(r.id.slice(0, r.id.lastIndexOf('/')));
    }
    const view: AllocView = {
      result,
      served,
      short,
      records: this.records(pool, lines, requests, result, all, at),
      staleAt,
    };
    pool.alloc = view;
    for (const c of pool.products) {
      if (!this.counts(c)) continue;
      if (short.has(c.name)) c.outOfComplianceSince ??= at;
      else c.outOfComplianceSince = undefined;
    }
    return view;
  }

  private records(
    pool: Pool,
    lines: LicenseLine[],
    requests: LicenseRequest[],
    result: ReturnType<typeof allocate>,
    allLines: LicenseLine[],
    at: number,
  ): LicenseRecord[] {
    const types = new Set<LicenseTypeId>();
    for (const l of allLines) if (l.quantity > 0) types.add(l.type);
    for (const r of requests) if (r.count > 0) types.add(r.type);
    const drawn = new Map(result.licenses.map((l) => [l.type, l.inUse]));
    const shortage = new Map(result.shortages.map((s) => [s.type, s.quantity]));
    const vaName = pool.kind === 'va' ? pool.name : pool.vaName;
    return [...types]
      .sort((a, b) => catalogIndex(a) - catalogIndex(b))
      .map((type) => {
        const own = lines.filter((l) => l.type === type && l.quantity > 0);
        const quantity = own.reduce((s, l) => s + l.quantity, 0);
        const short = shortage.get(type) ?? 0;
        const inUse = (drawn.get(type) ?? 0) + short;
        const lt = licenseType(type);
        return {
          license: lt.displayName,
          virtualAccount: vaName,
          quantity,
          inUse,
          available: quantity - inUse,
          reserved: 0,
          pendingQuantity: 0,
          status: short > 0 ? 'Insufficient Licenses' : 'In Compliance',
          billingType: own[0]?.billingType ?? 'PREPAID',
          isPortable: false,
          ahaApps: false,
          licenseSubstitutions: result.substitutions
            .filter((s) => s.from === type)
            .map((s) => ({
              licenseName: lt.displayName,
              substitutedLicense: licenseType(s.to).displayName,
              substitutedQuantity: s.quantity,
              substitutionType:
                licenseType(s.to).family === lt.family ? 'Higher Tier' : 'Dual Parenting',
            })),
          licenseDetails: allLines
            .filter((l) => l.type === type && l.quantity > 0)
            .map((l) => ({
              licenseType: l.licenseType,
              quantity: l.quantity,
              startDate: l.startDate,
              endDate: l.endDate,
              subscriptionId: l.subscriptionId,
              status: lineActive(l, at) ? 'ACTIVE' : lineWindow(l)[0] > at ? 'PENDING' : 'EXPIRED',
            })),
        };
      });
  }

  // ---- product state ------------------------------------------------------------------------

  lifecycle(c: Cluster, now = this.now()): LifecycleState {
    const r = c.registration;
    const h: ProductHistory = {
      installedAt: new Date(c.installedAt),
      licensesInUse: Object.values(c.demand).some((n) => (n ?? 0) > 0),
      appType: c.type,
    };
    if (r) {
      h.registeredAt = new Date(r.registeredAt);
      if (r.lastAuthSuccessAt !== undefined)
        h.lastAuthorizationSuccessAt = new Date(r.lastAuthSuccessAt);
      if (r.lastIdRenewalAt !== undefined) h.lastIdRenewalAt = new Date(r.lastIdRenewalAt);
      if (this.counts(c)) {
        this.allocOf(r.pool);
        if (c.outOfComplianceSince !== undefined) {
          h.outOfComplianceSince = new Date(c.outOfComplianceSince);
        }
      }
    } else if (c.deregisteredAt !== undefined && c.lastRegisteredAt !== undefined) {
      h.registeredAt = new Date(c.lastRegisteredAt);
      h.deregisteredAt = new Date(c.deregisteredAt);
    }
    return deriveLifecycle(h, new Date(now));
  }

  isShort(c: Cluster): boolean {
    const r = c.registration;
    return !!r && this.counts(c) && this.allocOf(r.pool).short.has(c.name);
  }

  /** Served / requested per demand line, for the product's own entitlement status. */
  servedOf(c: Cluster, requestId: string): number {
    const r = c.registration;
    if (!r || !this.counts(c)) return 0;
    return this.allocOf(r.pool).served.get(requestId) ?? 0;
  }

  // ---- UC product operations ----------------------------------------------------------------

  satelliteForUrl(url: string | null): Satellite | undefined {
    if (!url) return undefined;
    for (const s of this.satellites.values()) {
      if (url.includes(`//${s.host}`) || url.includes(`/satellite/${s.name}/`)) return s;
    }
    return undefined;
  }

  register(c: Cluster, tokenText: string, force: boolean): RegisterOutcome {
    const now = this.now();
    if (licensingModelFor(c.version) === 'PLM') {
      return { ok: false, kind: 'plm', message: 'PLM' };
    }
    if (c.registration && !c.registration.expired && !force) {
      return {
        ok: false,
        kind: 'already',
        message: "Product is already registered. To register again use the 'force' option.",
      };
    }
    const fail = (kind: 'token' | 'transport' | 'comm', message: string): RegisterOutcome => {
      c.lastRegistrationAttempt = { at: now, status: 'FAILED', reason: message };
      return { ok: false, kind, message };
    };
    const tok = this.tokens.get(tokenText.trim());
    const viaSatellite = c.transport.mode === 1;
    const sat = viaSatellite ? this.satelliteForUrl(c.transport.url) : undefined;
    if (viaSatellite && !sat) {
      return fail(
        'transport',
        `${COMM_FAILURE} No satellite answers at ${c.transport.url ?? '(no URL)'}.`,
      );
    }
    const tokenOk =
      tok &&
      !tok.revoked &&
      now < tok.expiresAt &&
      (viaSatellite
        ? tok.pool.kind === 'la' && tok.pool.satellite === sat
        : tok.pool.kind === 'va');
    if (!tok || !tokenOk) {
      return fail(
        'token',
        'INVALID_PARAMETER: The ID token is invalid or expired. Please use a valid token or create a new one in the Virtual Account.',
      );
    }
    const comm = this.reachFailure(c, tok.pool);
    if (comm) return fail('comm', comm);
    if (c.registration) {
      c.registration.pool.products.delete(c);
      this.invalidate(c.registration.pool);
    }
    const reg: Registration = {
      pool: tok.pool,
      udi: c.udi,
      exportControlled: tok.exportControlled,
      registeredAt: now,
      lastAuthSuccessAt: now,
      lastIdRenewalAt: now,
      lastAuthAttemptAt: now,
      lastAuthStatus: 'SUCCEEDED',
      lastAuthFailReason: undefined,
      lastIdAttemptAt: now,
      lastIdStatus: 'SUCCEEDED',
      lastIdFailReason: undefined,
      nextAuthAttemptAt: now + AUTH_RENEWAL_MS,
      nextIdAttemptAt: now + ID_RENEWAL_MS,
      expired: false,
    };
    c.registration = reg;
    c.deregisteredAt = undefined;
    c.outOfComplianceSince = undefined;
    c.lastRegistrationAttempt = { at: now, status: 'SUCCEEDED', reason: 'Successful.' };
    tok.pool.products.add(c);
    this.invalidate(tok.pool);
    this.settle(now);
    return { ok: true };
  }

  /** Deregisters locally and tells the server when it can (CSSM drops the device either way). */
  deregister(c: Cluster): void {
    const now = this.now();
    const r = c.registration;
    if (!r) return;
    r.pool.products.delete(c);
    this.invalidate(r.pool);
    c.registration = null;
    c.lastRegisteredAt = r.registeredAt;
    c.deregisteredAt = now;
    c.outOfComplianceSince = undefined;
    this.settle(now);
  }

  renewAuthorization(c: Cluster): string | null {
    const r = c.registration;
    if (!r || r.expired) return 'Product is not registered.';
    const now = this.now();
    const fail = this.reachFailure(c, r.pool);
    r.lastAuthAttemptAt = now;
    r.lastAuthStatus = fail ? 'FAILED' : 'SUCCEEDED';
    r.lastAuthFailReason = fail ?? undefined;
    if (!fail) r.lastAuthSuccessAt = now;
    r.nextAuthAttemptAt = now + (fail ? RETRY_MS : AUTH_RENEWAL_MS);
    this.settle(now);
    return fail;
  }

  renewRegistration(c: Cluster): string | null {
    const r = c.registration;
    if (!r || r.expired) return 'Product is not registered.';
    const now = this.now();
    const fail = this.reachFailure(c, r.pool);
    r.lastIdAttemptAt = now;
    r.lastIdStatus = fail ? 'FAILED' : 'SUCCEEDED';
    r.lastIdFailReason = fail ?? undefined;
    if (!fail) r.lastIdRenewalAt = now;
    r.nextIdAttemptAt = now + (fail ? RETRY_MS : ID_RENEWAL_MS);
    this.settle(now);
    return fail;
  }

  setTransport(
    c: Cluster,
    t: {
      mode: 0 | 1 | 2;
      url?: string | null;
      proxyHost?: string | null;
      proxyPort?: number | null;
    },
  ): void {
    if (c.registration && !c.registration.expired) {
      throw new WorldError(
        400,
        'Transport settings cannot be changed while the product is registered. Deregister the product first.',
        'CAA1041',
      );
    }
    c.transport = {
      mode: t.mode,
      url: t.url ?? null,
      proxyHost: t.proxyHost ?? null,
      proxyPort: t.proxyPort ?? null,
    };
  }

  setLicenseMode(c: Cluster, mode: LicenseMode): void {
    c.licenseMode = mode;
    if (c.registration) this.invalidate(c.registration.pool);
    this.settle(this.now());
  }

  /** Operator-side change of a cluster (admin API): demand, version, cut-off. */
  patchCluster(
    c: Cluster,
    p: { demand?: Partial<Record<LicenseTypeId, number>>; version?: string; cutoff?: boolean },
  ): void {
    if (p.demand) {
      for (const [k, v] of Object.entries(p.demand) as [LicenseTypeId, number][]) c.demand[k] = v;
    }
    if (p.version !== undefined) {
      const v = tryParseUcVersion(p.version);
      if (!v.ok) throw new WorldError(400, v.error.message);
      c.version = p.version;
      c.major = v.version.major;
    }
    if (p.cutoff !== undefined) c.cutoff = p.cutoff;
    if (c.registration) this.invalidate(c.registration.pool);
    this.settle(this.now());
  }

  private settle(now: number): void {
    this.flush(now);
    this.recomputeNextDue();
  }

  // ---- CSSM operations ----------------------------------------------------------------------

  mintToken(
    pool: Pool,
    p: {
      description: string;
      expiresAfterDays: number;
      exportControlled: boolean;
      createdBy: string;
    },
  ): RegToken {
    const now = this.now();
    const raw = `${this.rng.uuid()}-${now}|${this.rng.alnum(44)}`;
    const b64 = Buffer.from(raw).toString('base64');
    const chunks = b64.match(/.{1,60}/g) ?? [b64];
    const token = chunks.map((s) => encodeURIComponent(s)).join('%0A') + '%0A';
    const tok: RegToken = {
      token,
      description: p.description,
      createdAt: now,
      expiresAt: now + p.expiresAfterDays * DAY,
      exportControlled: p.exportControlled,
      createdBy: p.createdBy,
      revoked: false,
      pool,
    };
    pool.tokens.set(token, tok);
    this.tokens.set(token, tok);
    return tok;
  }

  tokenStatus(t: RegToken, now = this.now()): 'ACTIVE' | 'EXPIRED' | 'REVOKED' {
    return t.revoked ? 'REVOKED' : now >= t.expiresAt ? 'EXPIRED' : 'ACTIVE';
  }

  transfer(
    from: VirtualAccount,
    items: {
      license: string;
      licenseType: string;
      quantity: number;
      targetVirtualAccount: string;
    }[],
  ): {
    license: string;
    quantity: number;
    targetVirtualAccount: string;
    status: string;
    statusMessage: string;
  }[] {
    // Validate every line before moving anything: a transfer is all or nothing. Each refusal
    // is its own answer in CSSM's error envelope ({status:"ERROR", statusMessage}, DOMAIN §2);
    // CSSM's exact wording and HTTP status per refusal are not public [design].
    const plan = items.map((it) => {
      const lt = findLicenseType(it.license);
      if (!lt) throw new WorldError(400, `Unknown license: ${it.license}`);
      const kind = it.licenseType.toUpperCase();
      if (kind !== 'TERM' && kind !== 'PERPETUAL') {
        throw new WorldError(
          400,
          `Invalid licenseType ${it.licenseType} for ${lt.displayName}: expected TERM or PERPETUAL.`,
        );
      }
      const target = from.sa.vas.get(it.targetVirtualAccount);
      if (!target) {
        // The path names the Smart Account: a VA of another one is not found in it, as in
        // CSSM, where licenses move only between virtual accounts of one Smart Account.
        const elsewhere = [...this.sas.values()].some(
          (sa) => sa !== from.sa && sa.vas.has(it.targetVirtualAccount),
        );
        throw new WorldError(
          404,
          elsewhere
            ? `Virtual Account ${it.targetVirtualAccount} is not in Smart Account ${from.sa.domain}: licenses move only between virtual accounts of one Smart Account.`
            : `Virtual Account not found: ${it.targetVirtualAccount}`,
        );
      }
      if (target === from)
        throw new WorldError(400, 'Source and target Virtual Account are the same.');
      if (!Number.isInteger(it.quantity) || it.quantity < 1) {
        throw new WorldError(400, `Invalid quantity ${it.quantity} for ${lt.displayName}`);
      }
      if (it.quantity > MAX_TRANSFER_QUANTITY) {
        throw new WorldError(
          400,
          `Quantity ${it.quantity} exceeds the maximum of ${MAX_TRANSFER_QUANTITY} per transfer line.`,
        );
      }
      return { lt, target, quantity: it.quantity, licenseType: kind };
    });
    const need = new Map<string, number>();
    for (const p of plan) {
      const k = `${p.lt.id}|${p.licenseType}`;
      need.set(k, (need.get(k) ?? 0) + p.quantity);
    }
    const alloc = this.allocOf(from);
    for (const [k, q] of need) {
      const [type, kind] = k.split('|') as [LicenseTypeId, string];
      const lineTotal = from.licenses
        .filter((l) => l.type === type && l.licenseType === kind)
        .reduce((s, l) => s + l.quantity, 0);
      const rec = alloc.result.licenses.find((l) => l.type === type);
      const available = rec ? rec.available : 0;
      if (q > Math.min(lineTotal, available)) {
        throw new WorldError(
          400,
          `Insufficient ${kind} licenses of ${licenseType(type).displayName} available in ${from.name}: requested ${q}, available ${Math.min(lineTotal, available)}.`,
        );
      }
    }
    for (const p of plan) {
      let rest = p.quantity;
      for (const l of from.licenses) {
        if (rest === 0) break;
        if (l.type !== p.lt.id || l.licenseType !== p.licenseType || l.quantity === 0) continue;
        const take = Math.min(rest, l.quantity);
        l.quantity -= take;
        rest -= take;
        const same = p.target.licenses.find(
          (x) =>
            x.type === l.type &&
            x.licenseType === l.licenseType &&
            x.subscriptionId === l.subscriptionId &&
            x.endDate === l.endDate,
        );
        if (same) same.quantity += take;
        else p.target.licenses.push({ ...l, id: this.lineSeq++, quantity: take });
      }
      from.licenses = from.licenses.filter((l) => l.quantity > 0);
      this.invalidate(p.target);
    }
    this.invalidate(from);
    this.settle(this.now());
    return plan.map((p) => ({
      license: p.lt.displayName,
      quantity: p.quantity,
      targetVirtualAccount: p.target.name,
      status: 'SUCCESS',
      statusMessage: `${p.quantity} ${p.lt.displayName} transferred to ${p.target.name}`,
    }));
  }

  devicesOf(pool: Pool): DeviceView[] {
    const out: DeviceView[] = [];
    for (const c of pool.products) out.push(this.deviceView(c));
    if (pool.kind === 'va') for (const u of pool.satelliteUsage.values()) out.push(...u.devices);
    return out;
  }

  deviceView(c: Cluster): DeviceView {
    const r = c.registration!;
    const lc = this.lifecycle(c);
    const pool = r.pool;
    return {
      instanceName: c.nodes.find((n) => n.role === 'publisher')?.name ?? c.name,
      productTagName: PRODUCT_TAG[c.type],
      productDescription: PRODUCT_DESCRIPTION[c.type],
      sudi: { udiPid: r.udi.pid, udiSerialNumber: r.udi.sn, uuid: r.udi.uuid },
      virtualAccount: pool.kind === 'va' ? pool.name : pool.vaName,
      registrationDate: iso(r.registeredAt),
      lastContactDate: iso(
        Math.max(
          r.lastAuthStatus === 'SUCCEEDED'
            ? (r.lastAuthAttemptAt ?? 0)
            : (r.lastAuthSuccessAt ?? 0),
          r.lastIdRenewalAt ?? 0,
          r.registeredAt,
        ),
      ),
      registrationStatus: lc.registration,
      authorizationStatus: lc.authorization,
    };
  }

  /** Removes a product instance from CSSM (or a local account); the product finds itself unregistered. */
  removeDevice(pool: Pool, pid: string, sn: string): boolean {
    for (const c of pool.products) {
      if (c.udi.pid === pid && c.udi.sn.toLowerCase() === sn.toLowerCase()) {
        this.deregister(c);
        c.lastRegistrationAttempt = {
          at: this.now(),
          status: 'FAILED',
          reason: 'The product instance was removed from Cisco Smart Software Manager.',
        };
        return true;
      }
    }
    return false;
  }

  createVa(
    sa: SmartAccount,
    name: string,
    description: string,
    isDefault: boolean,
  ): VirtualAccount {
    if (sa.vas.has(name)) throw new WorldError(409, `Virtual Account already exists: ${name}`);
    if (isDefault) for (const v of sa.vas.values()) v.isDefault = false;
    return this.newVa(sa, name, description, isDefault, true);
  }

  deleteVa(va: VirtualAccount): void {
    if (va.products.size > 0 || va.satelliteUsage.size > 0) {
      throw new WorldError(
        409,
        `Virtual Account ${va.name} has product instances; remove them first.`,
      );
    }
    if (va.licenses.some((l) => l.quantity > 0)) {
      throw new WorldError(409, `Virtual Account ${va.name} holds licenses; transfer them first.`);
    }
    for (const la of this.localAccounts.values()) {
      if (la.saDomain === va.sa.domain && la.vaName === va.name) {
        throw new WorldError(
          409,
          `Virtual Account ${va.name} is mapped to local account ${la.name}.`,
        );
      }
    }
    for (const t of va.tokens.keys()) this.tokens.delete(t);
    va.sa.vas.delete(va.name);
  }

  // ---- satellite sync -----------------------------------------------------------------------

  private usageSnapshot(la: LocalAccount, at: number): SyncedUsage {
    const requests: LicenseRequest[] = [];
    const devices: DeviceView[] = [];
    for (const c of la.products) {
      if (!this.counts(c)) continue;
      requests.push(...this.requestsOf(c));
      devices.push(this.deviceView(c));
    }
    return { at, requests, devices };
  }

  /** The state of a satellite's link to CSSM, as its own API shows it. */
  satelliteStatus(s: Satellite, now = this.now()) {
    return {
      name: s.name,
      host: s.host,
      version: s.version,
      transportUrl: `https://${s.host}/SmartTransport`,
      syncMode: s.mode,
      schedule: s.mode === 'connected' ? s.schedule : null,
      lastSync: s.lastSync === null ? null : iso(s.lastSync),
      daysSinceLastSync: s.lastSync === null ? null : Math.floor((now - s.lastSync) / DAY),
      syncOverdue: s.lastSync === null || now - s.lastSync >= SYNC_OVERDUE_MS,
      lastSyncAttempt: s.lastSyncAttempt === null ? null : iso(s.lastSyncAttempt),
      lastSyncStatus: s.lastSyncStatus,
      lastSyncError: s.lastSyncError,
      nextSync: s.mode === 'connected' ? iso(s.nextSyncAt) : null,
      cloudTokenExpires:
        s.cloudTokenIssuedAt === null ? null : iso(s.cloudTokenIssuedAt + SATELLITE_CLOUD_TOKEN_MS),
      pendingExportId: s.pendingExportId,
      reachable: !this.unreachable.satellite,
      localAccounts: [...s.localAccounts.values()].map((la) => ({
        name: la.name,
        smartAccount: la.saDomain,
        virtualAccount: la.vaName,
        lastSync: la.syncedAt === null ? null : iso(la.syncedAt),
      })),
    };
  }

  private syncFailure(s: Satellite, at: number, manual: boolean): string | null {
    if (this.unreachable.satellite) return 'The satellite is unreachable.';
    if (this.unreachable.cloud) return 'Cisco Smart Software Manager is unreachable.';
    if (
      !manual &&
      (s.cloudTokenIssuedAt === null || at >= s.cloudTokenIssuedAt + SATELLITE_CLOUD_TOKEN_MS)
    ) {
      return 'The access token towards Cisco Smart Software Manager has expired; synchronize manually.';
    }
    return null;
  }

  private applySync(s: Satellite, at: number): void {
    for (const la of s.localAccounts.values()) {
      const va = this.vaOf(la);
      va.satelliteUsage.set(la.name, this.usageSnapshot(la, at));
      la.syncedLicenses = va.licenses.map((l) => ({ ...l }));
      la.syncedAt = at;
      this.invalidate(va);
      this.invalidate(la);
    }
    s.lastSync = at;
    s.lastSyncAttempt = at;
    s.lastSyncStatus = 'SUCCEEDED';
    s.lastSyncError = null;
  }

  private scheduledSync(s: Satellite, at: number): void {
    const fail = this.syncFailure(s, at, false);
    if (fail) {
      s.lastSyncAttempt = at;
      s.lastSyncStatus = 'FAILED';
      s.lastSyncError = fail;
      s.nextSyncAt = at + RETRY_MS;
      return;
    }
    this.applySync(s, at);
    s.nextSyncAt = at + SCHEDULE_MS[s.schedule];
    this.flush(at);
  }

  /** "Synchronize now" in connected mode: also renews the satellite's CSSM token. */
  syncNow(s: Satellite): void {
    if (s.mode !== 'connected') {
      throw new WorldError(409, 'The satellite is in disconnected mode: synchronize with a file.');
    }
    const now = this.now();
    const fail = this.syncFailure(s, now, true);
    if (fail) {
      s.lastSyncAttempt = now;
      s.lastSyncStatus = 'FAILED';
      s.lastSyncError = fail;
      throw new WorldError(503, fail);
    }
    s.cloudTokenIssuedAt = now;
    this.applySync(s, now);
    s.nextSyncAt = now + SCHEDULE_MS[s.schedule];
    this.settle(now);
  }

  setSyncMode(
    s: Satellite,
    mode: 'connected' | 'disconnected',
    schedule?: Satellite['schedule'],
  ): void {
    s.mode = mode;
    if (schedule) s.schedule = schedule;
    s.nextSyncAt = this.now() + SCHEDULE_MS[s.schedule];
    this.recomputeNextDue();
  }

  /** Disconnected mode, step 1: the request file the operator uploads to CSSM. */
  exportSyncFile(s: Satellite) {
    const now = this.now();
    const id = `${s.name}-${now}-${this.exportSeq++}`;
    s.pendingExportId = id;
    return {
      format: 'smartlic-emulator-sync-request/1',
      satellite: s.name,
      requestId: id,
      createdAt: iso(now),
      accounts: [...s.localAccounts.values()].map((la) => {
        const u = this.usageSnapshot(la, now);
        return {
          localAccount: la.name,
          smartAccount: la.saDomain,
          virtualAccount: la.vaName,
          requests: u.requests,
          devices: u.devices,
        };
      }),
    };
  }

  /** Disconnected mode, step 2 (cloud side): takes the request file, answers with entitlements. */
  importSyncRequest(file: SyncRequestFile) {
    const s = this.satellites.get(file.satellite);
    if (!s) throw new WorldError(404, `Unknown satellite: ${file.satellite}`);
    const now = this.now();
    const answers = file.accounts.map((a) => {
      const la = s.localAccounts.get(a.localAccount);
      if (!la) throw new WorldError(400, `Unknown local account in file: ${a.localAccount}`);
      const va = this.vaOf(la);
      va.satelliteUsage.set(la.name, {
        at: parseTime(file.createdAt),
        requests: a.requests,
        devices: a.devices,
      });
      this.invalidate(va);
      return {
        localAccount: la.name,
        licenses: va.licenses.map((l) => ({ ...l })),
      };
    });
    this.settle(now);
    return {
      format: 'smartlic-emulator-sync-answer/1',
      satellite: s.name,
      requestId: file.requestId,
      answeredAt: iso(now),
      accounts: answers,
    };
  }

  /** Disconnected mode, step 3: the answer file imported back into the satellite. */
  importSyncAnswer(s: Satellite, file: SyncAnswerFile): void {
    if (file.satellite !== s.name || file.requestId !== s.pendingExportId) {
      throw new WorldError(400, 'The answer file does not match the last exported request file.');
    }
    const now = this.now();
    for (const a of file.accounts) {
      const la = s.localAccounts.get(a.localAccount);
      if (!la) continue;
      la.syncedLicenses = a.licenses.map((l) => ({ ...l, id: this.lineSeq++ }));
      la.syncedAt = now;
      this.invalidate(la);
    }
    s.lastSync = now;
    s.lastSyncAttempt = now;
    s.lastSyncStatus = 'SUCCEEDED';
    s.lastSyncError = null;
    s.cloudTokenIssuedAt = now;
    s.pendingExportId = null;
    this.settle(now);
  }

  // ---- OAuth --------------------------------------------------------------------------------

  issueAccessToken(client: Client): {
    access_token: string;
    token_type: string;
    expires_in: number;
  } {
    const now = this.now();
    if (this.accessTokens.size > 50_000) {
      for (const [k, v] of this.accessTokens) if (v.expiresAt <= now) this.accessTokens.delete(k);
    }
    const token = `${client.kind === 'cloud' ? 'cssm' : 'onprem'}_${this.rng.alnum(40)}`;
    this.accessTokens.set(token, { client, expiresAt: now + OAUTH_TOKEN_SECONDS * 1000 });
    return { access_token: token, token_type: 'Bearer', expires_in: OAUTH_TOKEN_SECONDS };
  }

  newPassword(): string {
    return this.rng.alnum(16);
  }

  ymd(ms: number): string {
    return ymd(ms);
  }
}

export interface SyncRequestFile {
  format: string;
  satellite: string;
  requestId: string;
  createdAt: string;
  accounts: { localAccount: string; requests: LicenseRequest[]; devices: DeviceView[] }[];
}

export interface SyncAnswerFile {
  format: string;
  satellite: string;
  requestId: string;
  accounts: { localAccount: string; licenses: Omit<LicenseLine, 'id'>[] }[];
}

function regExpiry(r: Registration): number {
  return Math.max(r.registeredAt, r.lastIdRenewalAt ?? 0) + ID_VALIDITY_MS;
}

/** The type a product asks CSSM for: HCS-mode apps ask for the mapped HCS type. */
export function requestedType(type: LicenseTypeId, mode: 'Enterprise' | 'HCS'): LicenseTypeId {
  if (mode === 'HCS') {
    const t = licenseType(type);
    if (t.family === 'Enterprise' && t.hcsEntry) return t.hcsEntry;
  }
  return type;
}

/** A license line's validity as [first ms, last ms]; dates are whole UTC days, both inclusive. */
function lineWindow(l: LicenseLine): [number, number] {
  const day = (d: string, end: boolean) =>
    d.length === 10 ? Date.parse(`${d}T${end ? '23:59:59.999' : '00:00:00.000'}Z`) : Date.parse(d);
  return [
    l.startDate ? day(l.startDate, false) : -Infinity,
    l.endDate ? day(l.endDate, true) : Infinity,
  ];
}

function lineActive(l: LicenseLine, at: number): boolean {
  const [from, to] = lineWindow(l);
  return from <= at && at <= to;
}
