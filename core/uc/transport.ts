/**
 * Transport settings as the UC applications hold them (DOMAIN §1, §4): the mode as an
 * integer — 0 Direct, 1 satellite / On-Prem collector (`url` = `https://<fqdn>/SmartTransport`),
 * 2 HTTP(S) proxy (`httpHost`, `httpPort`) — in the applications' own field names.
 */
export type UcTransportMode = 0 | 1 | 2;

export interface UcTransportSettings {
  mode: UcTransportMode;
  /** Satellite registration URL (AXL `url`, CUPI `transportUrl`). */
  url?: string;
  /** Proxy host (AXL and CUPI `httpHost`). */
  httpHost?: string;
  /** Proxy port (AXL and CUPI `httpPort`). */
  httpPort?: number;
}
