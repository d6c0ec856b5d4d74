/** The face of core/uc for services and core/index.ts. */
export {
  CerFormClient,
  CucVmrestClient,
  CucmAxlClient,
  createUcClient,
  AXL_OPERATIONS,
  VMREST_PATHS,
  CER_SERVLET,
} from './uc.client.ts';
export type {
  AxlOptions,
  CerLicensingClient,
  ProductLicensingClient,
  UcClientOptions,
  UcLicensingClient,
  UcStatusSource,
  UcTransportMode,
  UcTransportSettings,
} from './uc.client.ts';
export type { SmartLicenseStatus, ProductUdi } from './status.ts';
export { UC_NETWORK_CODES, ucAnswerError } from './uc-errors.ts';
export type { UcApp, UcOperation } from './uc-errors.ts';
export { parseJavaDate } from './java-date.ts';
export { axlSchemaFor, isAxlSchemaVersion, AXL_SMART_SCHEMAS } from './axl-schema.ts';
