/**
 * Builds the clients a service needs for a stored entity: a CssmClient for a provisioned Smart
 * Account (cloud or On-Prem satellite), and a UC licensing client for a cluster's publisher.
 *
 * One HttpClient per (transport, origin): the HttpClient's per-host concurrency limit only
 * means something if every request to that host goes through the same instance. OAuth token
 * providers are cached per (token URL, client id, secret) so a sync reuses a token still valid
 * from the previous one instead of asking for a new one.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { SmartlicError } from '../errors.ts';
import { registerSecret } from '../redact.ts';
import type { Logger } from '../log.ts';
import type { Metrics, PeerKind } from '../metrics.ts';
import { AnswerMemo, CssmClient, type SatelliteStatus } from '../cssm/cssm.client.ts';
import { HttpClient, type HttpCounters, type Transport } from '../cssm/http.ts';
import { OAuthTokenProvider, type CssmFlavor } from '../cssm/oauth.ts';
import { createUcClient, type UcLicensingClient } from '../uc/uc.client.ts';
import { axlSchemaFor } from '../uc/axl-schema.ts';
import { UC_NETWORK_CODES, APP_NAME } from '../uc/uc-errors.ts';
import type { Cluster, Repositories, SmartAccount } from '../store/index.ts';
import type { TransportMode } from '../store/schema.ts';

/** Where and how to reach CSSM for one account, with plaintext credentials. */
export interface CssmEndpoint {
  flavor: CssmFlavor;
  tokenUrl: string;
  apiBase: string;
  /** Cloud: root of the device-list API (DOMAIN §2); a satellite serves it under `apiBase`. */
  devicesApiBase?: string;
  clientId: string;
  clientSecret: string;
  transport: Transport;
}

/** A CssmClient plus what a caller may want to look at (token requests, the endpoint). */
export interface CssmHandle {
  client: CssmClient;
  tokens: OAuthTokenProvider;
  endpoint: CssmEndpoint;
  /** The account key in API paths: SA domain (cloud) or local account name (satellite). */
  accountKey: string;
  /** Reads the satellite's own status (On-Prem only; undefined when the API does not say). */
  satelliteStatus(): Promise<SatelliteStatus | undefined>;
}

export type { SatelliteStatus };

export interface ClientFactoryDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  /** Told of every HTTP answer from CSSM, a satellite or a UC application. */
  metrics?: Metrics;
}

const PEER = { cloud: 'CSSM', onprem: 'the CSSM On-Prem satellite' } as const;
const UC_PEER = { CUCM: 'cucm', CUC: 'cuc', CER: 'cer' } as const satisfies Record<
  Cluster['type'],
  PeerKind
>;

/** Transport object for an account: Proxy uses the account's proxy, else config's. */
export function transportFor(
  mode: TransportMode,
  proxy: { host: string | null; port: number | null } | undefined,
  config: Config,
): Transport {
  if (mode !== 'Proxy') return { mode: 'direct' };
  if (proxy?.host) {
    return { mode: 'proxy', proxyUrl: `http://${proxy.host}:${proxy.port ?? 3128}` };
  }
  if (config.cssm.proxyUrl) return { mode: 'proxy', proxyUrl: config.cssm.proxyUrl };
  throw new SmartlicError({
    code: 'CAA1040',
    message: 'the transport mode is Proxy but no proxy is configured for the account or globally',
    action: 'give the account a proxy (--proxy URL) or set cssm.proxyUrl (SMARTLIC_PROXY_URL)',
  });
}

export class ClientFactory {
  private readonly http = new Map<string, HttpClient>();
  private readonly oauth = new Map<string, OAuthTokenProvider>();
  /** The change-detector reads' last answers, per set of credentials (see AnswerMemo). */
  private readonly memos = new Map<string, AnswerMemo>();

  constructor(private readonly deps: ClientFactoryDeps) {}

  /** The shared HttpClient for one transport and origin (created on first use). */
  httpFor(
    url: string,
    transport: Transport,
    kind: 'cssm' | 'uc' = 'cssm',
    peerName?: string,
    metricsPeer: PeerKind = 'cssm',
  ): HttpClient {
    const origin = new URL(url).origin;
    const via = transport.mode === 'proxy' ? transport.proxyUrl : 'direct';
    const key = `${kind}|${peerName ?? ''}|${via}|${origin}`;
    let h = this.http.get(key);
    if (!h) {
      const c = this.deps.config.http;
      h = new HttpClient({
        transport,
        timeoutMs: c.timeoutMs,
        maxRetries: c.maxRetries,
        retryAfterCapMs: c.retryAfterCapMs,
        minRetryDelayMs: c.minRetryDelayMs,
        maxResponseBytes: c.maxResponseBytes,
        maxConcurrencyPerHost: c.concurrencyPerHost,
        clock: this.deps.clock,
        logger: this.deps.logger.child({ component: 'http', peer: origin }),
        userAgent: 'smartlic/0.1',
        ...(kind === 'uc' ? { networkErrorCodes: UC_NETWORK_CODES } : {}),
        ...(peerName ? { peerName } : {}),
        ...(this.deps.metrics ? { metrics: this.deps.metrics, metricsPeer } : {}),
      });
      this.http.set(key, h);
    }
    return h;
  }

