/** What the cluster workflows share: their ports, inputs and the Cluster Summary row. */
import type { Clock } from '../../clock.ts';
import type { CssmClient } from '../../cssm/cssm.client.ts';
import type { Logger } from '../../log.ts';
import type {
  AuthorizationStatus,
  Cluster,
  ClusterStatus,
  ClusterType,
  JobStatus,
  RegistrationStatus,
  Repositories,
  SmartAccount,
} from '../../store/index.ts';
import type { UcLicensingClient, UcStatusSource } from '../../uc/uc.client.ts';
import type { JobRunner } from '../jobs.service.ts';
import type { TokensService } from '../tokens.service.ts';
import type { VirtualAccountsService } from '../virtual-accounts.service.ts';

/** A UC licensing client for a stored cluster's publisher (clients.ts's ClientFactory.uc). */
export type UcClientFor = (cluster: Cluster) => Promise<UcLicensingClient>;

/** A CSSM client for a stored account and the key its paths use (SA domain or local account). */
export type ClusterCssmFor = (
  account: SmartAccount,
) => Promise<{ client: CssmClient; accountKey: string }>;

export interface ClustersServiceDeps {
  repos: Repositories;
  jobs: JobRunner;
  clock: Clock;
  tokens: TokensService;
  virtualAccounts: VirtualAccountsService;
  ucFor: UcClientFor;
  /** CSSM's device list: where an Emergency Responder's state comes from. */
  cssmFor: ClusterCssmFor;
  logger?: Logger;
}

/** One row of HCM-F's Cluster Summary (DOMAIN §7.6), plus what smartlic adds. */
export interface ClusterSummary {
  id: number;
  name: string;
  customer: string;
  type: ClusterType;
  version: string | null;
  smartAccount: string | null;
  virtualAccount: string | null;
  status: ClusterStatus | null;
  /** Status of the newest job about this cluster. */
  jobStatus: JobStatus | null;
  licensing: 'PLM' | 'Smart';
  registrationStatus: RegistrationStatus | null;
  authorizationStatus: AuthorizationStatus | null;
  /**
   * Where the registration / authorization state comes from: the product's own status call
   * (CUCM, CUC), or CSSM's device list (CER has no status call).
   */
  stateFrom: UcStatusSource;
}

export interface ClusterRef {
  cluster: string;
  /** Needed only when two customers have clusters of the same name. */
  customer?: string;
}

export interface AddClusterInput {
  customer: string;
  name: string;
  /** CUCM, CUC or CER; anything else is SLMCT1015. */
  type: string;
  version: string;
  /** Host name, or the publisher's base URL (`https://host:8443`). */
  publisherAddress: string;
  /**
   * The publisher's host name as the product registers it (CSSM's `instanceName`); default:
   * the host of the publisher address. Used to find an Emergency Responder in CSSM.
   */
  publisherHostname?: string;
  /** AXL schema override (CUCM only), e.g. "12.5"; default: the newest the release serves. */
  axlSchemaVersion?: string;
  adminUsername: string;
  /** Plaintext; stored encrypted. Never pass it on a command line. */
  adminPassword: string;
  requestedBy: string;
}

export interface RegisterInput extends ClusterRef {
  /** `<domain>/<va>` or a VA name: assigns the cluster first when it is unassigned. */
  va?: string;
  /** Register with force even when the product does not look registered. */
  force?: boolean;
  /** Ask for an export-controlled token ("Allowed"). */
  exportControlled?: boolean;
  requestedBy: string;
  /** Auto-registration uses HCM-F's Auto statuses. */
  auto?: boolean;
}

export interface AutoRegistrationReport {
  configured: boolean;
  virtualAccount?: string;
  registered: string[];
  failed: { cluster: string; code: string; message: string }[];
  skipped: { cluster: string; reason: string }[];
}
