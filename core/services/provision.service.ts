/**
 * Provision a Smart Account (DOMAIN §7.3): check the credentials by reading the account from
 * CSSM (or the local account from an On-Prem satellite), then store them encrypted with the
 * SA, its VAs (and the local account), and run a first sync. A failed check stores nothing:
 * bad credentials are CSSM1011, no access or a wrong domain CSSM1015, an unknown SA CSSM1019.
 */
import { checkSatelliteVersion } from '../domain/versions.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { SmartlicError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { CssmVirtualAccount } from '../cssm/cssm.dto.ts';
import type { Transport } from '../cssm/http.ts';
import { transaction, type Repositories, type SmartAccount } from '../store/index.ts';
import type { Database, SmartAccountType, TransportMode } from '../store/schema.ts';
import type { SecretBox } from '../store/crypto.ts';
import type { Kysely } from 'kysely';
import { checkOneCssm, type ClientFactory, type CssmEndpoint } from './clients.ts';
import { JobFailedError, type JobRunner } from './jobs.service.ts';
import type { SyncOutcome, SyncProgress, SyncService } from './sync.service.ts';

export interface ProvisionRequest {
  source: 'cssm' | 'satellite';
  /** SA domain; for a satellite, the local account's domain name (HCM-F asks for it). */
  domain: string;
  /** Satellite: the local account name that keys the On-Prem API paths. */
  localAccount?: string;
  name?: string;
  clientId: string;
  /** Plaintext; stored encrypted, never logged. */
  clientSecret: string;
  /** Cloud: defaults to config `cssm.tokenUrl`; satellite: required. */
  tokenUrl?: string;
  /** Cloud: defaults to config `cssm.apiBase`; satellite: required. */
  apiBase?: string;
  /** Cloud: the device-list API root; defaults to config `cssm.devicesApiBase` (Cisco's). */
  devicesApiBase?: string;
  /** Default: Satellite for a satellite, Proxy when a proxy is given, else Direct. */
  transport?: TransportMode;
  /** Proxy URL (`http://host:port`) for Proxy transport; no credentials (DOMAIN §1). */
  proxy?: string;
  /** The satellite's SmartTransport URL clusters register to (default from the API host). */
  registrationUrl?: string;
  requestedBy: string;
  /** Run the first sync after storing (default true). */
  sync?: boolean;
  onProgress?: (p: SyncProgress) => void;
}

export interface ProvisionResult {
  account: SmartAccount;
  jobId: number;
  virtualAccounts: string[];
  /** The first sync's outcome (absent when `sync: false`). */
  sync?: SyncOutcome;
}

export interface ProvisionServiceDeps {
  db: Kysely<Database>;
  secrets: SecretBox;
  repos: Repositories;
  clock: Clock;
  logger: Logger;
  config: Config;
  clients: ClientFactory;
  jobs: JobRunner;
  sync: SyncService;
}

interface Checked {
  name: string;
  type: SmartAccountType;
  vas: CssmVirtualAccount[];
}

export class ProvisionService {
  constructor(private readonly d: ProvisionServiceDeps) {}

  /** Verifies, stores and first-syncs an account; one `Provision Smart Account` job. */
  async provisionSmartAccount(req: ProvisionRequest): Promise<ProvisionResult> {
    const plan = this.plan(req);
    const { job, result } = await this.d.jobs.run(
      {
        jobType: 'Provision Smart Account',
        entityType: 'Smart Account',
        entityName: req.domain,
        description: `Provision ${req.source === 'satellite' ? `satellite local account ${req.localAccount ?? ''}` : 'Smart Account'} ${req.domain} (${plan.transportMode})`,
        requestedBy: req.requestedBy,
        details: { clientId: req.clientId, source: req.source, transport: plan.transportMode },
      },
      async (j) => {
        const checked = await this.check(req, plan.endpoint, plan.accountKey);
        await j.progress(`credentials accepted; ${checked.vas.length} virtual account(s) found`);
        const account = await this.store(req, plan, checked);
        return { account, checked };
      },
      (r) =>
        `Provisioned ${r.account.domain}: ${r.checked.vas.length} virtual account(s) (${r.checked.vas.map((v) => v.name).join(', ')}).`,
    );
    const out: ProvisionResult = {
      account: result.account,
      jobId: job.id,
      virtualAccounts: result.checked.vas.map((v) => v.name),
    };
    if (req.sync !== false) {
      out.sync = await this.d.sync.syncAccount(result.account.id, {
        requestedBy: req.requestedBy,
        full: true,
        ...(req.onProgress ? { onProgress: req.onProgress } : {}),
      });
      out.account = (await this.d.repos.smartAccounts.getById(result.account.id)) ?? out.account;
    }
    return out;
  }

