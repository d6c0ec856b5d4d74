/**
 * Typed CSSM endpoints (DOMAIN §2, §3) for the cloud (keyed by Smart Account domain) and the
 * On-Prem satellite (keyed by local account name; same paths under /backend/api/). Every answer
 * is parsed with zod; every failure is a SmartlicError with Cisco's code and an action.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { registerSecret } from '../redact.ts';
import { SmartlicError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { ACTION, cssmAnswerError, parseAtEdge, tryParseJson } from './cssm-errors.ts';
import {
  onPremAccountsSchema,
  satelliteSchema,
  accountSearchSchema,
  accountsV2Schema,
  createTokenSchema,
  devicesPageSchema,
  envelopeSchema,
  licensesPageSchema,
  toDevice,
  toLicense,
  tokensSchema,
  virtualAccountsSchema,
  type CssmAccount,
  type CssmAccountSearchHit,
  type CssmDevice,
  type CssmLicense,
  type CssmToken,
  type CssmVirtualAccount,
} from './cssm.dto.ts';
import type { HttpClient, HttpMethod, HttpResponse } from './http.ts';
import type { AccessTokenSource, CssmFlavor } from './oauth.ts';
import { readParser } from '../parse/read-parser.ts';

/** What a satellite tells of its link to CSSM (the On-Prem `accounts` list and status). */
export interface SatelliteStatus {
  lastSync: Date | null;
  syncMode?: 'connected' | 'disconnected';
  host?: string;
  /** The satellite's release, when it tells it (checked by checkSatelliteVersion). */
  version?: string;
}

export const CLOUD_API_BASE = 'https://swapi.cisco.com/services/api/smart-accounts-and-licensing/';

/**
 * The API root of a satellite: `https://host:8443/backend/api/v1/`. Its paths mirror the cloud's
 * without the version segment (`accounts/{la}/…`, `licensing/v2/accounts/{la}/devices`).
 */
export function onPremApiBase(host: string, port = 8443): string {
  return `https://${host}:${port}/backend/api/v1/`;
}

/** Cisco's own transfer script never moves more than this many licenses in one line. */
export const TRANSFER_CHUNK_MAX = 998;

/** Splits a quantity into chunks of at most `max` (998 by default), largest first. */
export function splitQuantity(quantity: number, max = TRANSFER_CHUNK_MAX): number[] {
  if (!Number.isInteger(quantity) || quantity <= 0) return [];
  const out: number[] = [];
  for (let left = quantity; left > 0; left -= max) out.push(Math.min(max, left));
  return out;
}

export type AccountType = 'CUSTOMER' | 'HOLDING';
export type ExportControlled = 'Allowed' | 'Not Allowed';

export interface CssmClientOptions {
  flavor: CssmFlavor;
  /**
   * API root. Cloud: `…/services/api/smart-accounts-and-licensing/` (`v1/…`, `v2/…` appended).
   * On-Prem: `https://host:8443/backend/api/v1/` (`…/backend/api/` is accepted too).
   */
  baseUrl: string;
  /**
   * Root under which `licensing/v2/accounts/…/devices` lives. Cloud: the newer API base
   * `https://apx.cisco.com/v1/software/apis/` (DOMAIN §2, config `cssm.devicesApiBase`).
   * Default: `baseUrl` (a satellite serves the path under its own root).
   */
  devicesBaseUrl?: string;
  /** HttpClient for the devices root when it is another host. Default: `http`. */
  devicesHttp?: HttpClient;
  http: HttpClient;
  tokens: AccessTokenSource;
  /** Page size for licenses and account search. Default 100. */
  pageSize?: number;
  /** Page size for devices. Default 100. */
  devicesPageSize?: number;
  /** Largest quantity per transfer line. Default 998. */
  transferChunkMax?: number;
  logger?: Logger;
  /**
   * Answers of the change-detector reads (VA list, license pages) by request, with a hash of
   * their text: one per set of credentials, kept across syncs by the ClientFactory.
   */
  answerMemo?: AnswerMemo;
}

/**
 * The last parsed answer of a read, by request, with the sha1 of its text. A page whose text is
 * the same as last time is the same answer: it is not parsed and checked again (JSON + zod cost
 * more than the hash), so a re-sync of an unchanged account spends its CPU on what changed.
 */
