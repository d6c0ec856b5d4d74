/**
 * What the alert rules read (alert-rules.ts): the state of one scope, as core/services
 * (alert-state.ts) gathers it. Types only.
 */
import type { AlertScope } from './alerts.ts';
import type { AppType } from './catalog.ts';
import type { AuthorizationStatus, RegistrationStatus } from './lifecycle.ts';

export interface AccountRef {
  id: number;
  domain: string;
}

export interface VaRef {
  id: number;
  name: string;
  smartAccount: AccountRef;
}

export interface CustomerRef {
  id: number;
  name: string;
}

/** A Smart Account's sync record. */
export interface AccountFacts extends AccountRef {
  name: string;
  createdAt: Date;
  lastSyncAt: Date | null;
  lastSyncStatus: string | null;
  /** The failed sync's one-line error (`CODE: message — action`). */
  lastSyncError: string | null;
  /** Latest successful sync; null: never. */
  lastSuccessAt: Date | null;
  /** Failed syncs since the last successful one. */
  consecutiveFailures: number;
}

/** One license type of one VA, after allocation. */
export interface LicenseFacts {
  va: VaRef;
  licenseType: string;
  displayName: string;
  quantity: number;
  inUse: number;
  /** Requested and not served (the read side's one definition of shortage). */
  shortage: number;
  /**
   * CSSM's own status of the line says "Insufficient Licenses" while its counts show no
   * shortage (counts not yet caught up, or a shortage CSSM decides by rules the counts do not
   * show). Such a line is short as `isShort` says, the same rule the VA summary applies.
   */
  shortByStatus?: boolean;
}

/** The trend of one license type of one VA (the read side's forecast). */
export interface ForecastFacts {
  va: VaRef;
  licenseType: string;
  displayName: string;
  quantity: number;
  inUse: number;
  /** When usage reaches beyond the quantity at the current trend; null: not in sight. */
  shortageOn: Date | null;
  /** Licenses per day (positive: growing). */
  trendPerDay: number | null;
}

/** One term subscription line of a license type in a VA. */
export interface TermLicenseFacts {
  va: VaRef;
  licenseType: string;
  displayName: string;
  subscriptionId: string | null;
  quantity: number;
  startDate: Date | null;
  /** The end date as CSSM shows it (a day: the last day the line counts). */
  endDate: Date;
  /**
   * When the line stops counting. CSSM gives days; a line counts through its end date, so
   * for a date without a time this is the next midnight UTC [design, as the emulator].
   */
  endsAt: Date;
}

/**
 * The lifecycle dates of a cluster as of the evaluation (the read side's effective lifecycle
 * has these fields; this is the part the rules read).
 */
export interface ClusterLifecycleFacts {
  registration: RegistrationStatus | null;
  authorization: AuthorizationStatus | null;
  registrationExpires: Date | null;
  authorizationExpires: Date | null;
  evaluationExpires: Date | null;
  overageExpires: Date | null;
  overageExpired: boolean;
}

export interface ClusterFacts {
  id: number;
  name: string;
  type: AppType;
  version: string | null;
  /** Major version when known (12 for 12.5): smart licensing is 12.x and later. */
  major: number | null;
  customer: CustomerRef;
  /** The VA it is assigned to; null: assigned to none. */
  va: VaRef | null;
  /** Via its VA, else its customer's Smart Account; null: none. */
  smartAccount: AccountRef | null;
  lifecycle: ClusterLifecycleFacts;
  /** Whether it consumes licenses (evaluation only runs down while it does). */
  licensesInUse: boolean;
  lastRenewalStatus: string | null;
  lastRenewalAttempt: Date | null;
  registrationFailedReason: string | null;
  lastCommunicationStatus: string | null;
  lastCommunicationAttempt: Date | null;
  authorizationFailedReason: string | null;
  /** Latest good status read. */
  lastStatusReadAt: Date | null;
  /** Current streak of syncs that could not read it; null: the last read worked. */
  readFailures: { count: number; since: Date; lastError: string | null } | null;
}

export type JobAction = 'register' | 'deregister' | 'renew-authorization' | 'renew-registration';

/** The latest job of one action on one cluster. */
export interface JobFacts {
  cluster: Pick<ClusterFacts, 'id' | 'name' | 'customer' | 'smartAccount'>;
  action: JobAction;
  jobId: number;
  jobType: string;
  status: string;
  at: Date;
  code: string | null;
  statusInformation: string | null;
  recommendedAction: string | null;
}

export interface TokenFacts {
  id: number;
  description: string | null;
  expiresAt: Date | null;
  status: string;
  exportControlled: boolean;
}

/** The registration tokens of a VA smartlic registers clusters into. */
export interface VaTokenFacts {
  va: VaRef;
  /** Why smartlic relies on this VA's tokens, in words ("3 clusters assigned"). */
  reliedOnFor: string;
  tokens: TokenFacts[];
}

export interface SatelliteFacts {
  id: number;
  name: string;
  host: string;
  syncMode: 'connected' | 'disconnected';
  lastCssmSyncAt: Date | null;
  createdAt: Date;
  smartAccount: AccountRef | null;
  /** Product instances (devices) the local account holds, as last synced; absent: not known. */
  productInstances?: number;
}

/** A VA CSSM's VA list no longer has (marked missing by the sync, kept with its settings). */
export interface MissingVaFacts {
  va: VaRef;
  /** The first sync whose VA list lacked it. */
  since: Date;
  /** Consecutive syncs whose VA list lacked it. */
  syncs: number;
  /** Clusters assigned to it (unassigned if it is removed). */
  clusters: number;
  role: string | null;
  licenseMode: string | null;
}

/** The state of one scope, as the rules read it. */
export interface AlertState {
  now: Date;
  scope: AlertScope;
  accounts: AccountFacts[];
  licenses: LicenseFacts[];
  forecasts: ForecastFacts[];
  terms: TermLicenseFacts[];
  clusters: ClusterFacts[];
  jobs: JobFacts[];
  tokens: VaTokenFacts[];
  satellites: SatelliteFacts[];
  missingVas: MissingVaFacts[];
}
