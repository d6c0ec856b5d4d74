/**
 * The estate a scenario describes, built into the world: smart and virtual accounts with
 * their licenses and tokens, satellites and their local accounts, API clients, customers,
 * UC clusters (registered ones with their timers where the scenario left them), and the
 * scenario's timeline. A scenario naming what does not exist is refused with what it named.
 */
import { tryParseUcVersion } from '../../core/domain/versions.ts';
import { parseTime } from '../util/time.ts';
import { addToken, newVa } from './cssm-accounts.ts';
import { usageSnapshot } from './satellite-sync.ts';
import type { Scenario, TimelineEvent } from './scenario-schema.ts';
import { AUTH_RENEWAL_MS, ID_RENEWAL_MS, SCHEDULE_MS } from './timers.ts';
import type { Cluster, LocalAccount, Satellite, SmartAccount } from './types.ts';
import type { World } from './world.ts';
import { WorldError } from './world-error.ts';

/** A timeline event at its time in ms. */
export interface TimedEvent {
  at: number;
  event: TimelineEvent;
}

const PID = { CUCM: 'UCM', CUC: 'CUC', CER: 'CER' } as const;

/** Loads the scenario into an empty world whose clock reads `now`; returns its timeline, oldest first. */
export function loadEstate(w: World, s: Scenario, now: number): TimedEvent[] {
  let saSeq = 1;
  for (const c of s.customers) w.customers.set(c.name, c);
  for (const sa of s.smartAccounts) {
    const acc: SmartAccount = {
      domain: sa.domain,
      name: sa.name,
      id: sa.id ?? 10000 + saSeq++,
      type: sa.type,
      vas: new Map(),
    };
    w.sas.set(sa.domain, acc);
    for (const v of sa.virtualAccounts) {
      const va = newVa(acc, v.name, v.description, v.isDefault, false);
      va.commerceAccessLevel = v.commerceAccessLevel;
      va.role = v.role;
      va.licenseMode = v.licenseMode;
      va.licenses = v.licenses.map((l) => ({ ...l, id: w.nextLineId() }));
      for (const t of v.tokens) addToken(w, va, t);
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
    w.satellites.set(sat.name, satellite);
    for (const l of sat.localAccounts) {
      const va = w.sas.get(l.smartAccount)?.vas.get(l.virtualAccount);
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
      if (w.localAccounts.has(l.name)) {
        throw new WorldError(400, `local account names must be unique: ${l.name}`);
      }
      satellite.localAccounts.set(l.name, la);
      w.localAccounts.set(l.name, la);
      for (const t of l.tokens) addToken(w, la, t);
    }
  }
  for (const c of s.clients) {
    w.clients.set(c.clientId, {
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
        sn: w.rng.hex(5),
        uuid: w.rng.hex(32),
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
    if (w.clusters.has(c.name)) throw new WorldError(400, `duplicate cluster ${c.name}`);
    w.clusters.set(c.name, c);
    const r = sc.registration;
    if (r) {
      const pool = w.poolByKey(r.pool);
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
      w.markDirty(pool);
    }
  }
  const timeline = loadTimeline(w, s.timeline);
  // The cloud's view of each local account is its usage at the last sync; a scenario
  // says nothing of how usage changed since, so take today's.
  for (const la of w.localAccounts.values()) {
    if (la.syncedAt !== null)
      w.vaOf(la).satelliteUsage.set(la.name, usageSnapshot(w, la, la.syncedAt));
    w.markDirty(la);
    w.markDirty(w.vaOf(la));
  }
  return timeline;
}

/** Checks every timeline event names something that exists, then keeps them oldest first. */
function loadTimeline(w: World, events: readonly TimelineEvent[]): TimedEvent[] {
  const out: TimedEvent[] = [];
  for (const [i, e] of events.entries()) {
    const where = `timeline[${i}] (${e.kind} at ${e.at})`;
    if ('cluster' in e && !w.clusters.has(e.cluster))
      throw new WorldError(400, `${where}: no cluster ${e.cluster}`);
    if (e.kind === 'satelliteSync' && !w.satellites.has(e.satellite))
      throw new WorldError(400, `${where}: no satellite ${e.satellite}`);
    if (e.kind === 'token' && !w.poolByKey(e.pool))
      throw new WorldError(400, `${where}: no pool ${e.pool}`);
    out.push({ at: parseTime(e.at), event: e });
  }
  // Stable: events at the same time keep the file's order.
  return out.sort((a, b) => a.at - b.at);
}
