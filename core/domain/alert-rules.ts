/**
 * The alert rules (docs/alerts.md lists them with their thresholds). Pure: the state of one
 * scope + `now` + thresholds → every alert that holds now. The caller (core/services) gathers
 * the state; lifecycle dates come in already derived (the effective lifecycle of the read
 * side), so no rule recomputes a product's timers, it only compares their dates with `now`.
 *
 * Time rules as in lifecycle.ts: a deadline has lapsed when `now >= deadline`; days left is
 * the ceiling of the remaining days, so "within 30 days" starts at exactly 30 days before.
 */
import {
  accountScope,
  dedupeKey,
  type AlertCandidate,
  type AlertEntity,
  type AlertFacts,
  type AlertRule,
  type AlertScope,
  type AlertSeverity,
  type AlertThresholds,
} from './alerts.ts';
import { findLicenseType } from './catalog.ts';
import { DAY_MS, daysUntil, hasLapsed, type RegistrationStatus } from './lifecycle.ts';
import type {
  AccountRef,
  VaRef,
  CustomerRef,
  LicenseFacts,
  ClusterFacts,
  JobAction,
  AlertState,
} from './alert-facts.ts';

export type {
  AccountRef,
  VaRef,
  CustomerRef,
  AccountFacts,
  LicenseFacts,
  ForecastFacts,
  TermLicenseFacts,
  ClusterLifecycleFacts,
  ClusterFacts,
  JobAction,
  JobFacts,
  TokenFacts,
  VaTokenFacts,
  SatelliteFacts,
  MissingVaFacts,
  AlertState,
} from './alert-facts.ts';

/** A line is short by its counts or by CSSM's status (core/domain/compliance.ts `isShort`). */
const isShortLine = (l: LicenseFacts) => l.shortage > 0 || l.shortByStatus === true;

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const inDays = (n: number) => (n === 1 ? 'in 1 day' : `in ${n} days`);
const SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'critical'];

/**
 * The severity of a countdown: lapsed → critical; else the last of `days` (largest first)
 * that `daysLeft` is within. Fewer than three thresholds drop the lower severities: [14, 7]
 * gives warning at 14, critical at 7. undefined: not within any.
 */
export function stageSeverity(
  daysLeft: number,
  lapsed: boolean,
  days: readonly number[],
): AlertSeverity | undefined {
  if (lapsed) return 'critical';
  const offset = SEVERITIES.length - days.length;
  let out: AlertSeverity | undefined;
  days.forEach((d, i) => {
    if (daysLeft <= d) out = SEVERITIES[offset + i];
  });
  return out;
}

function maxSeverity(a: AlertSeverity, b: AlertSeverity): AlertSeverity {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b;
}

interface Make {
  rule: AlertRule;
  entity: AlertEntity;
  detail?: string;
  severity: AlertSeverity;
  title: string;
  facts: AlertFacts;
  action?: string;
  dueAt?: Date | null;
  smartAccount?: AccountRef | null;
  customer?: CustomerRef | null;
}

function make(scope: AlertScope, m: Make): AlertCandidate {
  return {
    rule: m.rule,
    dedupeKey: dedupeKey(m.rule, m.entity, m.detail),
    severity: m.severity,
    entity: m.entity,
    scope,
    ...(m.smartAccount
      ? { smartAccount: { id: m.smartAccount.id, domain: m.smartAccount.domain } }
      : {}),
    ...(m.customer ? { customer: { id: m.customer.id, name: m.customer.name } } : {}),
    title: m.title,
    facts: m.facts,
    ...(m.action ? { action: m.action } : {}),
    ...(m.dueAt ? { dueAt: m.dueAt } : {}),
  };
}

const vaEntity = (va: VaRef): AlertEntity => ({ kind: 'VA', id: String(va.id), name: va.name });
const clusterEntity = (c: { id: number; name: string }): AlertEntity => ({
  kind: 'cluster',
  id: String(c.id),
  name: c.name,
});

// ---- licenses ------------------------------------------------------------------------------