  /** Sum of the counters of every HttpClient made so far (requests, retries, statuses). */
  counters(): HttpCounters {
    const out: HttpCounters = {
      requests: 0,
      retries: 0,
      networkErrors: 0,
      byStatus: {},
      queuedMs: 0,
      busyMs: 0,
      peakInFlight: 0,
    };
    for (const h of this.http.values()) {
      const c = h.counters;
      out.requests += c.requests;
      out.retries += c.retries;
      out.networkErrors += c.networkErrors;
      out.queuedMs += c.queuedMs;
      out.busyMs += c.busyMs;
      out.peakInFlight = Math.max(out.peakInFlight, c.peakInFlight);
      for (const [k, v] of Object.entries(c.byStatus)) {
        out.byStatus[Number(k)] = (out.byStatus[Number(k)] ?? 0) + v;
      }
    }
    return out;
  }

  /** The endpoint of a stored account with its decrypted credentials. */
  async endpointFor(account: SmartAccount, repos: Repositories): Promise<CssmEndpoint> {
    const creds = await repos.smartAccounts.getCredentials(account.id);
    if (!creds?.clientId || !creds.clientSecret) {
      throw new SmartlicError({
        code: 'CSSM1011',
        message: `the Smart Account ${account.domain} has no client id and secret stored`,
        action: 'provision the account again with its client id and secret, then sync',
      });
    }
    const satellite = account.source === 'satellite';
    const urls = accountUrls(account, this.deps.config);
    return {
      flavor: satellite ? 'onprem' : 'cloud',
      ...urls,
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      // The satellite is reached directly (Satellite transport is a direct link to it).
      transport: satellite
        ? { mode: 'direct' }
        : transportFor(
            account.transportMode,
            { host: account.proxyHost, port: account.proxyPort },
            this.deps.config,
          ),
    };
  }

  /** A CssmClient for an endpoint; `accountKey` is the SA domain or local account name. */
  /** A CSSM client for a stored account, keyed as its API paths want (`accountKey`). */
  async cssmForAccount(account: SmartAccount, repos: Repositories): Promise<CssmHandle> {
    return this.cssm(await this.endpointFor(account, repos), accountKey(account));
  }

  cssm(endpoint: CssmEndpoint, accountKey: string): CssmHandle {
    const peer = PEER[endpoint.flavor];
    const mp: PeerKind = endpoint.flavor === 'onprem' ? 'satellite' : 'cssm';
    const tokenHttp = this.httpFor(endpoint.tokenUrl, endpoint.transport, 'cssm', peer, mp);
    const apiHttp = this.httpFor(endpoint.apiBase, endpoint.transport, 'cssm', peer, mp);
    const okey = [
      endpoint.flavor,
      endpoint.tokenUrl,
      endpoint.clientId,
      createHash('sha256').update(endpoint.clientSecret).digest('hex'),
    ].join('|');
    let memo = this.memos.get(okey);
    if (!memo) {
      memo = new AnswerMemo();
      this.memos.set(okey, memo);
    }
    let tokens = this.oauth.get(okey);
    if (!tokens) {
      tokens = new OAuthTokenProvider({
        flavor: endpoint.flavor,
        tokenUrl: endpoint.tokenUrl,
        clientId: endpoint.clientId,
        clientSecret: endpoint.clientSecret,
        http: tokenHttp,
        clock: this.deps.clock,
        logger: this.deps.logger,
      });
      this.oauth.set(okey, tokens);
    }
    const pageSize = this.deps.config.http.pageSize;
    // Cloud: the device list lives under the newer API base (DOMAIN §2), stored with the
    // account like its API base; a satellite serves it under its own API root.
    const devicesBase = endpoint.flavor === 'cloud' ? endpoint.devicesApiBase : undefined;
    const client = new CssmClient({
      flavor: endpoint.flavor,
      baseUrl: endpoint.apiBase,
      ...(devicesBase
        ? {
            devicesBaseUrl: devicesBase,
            devicesHttp: this.httpFor(devicesBase, endpoint.transport, 'cssm', peer, mp),
          }
        : {}),
      http: apiHttp,
      tokens,
      pageSize,
      devicesPageSize: pageSize,
      logger: this.deps.logger,
      answerMemo: memo,
    });
    return {
      client,
      tokens,
      endpoint,
      accountKey,
      satelliteStatus: () => client.satelliteStatus(accountKey),
    };
  }

  /** A UC licensing client for a stored cluster's publisher, with decrypted admin credentials. */
  async uc(cluster: Cluster, repos: Repositories): Promise<UcLicensingClient> {
    return this.ucWithCredentials(cluster, await repos.clusters.getAdminCredentials(cluster.id));
  }

