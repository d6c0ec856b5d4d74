/**
 * `smartlic doctor`: diagnoses a setup, one check at a time, each with a verdict in plain
 * words and the fix. Only calls DOMAIN documents: the OAuth token request, the VA list of the
 * account (CSSM or On-Prem), the satellite's account status, and each publisher's smart
 * license status. Changes nothing anywhere (the key check is read-only as well).
 */
import { checkSatelliteVersion } from '../domain/versions.ts';
import type { Clock } from '../clock.ts';
import { licensingModelFor, tryParseUcVersion } from '../domain/versions.ts';
import { isSmartlicError, toSmartlicError } from '../errors.ts';
import type { Cluster, Repositories, SmartAccount } from '../store/index.ts';
import type { ClientFactory } from './clients.ts';
import { SATELLITE_SYNC_OVERDUE_DAYS } from './sync.service.ts';

export type Verdict = 'ok' | 'fail' | 'warn' | 'skip';

export interface Check {
  /** What was checked, e.g. `cssm.token`, `cluster.publisher`. */
  check: string;
  /** The thing checked: an account domain, a cluster name, the database file. */
  subject: string;
  verdict: Verdict;
  /** What was found, in plain words. */
  message: string;
  /** What to do about it (for fail and warn). */
  fix?: string;
  /** smartlic's or Cisco's code of the failure. */
  code?: string;
}

const DAY_MS = 86_400_000;

/** False only for a release that parses and licenses through PLM (11.x and earlier). */
function isLicensingVersionSmart(version: string): boolean {
  const v = tryParseUcVersion(version);
  return !v.ok || licensingModelFor(v.version) !== 'PLM';
}

/** 403 "Invalid Client": the token is issued but the API refuses the app. */
const NOT_ENTITLED_FIX =
  "Cisco has not approved this client's API access yet: request access to the Smart Licensing API for the client id in the Cisco API console (apiconsole.cisco.com); once granted, a new client can take about 30 minutes to work. Then run `smartlic doctor` again.";

function failed(check: string, subject: string, e: unknown, message?: string): Check {
  const err = toSmartlicError(e);
  return {
    check,
    subject,
    verdict: 'fail',
    message: message ?? err.message,
    ...(err.action ? { fix: err.action } : {}),
    code: err.code,
  };
}

const NETWORK = /^(CSSM100[5-8]|CAA1040)$/;

/** What a publisher check needs: where, what, and the credentials (stored or just typed). */
export interface PublisherTarget {
  name: string;
  type: Cluster['type'];
  version: string | null;
  publisherAddress: string;
  /** A per-cluster AXL schema override (CUCM). */
  axlSchemaVersion?: string | null;
  username: string | null;
  password: string | null;
}

/**
 * Asks the publisher for its smart license status with the given credentials. Says whether
 * it is reachable, accepts the credentials, is the publisher, and serves the smart licensing
 * API (the release / AXL schema). Cisco's licensing APIs do not report the release itself,
 * so the declared version is only checked for being a smart-licensing release.
 */