function insufficientLicenses(s: AlertState, t: AlertThresholds): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const l of s.licenses) {
    if (!isShortLine(l)) continue;
    const isCucm = findLicenseType(l.licenseType)?.app === 'CUCM';
    // The CUCM overage clock of the clusters drawing on this VA: the soonest one decides.
    let overage: Date | null = null;
    if (isCucm) {
      for (const c of s.clusters) {
        const e = c.lifecycle.overageExpires;
        if (c.va?.id === l.va.id && c.type === 'CUCM' && e && (!overage || e < overage))
          overage = e;
      }
    }
    const overageDaysLeft = overage ? daysUntil(s.now, overage) : null;
    const overageOver = overage ? hasLapsed(s.now, overage) : false;
    const severity: AlertSeverity =
      overageDaysLeft !== null && (overageOver || overageDaysLeft <= t.overageCriticalDays)
        ? 'critical'
        : 'warning';
    const overageText = overage
      ? overageOver
        ? '; the CUCM overage period is over: no new users or devices'
        : `; CUCM overage ends ${inDays(overageDaysLeft!)}`
      : '';
    // The clusters this shortage puts out of compliance are named here, so the attention list
    // (the open alerts) names every cluster out of compliance without a second alert for it.
    const ooc = outOfComplianceOn(s, l.va.id);
    const oocText =
      ooc.length > 0 ? `; ${listNames(ooc.map((c) => c.name))} out of compliance` : '';
    out.push(
      make(s.scope, {
        rule: 'insufficient-licenses',
        entity: vaEntity(l.va),
        detail: l.licenseType,
        severity,
        title:
          l.shortage > 0
            ? `${l.va.name} is short of ${l.shortage} ${l.displayName}${overageText}${oocText}`
            : `${l.va.name} is short of ${l.displayName} (CSSM reports Insufficient Licenses; its counts show none yet)${overageText}${oocText}`,
        facts: {
          licenseType: l.licenseType,
          quantity: l.quantity,
          inUse: l.inUse,
          shortage: l.shortage,
          overageEnds: overage ? overage.toISOString() : null,
          overageDaysLeft,
          ...namedClusters(ooc),
        },
        action: `Add or transfer ${l.shortage > 0 ? plural(l.shortage, 'license') : 'licenses'} of ${l.displayName} into ${l.va.name}, or reduce usage; ${isCucm ? 'CUCM keeps working through its 90-day overage, then no new users or devices can be provisioned' : 'products drawing on it are out of compliance'}.`,
        dueAt: overage,
        smartAccount: l.va.smartAccount,
      }),
    );
  }
  return out;
}

