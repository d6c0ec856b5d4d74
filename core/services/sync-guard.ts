/**
 * What a sync checks before it applies CSSM's listing, so one odd answer never costs the
 * operator's data (the rules are pure; `guard` applies them to a sync):
 * - a listing that drops a large share of what the account had (VAs, license types of the
 *   listed VAs, devices) is suspect and refused, unless the operator accepts it;
 * - license and device records that name a VA the VA list lacks are reported (they cannot be
 *   stored under a VA CSSM does not list, and dropping them silently hides a CSSM problem).
 */
import { SmartlicError } from '../errors.ts';
import type { SmartAccount } from '../store/index.ts';
import type { Fetched } from './sync-fetch.ts';
import { groupByVa, toLicenseInputs } from './sync-persist.ts';
import type { SyncContext, SyncOptions, SyncOutcome } from './sync-types.ts';

export interface GuardBefore {
  /** VA names the account had and CSSM listed last time (not already missing). */
  listedVas: readonly string[];
  /** By VA name: license type ids stored for it. */
  licenseTypes: ReadonlyMap<string, ReadonlySet<string>>;
  /** By VA name: device keys (`pid|serial`) stored for it; absent when devices are not read. */
  devices?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface GuardAfter {
  vas: readonly string[];
  licenseTypes: ReadonlyMap<string, ReadonlySet<string>>;
  devices?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface Drop {
  what: 'virtual accounts' | 'license types' | 'devices';
  before: number;
  dropped: number;
  /** A few of the names dropped, for the message. */
  examples: string[];
}

/** The first drop of at least `share` of what there was, or undefined. */
export function suspectDrop(
  before: GuardBefore,
  after: GuardAfter,
  share: number,
): Drop | undefined {
  const listed = new Set(after.vas);
  const goneVas = before.listedVas.filter((n) => !listed.has(n));
  const checks: Drop[] = [
    {
      what: 'virtual accounts',
      before: before.listedVas.length,
      dropped: goneVas.length,
      examples: goneVas.slice(0, 3),
    },
  ];
  const keyed = (
    what: Drop['what'],
    b: ReadonlyMap<string, ReadonlySet<string>>,
    a: ReadonlyMap<string, ReadonlySet<string>>,
  ): Drop => {
    let total = 0;
    const gone: string[] = [];
    // Only VAs listed in both: a VA gone from the list is the VA check's business.
    for (const [va, keys] of b) {
      if (!listed.has(va)) continue;
      total += keys.size;
      const now = a.get(va);
      for (const k of keys) if (!now?.has(k)) gone.push(`${k} in ${va}`);
    }
    return { what, before: total, dropped: gone.length, examples: gone.slice(0, 3) };
  };
  checks.push(keyed('license types', before.licenseTypes, after.licenseTypes));
  if (before.devices && after.devices) checks.push(keyed('devices', before.devices, after.devices));
  return checks.find((c) => c.before > 0 && c.dropped > 0 && c.dropped / c.before >= share);
}

/** The error a suspect listing fails the sync with; the previous data stays as it was. */
export function suspectListingError(domain: string, drop: Drop, share: number): SmartlicError {
  const pct = Math.round((drop.dropped / drop.before) * 100);
  return new SmartlicError({
    code: 'SUSPECT_LISTING',
    message:
      `CSSM's answer for ${domain} lacks ${drop.dropped} of the ${drop.before} ${drop.what} the account had ` +
      `(${pct}%, at least ${Math.round(share * 100)}% is suspect; e.g. ${drop.examples.join(', ')}); ` +
      'nothing was changed',
    action:
      'check in CSSM that the client id still sees the whole Smart Account and sync again; ' +
      `if they really are gone, apply the answer with \`smartlic sync ${domain} --accept-drop\``,
    details: { ...drop, share },
  });
}

export interface UnknownVaRecords {
  kind: 'license' | 'device';
  virtualAccount: string;
  count: number;
}

/** Records (by their VA name; empty names are not counted) whose VA is not in `listed`. */
export function unknownVaRecords(
  kind: UnknownVaRecords['kind'],
  names: Iterable<string | undefined>,
  listed: ReadonlySet<string>,
): UnknownVaRecords[] {
  const counts = new Map<string, number>();
  for (const n of names) {
    if (!n || listed.has(n)) continue;
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([virtualAccount, count]) => ({ kind, virtualAccount, count }));
}

/**
 * Refuses a listing that drops a large share of the account's VAs, license types or devices
 * (unless the operator accepted it), and reports records that name a VA the list lacks.
 */
export async function guard(
  d: SyncContext,
  sa: SmartAccount,
  f: Fetched,
  opts: SyncOptions,
  outcome: SyncOutcome,
): Promise<void> {
  const { repos, config } = d;
  const listed = new Set(f.vas.map((v) => v.name));
  outcome.unknownVaRecords = [
    ...unknownVaRecords(
      'license',
      f.licenses.map((l) => l.virtualAccount),
      listed,
    ),
    ...unknownVaRecords(
      'device',
      (f.devices ?? []).map((d) => d.virtualAccount),
      listed,
    ),
  ];
  // An unchanged answer cannot drop anything the last applied one had.
  if (opts.acceptDrop || !outcome.changed) return;
  const stored = await repos.virtualAccounts.listBySmartAccount(sa.id);
  const before = {
    listedVas: stored.filter((v) => v.missingSince === null).map((v) => v.name),
    licenseTypes: await repos.licenses.typesBySmartAccount(sa.id),
    ...(f.devices ? { devices: await repos.devices.keysBySmartAccount(sa.id) } : {}),
  };
  const licenseTypes = new Map<string, Set<string>>();
  for (const [name, list] of groupByVa(f.licenses, f.vas, (l) => l.virtualAccount)) {
    licenseTypes.set(name, new Set(toLicenseInputs(list).licenses.map((l) => l.licenseType)));
  }
  let devices: Map<string, Set<string>> | undefined;
  if (f.devices) {
    devices = new Map();
    for (const [name, list] of groupByVa(f.devices, f.vas, (d) => d.virtualAccount)) {
      devices.set(name, new Set(list.map((d) => `${d.udiPid}|${d.udiSerialNumber}`)));
    }
  }
  const after = { vas: [...listed], licenseTypes, ...(devices ? { devices } : {}) };
  const drop = suspectDrop(before, after, config.sync.suspectDropShare);
  if (drop) throw suspectListingError(sa.domain, drop, config.sync.suspectDropShare);
}
