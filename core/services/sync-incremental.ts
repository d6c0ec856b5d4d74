/**
 * Incremental sync policy. CSSM has no ETag or modified-since, so nothing can be skipped
 * blindly. What we do instead:
 * - The VA list and the license answer are read every time; they are the change detector.
 *   Their sha256 is kept on the account (`SyncState`).
 * - Tokens and devices are re-read only when that fingerprint changed, the previous sync
 *   failed, a full sync is asked for, or the last full read is older than `deepReadMaxAgeMs`.
 * - A cluster's status is read only when it is due (`clusterDue`).
 */
import { createHash } from 'node:crypto';
import type { CssmLicense, CssmVirtualAccount } from '../cssm/cssm.dto.ts';
import type { ClusterSyncTimers, SmartAccount } from '../store/index.ts';
import type { SyncOutcome } from './sync-types.ts';

export interface SyncState {
  v: 1;
  fingerprint: string;
  deepReadAt: string;
  /** Counts of the last sync, reported again when tokens/devices are not re-read. */
  tokens?: number;
  devices?: number;
}

export function parseState(s: string | undefined): SyncState | undefined {
  if (!s) return undefined;
  try {
    const o = JSON.parse(s) as Partial<SyncState>;
    return o.v === 1 && typeof o.fingerprint === 'string' && typeof o.deepReadAt === 'string'
      ? (o as SyncState)
      : undefined;
  } catch {
    return undefined;
  }
}

/** sha256 of the VA list and license answer, order-independent. */
export function fingerprint(vas: CssmVirtualAccount[], licenses: CssmLicense[]): string {
  const h = createHash('sha256');
  const v = vas.map((x) =>
    JSON.stringify([x.name, x.description, x.isDefault, x.commerceAccessLevel]),
  );
  const l = licenses.map((x) => JSON.stringify(x));
  h.update(JSON.stringify([v.sort(), l.sort()]));
  return h.digest('hex');
}

/** Whether tokens and devices must be read in full this time. */
export function deepReadDue(
  sa: SmartAccount,
  state: SyncState | undefined,
  full: boolean,
  now: Date,
  maxAgeMs: number,
): boolean {
  return (
    full ||
    !state ||
    sa.lastSyncStatus !== 'Success' ||
    now.getTime() - new Date(state.deepReadAt).getTime() >= maxAgeMs
  );
}

/**
 * A cluster's status is due when never read, when a renewal/communication attempt or expiry
 * it announced has passed since, or when the last read is older than `maxAgeMs` (CUCM
 * recounts usage every 6 hours, DOMAIN §5).
 */
export function clusterDue(c: ClusterSyncTimers, now: Date, maxAgeMs: number): boolean {
  if (!c.lastStatusReadAt) return true;
  const t = now.getTime();
  if (t - c.lastStatusReadAt.getTime() >= maxAgeMs) return true;
  for (const d of [
    c.nextCommunicationAttempt,
    c.nextRenewalAttempt,
    c.authorizationExpires,
    c.registrationExpires,
  ]) {
    if (d && d.getTime() > c.lastStatusReadAt.getTime() && d.getTime() <= t) return true;
  }
  return false;
}

/**
 * A sync that changed nothing an alert rule reads: it completed, the VA list and license
 * answer are as before, tokens, devices and (for a satellite) its status were not re-read
 * (re-read only when due or something changed, and the previous sync succeeded), no cluster
 * was read or failed, no token was minted and no VA went missing.
 */
export function quietSync(o: SyncOutcome): boolean {
  return (
    o.status === 'Completed' &&
    !o.changed &&
    o.counts.tokensRefreshed === 0 &&
    o.counts.clustersRead === 0 &&
    o.clusterErrors.length === 0 &&
    o.missing.length === 0 &&
    o.removed.length === 0 &&
    o.skipped.includes('tokens') &&
    o.skipped.includes('devices') &&
    (o.source !== 'satellite' || o.skipped.includes('satellite status'))
  );
}