/** Clusters drawing on a VA whose effective authorization is Out of compliance, by name. */
function outOfComplianceOn(s: AlertState, vaId: number): ClusterFacts[] {
  return s.clusters
    .filter((c) => c.va?.id === vaId && c.lifecycle.authorization === 'Out of compliance')
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const listNames = (names: readonly string[]) =>
  names.length <= 3
    ? names.join(', ')
    : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;

/**
 * The clusters an alert names beside its entity, as facts (facts are scalars): the read side's
 * attention list reads `clusterIds` to know which clusters an alert is about.
 */
export function namedClusters(cs: readonly { id: number; name: string }[]): AlertFacts {
  if (cs.length === 0) return {};
  return { clusters: cs.map((c) => c.name).join(', '), clusterIds: cs.map((c) => c.id).join(',') };
}

/**
 * A cluster whose product says Out of compliance while no shortage alert of its VA names it
 * (CSSM's counts show no shortage yet, or it is assigned to no VA): its own alert, so no
 * cluster out of compliance goes unnamed.
 */
function outOfCompliance(s: AlertState, t: AlertThresholds): AlertCandidate[] {
  const shortVas = new Set(s.licenses.filter(isShortLine).map((l) => l.va.id));
  const out: AlertCandidate[] = [];
  for (const c of s.clusters) {
    if (c.lifecycle.authorization !== 'Out of compliance') continue;
    if (c.va !== null && shortVas.has(c.va.id)) continue;
    const e = c.lifecycle.overageExpires;
    const days = e ? daysUntil(s.now, e) : null;
    const over = e ? hasLapsed(s.now, e) : false;
    const severity: AlertSeverity =
      c.lifecycle.overageExpired || over || (days !== null && days <= t.overageCriticalDays)
        ? 'critical'
        : 'warning';
    out.push(
      make(s.scope, {
        rule: 'out-of-compliance',
        ...clusterBase(c),
        severity,
        title: `${c.name} is out of compliance${c.va ? ` (CSSM shows no shortage in ${c.va.name})` : ' and assigned to no VA'}${e ? (over ? '; its CUCM overage period is over' : `; CUCM overage ends ${inDays(days!)}`) : ''}`,
        facts: {
          va: c.va?.name ?? null,
          overageEnds: e ? e.toISOString() : null,
          overageDaysLeft: days,
        },
        action: c.va
          ? `Sync ${c.smartAccount?.domain ?? 'its account'} so CSSM's counts of ${c.va.name} are current, then add or transfer the licenses ${c.name} asks for, or reduce its usage.`
          : `Assign ${c.name} to the customer's operational VA and register it (smartlic cluster assign, then smartlic cluster register).`,
        dueAt: e,
      }),
    );
  }
  return out;
}

function forecastShortage(s: AlertState, t: AlertThresholds): AlertCandidate[] {
  const shortNow = new Set(
    s.licenses.filter(isShortLine).map((l) => `${l.va.id}\u0000${l.licenseType}`),
  );
  const out: AlertCandidate[] = [];
  for (const f of s.forecasts) {
    if (!f.shortageOn || shortNow.has(`${f.va.id}\u0000${f.licenseType}`)) continue;
    if (hasLapsed(s.now, f.shortageOn)) continue; // short already: insufficient-licenses says so
    const days = daysUntil(s.now, f.shortageOn);
    if (days > t.forecastDays) continue;
    out.push(
      make(s.scope, {
        rule: 'forecast-shortage',
        entity: vaEntity(f.va),
        detail: f.licenseType,
        severity: days <= t.forecastWarningDays ? 'warning' : 'info',
        title: `${f.va.name} runs short of ${f.displayName} ${inDays(days)} at the current trend`,
        facts: {
          licenseType: f.licenseType,
          quantity: f.quantity,
          inUse: f.inUse,
          shortageOn: isoDay(f.shortageOn),
          daysLeft: days,
          trendPerDay: f.trendPerDay === null ? null : Math.round(f.trendPerDay * 100) / 100,
        },
        action: `Order or transfer ${f.displayName} into ${f.va.name} before ${isoDay(f.shortageOn)}.`,
        dueAt: f.shortageOn,
        smartAccount: f.va.smartAccount,
      }),
    );
  }
  return out;
}

function termLicenses(s: AlertState, t: AlertThresholds): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const l of s.terms) {
    const lapsed = hasLapsed(s.now, l.endsAt);
    const days = daysUntil(s.now, l.endsAt);
    const severity = stageSeverity(days, lapsed, t.termLicenseDays);
    if (!severity) continue;
    const sub = l.subscriptionId ?? `ends ${isoDay(l.endDate)}`;
    const subText = l.subscriptionId ? `subscription ${l.subscriptionId}` : 'the subscription';
    out.push(
      make(s.scope, {
        rule: 'term-license',
        entity: vaEntity(l.va),
        detail: `${l.licenseType}:${l.subscriptionId ?? '-'}:${isoDay(l.endDate)}`,
        severity,
        title: lapsed
          ? `${l.quantity} ${l.displayName} in ${l.va.name} (${sub}) expired on ${isoDay(l.endDate)}`
          : `${l.quantity} ${l.displayName} in ${l.va.name} (${sub}) expire ${inDays(days)}`,
        facts: {
          licenseType: l.licenseType,
          subscriptionId: l.subscriptionId,
          quantity: l.quantity,
          endDate: isoDay(l.endDate),
          daysLeft: days,
          expired: lapsed,
        },
        action: lapsed
          ? `Renew ${subText} with Cisco or your partner; until then its usage counts as a shortage.`
          : `Renew ${subText} by ${isoDay(l.endDate)}, or plan the usage onto other licenses.`,
        dueAt: l.endsAt,
        smartAccount: l.va.smartAccount,
      }),
    );
  }
  return out;
}

// ---- clusters -------------------------------------------------------------------------------

const isRegistered = (r: RegistrationStatus | null) =>
  r === 'Registered' || r === 'Registration Expired';

function clusterBase(c: ClusterFacts) {
  return { entity: clusterEntity(c), smartAccount: c.smartAccount, customer: c.customer };
}

