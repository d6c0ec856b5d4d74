/**
 * Registration-token policy, shared by the sync and the token service: what a token CSSM
 * lists means (status, expiry, export control), when a VA needs a new one, and the one place
 * a token is minted in CSSM.
 *
 * Export control is a property of the token (DOMAIN §1): a cluster that registers
 * export-controlled needs an "Allowed" token, a plain one must not get one. So the two kinds
 * are refreshed separately: a VA whose only lasting token is export-controlled still gets a
 * plain one when its plain tokens run out, and the other way round.
 */
import type { CssmClient, ExportControlled } from '../cssm/cssm.client.ts';
import type { CssmToken } from '../cssm/cssm.dto.ts';
import type { RegistrationToken } from '../store/index.ts';
import type { TokenStatus } from '../store/schema.ts';

export interface TokenFacts {
  status: TokenStatus;
  expiresAt: Date | null;
  exportControlled: boolean;
}

/** What a token CSSM listed means at `now`. */
export function tokenFacts(t: CssmToken, now: Date): TokenFacts {
  const s = (t.status ?? '').toLowerCase();
  const expired = t.expirationDate !== null && t.expirationDate.getTime() <= now.getTime();
  const status: TokenStatus = s.includes('revoke')
    ? 'Revoked'
    : s.includes('expire') || expired
      ? 'Expired'
      : 'Active';
  return {
    status,
    expiresAt: t.expirationDate,
    exportControlled: /^allowed$/i.test((t.exportControlled ?? '').trim()),
  };
}

/** The same facts of a stored token (a token CSSM no longer lists counts as not active). */
export function storedTokenFacts(t: RegistrationToken): TokenFacts {
  return {
    status: t.goneSince ? 'Revoked' : t.status,
    expiresAt: t.expiresAt,
    exportControlled: t.exportControlled,
  };
}

/**
 * The export-control kinds (true = "Allowed") for which a VA needs a new token: a kind with
 * active tokens of which none lasts beyond `windowEnd`; and, when the VA has clusters but no
 * active token at all, a plain one.
 */
export function kindsToRefresh(
  tokens: readonly TokenFacts[],
  windowEnd: number,
  hasClusters: boolean,
): boolean[] {
  const active = tokens.filter((t) => t.status === 'Active');
  if (active.length === 0) return hasClusters ? [false] : [];
  const out: boolean[] = [];
  for (const kind of [false, true]) {
    const ofKind = active.filter((t) => t.exportControlled === kind);
    if (ofKind.length === 0) continue;
    const lasting = ofKind.some((t) => t.expiresAt === null || t.expiresAt.getTime() > windowEnd);
    if (!lasting) out.push(kind);
  }
  return out;
}

/** The one place smartlic asks CSSM for a new registration token. */
export async function mintToken(
  client: CssmClient,
  accountKey: string,
  va: string,
  t: { description: string; expiresAfterDays: number; exportControlled: boolean },
): Promise<CssmToken> {
  const exportControlled: ExportControlled = t.exportControlled ? 'Allowed' : 'Not Allowed';
  return client.createToken(accountKey, va, {
    description: t.description,
    expiresAfterDays: t.expiresAfterDays,
    exportControlled,
  });
}