export class AnswerMemo {
  private readonly m = new Map<string, { hash: string; value: unknown }>();

  constructor(private readonly max = 2_000) {}

  get(key: string, hash: string): unknown {
    const e = this.m.get(key);
    return e && e.hash === hash ? e.value : undefined;
  }

  set(key: string, hash: string, value: unknown): void {
    // Bounded: the pages of one account's reads are few; past the bound, start again.
    if (!this.m.has(key) && this.m.size >= this.max) this.m.clear();
    this.m.set(key, { hash, value });
  }
}

export interface TransferLine {
  license: string;
  licenseType: 'PERPETUAL' | 'TERM';
  quantity: number;
  targetVirtualAccount: string;
}

export interface DeviceRef {
  udiPid: string;
  udiSerialNumber: string;
  productTagName?: string;
}

const MAX_PAGES = 10_000;

export class CssmClient {
  readonly flavor: CssmFlavor;
  private readonly root: string;
  private readonly devicesRoot: string;
  private readonly pageSize: number;
  private readonly devicesPageSize: number;
  private readonly chunkMax: number;
  private readonly peer: string;
  private readonly log: Logger;

  constructor(private readonly o: CssmClientOptions) {
    this.flavor = o.flavor;
    const base = withSlash(o.baseUrl);
    this.root = o.flavor === 'onprem' && !/\/v1\/$/.test(base) ? `${base}v1/` : base;
    this.devicesRoot = withSlash(o.devicesBaseUrl ?? this.root);
    this.pageSize = o.pageSize ?? 100;
    this.devicesPageSize = o.devicesPageSize ?? 100;
    this.chunkMax = o.transferChunkMax ?? TRANSFER_CHUNK_MAX;
    this.peer = o.flavor === 'cloud' ? 'CSSM' : 'The CSSM On-Prem satellite';
    this.log = (o.logger ?? silentLogger).child({ component: 'cssm', flavor: o.flavor });
  }

  /** Smart Accounts the credentials can see (`GET v2/accounts`). */
  async listAccounts(): Promise<CssmAccount[]> {
    const r = await this.call('GET', this.url('v2/accounts'), accountsV2Schema, {
      op: 'list accounts',
    });
    return r.accounts.map((a) => ({
      name: a.accountName,
      domain: a.accountDomain,
      status: a.accountStatus,
      type: a.accountType,
      roles: a.roles.map((x) =>
        x.virtualAccount ? { role: x.role, virtualAccount: x.virtualAccount } : { role: x.role },
      ),
    }));
  }

  /** `GET v1/accounts/search`, every page (CSSM caps the result at 1000). */
  async searchAccounts(
    q: { domain?: string; type?: AccountType } = {},
  ): Promise<CssmAccountSearchHit[]> {
    const out: CssmAccountSearchHit[] = [];
    for (let offset = 0, page = 0; page < MAX_PAGES; page++) {
      const params = new URLSearchParams({
        ...(q.domain ? { domain: q.domain } : {}),
        type: q.type ?? 'CUSTOMER',
        limit: String(this.pageSize),
        offset: String(offset),
      });
      const r = await this.call(
        'GET',
        this.url(`v1/accounts/search?${params.toString()}`),
        accountSearchSchema,
        {
          op: 'search accounts',
        },
      );
      out.push(...r.accounts);
      offset += r.accounts.length;
      if (r.accounts.length === 0 || offset >= r.totalRecords) break;
    }
    return out;
  }

  async listVirtualAccounts(
    domain: string,
    accountType: AccountType = 'CUSTOMER',
  ): Promise<CssmVirtualAccount[]> {
    const r = await this.call(
      'GET',
      this.url(`v1/accounts/${enc(domain)}/${accountType}/virtual-accounts`),
      virtualAccountsSchema,
      { op: 'list virtual accounts', account: domain, memo: true },
    );
    // A copy: the parsed answer may be the memo's, reused by the next sync.
    return [...r.virtualAccounts];
  }

