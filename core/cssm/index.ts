/** The face of core/cssm for services and core/index.ts. */
export { HttpClient, CSSM_NETWORK_CODES, safeUrl } from './http.ts';
export type {
  HttpClientOptions,
  HttpCounters,
  HttpRequest,
  HttpResponse,
  NetworkErrorCodes,
  Transport,
} from './http.ts';
export { OAuthTokenProvider, CLOUD_TOKEN_URL, onPremTokenUrl } from './oauth.ts';
export type { AccessTokenSource, CssmFlavor, OAuthOptions } from './oauth.ts';
export {
  CssmClient,
  CLOUD_API_BASE,
  TRANSFER_CHUNK_MAX,
  onPremApiBase,
  splitQuantity,
} from './cssm.client.ts';
export type {
  AccountType,
  CssmClientOptions,
  DeviceRef,
  ExportControlled,
  TransferLine,
} from './cssm.client.ts';
export type {
  CssmAccount,
  CssmAccountSearchHit,
  CssmDevice,
  CssmLicense,
  CssmLicenseDetail,
  CssmLicenseSubstitution,
  CssmToken,
  CssmVirtualAccount,
} from './cssm.dto.ts';
export { cssmAnswerError, readCssmMessage } from './cssm-errors.ts';
