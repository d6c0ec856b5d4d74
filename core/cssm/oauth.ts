/**
 * OAuth 2 client-credentials token provider for CSSM cloud (form body to cloudsso / id.cisco.com)
 * and CSSM On-Prem (JSON body to /backend/oauth/token). Caches the token, refreshes it a margin
 * before expiry, shares one token request among concurrent callers, and forgets a token that
 * CSSM refused (the one re-auth on 401).
 */
import type { Clock } from '../clock.ts';
import { SmartlicError } from '../errors.ts';
import { registerSecret } from '../redact.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import {
  ACTION,
  cssmAnswerError,
  parseAtEdge,
  readCssmMessage,
  tryParseJson,
} from './cssm-errors.ts';
import { oauthTokenSchema } from './cssm.dto.ts';
import type { HttpClient } from './http.ts';

/** What an API client needs from a token provider. */
export interface AccessTokenSource {
  getToken(): Promise<string>;
  /**
   * Forgets the cached token so the next getToken fetches a new one. With `token`, only if that
   * is still the cached one (so N callers hitting 401 at once cause one refresh, not N).
   */
  invalidate(token?: string): void;
}

export type CssmFlavor = 'cloud' | 'onprem';

export const CLOUD_TOKEN_URL = 'https://id.cisco.com/oauth2/default/v1/token';

/** The On-Prem token endpoint (DOMAIN §3). */
export function onPremTokenUrl(host: string, port = 8443): string {
  return `https://${host}:${port}/backend/oauth/token`;
}

export interface OAuthOptions {
  flavor: CssmFlavor;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  http: HttpClient;
  clock: Clock;
  /** Refresh this long before the token expires. Default 60 s. */
  refreshMarginMs?: number;
  /** Lifetime assumed when the answer has no expires_in. Default 3599 s (DOMAIN §5). */
  defaultExpiresInS?: number;
  logger?: Logger;
}

interface Cached {
  token: string;
  /** Epoch ms after which we fetch a new one (expiry minus margin). */
  refreshAt: number;
}

export class OAuthTokenProvider implements AccessTokenSource {
  private cached: Cached | undefined;
  private inflight: Promise<string> | undefined;
  private fetches = 0;
  private readonly log: Logger;
  private readonly peer: string;

  constructor(private readonly o: OAuthOptions) {
    this.log = (o.logger ?? silentLogger).child({ component: 'cssm-oauth', flavor: o.flavor });
    this.peer = o.flavor === 'cloud' ? 'the Cisco OAuth server' : 'the CSSM On-Prem satellite';
  }

  /** Token requests sent so far (for tests and benchmarks). */
  get tokenRequests(): number {
    return this.fetches;
  }

  async getToken(): Promise<string> {
    const now = this.o.clock.now().getTime();
    if (this.cached && now < this.cached.refreshAt) return this.cached.token;
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  invalidate(token?: string): void {
    if (token === undefined || this.cached?.token === token) this.cached = undefined;
  }

  private async fetch(): Promise<string> {
    this.fetches++;
    const { clientId, clientSecret } = this.o;
    // Token servers that echo the request in their error would otherwise hand it back in clear.
    registerSecret(clientSecret);
    const isCloud = this.o.flavor === 'cloud';
    const body = isCloud
      ? new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: clientSecret,
        }).toString()
      : JSON.stringify({
          client_id: clientId,
          client_secret: clientSecret,
          grant_type: 'client_credentials',
        });
    const res = await this.o.http.send({
      method: 'POST',
      url: this.o.tokenUrl,
      headers: {
        'content-type': isCloud ? 'application/x-www-form-urlencoded' : 'application/json',
        accept: 'application/json',
      },
      body,
      idempotent: true,
      op: 'oauthToken',
    });
    const json = tryParseJson(res.text);
    const requestId = res.peerRequestId ?? res.requestId;
    if (res.status === 400 || res.status === 401) {
      const msg = readCssmMessage(json);
      throw new SmartlicError({
        code: 'CSSM1011',
        message: `${cap(this.peer)} refused the client id and secret${msg ? ` ("${msg}")` : ''}.`,
        action: ACTION.credentials,
        details: { status: res.status, reason: 'bad-credentials', requestId, op: 'oauthToken' },
      });
    }
    if (res.status >= 300) {
      throw cssmAnswerError(res.status, json, {
        op: 'the token request',
        requestId,
        peer: this.peer,
      });
    }
    const parsed = parseAtEdge(oauthTokenSchema, json, {
      code: 'CSSM1020',
      peer: cap(this.peer),
      op: 'the token request',
      action: ACTION.unexpectedShape,
      requestId,
    });
    registerSecret(parsed.access_token);
    const expiresInMs = (parsed.expires_in ?? this.o.defaultExpiresInS ?? 3599) * 1000;
    const margin = Math.min(this.o.refreshMarginMs ?? 60_000, expiresInMs / 2);
    this.cached = {
      token: parsed.access_token,
      refreshAt: this.o.clock.now().getTime() + expiresInMs - margin,
    };
    this.log.debug('oauth token obtained', { expiresInS: expiresInMs / 1000, requestId });
    return parsed.access_token;
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
