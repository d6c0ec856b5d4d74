/** Runtime model of the emulated Cisco world: entities with their indexes live in World. */
import type { LicenseTypeId, RequestMode } from '../../core/domain/catalog.ts';
import type { AllocationResult, LicenseRequest } from '../../core/domain/allocation.ts';

import type { AppType } from '../../core/domain/catalog.ts';
import type { LicenseMode } from '../../core/domain/migration.ts';

export type { AppType, LicenseMode };

export interface LicenseLine {
  id: number;
  type: LicenseTypeId;
  licenseType: 'TERM' | 'PERPETUAL' | 'DEMO' | 'STANDARD';
  quantity: number;
  startDate: string | null;
  endDate: string | null;
  subscriptionId: string | null;
  billingType: 'PREPAID' | 'USAGE';
}

export interface RegToken {
  token: string;
  description: string;
  createdAt: number;
  expiresAt: number;
  exportControlled: boolean;
  createdBy: string;
  revoked: boolean;
  revokeReason?: string;
  pool: Pool;
}

/** What a cloud VA saw of one local account at its last sync. */
export interface SyncedUsage {
  at: number;
  requests: LicenseRequest[];
  devices: DeviceView[];
}

export interface AllocView {
  result: AllocationResult;
  /** Request id → served quantity. */
  served: Map<string, number>;
  /** Clusters with some request not fully served. */
  short: Set<string>;
  records: LicenseRecord[];
  /** When a license line starts or ends next (ms); the view is stale from then on. */
  staleAt: number;
}

interface PoolBase {
  /** `cloud:<domain>/<va>` or `satellite:<local account>`. */
  key: string;
  products: Set<Cluster>;
  tokens: Map<string, RegToken>;
  alloc: AllocView | null;
}

export interface VirtualAccount extends PoolBase {
  kind: 'va';
  sa: SmartAccount;
  name: string;
  description: string;
  isDefault: boolean;
  commerceAccessLevel: string;
  role: string;
  licenseMode: LicenseMode | null;
  licenses: LicenseLine[];
  satelliteUsage: Map<string, SyncedUsage>;
  createdByExtension: boolean;
}

export interface LocalAccount extends PoolBase {
  kind: 'la';
  satellite: Satellite;
  name: string;
  saDomain: string;
  vaName: string;
  /** Entitlements as of the last sync; the satellite serves these between syncs. */
  syncedLicenses: LicenseLine[];
  syncedAt: number | null;
}

export type Pool = VirtualAccount | LocalAccount;

export interface SmartAccount {
  domain: string;
  name: string;
  id: number;
  type: 'CUSTOMER' | 'HOLDING';
  vas: Map<string, VirtualAccount>;
}

export interface Satellite {
  name: string;
  host: string;
  version: string;
  mode: 'connected' | 'disconnected';
  schedule: 'daily' | 'weekly' | 'monthly';
  lastSync: number | null;
  lastSyncAttempt: number | null;
  lastSyncStatus: 'SUCCEEDED' | 'FAILED' | null;
  lastSyncError: string | null;
  cloudTokenIssuedAt: number | null;
  nextSyncAt: number;
  localAccounts: Map<string, LocalAccount>;
  /** Id of the last exported request file (disconnected mode). */
  pendingExportId: string | null;
}

export interface Registration {
  pool: Pool;
  udi: { pid: string; sn: string; uuid: string };
  exportControlled: boolean;
  registeredAt: number;
  lastAuthSuccessAt: number | undefined;
  lastIdRenewalAt: number | undefined;
  lastAuthAttemptAt: number | undefined;
  lastAuthStatus: 'SUCCEEDED' | 'FAILED' | undefined;
  lastAuthFailReason: string | undefined;
  lastIdAttemptAt: number | undefined;
  lastIdStatus: 'SUCCEEDED' | 'FAILED' | undefined;
  lastIdFailReason: string | undefined;
  nextAuthAttemptAt: number;
  nextIdAttemptAt: number;
  /** The ID certificate lapsed: no more renewal attempts, usage no longer counted. */
  expired: boolean;
}

export interface Node {
  name: string;
  role: 'publisher' | 'subscriber';
}

export interface Cluster {
  name: string;
  customer: string;
  type: AppType;
  version: string;
  major: number;
  nodes: Node[];
  licenseMode: LicenseMode;
  transport: {
    mode: 0 | 1 | 2;
    url: string | null;
    proxyHost: string | null;
    proxyPort: number | null;
  };
  demand: Partial<Record<LicenseTypeId, number>>;
  installedAt: number;
  credentials: { username: string; password: string; basic: string };
  intendedPool: string | null;
  udi: { pid: string; sn: string; uuid: string };
  registration: Registration | null;
  deregisteredAt: number | undefined;
  /** Registration time of the last registration that ended in a deregistration. */
  lastRegisteredAt: number | undefined;
  lastRegistrationAttempt: { at: number; status: 'SUCCEEDED' | 'FAILED'; reason: string } | null;
  outOfComplianceSince: number | undefined;
  cutoff: boolean;
}

export interface Client {
  kind: 'cloud' | 'onprem';
  clientId: string;
  clientSecret: string;
  name: string;
  accounts: string[];
  entitled: boolean;
  localAccount: string | null;
}

export interface DeviceView {
  instanceName: string;
  productTagName: string;
  productDescription: string;
  sudi: { udiPid: string; udiSerialNumber: string; uuid: string };
  virtualAccount: string;
  registrationDate: string;
  lastContactDate: string;
  registrationStatus: string;
  authorizationStatus: string;
}

/** One CSSM license record (DOMAIN §2 "License record"). */
export interface LicenseRecord {
  license: string;
  virtualAccount: string;
  quantity: number;
  inUse: number;
  available: number;
  reserved: number;
  pendingQuantity: number;
  status: string;
  billingType: string;
  isPortable: boolean;
  ahaApps: boolean;
  licenseSubstitutions: {
    licenseName: string;
    substitutedLicense: string;
    substitutedQuantity: number;
    substitutionType: string;
  }[];
  licenseDetails: {
    licenseType: string;
    quantity: number;
    startDate: string | null;
    endDate: string | null;
    subscriptionId: string | null;
    status: string;
  }[];
}

export type { RequestMode };