  /** License usage of the named VAs (all VAs when empty), every page until totalRecords. */
  async listLicenses(domain: string, vaNames: readonly string[] = []): Promise<CssmLicense[]> {
    const out: CssmLicense[] = [];
    for (let offset = 0, page = 0; page < MAX_PAGES; page++) {
      const r = await this.call(
        'POST',
        this.url(`v1/accounts/${enc(domain)}/licenses`),
        licensesPageSchema,
        {
          op: 'list licenses',
          account: domain,
          body: { virtualAccounts: [...vaNames], limit: this.pageSize, offset },
          idempotent: true,
          memo: true,
        },
      );
      out.push(...r.licenses.map(toLicense));
      offset += r.licenses.length;
      if (r.licenses.length === 0 || offset >= r.totalRecords) break;
    }
    return out;
  }

  async listTokens(domain: string, va: string): Promise<CssmToken[]> {
    const r = await this.call('GET', this.tokensUrl(domain, va), tokensSchema, {
      op: 'list tokens',
      account: domain,
    });
    for (const t of r.tokens) registerSecret(t.token);
    return r.tokens;
  }

  async createToken(
    domain: string,
    va: string,
    t: { description: string; expiresAfterDays: number; exportControlled: ExportControlled },
  ): Promise<CssmToken> {
    const r = await this.call('POST', this.tokensUrl(domain, va), createTokenSchema, {
      op: 'create a token',
      account: domain,
      body: {
        description: t.description,
        expiresAfterDays: t.expiresAfterDays,
        exportControlled: t.exportControlled,
      },
    });
    registerSecret(r.tokenInfo.token);
    return r.tokenInfo;
  }

  /** Revokes tokens (path and body are [design], DOMAIN §2). */
  async revokeTokens(
    domain: string,
    va: string,
    tokens: readonly string[],
    reason = 'Revoked by smartlic',
  ): Promise<void> {
    if (tokens.length === 0) return;
    await this.call('POST', `${this.tokensUrl(domain, va)}/revoke`, envelopeSchema, {
      op: 'revoke tokens',
      account: domain,
      body: { tokens: tokens.map((token) => ({ token, reason })) },
    });
  }

  /**
   * Moves licenses from `fromVa` to other VAs, one request per chunk of at most 998 (as Cisco's
   * script does). On failure the error's details say how many requests went through.
   */
  async transferLicenses(
    domain: string,
    fromVa: string,
    lines: readonly TransferLine[],
  ): Promise<{ requests: number }> {
    let requests = 0;
    const url = this.url(
      `v1/accounts/${enc(domain)}/virtual-accounts/${enc(fromVa)}/licenses/transfer`,
    );
    for (const line of lines) {
      for (const quantity of splitQuantity(line.quantity, this.chunkMax)) {
        try {
          await this.call('POST', url, envelopeSchema, {
            op: 'transfer licenses',
            account: domain,
            body: { licenses: [{ ...line, quantity }] },
          });
        } catch (e) {
          if (e instanceof SmartlicError) {
            throw new SmartlicError({
              code: e.code,
              message: `${e.message} ${requests} transfer request(s) had gone through before this one.`,
              action: e.action,
              cause: e,
              details: {
                ...e.details,
                completedRequests: requests,
                failedLine: { ...line, quantity },
              },
            });
          }
          throw e;
        }
        requests++;
      }
    }
    return { requests };
  }

  /**
   * Product instances (new API, `data[]`/`totalRows`; a `devices[]` answer is accepted too),
   * optionally of one VA and one instance name (DOMAIN §2: `instanceName` filters).
   */
  async listDevices(
    domain: string,
    filter: string | { va?: string; instanceName?: string } = {},
  ): Promise<CssmDevice[]> {
    const { va, instanceName } = typeof filter === 'string' ? { va: filter } : filter;
    const out: CssmDevice[] = [];
    const size = this.devicesPageSize;
    for (let offset = 0, page = 0; page < MAX_PAGES; page++) {
      // Both paging dialects are sent; each server reads the pair it knows.
      const params = new URLSearchParams({
        ...(va ? { virtualAccountName: va } : {}),
        ...(instanceName ? { instanceName } : {}),
        startIdx: String(offset),
        rowsPerPage: String(size),
        offset: String(offset),
        limit: String(size),
      });
      const r = await this.call(
        'GET',
        `${this.devicesRoot}licensing/v2/accounts/${enc(domain)}/devices?${params.toString()}`,
        devicesPageSchema,
        { op: 'list devices', account: domain, http: this.o.devicesHttp },
      );
      const rows = 'data' in r ? r.data : r.devices;
      out.push(...rows.map(toDevice));
      offset += rows.length;
      const total = 'data' in r ? r.totalRows : (r.totalRecords ?? r.totalRows);
      if (rows.length === 0) break;
      if (total === undefined ? rows.length < size : offset >= total) break;
    }
    return out;
  }