export async function checkPublisher(clients: ClientFactory, t: PublisherTarget): Promise<Check[]> {
  const subject = t.name;
  if (t.version && !isLicensingVersionSmart(t.version)) {
    return [
      {
        check: 'cluster.publisher',
        subject,
        verdict: 'skip',
        message: `${t.version} licenses through PLM (11.x and earlier): no smart licensing API to ask`,
      },
    ];
  }
  const asCluster = {
    name: t.name,
    type: t.type,
    version: t.version,
    publisherAddress: t.publisherAddress,
    axlSchemaVersion: t.axlSchemaVersion ?? null,
    // Only what the client factory reads to reach a publisher that is not stored yet.
  } as unknown as Cluster;
  let uc;
  try {
    uc = clients.ucWithCredentials(asCluster, { username: t.username, password: t.password });
  } catch (e) {
    return [failed('cluster.credentials', subject, e)];
  }
  try {
    if (uc.statusSource !== 'product') {
      await uc.checkLogin();
      return [
        {
          check: 'cluster.publisher',
          subject,
          verdict: 'ok',
          message: `reachable at ${t.publisherAddress} and the admin login form accepted the credentials; Emergency Responder has no licensing status call, so its state comes from CSSM's device list (declared release ${t.version ?? 'none'})`,
        },
      ];
    }
    const st = await uc.getStatus();
    const reg = st.registration.status;
    const schema = t.type === 'CUCM' ? ' (AXL)' : t.type === 'CUC' ? ' (vmrest)' : '';
    return [
      {
        check: 'cluster.publisher',
        subject,
        verdict: 'ok',
        message: `reachable at ${t.publisherAddress}, accepted the credentials, is the publisher and serves the smart licensing API${schema}; registration ${reg}, mode ${st.licenseMode ?? 'not reported'}; the release is not reported by Cisco's licensing API (declared ${t.version ?? 'none'})`,
      },
    ];
  } catch (e) {
    const err = toSmartlicError(e);
    const what: Record<string, string> = {
      UC1005: `${t.publisherAddress} refused the connection`,
      UC1006: `the host of ${t.publisherAddress} is unknown`,
      UC1007: `${t.publisherAddress} did not answer in time`,
      UC1008: `there is no route to ${t.publisherAddress}`,
      UC1011: 'the publisher did not accept the administrator user name and password',
      CAA1049: `${t.publisherAddress} is a subscriber node, not the publisher`,
      SLMCT1006: `the publisher does not offer the smart licensing API for the declared release ${t.version ?? ''} (wrong version, or an AXL schema it does not serve)`,
    };
    const check =
      err.code === 'UC1011'
        ? 'cluster.credentials'
        : err.code === 'CAA1049'
          ? 'cluster.node'
          : err.code === 'SLMCT1006'
            ? 'cluster.version'
            : 'cluster.publisher';
    return [failed(check, subject, err, what[err.code] ?? err.message)];
  }
}

export interface DoctorDeps {
  repos: Repositories;
  clients: ClientFactory;
  clock: Clock;
}

export class DoctorService {
  constructor(private readonly deps: DoctorDeps) {}

  /** Every check for every account and cluster; never throws for what it diagnoses. */
  async run(): Promise<Check[]> {
    const { repos } = this.deps;
    const out: Check[] = [];
    const accounts = await repos.smartAccounts.list();
    if (accounts.length === 0) {
      out.push({
        check: 'cssm.accounts',
        subject: '-',
        verdict: 'warn',
        message: 'no account is provisioned: nothing to check against CSSM',
        fix: 'add one with `smartlic account add`',
      });
    }
    for (const a of accounts) out.push(...(await this.account(a)));
    // Publishers are independent hosts: ask several at once, report in inventory order.
    const clusters = await repos.clusters.list();
    const results: Check[][] = new Array<Check[]>(clusters.length);
    let next = 0;
    const worker = async () => {
      while (next < clusters.length) {
        const i = next++;
        results[i] = await this.cluster(clusters[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, clusters.length) }, worker));
    for (const r of results) out.push(...r);
    return out;
  }

  async account(a: SmartAccount): Promise<Check[]> {
    const { repos, clients } = this.deps;
    const subject = a.domain;
    const sat = a.source === 'satellite';
    const peer = sat ? 'the satellite' : 'CSSM';
    let handle;
    try {
      handle = await clients.cssmForAccount(a, repos);
    } catch (e) {
      return [failed(sat ? 'satellite.token' : 'cssm.token', subject, e)];
    }
    const out: Check[] = [];
    const via =
      handle.endpoint.transport.mode === 'proxy'
        ? ` through the proxy ${handle.endpoint.transport.proxyUrl.replace(/\/\/[^/@]*@/, '//')}`
        : ' directly';
    try {
      await handle.tokens.getToken();
      out.push({
        check: sat ? 'satellite.token' : 'cssm.token',
        subject,
        verdict: 'ok',
        message: `${peer}'s token endpoint ${handle.endpoint.tokenUrl} is reachable${via}`,
      });
      out.push({
        check: 'cssm.credentials',
        subject,
        verdict: 'ok',
        message: `${peer} accepted the client id and secret`,
      });
    } catch (e) {
      const err = toSmartlicError(e);
      if (NETWORK.test(err.code)) {
        return [
          failed(
            sat ? 'satellite.token' : 'cssm.token',
            subject,
            err,
            `${peer}'s token endpoint ${handle.endpoint.tokenUrl} is not reachable${via}: ${err.message}`,
          ),
        ];
      }
      out.push({
        check: sat ? 'satellite.token' : 'cssm.token',
        subject,
        verdict: 'ok',
        message: `${peer}'s token endpoint ${handle.endpoint.tokenUrl} is reachable${via}`,
      });
      out.push(failed('cssm.credentials', subject, err));
      return out;
    }
    try {
      const vas = await handle.client.listVirtualAccounts(handle.accountKey);
      out.push({
        check: 'cssm.account',
        subject,
        verdict: 'ok',
        message: `${sat ? `local account ${handle.accountKey}` : `the Smart Account ${handle.accountKey}`} is visible to the credentials (${vas.length} virtual account(s))`,
      });
    } catch (e) {
      const err = toSmartlicError(e);
      if (err.details?.reason === 'api-not-entitled') {
        out.push({
          check: 'cssm.api-access',
          subject,
          verdict: 'fail',
          code: err.code,
          message: `${peer} issued a token but answers 403 "Invalid Client" to the API: the client is not entitled to the Smart Licensing API yet`,
          fix: NOT_ENTITLED_FIX,
        });
      } else out.push(failed('cssm.account', subject, err));
      return out;
    }
    if (sat) out.push(...(await this.satellite(a, handle)));
    return out;
  }

