/**
 * Token refresh in a sync (DOMAIN §7.8: sync refreshes tokens when needed), by the policy of
 * token-policy.ts: each export-control kind separately, one new token per kind running out.
 */
import type { CssmToken } from '../cssm/cssm.dto.ts';
import type { RegistrationToken, SmartAccount } from '../store/index.ts';
import { DAY_MS } from '../domain/lifecycle.ts';
import type { CssmHandle } from './clients.ts';
import type { Fetched } from './sync-fetch.ts';
import type { SyncContext } from './sync-types.ts';
import {
  kindsToRefresh,
  mintToken,
  storedTokenFacts,
  tokenFacts,
  type TokenFacts,
} from './token-policy.ts';

/**
 * Creates a new token in each VA whose usable tokens all expire within
 * `config.sync.tokenRefreshDays` (DOMAIN §7.8: sync refreshes tokens when needed). A VA is a
 * candidate when it has an active token about to expire, or clusters assigned and no token.
 */
export async function refreshTokens(
  d: SyncContext,
  sa: SmartAccount,
  cssm: CssmHandle,
  accountKey: string,
  f: Fetched,
  now: Date,
): Promise<{ vaName: string; token: CssmToken }[]> {
  const { repos, config } = d;
  const windowEnd = now.getTime() + config.sync.tokenRefreshDays * DAY_MS;
  f.storedVas = await repos.virtualAccounts.listBySmartAccount(sa.id);
  const stored = new Map(f.storedVas.map((v) => [v.name, v]));
  // What the database knows, read once for the account rather than per VA.
  const assignedByVa = f.assignedByVa;
  const storedTokens = new Map<number, RegistrationToken[]>();
  if (f.vas.some((va) => !f.tokens?.has(va.name))) {
    for (const t of await repos.tokens.listBySmartAccount(sa.id)) {
      const list = storedTokens.get(t.virtualAccountId);
      if (list) list.push(t);
      else storedTokens.set(t.virtualAccountId, [t]);
    }
  }
  // The VAs are independent of one another: their CSSM calls run at once.
  const settled = await Promise.allSettled(
    f.vas.map(async (va): Promise<{ vaName: string; token: CssmToken }[]> => {
      const local = stored.get(va.name);
      let tokens: TokenFacts[];
      const cssmTokens = f.tokens?.get(va.name);
      if (cssmTokens) tokens = cssmTokens.map((t) => tokenFacts(t, now));
      else if (local) tokens = (storedTokens.get(local.id) ?? []).map(storedTokenFacts);
      else tokens = [];
      const assigned = local ? (assignedByVa.get(local.id) ?? 0) : 0;
      let kinds = kindsToRefresh(tokens, windowEnd, assigned > 0);
      if (kinds.length > 0 && !cssmTokens) {
        // Our copy may be stale (tokens skipped): ask CSSM before minting another one.
        const fresh = await cssm.client.listTokens(accountKey, va.name);
        f.tokens ??= new Map();
        f.tokens.set(va.name, fresh);
        tokens = fresh.map((t) => tokenFacts(t, now));
        kinds = kindsToRefresh(tokens, windowEnd, assigned > 0);
      }
      // One new token per export-control kind running out.
      const made: { vaName: string; token: CssmToken }[] = [];
      for (const exportControlled of kinds) {
        const token = await mintToken(cssm.client, accountKey, va.name, {
          description: `smartlic refresh ${now.toISOString().slice(0, 10)}`,
          expiresAfterDays: config.sync.tokenExpiresAfterDays,
          exportControlled,
        });
        made.push({ vaName: va.name, token });
      }
      return made;
    }),
  );
  const failed = settled.find((x) => x.status === 'rejected');
  if (failed) throw failed.reason;
  const created: { vaName: string; token: CssmToken }[] = [];
  for (const x of settled) if (x.status === 'fulfilled') created.push(...x.value);
  return created;
}