  /**
   * Provisions many accounts, `concurrency` at a time, each as `provisionSmartAccount` does it
   * (its own check against CSSM, its own `Provision Smart Account` job: an account's
   * credentials are its own, and one refused must say which). One at a time, an estate of
   * 2,200 accounts waited 2,200 round trips in a row (204 s at emulator scale 10000, 13 s of
   * it CPU); the accounts are independent, so the wait overlaps. The first failure stops
   * taking new accounts; those already started finish (their accounts stay stored, as a
   * second run updates them), then the failure is thrown, naming the account.
   */
  async provisionMany(
    reqs: readonly ProvisionRequest[],
    opts: { concurrency?: number; onEach?: (r: ProvisionResult) => void } = {},
  ): Promise<ProvisionResult[]> {
    const limit = Math.max(1, Math.min(opts.concurrency ?? 8, reqs.length));
    const results: ProvisionResult[] = new Array<ProvisionResult>(reqs.length);
    let next = 0;
    let failure: { error: unknown; domain: string } | undefined;
    const worker = async () => {
      while (failure === undefined && next < reqs.length) {
        const i = next++;
        const req = reqs[i]!;
        try {
          results[i] = await this.provisionSmartAccount(req);
          opts.onEach?.(results[i]);
        } catch (error) {
          failure ??= { error, domain: req.domain };
        }
      }
    };
    await Promise.all(Array.from({ length: limit }, worker));
    if (failure) {
      // A job's failure carries the SmartlicError it recorded.
      const e = failure.error instanceof JobFailedError ? failure.error.error : failure.error;
      if (e instanceof SmartlicError) {
        throw new SmartlicError({
          code: e.code,
          message: `provisioning ${failure.domain}: ${e.message}`,
          ...(e.action ? { action: e.action } : {}),
          ...(e.details ? { details: e.details } : {}),
          cause: failure.error,
        });
      }
      throw e;
    }
    return results;
  }