function authorizationExpiry(s: AlertState, t: AlertThresholds): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const c of s.clusters) {
    const lc = c.lifecycle;
    if (!isRegistered(lc.registration) || !c.licensesInUse) continue;
    const expires = lc.authorizationExpires;
    const lapsed =
      lc.authorization === 'Authorization Expired' ||
      (expires !== null && hasLapsed(s.now, expires));
    if (!expires && !lapsed) continue;
    const days = expires ? daysUntil(s.now, expires) : 0;
    const severity = stageSeverity(days, lapsed, t.authorizationDays);
    if (!severity) continue;
    out.push(
      make(s.scope, {
        rule: 'authorization-expiry',
        ...clusterBase(c),
        severity,
        title: lapsed
          ? `Authorization of ${c.name} expired${expires ? ` on ${isoDay(expires)}` : ''}`
          : `Authorization of ${c.name} expires ${inDays(days)}`,
        facts: {
          authorizationExpires: expires ? expires.toISOString() : null,
          daysLeft: days,
          expired: lapsed,
          authorization: lc.authorization,
          lastCommunicationStatus: c.lastCommunicationStatus,
        },
        action: `Renew the authorization now (smartlic renew auth ${c.name}) and check the cluster's transport towards CSSM or the satellite; a product must reach CSSM at least every 90 days.`,
        dueAt: expires,
      }),
    );
  }
  return out;
}

function registrationExpiry(s: AlertState, t: AlertThresholds): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const c of s.clusters) {
    const lc = c.lifecycle;
    if (!isRegistered(lc.registration)) continue;
    const expires = lc.registrationExpires;
    const lapsed =
      lc.registration === 'Registration Expired' || (expires !== null && hasLapsed(s.now, expires));
    if (!expires && !lapsed) continue;
    const days = expires ? daysUntil(s.now, expires) : 0;
    const severity = stageSeverity(days, lapsed, t.registrationDays);
    if (!severity) continue;
    out.push(
      make(s.scope, {
        rule: 'registration-expiry',
        ...clusterBase(c),
        severity,
        title: lapsed
          ? `Registration (ID certificate) of ${c.name} expired${expires ? ` on ${isoDay(expires)}` : ''}`
          : `Registration (ID certificate) of ${c.name} expires ${inDays(days)}`,
        facts: {
          registrationExpires: expires ? expires.toISOString() : null,
          daysLeft: days,
          expired: lapsed,
          lastRenewalStatus: c.lastRenewalStatus,
        },
        action: lapsed
          ? `Register ${c.name} again with a valid token (smartlic cluster register ${c.name}).`
          : `Renew the registration now (smartlic renew registration ${c.name}); if renewal keeps failing, re-register with a new token.`,
        dueAt: expires,
      }),
    );
  }
  return out;
}

function evaluationFacts(c: ClusterFacts, now: Date) {
  const ends = c.lifecycle.evaluationExpires;
  const lapsed =
    c.lifecycle.authorization === 'Evaluation Expired' || (ends !== null && hasLapsed(now, ends));
  const days = ends ? daysUntil(now, ends) : 0;
  return { ends, lapsed, days };
}

/** Unregistered and running down its evaluation (licenses in use, or the product says so). */
function onEvaluation(c: ClusterFacts): boolean {
  const lc = c.lifecycle;
  if (isRegistered(lc.registration)) return false;
  if (lc.authorization === 'Evaluation Mode' || lc.authorization === 'Evaluation Expired')
    return true;
  return c.licensesInUse && lc.evaluationExpires !== null;
}

function evaluationPeriod(s: AlertState, t: AlertThresholds): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const c of s.clusters) {
    if (c.va === null || !onEvaluation(c)) continue;
    const { ends, lapsed, days } = evaluationFacts(c, s.now);
    if (!ends && !lapsed) continue;
    const severity = stageSeverity(days, lapsed, t.evaluationDays);
    if (!severity) continue;
    out.push(
      make(s.scope, {
        rule: 'evaluation-period',
        ...clusterBase(c),
        severity,
        title: lapsed
          ? `Evaluation period of ${c.name} has ended${ends ? ` (${isoDay(ends)})` : ''}`
          : `Evaluation period of ${c.name} ends ${inDays(days)}`,
        facts: {
          va: c.va.name,
          evaluationEnds: ends ? ends.toISOString() : null,
          daysLeft: days,
          expired: lapsed,
        },
        action: `Register ${c.name} with a token of ${c.va.name} (smartlic cluster register ${c.name}).`,
        dueAt: ends,
      }),
    );
  }
  return out;
}

