/**
 * OAuth client-credentials token endpoints: CSSM cloud (`/as/token.oauth2` older,
 * `/oauth2/default/v1/token` newer) and CSSM On-Prem (`/backend/oauth/token`), and the
 * bearer-token check the APIs share. Token expiry follows the simulated clock.
 */
import type { Client } from '../model/types.ts';
import { json, type Ctx } from '../http/context.ts';

function credentials(ctx: Ctx): {
  grantType: string | null;
  id: string | null;
  secret: string | null;
} {
  const p = new URLSearchParams(ctx.query);
  const ct = ctx.req.headers['content-type'] ?? '';
  if (ctx.body.length > 0) {
    const text = ctx.body.toString('utf8');
    if (ct.includes('json') || text.trimStart().startsWith('{')) {
      try {
        const o = JSON.parse(text) as Record<string, unknown>;
        for (const [k, v] of Object.entries(o)) if (typeof v === 'string') p.set(k, v);
      } catch {
        // not JSON after all: fall through to form parsing
        for (const [k, v] of new URLSearchParams(text)) p.set(k, v);
      }
    } else {
      for (const [k, v] of new URLSearchParams(text)) p.set(k, v);
    }
  }
  let id = p.get('client_id');
  let secret = p.get('client_secret');
  const auth = ctx.req.headers.authorization;
  if ((!id || !secret) && auth?.startsWith('Basic ')) {
    const dec = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const i = dec.indexOf(':');
    if (i > 0) {
      id = decodeURIComponent(dec.slice(0, i));
      secret = decodeURIComponent(dec.slice(i + 1));
    }
  }
  return { grantType: p.get('grant_type'), id, secret };
}

/** `endpoint`: which token URL was called; decides the bad-credential status (DOMAIN §2). */
export function handleToken(ctx: Ctx, endpoint: 'cloud-old' | 'cloud-new' | 'onprem'): void {
  if (ctx.method !== 'POST') {
    json(ctx, 405, { error: 'invalid_request', error_description: 'Use POST.' }, { allow: 'POST' });
    return;
  }
  const c = credentials(ctx);
  if (c.grantType !== 'client_credentials') {
    json(ctx, 400, {
      error: 'unsupported_grant_type',
      error_description: 'grant_type must be client_credentials',
    });
    return;
  }
  const client = c.id ? ctx.world.clients.get(c.id) : undefined;
  const wanted = endpoint === 'onprem' ? 'onprem' : 'cloud';
  if (!client || client.clientSecret !== c.secret || client.kind !== wanted) {
    const status = endpoint === 'cloud-old' ? 400 : 401;
    json(ctx, status, {
      error: 'invalid_client',
      error_description: 'Client authentication failed: unknown client or wrong secret.',
    });
    return;
  }
  json(ctx, 200, ctx.world.issueAccessToken(client), { 'cache-control': 'no-store' });
}

/**
 * The client behind a bearer token, or null after answering: the cloud answers 401, On-Prem
 * answers 403 to a request without a valid token (DOMAIN §4).
 */
export function bearerClient(ctx: Ctx, kind: 'cloud' | 'onprem'): Client | null {
  const auth = ctx.req.headers.authorization;
  const token = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
  const entry = token ? ctx.world.accessTokens.get(token) : undefined;
  const fail = (msg: string): null => {
    json(
      ctx,
      kind === 'onprem' ? 403 : 401,
      { status: 'ERROR', statusMessage: msg, error: 'invalid_token' },
      { 'www-authenticate': `Bearer error="invalid_token", error_description="${msg}"` },
    );
    return null;
  };
  if (!token) return fail('Missing access token.');
  if (!entry || entry.client.kind !== kind) return fail('Invalid access token.');
  if (ctx.world.now() >= entry.expiresAt) {
    ctx.world.accessTokens.delete(token);
    return fail('Access token expired.');
  }
  if (!entry.client.entitled) {
    // Issued, but the app is not entitled to the API (DOMAIN §2).
    json(ctx, 403, { message: 'Invalid Client', message_code: '403' });
    return null;
  }
  return entry.client;
}

/** Client id for rate limiting: the token's client, the form's client_id, or the peer. */
export function clientKey(ctx: Ctx): string {
  const auth = ctx.req.headers.authorization;
  if (auth?.startsWith('Bearer ')) {
    return ctx.world.accessTokens.get(auth.slice(7).trim())?.client.clientId ?? auth.slice(7, 40);
  }
  if (ctx.path.endsWith('/token') || ctx.path.endsWith('/token.oauth2')) {
    const id = credentials(ctx).id;
    if (id) return id;
  }
  if (auth?.startsWith('Basic ')) return auth;
  return ctx.req.socket.remoteAddress ?? 'peer';
}
