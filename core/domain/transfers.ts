/**
 * The rules a license transfer between two virtual accounts must pass before anything is sent
 * to CSSM (DOMAIN §2 "transfer licenses"): a positive whole quantity, two different VAs of one
 * Smart Account, a cloud account (CSSM On-Prem documents no transfer call), a known license,
 * and no more than the source has available of the chosen type. Pure: facts in, a verdict out.
 */

export type TransferLicenseType = 'TERM' | 'PERPETUAL';
export const TRANSFER_LICENSE_TYPES: readonly TransferLicenseType[] = ['TERM', 'PERPETUAL'];

/** Why a transfer is refused; `code` is what the job, the reply and `--json` carry. */
export interface TransferRefusal {
  code:
    | 'TRANSFER_QUANTITY'
    | 'TRANSFER_SAME_VA'
    | 'TRANSFER_OTHER_ACCOUNT'
    | 'TRANSFER_SATELLITE'
    | 'TRANSFER_UNKNOWN_LICENSE'
    | 'TRANSFER_TYPE'
    | 'TRANSFER_EXCEEDS_AVAILABLE';
  message: string;
  action: string;
}

/**
 * A quantity as typed or passed: a positive whole number, written in digits only (`1e3`,
 * `10.0`, `+5` and `0x10` are refused rather than guessed at).
 */
export function parseTransferQuantity(raw: number | string): number | TransferRefusal {
  const text = typeof raw === 'number' ? String(raw) : raw.trim();
  const ok = typeof raw === 'number' ? Number.isSafeInteger(raw) && raw > 0 : /^\d+$/.test(text);
  const n = ok ? Number(text) : NaN;
  if (!ok || !Number.isSafeInteger(n) || n <= 0) {
    return {
      code: 'TRANSFER_QUANTITY',
      message: `the quantity to transfer must be a positive whole number, not "${text}"`,
      action: 'give how many licenses to move in digits, e.g. 50',
    };
  }
  return n;
}

/** What the source VA holds of the license, as the last sync stored it. */
export interface HeldLicense {
  /** CSSM's name of the license (what the transfer call names). */
  displayName: string;
  /** CSSM's `available`: owned minus in use (after the allocation lent some up the tiers). */
  available: number;
  /** Owned per license type (`licenseDetails[].licenseType`); empty when CSSM gave none. */
  byType: Partial<Record<string, number>>;
}

export interface TransferFacts {
  quantity: number | string;
  from: { domain: string; va: string; satellite: boolean };
  to: { domain: string; va: string };
  /** The license as the operator named it. */
  license: string;
  /** `undefined` when the source VA holds no license of that name. */
  held: HeldLicense | undefined;
  /** `--type`; when absent, the only type the source holds is taken. */
  licenseType?: string;
}

export interface TransferVerdict {
  quantity: number;
  licenseType: TransferLicenseType;
  /** What the source has available of that type (the most it may give). */
  available: number;
}

/**
 * A satellite's answer. What is public of the On-Prem API (DOMAIN §3) is its token calls; the
 * other paths mirror the cloud's by our design, and no public source shows a call that moves
 * licenses on a satellite: none is invented here (the emulator serves none either).
 */
export function satelliteRefusal(domain: string): TransferRefusal {
  return {
    code: 'TRANSFER_SATELLITE',
    message: `${domain} is a CSSM On-Prem (satellite) local account, and Cisco documents no API call that transfers licenses on a satellite; smartlic does not invent one`,
    action:
      'move the licenses in CSSM (cloud) between the virtual accounts the satellite serves, then synchronize the satellite with CSSM and sync here',
  };
}

/** Checks a transfer in the order an operator fixes things; the first refusal wins. */
export function checkTransfer(f: TransferFacts): TransferVerdict | TransferRefusal {
  const quantity = parseTransferQuantity(f.quantity);
  if (typeof quantity !== 'number') return quantity;
  if (f.from.satellite) return satelliteRefusal(f.from.domain);
  const from = `${f.from.domain}/${f.from.va}`;
  const to = `${f.to.domain}/${f.to.va}`;
  if (f.from.domain.toLowerCase() !== f.to.domain.toLowerCase()) {
    return {
      code: 'TRANSFER_OTHER_ACCOUNT',
      message: `${from} and ${to} are in different smart accounts; CSSM moves licenses only between virtual accounts of one Smart Account`,
      action: `pick a target VA in ${f.from.domain}, or have Cisco (or the licenses' owner) move them between smart accounts`,
    };
  }
  if (f.from.va === f.to.va) {
    return {
      code: 'TRANSFER_SAME_VA',
      message: `${from} is both the source and the target`,
      action: 'name two different virtual accounts',
    };
  }
  const held = f.held;
  if (!held) {
    return {
      code: 'TRANSFER_UNKNOWN_LICENSE',
      message: `${from} holds no license "${f.license}"`,
      action: `\`usage ${from}\` lists the licenses it holds; name one as shown there (quote a name with spaces)`,
    };
  }
  const types = Object.entries(held.byType).filter(([, q]) => (q ?? 0) > 0);
  let licenseType: TransferLicenseType;
  if (f.licenseType !== undefined) {
    const t = f.licenseType.trim().toUpperCase();
    if (t !== 'TERM' && t !== 'PERPETUAL') {
      return {
        code: 'TRANSFER_TYPE',
        message: `license type "${f.licenseType}" cannot be transferred: CSSM's transfer call takes TERM or PERPETUAL`,
        action: 'pass --type TERM or --type PERPETUAL',
      };
    }
    licenseType = t;
  } else {
    const movable = types.filter(([t]) => t === 'TERM' || t === 'PERPETUAL');
    if (movable.length > 1) {
      return {
        code: 'TRANSFER_TYPE',
        message: `${from} holds ${held.displayName} as ${movable.map(([t, q]) => `${t} (${q})`).join(' and ')}`,
        action: 'say which to move with --type TERM or --type PERPETUAL',
      };
    }
    // No details stored: CSSM's usual licenses are term subscriptions, and the type the
    // emulator and Cisco's script default to is TERM [design].
    licenseType = (movable[0]?.[0] as TransferLicenseType | undefined) ?? 'TERM';
  }
  // Owned of that type caps what may leave even when `available` counts other types too.
  const ofType = types.length === 0 ? Infinity : (held.byType[licenseType] ?? 0);
  const available = Math.max(0, Math.min(held.available, ofType));
  if (quantity > available) {
    return {
      code: 'TRANSFER_EXCEEDS_AVAILABLE',
      message: `${from} has ${available} ${licenseType} ${held.displayName} available (owned minus in use), fewer than the ${quantity} asked`,
      action:
        available > 0
          ? `transfer at most ${available}, or sync ${f.from.domain} first if usage has dropped since the last sync`
          : `nothing of it can leave ${from} now; sync ${f.from.domain} if usage has dropped, or take it from another VA`,
    };
  }
  return { quantity, licenseType, available };
}

export function isTransferRefusal(v: unknown): v is TransferRefusal {
  return typeof v === 'object' && v !== null && 'code' in v && 'action' in v;
}