function unassignedEvaluation(s: AlertState, t: AlertThresholds): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  const last = t.evaluationDays[t.evaluationDays.length - 1]!;
  for (const c of s.clusters) {
    if (c.va !== null || c.major === null || c.major < 12) continue;
    // Never read (smartlic reads only assigned clusters): a 12.x+ product registered nowhere
    // smartlic knows runs on its evaluation period [design: say so rather than stay silent].
    const unread = c.lifecycle.registration === null && c.lastStatusReadAt === null;
    if (!unread && !onEvaluation(c)) continue;
    const { ends, lapsed, days } = evaluationFacts(c, s.now);
    const severity: AlertSeverity =
      lapsed || (ends !== null && days <= last) ? 'critical' : 'warning';
    const what = `${c.name} (${c.version ? `${c.type} ${c.version}` : c.type})`;
    out.push(
      make(s.scope, {
        rule: 'unassigned-evaluation',
        ...clusterBase(c),
        severity,
        title: lapsed
          ? `${what} is assigned to no VA and its evaluation has ended`
          : unread && !ends
            ? `${what} is assigned to no VA: unregistered, it runs on its evaluation period`
            : `${what} is assigned to no VA and runs on evaluation${ends ? `, ${plural(days, 'day')} left` : ''}`,
        facts: {
          version: c.version,
          customer: c.customer.name,
          evaluationEnds: ends ? ends.toISOString() : null,
          daysLeft: ends ? days : null,
          expired: lapsed,
          statusRead: !unread,
        },
        action: `Assign ${c.name} to the customer's operational VA and register it (smartlic cluster assign, then smartlic cluster register); 12.x and later license only through CSSM or a satellite.`,
        dueAt: ends,
      }),
    );
  }
  return out;
}

const failed = (s: string | null) => s !== null && /fail/i.test(s);

function renewalFailed(s: AlertState): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const c of s.clusters) {
    if (!isRegistered(c.lifecycle.registration)) continue;
    const reg = failed(c.lastRenewalStatus);
    const auth = failed(c.lastCommunicationStatus);
    if (!reg && !auth) continue;
    const what = reg && auth ? 'renewal and authorization' : reg ? 'renewal' : 'authorization';
    const reason =
      (auth ? c.authorizationFailedReason : null) ?? (reg ? c.registrationFailedReason : null);
    const attempt = auth ? c.lastCommunicationAttempt : c.lastRenewalAttempt;
    out.push(
      make(s.scope, {
        rule: 'renewal-failed',
        ...clusterBase(c),
        severity: 'warning',
        title: `${c.name} failed its last ${what} with CSSM${reason ? `: ${reason}` : ''}`,
        facts: {
          lastRenewalStatus: c.lastRenewalStatus,
          lastRenewalAttempt: c.lastRenewalAttempt ? c.lastRenewalAttempt.toISOString() : null,
          lastCommunicationStatus: c.lastCommunicationStatus,
          lastCommunicationAttempt: attempt ? attempt.toISOString() : null,
          failedReason: reason,
        },
        action: `Check ${c.name}'s transport settings (proxy or satellite URL) and its network path to CSSM, then renew (smartlic renew auth ${c.name}).`,
      }),
    );
  }
  return out;
}

function clusterUnreachable(s: AlertState, t: AlertThresholds): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const c of s.clusters) {
    const f = c.readFailures;
    if (!f || f.count <= 0) continue;
    const since = c.lastStatusReadAt ?? f.since;
    const daysUnread = Math.floor((s.now.getTime() - since.getTime()) / DAY_MS);
    if (f.count < t.unreachableSyncs && daysUnread < t.unreachableDays) continue;
    out.push(
      make(s.scope, {
        rule: 'cluster-unreachable',
        ...clusterBase(c),
        severity: 'warning',
        title: `smartlic cannot read ${c.name}: ${plural(f.count, 'sync')} in a row${c.lastStatusReadAt ? `, last read ${isoDay(c.lastStatusReadAt)}` : ', never read'}`,
        facts: {
          failedSyncs: f.count,
          failingSince: f.since.toISOString(),
          lastReadAt: c.lastStatusReadAt ? c.lastStatusReadAt.toISOString() : null,
          daysUnread,
          lastError: f.lastError,
        },
        action: `Check the publisher address, the admin credentials and that ${c.type === 'CUC' ? 'vmrest' : 'AXL'} answers on ${c.name}; its licensing timers keep running unseen meanwhile.`,
      }),
    );
  }
  return out;
}

const ACTION_WORDS: Record<JobAction, string> = {
  register: 'Registration',
  deregister: 'Deregistration',
  'renew-authorization': 'Authorization renewal',
  'renew-registration': 'Registration renewal',
};

