/**
 * Alert rules (issue 9): pure functions of (state, now, thresholds) → the alerts that hold now.
 * No I/O here; core/services/alerts.service.ts gathers the state, runs `evaluateAlerts` and keeps
 * the stored lifecycle (opened / changed / resolved).
 *
 * An alert is identified by its dedupe key: the same condition on the same entity always gives
 * the same key, so a condition that still holds at the next evaluation updates the alert instead
 * of opening another. Stages of one condition (expiring in 30 days → 7 days → expired) share a
 * key and change the severity; they are one alert, not three.
 */

export type AlertSeverity = 'info' | 'warning' | 'critical';
export const ALERT_SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'critical'];

/** What an alert is about (ARCHITECTURE: SA, VA, customer, cluster, token, satellite). */
export type AlertEntityKind = 'SA' | 'VA' | 'customer' | 'cluster' | 'token' | 'satellite';
export const ALERT_ENTITY_KINDS: readonly AlertEntityKind[] = [
  'SA',
  'VA',
  'customer',
  'cluster',
  'token',
  'satellite',
];

/** Every rule, by id. docs/alerts.md says what each one watches and its thresholds. */
export const ALERT_RULES = [
  'insufficient-licenses',
  'forecast-shortage',
  'authorization-expiry',
  'registration-expiry',
  'evaluation-period',
  'unassigned-evaluation',
  'renewal-failed',
  'cluster-unreachable',
  'job-failed',
  'token-expiry',
  'satellite-sync',
  'term-license',
  'sync-failing',
  'va-missing',
  'local-account-capacity',
  'out-of-compliance',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export interface AlertEntity {
  kind: AlertEntityKind;
  /** Stable id of the entity: the row id as text (an SA also answers to its domain). */
  id: string;
  /** What an operator calls it: SA domain, VA name, cluster name, … */
  name: string;
}

/** Facts of an alert: dates as ISO text, days left, counts. Flat so chat and the site can list them. */
export type AlertFacts = Record<string, string | number | boolean | null>;

/**
 * One alert that holds at `now`, as a rule produced it. The store adds its lifecycle
 * (first seen, last seen, evaluations, resolved at, mutes).
 */
export interface AlertCandidate {
  rule: AlertRule;
  /** `<rule>:<entity kind>:<entity id>[:<detail>]`, see `dedupeKey`. */
  dedupeKey: string;
  severity: AlertSeverity;
  entity: AlertEntity;
  /** Scope of the evaluation that produced it (see `AlertScope`). */
  scope: AlertScope;
  /** The Smart Account it belongs to, when it belongs to one (for filtering and summaries). */
  smartAccount?: { id: number; domain: string };
  /** The customer it concerns, when there is one (filter `--customer`). */
  customer?: { id: number; name: string };
  /** One line, no trailing period: "Authorization of cucm-01 expires in 6 days". */
  title: string;
  facts: AlertFacts;
  /** Cisco's recommended action where there is one, else ours; one or two sentences. */
  action?: string;
  /** When the condition bites (the deadline), if it has one; CSSM sorts by "Action Due". */
  dueAt?: Date;
}

/**
 * Which evaluation owns an alert. An account's sync evaluates `sa:<id>` only, so it never
 * resolves another account's alerts. Things that belong to no Smart Account (a cluster of a
 * customer without an SA, not assigned to any VA) live in `global`, evaluated with every sync.
 */
export type AlertScope = `sa:${number}` | 'global';

export function accountScope(smartAccountId: number): AlertScope {
  return `sa:${smartAccountId}`;
}

/** The dedupe key of a rule on an entity, with an optional detail (license type, subscription). */
export function dedupeKey(rule: AlertRule, entity: AlertEntity, detail?: string): string {
  return `${rule}:${entity.kind}:${entity.id}${detail !== undefined && detail !== '' ? `:${detail}` : ''}`;
}

/** Severity order for sorting and "at least" filters: critical > warning > info. */
export function severityRank(s: AlertSeverity): number {
  return s === 'critical' ? 2 : s === 'warning' ? 1 : 0;
}

export function isAlertSeverity(s: string): s is AlertSeverity {
  return (ALERT_SEVERITIES as readonly string[]).includes(s);
}

export function isAlertRule(s: string): s is AlertRule {
  return (ALERT_RULES as readonly string[]).includes(s);
}

/**
 * Every threshold the rules use. Defaults live in core/config.ts (`alerts.*`); the service
 * passes the configured values in. Day lists are "days before the deadline", largest first:
 * the first threshold reached gives info, the second warning, the third critical (fewer than
 * three thresholds skip the lower severities).
 */
export interface AlertThresholds {
  /** Authorization expiry (DOMAIN §5: 90 days without contact). Default 30 / 14 / 7. */
  authorizationDays: readonly number[];
  /** ID certificate (registration) expiry. Default 30 / 14 / 7. */
  registrationDays: readonly number[];
  /** Evaluation period end (90 days from install). Default 30 / 14 / 7. */
  evaluationDays: readonly number[];
  /** Term license end (CSSM's Daily Event Summary: 90 / 60 / 30). */
  termLicenseDays: readonly number[];
  /** Registration token expiry, for tokens smartlic relies on. Default 14 / 7 / 3. */
  tokenDays: readonly number[];
  /** Insufficient licenses turns critical when the CUCM overage has this many days or fewer left. */
  overageCriticalDays: number;
  /** Forecast shortage: alert when the trend runs a VA short within this many days. */
  forecastDays: number;
  /** Forecast shortage turns warning at this many days or fewer. */
  forecastWarningDays: number;
  /** Cluster unreachable: alert after this many consecutive syncs that could not read it… */
  unreachableSyncs: number;
  /** …or when its status has not been read for this many days (whichever comes first). */
  unreachableDays: number;
  /** Satellite: days before the 30-day sync deadline to say it is coming (info). */
  satelliteUpcomingDays: number;
  /** Satellite: sync deadline after its last CSSM sync (DOMAIN §3: 30 days). */
  satelliteSyncDays: number;
  /** Satellite: days without a sync after which CSSM removes it (DOMAIN §7: 90). */
  satelliteRemovalDays: number;
  /** Satellite: overdue turns critical this many days before removal. */
  satelliteCriticalBeforeRemovalDays: number;
  /** Sync failing: alert after this many consecutive failed syncs of one account. */
  syncFailures: number;
  /** Sync failing turns critical with no successful sync for this many milliseconds (2 × schedule). */
  syncStaleMs: number;
  /** VA missing: alert once this many consecutive syncs lacked the VA in CSSM's list. Default 1. */
  vaMissingSyncs: number;
  /** VA missing turns critical when its removal is this many agreeing syncs away or fewer. Default 2. */
  vaMissingCriticalSyncsLeft: number;
  /** `sync.removeMissingAfterSyncs`: the VA is removed at this many agreeing syncs (0: never). */
  removeMissingAfterSyncs: number;
  /** The sync schedule's interval, to say about when that removal comes. */
  syncIntervalMs: number;
  /**
   * Local account capacity: warn when a satellite local account holds this many product
   * instances or more (one satellite handles 10,000, DOMAIN §1 [doc]). Default 9,000.
   */
  localAccountInstancesWarn: number;
}
