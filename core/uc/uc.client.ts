/**
 * Clients of the UC applications' smart licensing (DOMAIN §4), one per application type:
 * CUCM through AXL SOAP (axl.client.ts), Unity Connection through vmrest (vmrest.client.ts),
 * Emergency Responder through its admin servlet's forms (cer.client.ts). Every call is one
 * DOMAIN §4 names; nothing sets a product's license mode, as no interface does.
 *
 * CUCM and CUC report their own status (`statusSource: 'product'`); CER has no status call,
 * so its state comes from CSSM's device list (`statusSource: 'cssm-device-list'`).
 */
import { CucmAxlClient, type AxlOptions } from './axl.client.ts';
import { CerFormClient } from './cer.client.ts';
import { CucVmrestClient } from './vmrest.client.ts';
import type { SmartLicenseStatus } from './status.ts';
import type { UcTransportSettings } from './transport.ts';
import type { UcApp } from './uc-errors.ts';
import type { UcClientOptions } from './uc-base.ts';

export type { SmartLicenseStatus } from './status.ts';
export type { UcApp, UcOperation } from './uc-errors.ts';
export type { UcTransportMode, UcTransportSettings } from './transport.ts';
export type { UcClientOptions } from './uc-base.ts';
export type { AxlOptions } from './axl.client.ts';
export { CucmAxlClient, AXL_OPERATIONS, axlEnvelope, soapFaultMessage } from './axl.client.ts';
export { CucVmrestClient, VMREST_PATHS } from './vmrest.client.ts';
export { CerFormClient, CER_SERVLET, cerLoginForm, cerRegisterForm } from './cer.client.ts';
export { ucErrorMessage } from './uc-base.ts';

export type UcStatusSource = 'product' | 'cssm-device-list';

/** A UC application that reports its own smart licensing (CUCM, CUC). */
export interface ProductLicensingClient {
  readonly app: 'CUCM' | 'CUC';
  readonly statusSource: 'product';
  register(token: string, force: boolean): Promise<void>;
  /** Registers a registered product again with a new token. */
  reRegister(token: string): Promise<void>;
  deregister(): Promise<void>;
  renewAuthorization(): Promise<void>;
  renewRegistration(): Promise<void>;
  getTransport(): Promise<UcTransportSettings>;
  setTransport(t: UcTransportSettings): Promise<void>;
  getStatus(): Promise<SmartLicenseStatus>;
}

/** Emergency Responder: registration by form only. */
export interface CerLicensingClient {
  readonly app: 'CER';
  readonly statusSource: 'cssm-device-list';
  register(token: string, force: boolean): Promise<void>;
  /** Posts the documented login form only: proves the address and credentials, changes nothing. */
  checkLogin(): Promise<void>;
}

export type UcLicensingClient = ProductLicensingClient | CerLicensingClient;

export interface UcClientFactoryOptions extends UcClientOptions {
  /** AXL schema version (CUCM only; core/uc/axl-schema.ts chooses it). */
  axlVersion?: string;
}

/** The client for an application type. */
export function createUcClient(app: UcApp, o: UcClientFactoryOptions): UcLicensingClient {
  switch (app) {
    case 'CUCM': {
      if (!o.axlVersion) throw new Error('createUcClient: CUCM needs an AXL schema version');
      const axl: AxlOptions = { ...o, axlVersion: o.axlVersion };
      return new CucmAxlClient(axl);
    }
    case 'CUC':
      return new CucVmrestClient(o);
    case 'CER':
      return new CerFormClient(o);
  }
}