function jobFailed(s: AlertState): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const j of s.jobs) {
    if (j.status !== 'Failed') continue;
    out.push(
      make(s.scope, {
        rule: 'job-failed',
        entity: clusterEntity(j.cluster),
        detail: j.action,
        smartAccount: j.cluster.smartAccount,
        customer: j.cluster.customer,
        severity: 'warning',
        title: `${ACTION_WORDS[j.action]} of ${j.cluster.name} failed${j.code ? ` (${j.code})` : ''}`,
        facts: {
          jobId: j.jobId,
          jobType: j.jobType,
          failedAt: j.at.toISOString(),
          code: j.code,
          statusInformation: j.statusInformation,
        },
        action:
          j.recommendedAction ??
          `See job ${j.jobId} (smartlic jobs) for the error, fix it and run the ${j.jobType.toLowerCase()} again.`,
      }),
    );
  }
  return out;
}

// ---- tokens, satellites, accounts ------------------------------------------------------------

function tokenExpiry(s: AlertState, t: AlertThresholds): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const v of s.tokens) {
    const active = v.tokens.filter((k) => k.status === 'Active' || k.status === 'Expired');
    if (active.length === 0) continue; // none ever made: registration mints one when needed
    // The token a registration would use: the one that lasts longest (no expiry = forever).
    const best = active.reduce((a, b) => {
      if (a.status !== b.status) return a.status === 'Active' ? a : b;
      if (a.expiresAt === null) return a;
      if (b.expiresAt === null) return b;
      return a.expiresAt >= b.expiresAt ? a : b;
    });
    if (best.expiresAt === null) continue;
    const lapsed = best.status === 'Expired' || hasLapsed(s.now, best.expiresAt);
    const days = daysUntil(s.now, best.expiresAt);
    const severity = stageSeverity(days, lapsed, t.tokenDays);
    if (!severity) continue;
    const name = `${best.description ?? `token ${best.id}`} (${v.va.name})`;
    out.push(
      make(s.scope, {
        rule: 'token-expiry',
        entity: { kind: 'token', id: String(best.id), name },
        severity,
        title: lapsed
          ? `${v.va.name} has no valid registration token: the last one expired on ${isoDay(best.expiresAt)}`
          : `The registration token of ${v.va.name} expires ${inDays(days)}`,
        facts: {
          va: v.va.name,
          tokenId: best.id,
          expiresAt: best.expiresAt.toISOString(),
          daysLeft: days,
          expired: lapsed,
          exportControlled: best.exportControlled,
          reliedOnFor: v.reliedOnFor,
        },
        action: `Sync ${v.va.smartAccount.domain} (a sync refreshes expiring tokens) or create one (smartlic token create ${v.va.name}); registrations with an expired token fail with CAA1048.`,
        dueAt: best.expiresAt,
        smartAccount: v.va.smartAccount,
      }),
    );
  }
  return out;
}

function satelliteSync(s: AlertState, t: AlertThresholds): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const sat of s.satellites) {
    const last = sat.lastCssmSyncAt;
    const since = last ?? sat.createdAt;
    const deadline = new Date(since.getTime() + t.satelliteSyncDays * DAY_MS);
    const removal = new Date(since.getTime() + t.satelliteRemovalDays * DAY_MS);
    const critical = new Date(removal.getTime() - t.satelliteCriticalBeforeRemovalDays * DAY_MS);
    const upcoming = new Date(deadline.getTime() - t.satelliteUpcomingDays * DAY_MS);
    const ago = Math.floor((s.now.getTime() - since.getTime()) / DAY_MS);
    const lastText = last ? `last synced ${isoDay(last)}` : 'never synced';
    let severity: AlertSeverity;
    let title: string;
    let dueAt: Date;
    const name = `${sat.name} on ${sat.host}`;
    if (hasLapsed(s.now, removal)) {
      severity = 'critical';
      title = `Satellite ${name} ${lastText} more than ${t.satelliteRemovalDays} days ago: CSSM unregisters and removes it`;
      dueAt = removal;
    } else if (hasLapsed(s.now, critical)) {
      severity = 'critical';
      title = `Satellite ${name} sync overdue (${lastText}); CSSM removes it ${inDays(daysUntil(s.now, removal))}`;
      dueAt = removal;
    } else if (hasLapsed(s.now, deadline)) {
      severity = 'warning';
      title = `Satellite ${name} sync overdue (${lastText}, ${ago} days ago)`;
      dueAt = removal;
    } else if (hasLapsed(s.now, upcoming)) {
      severity = 'info';
      title = `Satellite ${name} must sync with CSSM ${inDays(daysUntil(s.now, deadline))} (${lastText})`;
      dueAt = deadline;
    } else continue;
    out.push(
      make(s.scope, {
        rule: 'satellite-sync',
        entity: { kind: 'satellite', id: String(sat.id), name },
        severity,
        title,
        facts: {
          syncMode: sat.syncMode,
          lastCssmSync: last ? last.toISOString() : null,
          daysSinceSync: ago,
          syncDeadline: isoDay(deadline),
          removal: isoDay(removal),
        },
        action:
          sat.syncMode === 'disconnected'
            ? `Sync by hand: export the usage file from the satellite, upload it to CSSM, and import CSSM's answer file back into the satellite.`
            : `Check the satellite's link to CSSM (network, proxy; its CSSM access token lasts 180 days, after which only a manual sync works) and run a sync from the satellite now.`,
        dueAt,
        smartAccount: sat.smartAccount,
      }),
    );
  }
  return out;
}

