/**
 * A past for a scenario [ext]: the same lab, `days` earlier, with a timeline that brings it to
 * the scenario's state at its `now`. A world started at `now − days` and run forward (clock
 * moves, syncs at each step) then ends exactly where the scenario starts today, having lived
 * through what an operator meets in three months: users growing on every cluster, a customer
 * outgrowing its licenses, a cluster cut off from CSSM, a satellite that stopped syncing for a
 * while, tokens minted along the way.
 *
 * Only the lab's own behaviour is scripted here (what customers and operators did outside
 * smartlic); everything smartlic sees of it comes over the wire at each sync.
 */
import { Rng } from '../util/rng.ts';
import { DAY, HOUR, iso, parseTime, ymd } from '../util/time.ts';
import type { ScenarioInput, TimelineEvent } from '../model/scenario-schema.ts';

type Demand = Record<string, number>;
type TimelineIn = NonNullable<ScenarioInput['timeline']>[number];

export interface PastOptions {
  days: number;
  seed: number;
  /** Clusters whose demand grows late and fast (their customer runs short during the past). */
  runningShort?: readonly string[];
}

/** Days between two hand-made satellite syncs before the gap that ends at the last one. */
const SATELLITE_PERIOD_DAYS = 30;
/** The gap before a satellite's last sync (it "stopped syncing for a while"). */
const SATELLITE_GAP_DAYS = 45;
/** Authorization renews every 30 days (the emulator's AUTH_RENEWAL_MS). */
const AUTH_DAYS = 30;

/**
 * The scenario as it stood `days` before its `now`, with the timeline that leads back to it.
 * Its `now` stays the scenario's: the caller starts the world `days` earlier.
 */
export function withPast(s: ScenarioInput, o: PastOptions): ScenarioInput {
  if (!Number.isInteger(o.days) || o.days < 1) throw new Error(`withPast: days must be ≥ 1`);
  const end = parseTime(s.now ?? '');
  const start = end - o.days * DAY;
  // Its own stream: the scenario's own draws (ids, tokens, secrets) stay what they were.
  const rng = new Rng((o.seed * 2654435761) ^ 0x5eed);
  const timeline: TimelineIn[] = [...(s.timeline ?? [])];
  const short = new Set(o.runningShort ?? []);

  const clusters = (s.clusters ?? []).map((c) => {
    const out = { ...c };
    // Demand: from a share of today's at the start, in steps every few days, to today's.
    const final = (c.demand ?? {}) as Demand;
    if (Object.keys(final).length > 0) {
      const fast = short.has(c.name);
      const share = fast ? 0.5 : 0.7 + rng.next() * 0.2;
      const at0: Demand = {};
      for (const [t, n] of Object.entries(final)) at0[t] = Math.round(n * share);
      out.demand = at0;
      let day = rng.int(1, 5);
      const lastDay = o.days - rng.int(1, 3);
      while (day < lastDay) {
        const x = day / o.days;
        // Fast growers accelerate (x²); the others grow about linearly, with a little noise.
        const curve = fast ? x * x : x;
        const d: Demand = {};
        for (const [t, n] of Object.entries(final)) {
          const base = at0[t]! + (n - at0[t]!) * curve;
          const noise = fast ? 0 : (rng.next() - 0.5) * Math.max(2, n * 0.02);
          d[t] = Math.max(0, Math.min(n, Math.round(base + noise)));
        }
        timeline.push({
          kind: 'demand',
          at: iso(start + day * DAY + 9 * HOUR),
          cluster: c.name,
          demand: d,
        });
        day += rng.int(2, 6);
      }
      timeline.push({
        kind: 'demand',
        at: iso(start + lastDay * DAY + 9 * HOUR),
        cluster: c.name,
        demand: { ...final },
      });
    }

    // Registration: registered before the past begins; its renewals land on today's dates.
    const r = c.registration;
    if (r) {
      const lastAuthEnd = parseTime(r.lastAuthorizationSuccessAt ?? r.registeredAt);
      let lastAuth = lastAuthEnd;
      if (lastAuth > start) {
        lastAuth -= Math.ceil((lastAuth - start) / (AUTH_DAYS * DAY)) * AUTH_DAYS * DAY;
      }
      const registeredAt = Math.min(parseTime(r.registeredAt), lastAuth);
      const lastId = Math.min(parseTime(r.lastIdRenewalAt ?? r.registeredAt), registeredAt);
      out.registration = {
        ...r,
        registeredAt: iso(registeredAt),
        lastAuthorizationSuccessAt: iso(lastAuth),
        lastIdRenewalAt: iso(lastId),
      };
      // Cut off today: it was reachable until just after its last successful renewal.
      if (c.cutoff === true && lastAuthEnd > start) {
        out.cutoff = false;
        timeline.push({
          kind: 'cutoff',
          at: iso(lastAuthEnd + HOUR),
          cluster: c.name,
          cutoff: true,
        });
      }
    }
    const f = c.lastRegistrationFailure;
    if (f && parseTime(f.at) > start) {
      out.lastRegistrationFailure = null;
      timeline.push({ kind: 'registrationFailure', at: f.at, cluster: c.name, reason: f.reason });
    }
    return out;
  });

  // Tokens minted during the past appear when they were minted.
  const laterTokens = <T extends { createdAt: string }>(pool: string, tokens: T[] | undefined) =>
    (tokens ?? []).filter((t) => {
      if (parseTime(t.createdAt) <= start) return true;
      timeline.push({
        kind: 'token',
        at: t.createdAt,
        pool,
        token: t as unknown as Extract<TimelineEvent, { kind: 'token' }>['token'],
      });
      return false;
    });
  const smartAccounts = (s.smartAccounts ?? []).map((sa) => ({
    ...sa,
    virtualAccounts: (sa.virtualAccounts ?? []).map((va) => ({
      ...va,
      // A term that starts during the past started before it: the story is the customer's
      // growth, not a subscription that arrived after its users.
      licenses: (va.licenses ?? []).map((l) =>
        l.startDate && parseTime(l.startDate) > start
          ? { ...l, startDate: ymd(start - rng.int(5, 60) * DAY) }
          : l,
      ),
      tokens: laterTokens(`cloud:${sa.domain}/${va.name}`, va.tokens),
    })),
  }));

  // A satellite synced by hand: monthly, then a gap, then its last sync (today's lastSync).
  const satellites = (s.satellites ?? []).map((sat) => {
    const localAccounts = (sat.localAccounts ?? []).map((la) => ({
      ...la,
      tokens: laterTokens(`satellite:${la.name}`, la.tokens),
    }));
    const last = sat.lastSync ? parseTime(sat.lastSync) : null;
    if (sat.mode !== 'disconnected' || last === null || last <= start)
      return { ...sat, localAccounts };
    const syncs = [last];
    let t = last - SATELLITE_GAP_DAYS * DAY;
    while (t > start) {
      syncs.unshift(t);
      t -= SATELLITE_PERIOD_DAYS * DAY;
    }
    for (const at of syncs)
      timeline.push({ kind: 'satelliteSync', at: iso(at), satellite: sat.name });
    return { ...sat, localAccounts, lastSync: iso(t), cloudTokenIssuedAt: iso(t) };
  });

  return { ...s, smartAccounts, satellites, clusters, timeline };
}