  /** Input checks that need no network; INPUT errors name the flag to fix. */
  private plan(req: ProvisionRequest): {
    endpoint: CssmEndpoint;
    accountKey: string;
    transportMode: TransportMode;
    proxy: { host: string; port: number } | undefined;
  } {
    const input = (message: string, action: string) =>
      new SmartlicError({ code: 'INPUT', message, action });
    if (!req.domain.trim()) throw input('the Smart Account domain is empty', 'give --domain');
    if (!req.clientId.trim()) throw input('the client id is empty', 'give --client-id');
    if (!req.clientSecret) throw input('the client secret is empty', 'pass the secret');
    const satellite = req.source === 'satellite';
    const transportMode: TransportMode =
      req.transport ?? (satellite ? 'Satellite' : req.proxy ? 'Proxy' : 'Direct');
    if (satellite !== (transportMode === 'Satellite')) {
      throw input(
        satellite
          ? `a satellite account uses the Satellite transport, not ${transportMode}`
          : 'the Satellite transport needs a satellite account',
        satellite
          ? 'drop --transport or use --transport Satellite'
          : 'add --satellite with --local-account, --token-url and --api-base',
      );
    }
    if (satellite && req.devicesApiBase !== undefined) {
      throw input(
        'a satellite serves its device list under its own API base',
        'drop --devices-api-base for a satellite account',
      );
    }
    if (satellite && (!req.localAccount || !req.tokenUrl || !req.apiBase)) {
      throw input(
        'a satellite account needs its local account name, On-Prem token URL and API base',
        'give --local-account NAME --token-url URL --api-base URL',
      );
    }
    let proxy: { host: string; port: number } | undefined;
    if (req.proxy) {
      let u: URL;
      try {
        u = new URL(req.proxy);
      } catch {
        throw input(`the proxy "${req.proxy}" is not a URL`, 'give --proxy http://host:port');
      }
      if (u.username || u.password) {
        throw new SmartlicError({
          code: 'CAA1040',
          message:
            'the proxy URL carries credentials; smartlic uses no proxy authentication towards CSSM',
          action:
            'give the proxy as http://host:port and allow CONNECT to CSSM without authentication',
        });
      }
      proxy = { host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
    }
    for (const [flag, url] of [
      ['--token-url', req.tokenUrl],
      ['--api-base', req.apiBase],
      ['--devices-api-base', req.devicesApiBase],
    ] as const) {
      if (url !== undefined && !/^https?:\/\/[^/]/i.test(url)) {
        throw input(
          `${flag} "${url}" is not an http(s) URL`,
          `give ${flag} https://host:port/path`,
        );
      }
    }
    let transport: Transport = { mode: 'direct' };
    if (transportMode === 'Proxy') {
      const url = proxy ? `http://${proxy.host}:${proxy.port}` : this.d.config.cssm.proxyUrl;
      if (!url) {
        throw new SmartlicError({
          code: 'CAA1040',
          message: 'the Proxy transport needs a proxy and none is configured',
          action: 'give --proxy http://host:port, or set cssm.proxyUrl (SMARTLIC_PROXY_URL)',
        });
      }
      transport = { mode: 'proxy', proxyUrl: url };
    }
    const cssm = this.d.config.cssm;
    const urls = {
      tokenUrl: req.tokenUrl ?? cssm.tokenUrl,
      apiBase: req.apiBase ?? cssm.apiBase,
      devicesApiBase: req.devicesApiBase ?? cssm.devicesApiBase,
    };
    // Checked before anything is sent: the token request already carries the credentials.
    if (!satellite) checkOneCssm(urls, `the Smart Account ${req.domain.trim()}`, 'give');
    const endpoint: CssmEndpoint = {
      flavor: satellite ? 'onprem' : 'cloud',
      tokenUrl: urls.tokenUrl,
      apiBase: urls.apiBase,
      ...(satellite ? {} : { devicesApiBase: urls.devicesApiBase }),
      clientId: req.clientId.trim(),
      clientSecret: req.clientSecret,
      transport,
    };
    return {
      endpoint,
      accountKey: satellite ? req.localAccount! : req.domain.trim(),
      transportMode,
      proxy,
    };
  }

  /** Reads the account with the given credentials; throws CSSM1011/1015/1019 on refusal. */
  private async check(
    req: ProvisionRequest,
    endpoint: CssmEndpoint,
    key: string,
  ): Promise<Checked> {
    const cssm = this.d.clients.cssm(endpoint, key);
    // The token first: bad credentials are CSSM1011 before anything else is asked.
    await cssm.tokens.getToken();
    if (endpoint.flavor === 'onprem') {
      await checkSatellite(cssm.client, key);
      const vas = await cssm.client.listVirtualAccounts(key);
      return { name: req.name ?? key, type: 'CUSTOMER', vas };
    }
    const hits = await cssm.client.searchAccounts({ domain: key });
    const hit = hits.find((h) => h.domain.toLowerCase() === key.toLowerCase());
    const type: SmartAccountType = hit?.type === 'HOLDING' ? 'HOLDING' : 'CUSTOMER';
    // Not visible to these credentials: reading its VAs makes CSSM say why (403 → CSSM1015,
    // 404 → CSSM1019).
    const vas = await cssm.client.listVirtualAccounts(key, type);
    if (!hit && vas.length === 0) {
      throw new SmartlicError({
        code: 'CSSM1019',
        message: `the Smart Account ${key} does not exist in CSSM or has no virtual accounts`,
        action: 'check the Smart Account domain and provision it again',
      });
    }
    return { name: req.name ?? hit?.name ?? key, type, vas };
  }

  private async store(
    req: ProvisionRequest,
    plan: ReturnType<ProvisionService['plan']>,
    checked: Checked,
  ): Promise<SmartAccount> {
    const satellite = req.source === 'satellite';
    const apiHost = satellite ? new URL(req.apiBase!) : undefined;
    return transaction(
      this.d.db,
      this.d.secrets,
      async (r) => {
        const account = await r.smartAccounts.upsert({
          domain: req.domain.trim(),
          name: checked.name,
          type: checked.type,
          status: 'Active',
          source: req.source,
          transportMode: plan.transportMode,
          proxyHost: plan.proxy?.host ?? null,
          proxyPort: plan.proxy?.port ?? null,
          proxyUsername: null,
          proxyPassword: null,
          clientId: plan.endpoint.clientId,
          clientSecret: req.clientSecret,
          // Every URL is stored resolved, config defaults included: whichever process syncs
          // this account later, with whatever config, reaches the CSSM it was checked against.
          tokenUrl: plan.endpoint.tokenUrl,
          apiBase: plan.endpoint.apiBase,
          devicesApiBase: plan.endpoint.devicesApiBase ?? null,
          satelliteHost: apiHost?.hostname ?? null,
          satellitePort: apiHost ? Number(apiHost.port || 443) : null,
          satelliteTokenUrl: satellite ? req.tokenUrl! : null,
          satelliteRegistrationUrl: satellite
            ? (req.registrationUrl ?? `https://${apiHost!.hostname}/SmartTransport`)
            : null,
          localAccountName: satellite ? req.localAccount! : null,
        });
        for (const v of checked.vas) {
          await r.virtualAccounts.upsert(account.id, {
            name: v.name,
            description: v.description ?? null,
            isDefault: v.isDefault,
            commerceAccessLevel: v.commerceAccessLevel ?? null,
          });
        }
        if (satellite) {
          await r.localAccounts.upsert({
            name: req.localAccount!,
            satelliteHost: apiHost!.hostname,
            smartAccountId: account.id,
          });
        }
        // Credentials changed: the next sync reads everything.
        await r.smartAccounts.setSyncState(account.id, null);
        return account;
      },
      this.d.clock,
    );
  }
}

/**
 * Refuses a satellite that says it is older than 7.2 or a Classic Edition (DOMAIN §3), before
 * anything is stored. One that does not say, or whose status cannot be read, is let through:
 * the version is then unknown, and `doctor` says so.
 */
async function checkSatellite(
  client: { satelliteStatus(localAccount: string): Promise<{ version?: string } | undefined> },
  localAccount: string,
): Promise<void> {
  let version: string | undefined;
  try {
    version = (await client.satelliteStatus(localAccount))?.version;
  } catch {
    return;
  }
  const v = checkSatelliteVersion(version);
  if (!v.ok) throw new SmartlicError({ code: v.code, message: v.message, action: v.action });
}