function syncFailing(s: AlertState, t: AlertThresholds): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const a of s.accounts) {
    const since = a.lastSuccessAt ?? a.createdAt;
    const staleFor = s.now.getTime() - since.getTime();
    const stale = staleFor > t.syncStaleMs && (a.lastSyncAt !== null || a.lastSuccessAt === null);
    const failing = a.consecutiveFailures >= t.syncFailures;
    if (!stale && !failing) continue;
    const hours = Math.floor(staleFor / 3_600_000);
    const err = a.lastSyncStatus === 'Failed' ? a.lastSyncError : null;
    const action = err?.includes(' — ') ? err.slice(err.lastIndexOf(' — ') + 3) : undefined;
    out.push(
      make(s.scope, {
        rule: 'sync-failing',
        entity: { kind: 'SA', id: String(a.id), name: a.domain },
        severity: stale ? 'critical' : 'warning',
        title: stale
          ? `No successful sync of ${a.domain} for ${hours >= 48 ? `${Math.floor(hours / 24)} days` : `${hours} hours`}${a.consecutiveFailures > 0 ? ` (${plural(a.consecutiveFailures, 'failed sync')})` : ''}`
          : `${plural(a.consecutiveFailures, 'sync')} of ${a.domain} failed in a row`,
        facts: {
          consecutiveFailures: a.consecutiveFailures,
          lastSuccess: a.lastSuccessAt ? a.lastSuccessAt.toISOString() : null,
          lastAttempt: a.lastSyncAt ? a.lastSyncAt.toISOString() : null,
          lastError: err,
        },
        action:
          action ??
          `Run smartlic sync ${a.domain} and read its error; check the account's credentials and the path to CSSM.`,
        smartAccount: a,
      }),
    );
  }
  return out;
}

/**
 * A VA CSSM no longer lists: kept with everything the operator set, and removed by the sync
 * at `removeMissingAfterSyncs` agreeing syncs (its licenses, tokens and devices go, its
 * clusters are unassigned). Warning; critical when that removal is near.
 */
function vaMissing(s: AlertState, t: AlertThresholds): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const m of s.missingVas) {
    if (m.syncs < t.vaMissingSyncs) continue;
    const removes = t.removeMissingAfterSyncs > 0;
    const left = removes ? Math.max(0, t.removeMissingAfterSyncs - m.syncs) : null;
    // The sync that first missed it counts as the first of the agreeing syncs.
    const removalAbout = removes
      ? new Date(m.since.getTime() + (t.removeMissingAfterSyncs - 1) * t.syncIntervalMs)
      : null;
    const severity: AlertSeverity =
      left !== null && left <= t.vaMissingCriticalSyncsLeft ? 'critical' : 'warning';
    const kept = [
      m.clusters > 0 ? plural(m.clusters, 'cluster') + ' assigned' : null,
      m.role ? `the ${m.role} role` : null,
      m.licenseMode ? `license mode ${m.licenseMode}` : null,
    ].filter((x): x is string => x !== null);
    out.push(
      make(s.scope, {
        rule: 'va-missing',
        entity: vaEntity(m.va),
        severity,
        title:
          left === null
            ? `CSSM no longer lists ${m.va.name} (since ${isoDay(m.since)}, ${plural(m.syncs, 'sync')}); kept until removed by hand`
            : `CSSM no longer lists ${m.va.name} (since ${isoDay(m.since)}, ${plural(m.syncs, 'sync')}); removed after ${plural(left, 'more sync', 'more syncs')}`,
        facts: {
          missingSince: m.since.toISOString(),
          syncs: m.syncs,
          removedAfterSyncs: removes ? t.removeMissingAfterSyncs : null,
          syncsLeft: left,
          removalAbout: removalAbout ? removalAbout.toISOString() : null,
          clusters: m.clusters,
          role: m.role,
          licenseMode: m.licenseMode,
        },
        action: `Check in CSSM (Smart Software Licensing → Inventory) whether ${m.va.name} was deleted, renamed or hidden from these API credentials. If it is gone for good, move its clusters to another VA and remove it with \`smartlic va remove ${m.va.smartAccount.domain}/${m.va.name} --yes\`${kept.length > 0 ? ` (it still has ${kept.join(', ')})` : ''}; if it should be there, restore it or the credentials' access before ${removes ? 'the sync removes it' : 'anything depends on it'}.`,
        dueAt: removalAbout,
        smartAccount: m.va.smartAccount,
      }),
    );
  }
  return out;
}