  /** As `uc`, with credentials already read (a sync reads all of an account's at once). */
  ucWithCredentials(
    cluster: Cluster,
    creds: { username: string | null; password: string | null } | undefined,
    opts: { priority?: number } = {},
  ): UcLicensingClient {
    if (!creds?.username || creds.password === null) {
      throw new SmartlicError({
        code: 'UC1011',
        message: `the cluster ${cluster.name} has no administrator credentials stored`,
        action: 'set the cluster administrator user name and password, then sync',
      });
    }
    registerSecret(creds.password);
    const baseUrl = publisherUrl(cluster.publisherAddress);
    const http = this.httpFor(
      baseUrl,
      { mode: 'direct' },
      'uc',
      APP_NAME[cluster.type],
      UC_PEER[cluster.type],
    );
    return createUcClient(cluster.type, {
      ...(cluster.type === 'CUCM'
        ? { axlVersion: axlSchemaFor(cluster.version ?? '', cluster.axlSchemaVersion) }
        : {}),
      baseUrl,
      username: creds.username,
      password: creds.password,
      http,
      ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
    });
  }

  async close(): Promise<void> {
    const all = [...this.http.values()];
    this.http.clear();
    this.oauth.clear();
    await Promise.allSettled(all.map((h) => h.close()));
  }
}

/** The URLs one account is reached at: its token URL, API base and device-list API base. */
export interface AccountUrls {
  tokenUrl: string;
  apiBase: string;
  devicesApiBase?: string;
}

/**
 * Where a stored account lives. Every URL is the account's own (stored when it was
 * provisioned, so every process on the database uses the same ones); config's `cssm.*` fills
 * only what an account provisioned by an older smartlic left empty. A satellite needs both of
 * its URLs stored. The result always points at one CSSM (see `checkOneCssm`).
 */
export function accountUrls(account: SmartAccount, config: Config): AccountUrls {
  if (account.source === 'satellite') {
    const tokenUrl = account.tokenUrl ?? account.satelliteTokenUrl;
    if (!tokenUrl || !account.apiBase) {
      throw new SmartlicError({
        code: 'CONFIG',
        message: `the satellite account ${account.domain} has no On-Prem token URL or API base stored`,
        action: 'provision it again with --token-url and --api-base',
      });
    }
    return { tokenUrl, apiBase: account.apiBase };
  }
  const urls: Required<AccountUrls> = {
    tokenUrl: account.tokenUrl ?? config.cssm.tokenUrl,
    apiBase: account.apiBase ?? config.cssm.apiBase,
    devicesApiBase: account.devicesApiBase ?? config.cssm.devicesApiBase,
  };
  checkOneCssm(urls, `the Smart Account ${account.domain}`, 'provision it again with');
  return urls;
}

const URL_FLAGS = {
  tokenUrl: '--token-url',
  apiBase: '--api-base',
  devicesApiBase: '--devices-api-base',
} as const;

function isCiscoHost(url: string): boolean {
  const host = new URL(url).hostname.toLowerCase();
  return host === 'cisco.com' || host.endsWith('.cisco.com');
}

/**
 * Refuses a cloud account whose URLs lead to two different places: some at Cisco, some not
 * (a lab or another CSSM). That mix is how a lab account's device list went to
 * apx.cisco.com with the lab's bearer token and account names; it is never a working setup,
 * since one set of client credentials belongs to one CSSM.
 */
export function checkOneCssm(urls: Required<AccountUrls>, subject: string, fixVerb: string): void {
  const keys = Object.keys(URL_FLAGS) as (keyof typeof URL_FLAGS)[];
  const cisco = keys.filter((k) => isCiscoHost(urls[k]));
  if (cisco.length === 0 || cisco.length === keys.length) return;
  const other = keys.filter((k) => !cisco.includes(k));
  const list = (ks: typeof keys) => ks.map((k) => `${URL_FLAGS[k]} ${urls[k]}`).join(', ');
  throw new SmartlicError({
    code: 'CONFIG',
    message: `${subject} would reach two different CSSMs: ${list(other)} but ${list(cisco)} (Cisco's); its client credentials and account names would go to both`,
    action: `${fixVerb} ${cisco.map((k) => URL_FLAGS[k]).join(' and ')} of the CSSM at ${new URL(urls[other[0]!]).origin}`,
  });
}

/** `https://<address>:8443` unless the address is already a URL. */
export function publisherUrl(address: string): string {
  return /^https?:\/\//i.test(address) ? address.replace(/\/+$/, '') : `https://${address}:8443`;
}

/** What CSSM paths key an account by: the SA domain, or the local account name on a satellite. */
export function accountKey(a: SmartAccount): string {
  return a.source === 'satellite' ? (a.localAccountName ?? a.domain) : a.domain;
}