  /** Removes product instances; sends Cisco's misspelled key `productInstacesRemoveRequests`. */
  async removeDevices(domain: string, va: string, devices: readonly DeviceRef[]): Promise<void> {
    if (devices.length === 0) return;
    await this.call(
      'POST',
      this.url(`v2/accounts/${enc(domain)}/virtual-accounts/${enc(va)}/devices/remove`),
      envelopeSchema,
      {
        op: 'remove devices',
        account: domain,
        body: {
          productInstacesRemoveRequests: devices.map((d) => ({
            sudi: { udiPid: d.udiPid, udiSerialNumber: d.udiSerialNumber },
            ...(d.productTagName ? { productTagName: d.productTagName } : {}),
          })),
        },
      },
    );
  }

  /** `path` is the cloud path (`v1/…`, `v2/…`); the satellite serves it without the version. */
  private url(path: string): string {
    return `${this.root}${this.flavor === 'onprem' ? path.replace(/^v[12]\//, '') : path}`;
  }

  private tokensUrl(domain: string, va: string): string {
    return this.url(`v1/accounts/${enc(domain)}/virtual-accounts/${enc(va)}/tokens`);
  }

  /**
   * The satellite's own status (On-Prem only): its last sync with CSSM and sync mode. The
   * On-Prem `GET v1/accounts` answer carries `lastSync` [design]; `GET v1/satellite`
   * (emulator extension) adds the sync mode and host. A 404 on the extension is not an
   * error. Undefined when neither says.
   */
  async satelliteStatus(localAccount: string): Promise<SatelliteStatus | undefined> {
    if (this.flavor !== 'onprem') return undefined;
    const ctx = (op: string) => ({
      code: 'CSSM1020',
      peer: this.peer,
      op,
      action: ACTION.unexpectedShape,
    });
    const sat = await this.authed('GET', `${this.root}satellite`, { op: 'satellite status' });
    const satJson = tryParseJson(sat.text);
    if (sat.status < 300) {
      const st = parseAtEdge(satelliteSchema, satJson, ctx('the satellite status')).satellite;
      return {
        lastSync: st.lastSync ? new Date(st.lastSync) : null,
        ...(st.syncMode ? { syncMode: st.syncMode } : {}),
        ...(st.host ? { host: st.host } : {}),
        ...(st.version ? { version: st.version } : {}),
      };
    }
    if (sat.status !== 404) {
      throw cssmAnswerError(sat.status, satJson, { op: 'satellite status', peer: this.peer });
    }
    const acc = await this.authed('GET', `${this.root}accounts`, { op: 'list accounts' });
    const accJson = tryParseJson(acc.text);
    if (acc.status >= 300) {
      throw cssmAnswerError(acc.status, accJson, { op: 'list accounts', peer: this.peer });
    }
    const row = parseAtEdge(onPremAccountsSchema, accJson, ctx('list accounts')).accounts.find(
      (a) => a.accountName === localAccount,
    );
    if (!row || row.lastSync === undefined) return undefined;
    return { lastSync: row.lastSync ? new Date(row.lastSync) : null };
  }

  /**
   * Sends with a bearer token; re-authenticates once when the token is refused: 401, or 403
   * from On-Prem, which answers 403 to a request without a valid token (DOMAIN §4).
   */
  private async authed(
    method: HttpMethod,
    url: string,
    c: { op: string; body?: unknown; idempotent?: boolean; http?: HttpClient },
  ): Promise<HttpResponse> {
    const http = c.http ?? this.o.http;
    for (let auth = 0; ; auth++) {
      const token = await this.o.tokens.getToken();
      const res = await http.send({
        method,
        url,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(c.body !== undefined ? { body: JSON.stringify(c.body) } : {}),
        ...(c.idempotent !== undefined ? { idempotent: c.idempotent } : {}),
        op: c.op,
      });
      const refused = res.status === 401 || (res.status === 403 && this.flavor === 'onprem');
      if (refused && auth === 0) {
        this.log.info(`cssm answered ${res.status}, re-authenticating once`, {
          op: c.op,
          requestId: res.requestId,
          peerRequestId: res.peerRequestId,
        });
        this.o.tokens.invalidate(token);
        continue;
      }
      return res;
    }
  }