/** One satellite handles up to 10,000 product instances (DOMAIN §1 [doc]). */
export const LOCAL_ACCOUNT_INSTANCE_LIMIT = 10_000;

/**
 * A satellite local account nearing the 10,000 product instances one satellite handles:
 * warning from `localAccountInstancesWarn`, critical at the limit, where registrations through
 * it start failing.
 */
function localAccountCapacity(s: AlertState, t: AlertThresholds): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const la of s.satellites) {
    const n = la.productInstances;
    if (n === undefined || n < Math.min(t.localAccountInstancesWarn, LOCAL_ACCOUNT_INSTANCE_LIMIT))
      continue;
    const full = n >= LOCAL_ACCOUNT_INSTANCE_LIMIT;
    const left = Math.max(0, LOCAL_ACCOUNT_INSTANCE_LIMIT - n);
    out.push(
      make(s.scope, {
        rule: 'local-account-capacity',
        entity: { kind: 'satellite', id: String(la.id), name: la.name },
        severity: full ? 'critical' : 'warning',
        title: full
          ? `Local account ${la.name} on ${la.host} holds ${n} product instances: the satellite's limit of ${LOCAL_ACCOUNT_INSTANCE_LIMIT} is reached`
          : `Local account ${la.name} on ${la.host} holds ${n} product instances, ${left} below the satellite's limit of ${LOCAL_ACCOUNT_INSTANCE_LIMIT}`,
        facts: {
          productInstances: n,
          limit: LOCAL_ACCOUNT_INSTANCE_LIMIT,
          warnAt: t.localAccountInstancesWarn,
          left,
        },
        action: `Plan another satellite (or register new clusters directly to CSSM) before ${la.name} reaches ${LOCAL_ACCOUNT_INSTANCE_LIMIT} product instances; remove products that no longer exist from its device list.`,
        smartAccount: la.smartAccount,
      }),
    );
  }
  return out;
}

/** Each rule, by id; `evaluateAlerts` runs them all. */
export const RULES: Readonly<
  Record<AlertRule, (s: AlertState, t: AlertThresholds) => AlertCandidate[]>
> = {
  'insufficient-licenses': insufficientLicenses,
  'forecast-shortage': forecastShortage,
  'authorization-expiry': authorizationExpiry,
  'registration-expiry': registrationExpiry,
  'evaluation-period': evaluationPeriod,
  'unassigned-evaluation': unassignedEvaluation,
  'renewal-failed': renewalFailed,
  'cluster-unreachable': clusterUnreachable,
  'job-failed': jobFailed,
  'token-expiry': tokenExpiry,
  'satellite-sync': satelliteSync,
  'term-license': termLicenses,
  'sync-failing': syncFailing,
  'va-missing': vaMissing,
  'local-account-capacity': localAccountCapacity,
  'out-of-compliance': outOfCompliance,
};

/**
 * Every alert that holds for the state of one scope at `state.now`. One candidate per dedupe
 * key: when two would share one (the same entity seen twice in the input), the more severe wins.
 */
export function evaluateAlerts(state: AlertState, t: AlertThresholds): AlertCandidate[] {
  const byKey = new Map<string, AlertCandidate>();
  for (const rule of Object.values(RULES)) {
    for (const c of rule(state, t)) {
      const prev = byKey.get(c.dedupeKey);
      if (!prev || maxSeverity(prev.severity, c.severity) !== prev.severity)
        byKey.set(c.dedupeKey, c);
    }
  }
  return [...byKey.values()];
}

export { accountScope };
