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
 *
 * This class holds the state, the clock and the order of events; what each part of Cisco
 * does lives beside it, one module per role, as functions of the world: estate.ts (loading a
 * scenario), cssm-accounts.ts (VAs, licenses, tokens, OAuth), products.ts (the UC clusters'
 * smart agents and product instances), satellite-sync.ts (On-Prem satellites), and
 * allocation-view.ts (CSSM's allocation and license records). The methods below are the
 * world's face to the HTTP layer.
 */
import type { LicenseTypeId } from '../../core/domain/catalog.ts';
import type { LifecycleState } from '../../core/domain/lifecycle.ts';
import { Rng } from '../util/rng.ts';
import { parseTime } from '../util/time.ts';
import { allocOf } from './allocation-view.ts';
import * as cssm from './cssm-accounts.ts';
import { loadEstate, type TimedEvent } from './estate.ts';
import * as products from './products.ts';
import * as satellites from './satellite-sync.ts';
import type { SyncAnswerFile, SyncRequestFile } from './satellite-sync.ts';
import type { Scenario, TimelineEvent } from './scenario-schema.ts';
import { SCHEDULE_MS, regExpiry } from './timers.ts';
import type {
  AllocView,
  Client,
  Cluster,
  DeviceView,
  LicenseMode,
  LocalAccount,
  Pool,
  RegToken,
  Satellite,
  SmartAccount,
  VirtualAccount,
} from './types.ts';
import { WorldError } from './world-error.ts';

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
  private readonly timeline: TimedEvent[];
  private timelineNext = 0;
  private lineSeq = 1;
  private exportSeq = 1;

  constructor(scenario: Scenario, opts: { seed: number; now?: number; frozen?: boolean }) {
    this.name = scenario.name;
    this.rng = new Rng(opts.seed);
    this.simMs = opts.now ?? parseTime(scenario.now);
    this.realAnchor = performance.now();
    this.frozen = opts.frozen ?? false;
    this.timeline = loadEstate(this, scenario, this.simMs);
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

  // ---- lookups ------------------------------------------------------------------------------

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
        n += products.stepProducts(this, next.at);
        this.flush(next.at);
        this.timelineNext++;
        this.applyTimeline(next.at, next.event);
        n++;
        continue;
      }
      if (sat && sat.nextSyncAt <= t) {
        const at = sat.nextSyncAt;
        n += products.stepProducts(this, at);
        this.flush(at);
        satellites.scheduledSync(this, sat, at);
        n++;
        continue;
      }
      n += products.stepProducts(this, t);
      break;
    }
    this.flush(t);
    this.recomputeNextDue();
    return n;
  }

  /** When the next timed event falls due; after anything that moves a timer. */
  recomputeNextDue(): void {
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
        satellites.applySync(this, s, at);
        if (s.mode === 'connected') s.nextSyncAt = at + SCHEDULE_MS[s.schedule];
        break;
      }
      case 'token':
        cssm.addToken(this, this.poolByKey(e.pool)!, e.token);
        break;
    }
    this.flush(at);
  }

  // ---- for the role modules: caches, sequences ----------------------------------------------

  /** Drops a pool's cached allocation; the next flush recomputes it at that time. */
  invalidate(pool: Pool): void {
    pool.alloc = null;
    this.dirty.add(pool);
  }

  /** Marks a pool for the next flush, its cached allocation still served until then. */
  markDirty(pool: Pool): void {
    this.dirty.add(pool);
  }

  /** Recomputes dirty pools so compliance transitions get the time they happened. */
  flush(at: number): void {
    for (const p of this.dirty) {
      p.alloc = null;
      this.allocOf(p, at);
    }
    this.dirty.clear();
  }

  /** After an operation: recomputes what changed at `now` and when the next event is due. */
  settle(now: number): void {
    this.flush(now);
    this.recomputeNextDue();
  }

  /** The next id of a license line (ids are unique in the world). */
  nextLineId(): number {
    return this.lineSeq++;
  }

  nextExportSeq(): number {
    return this.exportSeq++;
  }

  // ---- the world's face: allocation and products ----------------------------------------------

  allocOf(pool: Pool, at = this.now()): AllocView {
    return allocOf(pool, at);
  }

  lifecycle(c: Cluster, now = this.now()): LifecycleState {
    return products.lifecycle(this, c, now);
  }

  /** Served / requested per demand line, for the product's own entitlement status. */
  servedOf(c: Cluster, requestId: string): number {
    return products.servedOf(this, c, requestId);
  }

  devicesOf(pool: Pool): DeviceView[] {
    return products.devicesOf(this, pool);
  }

  register(c: Cluster, tokenText: string, force: boolean): products.RegisterOutcome {
    return products.register(this, c, tokenText, force);
  }

  /** Deregisters locally and tells the server when it can (CSSM drops the device either way). */
  deregister(c: Cluster): void {
    products.deregister(this, c);
  }

  renewAuthorization(c: Cluster): string | null {
    return products.renewNow(this, c, 'auth');
  }

  renewRegistration(c: Cluster): string | null {
    return products.renewNow(this, c, 'id');
  }

  setTransport(c: Cluster, t: Parameters<typeof products.setTransport>[1]): void {
    products.setTransport(c, t);
  }

  setLicenseMode(c: Cluster, mode: LicenseMode): void {
    products.setLicenseMode(this, c, mode);
  }

  /** Operator-side change of a cluster (admin API): demand, version, cut-off. */
  patchCluster(
    c: Cluster,
    p: { demand?: Partial<Record<LicenseTypeId, number>>; version?: string; cutoff?: boolean },
  ): void {
    products.patchCluster(this, c, p);
  }

  /** Removes a product instance from CSSM (or a local account); the product finds itself unregistered. */
  removeDevice(pool: Pool, pid: string, sn: string): boolean {
    return products.removeDevice(this, pool, pid, sn);
  }

  // ---- the world's face: CSSM accounts ---------------------------------------------------------

  mintToken(pool: Pool, p: Parameters<typeof cssm.mintToken>[2]): RegToken {
    return cssm.mintToken(this, pool, p);
  }

  tokenStatus(t: RegToken, now = this.now()): 'ACTIVE' | 'EXPIRED' | 'REVOKED' {
    return cssm.tokenStatus(t, now);
  }

  transfer(
    from: VirtualAccount,
    items: Parameters<typeof cssm.transfer>[2],
  ): ReturnType<typeof cssm.transfer> {
    return cssm.transfer(this, from, items);
  }

  createVa(
    sa: SmartAccount,
    name: string,
    description: string,
    isDefault: boolean,
  ): VirtualAccount {
    return cssm.createVa(sa, name, description, isDefault);
  }

  deleteVa(va: VirtualAccount): void {
    cssm.deleteVa(this, va);
  }

  issueAccessToken(client: Client): ReturnType<typeof cssm.issueAccessToken> {
    return cssm.issueAccessToken(this, client);
  }

  // ---- the world's face: satellites ------------------------------------------------------------

  /** The state of a satellite's link to CSSM, as its own API shows it. */
  satelliteStatus(s: Satellite, now = this.now()): ReturnType<typeof satellites.satelliteStatus> {
    return satellites.satelliteStatus(this, s, now);
  }

  /** "Synchronize now" in connected mode: also renews the satellite's CSSM token. */
  syncNow(s: Satellite): void {
    satellites.syncNow(this, s);
  }

  setSyncMode(
    s: Satellite,
    mode: 'connected' | 'disconnected',
    schedule?: Satellite['schedule'],
  ): void {
    satellites.setSyncMode(this, s, mode, schedule);
  }

  /** Disconnected mode, step 1: the request file the operator uploads to CSSM. */
  exportSyncFile(s: Satellite): ReturnType<typeof satellites.exportSyncFile> {
    return satellites.exportSyncFile(this, s);
  }

  /** Disconnected mode, step 2 (cloud side): takes the request file, answers with entitlements. */
  importSyncRequest(file: SyncRequestFile): ReturnType<typeof satellites.importSyncRequest> {
    return satellites.importSyncRequest(this, file);
  }

  /** Disconnected mode, step 3: the answer file imported back into the satellite. */
  importSyncAnswer(s: Satellite, file: SyncAnswerFile): void {
    satellites.importSyncAnswer(this, s, file);
  }
}