  /** One authenticated call: one re-auth on a refused token, errors mapped, answer parsed. */
  private async call<S extends z.ZodTypeAny>(
    method: HttpMethod,
    url: string,
    schema: S,
    c: {
      op: string;
      account?: string;
      body?: unknown;
      idempotent?: boolean;
      http?: HttpClient;
      /** The answer may come from `answerMemo` when its text is unchanged. */
      memo?: boolean;
    },
  ): Promise<z.output<S>> {
    const res = await this.authed(method, url, c);
    const memo = c.memo && res.status < 300 ? this.o.answerMemo : undefined;
    const memoKey = memo ? `${method} ${url} ${JSON.stringify(c.body ?? null)}` : '';
    // The hash of the bytes, before a parse thread takes them (the same text, the same bytes).
    const hash = memo ? createHash('sha1').update(res.bytes).digest('base64') : '';
    if (memo) {
      const kept = memo.get(memoKey, hash);
      if (kept !== undefined) return kept;
    }
    const ctx: CssmReadContext = {
      op: c.op,
      requestId: res.peerRequestId ?? res.requestId,
      peer: this.peer,
      ...(c.account !== undefined ? { account: c.account } : {}),
    };
    const name = READ_SCHEMA_NAMES.get(schema);
    const status = res.status;
    // The pages of a sync (licenses, devices, VAs) are parsed off the event loop when bin/ set
    // that up; other answers are small and parsed here.
    const parsed = name
      ? await readParser().parse({ kind: 'cssm', schema: name, status, ctx }, res, (text) =>
          readCssmAnswer(schema, status, text, ctx),
        )
      : readCssmAnswer(schema, status, res.text, ctx);
    memo?.set(memoKey, hash, parsed);
    return parsed;
  }
}

/** The schemas a parse thread knows by name (core/parse/read-jobs.ts). */
export const READ_SCHEMAS: Record<string, z.ZodTypeAny> = {
  accountsV2: accountsV2Schema,
  accountSearch: accountSearchSchema,
  virtualAccounts: virtualAccountsSchema,
  licensesPage: licensesPageSchema,
  devicesPage: devicesPageSchema,
};

const READ_SCHEMA_NAMES = new Map<z.ZodTypeAny, string>(
  Object.entries(READ_SCHEMAS).map(([k, v]) => [v, k]),
);

/** Who asked what, for the messages of a CSSM answer's errors (plain data: it goes to a thread). */
export interface CssmReadContext {
  op: string;
  requestId: string;
  peer: string;
  account?: string;
}

/**
 * A CSSM answer checked at the edge: the error an HTTP error status, a non-JSON body or an
 * error envelope stands for, else the answer parsed by `schema`. Pure (it runs on a parse
 * thread too).
 */
export function readCssmAnswer<S extends z.ZodTypeAny>(
  schema: S,
  status: number,
  text: string,
  ctx: CssmReadContext,
): z.output<S> {
  const json = tryParseJson(text);
  if (status >= 300) throw cssmAnswerError(status, json, ctx);
  if (json === undefined) {
    throw new SmartlicError({
      code: 'CSSM1020',
      message: `${ctx.peer} answered ${ctx.op} with something that is not JSON (HTTP ${status}).`,
      action: ACTION.unexpectedShape,
      details: { op: ctx.op, status, requestId: ctx.requestId },
    });
  }
  if (isErrorEnvelope(json)) throw cssmAnswerError(status, json, ctx);
  return parseAtEdge<S>(schema, json, {
    code: 'CSSM1020',
    peer: ctx.peer,
    op: ctx.op,
    action: ACTION.unexpectedShape,
    requestId: ctx.requestId,
  });
}

function isErrorEnvelope(json: unknown): boolean {
  if (!json || typeof json !== 'object') return false;
  const s = (json as Record<string, unknown>).status;
  return typeof s === 'string' && /^(error|failure|failed)$/i.test(s);
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function withSlash(u: string): string {
  return u.endsWith('/') ? u : `${u}/`;
}