  private async satellite(
    a: SmartAccount,
    handle: {
      satelliteStatus(): Promise<
        { lastSync: Date | null; syncMode?: string; version?: string } | undefined
      >;
    },
  ): Promise<Check[]> {
    const subject = a.domain;
    try {
      const st = await handle.satelliteStatus();
      // 7.2 or later, and no Classic Edition (DOMAIN §3), where the satellite tells its version.
      const v = checkSatelliteVersion(st?.version);
      const version: Check = v.ok
        ? {
            check: 'satellite.version',
            subject,
            verdict: v.known ? 'ok' : 'skip',
            message: v.known
              ? `satellite release ${st!.version} (7.2 or later)`
              : 'the satellite does not tell its release; smartlic needs CSSM On-Prem 7.2 or later (no Classic Edition)',
          }
        : {
            check: 'satellite.version',
            subject,
            verdict: 'fail',
            message: v.message,
            fix: v.action,
            code: v.code,
          };
      const stored = await this.deps.repos.localAccounts.getBySmartAccount(a.id);
      const last = st?.lastSync ?? stored?.lastCssmSyncAt ?? null;
      const mode = st?.syncMode ?? 'not reported';
      const now = this.deps.clock.now().getTime();
      const age = last ? Math.floor((now - last.getTime()) / DAY_MS) : undefined;
      const overdue = age === undefined || age > SATELLITE_SYNC_OVERDUE_DAYS;
      const sync: Check = {
        check: 'satellite.sync',
        subject,
        verdict: overdue ? 'warn' : 'ok',
        message: `satellite reachable; last sync with CSSM ${last ? `${last.toISOString().slice(0, 10)} (${age} day(s) ago)` : 'never'}; sync mode ${mode}`,
        ...(overdue
          ? {
              fix: `sync the satellite with CSSM (at least every ${SATELLITE_SYNC_OVERDUE_DAYS} days; disconnected mode: export, upload to CSSM, import the answer)`,
            }
          : {}),
      };
      return [version, sync];
    } catch (e) {
      return [failed('satellite.sync', subject, e)];
    }
  }

  async cluster(c: Cluster): Promise<Check[]> {
    const subject = c.name;
    if (!c.hasAdminPassword) {
      return [
        {
          check: 'cluster.credentials',
          subject,
          verdict: 'fail',
          code: 'UC1011',
          message: 'no administrator credentials are stored for the cluster',
          fix: 'add them with `smartlic cluster add … --password-env VAR` (same name updates it)',
        },
      ];
    }
    try {
      const creds = await this.deps.repos.clusters.getAdminCredentials(c.id);
      return await checkPublisher(this.deps.clients, {
        name: c.name,
        type: c.type,
        version: c.version,
        publisherAddress: c.publisherAddress,
        axlSchemaVersion: c.axlSchemaVersion,
        username: creds?.username ?? null,
        password: creds?.password ?? null,
      });
    } catch (e) {
      if (isSmartlicError(e)) return [failed('cluster.credentials', subject, e)];
      throw e;
    }
  }
}
