/**
 * The pure rules of the cluster workflows: the UC encoding of a transport, which VAs a cluster
 * may be assigned or registered to (license mode set, not the ordered VA, HCS-LE only where
 * the release still offers it), and whether a product's license mode needs changing.
 */
import { COP_FILES } from '../../domain/migration.ts';
import { hcsLeSupported, tryParseUcVersion } from '../../domain/versions.ts';
import { SmartlicError } from '../../errors.ts';
import type {
  Cluster,
  ClusterStatus,
  LicenseMode,
  SmartAccount,
  VirtualAccount,
} from '../../store/index.ts';
import type { UcTransportSettings } from '../../uc/uc.client.ts';
import { vaLabel, type TransportSettings } from '../virtual-accounts.service.ts';

/** The UC encoding of a transport (DOMAIN §1, §4: 0 Direct, 1 Satellite, 2 Proxy). */
export function ucTransport(t: TransportSettings): UcTransportSettings {
  if (t.mode === 'Satellite')
    return { mode: 1, ...(t.satelliteUrl ? { url: t.satelliteUrl } : {}) };
  if (t.mode === 'Proxy') {
    return {
      mode: 2,
      ...(t.proxyHost ? { httpHost: t.proxyHost } : {}),
      ...(t.proxyPort ? { httpPort: t.proxyPort } : {}),
    };
  }
  return { mode: 0 };
}

export const isRegistered = (s: string | null | undefined): boolean => s === 'Registered';

/** Statuses of a cluster that auto-registration put where it is. */
export const AUTO_STATUSES: ReadonlySet<ClusterStatus> = new Set<ClusterStatus>([
  'Auto Registered',
  'Auto Registration Inprogress',
  'Auto Registration Failed',
]);

/**
 * Whether `cluster` may draw on `va`: SLM1014 when the VA has no license mode; VA_ORDERED for
 * the ordered VA, whose licenses UC apps do not consume (DOMAIN §1: apps consume from the
 * operational VA); SLMCT1006 for an HCS-LE VA and a Unified CM release without HCS-LE
 * (gone from 12.5(1)SU7 and 14(1)SU1, DOMAIN §1).
 */
export function checkVaForCluster(
  cluster: Pick<Cluster, 'name' | 'type' | 'version'>,
  account: Pick<SmartAccount, 'domain'>,
  va: Pick<VirtualAccount, 'name' | 'licenseMode' | 'role'>,
  operational?: Pick<VirtualAccount, 'name'>,
): void {
  const label = vaLabel(account, va);
  if (va.licenseMode === null) {
    throw new SmartlicError({
      code: 'SLM1014',
      message: `virtual account ${label} has no license mode set`,
      action: `set it first: smartlic va mode ${account.domain}/${va.name} Enterprise|HCS|HCS-LE`,
    });
  }
  if (va.role === 'ordered') {
    throw new SmartlicError({
      code: 'VA_ORDERED',
      message: `virtual account ${label} is the ordered VA: UC applications do not consume its licenses, they consume from the operational VA`,
      action: operational
        ? `assign ${cluster.name} to the operational VA ${vaLabel(account, operational)}`
        : `assign ${cluster.name} to the operational VA of ${account.domain} instead (see smartlic va list)`,
    });
  }
  if (va.licenseMode === 'HCS-LE' && cluster.type === 'CUCM') {
    const v = tryParseUcVersion(cluster.version ?? '');
    if (v.ok && !hcsLeSupported(v.version)) {
      throw new SmartlicError({
        code: 'SLMCT1006',
        message: `${cluster.name} runs Unified CM ${cluster.version}, which has no HCS-LE license mode (gone from 12.5(1)SU7 and 14(1)SU1); virtual account ${label} is HCS-LE`,
        action:
          'assign the cluster to an HCS or Enterprise VA, or keep it on a release that still offers HCS-LE',
      });
    }
  }
}

export type ModeDecision =
  | { kind: 'same' }
  | { kind: 'not-reported'; note: string }
  | { kind: 'not-needed'; note: string }
  | { kind: 'change-needed'; error: SmartlicError };

/**
 * What to do about the product's license mode before registering to a VA of mode `vaMode`.
 * No interface sets a product's mode (DOMAIN §4); at 12.x+ Flex Hosted licenses and dual
 * parenting let Enterprise and HCS apps draw from either VA, so those two never need a change
 * (DOMAIN §7 Migrations). HCS-LE licenses are separate types, so a change between HCS-LE and
 * another mode is needed: the error names the COP file, the publisher and the reboot.
 */
export function licenseModeDecision(
  cluster: Pick<Cluster, 'name' | 'publisherAddress'>,
  productMode: LicenseMode | null,
  vaMode: LicenseMode,
): ModeDecision {
  if (productMode === null) {
    return {
      kind: 'not-reported',
      note: `The product does not report its license mode; registering for a ${vaMode} VA (no mode change is made: none is possible through an interface)`,
    };
  }
  if (productMode === vaMode) return { kind: 'same' };
  if (productMode !== 'HCS-LE' && vaMode !== 'HCS-LE') {
    return {
      kind: 'not-needed',
      note: `The product is in ${productMode} mode and the VA is ${vaMode}: at 12.x and later no mode change is needed (Flex Hosted licenses and dual parenting serve both)`,
    };
  }
  const host = hostOf(cluster.publisherAddress);
  const action =
    vaMode === 'HCS-LE'
      ? `Cisco names no COP file that switches a cluster into HCS-LE mode: register ${cluster.name} to a VA of its own mode (${productMode}), or change this VA's license mode`
      : `install ${COP_FILES[vaMode].file} (later guides: ${COP_FILES[vaMode].laterName}) on the publisher ${host} of ${cluster.name}, reboot the publisher, then register again`;
  return {
    kind: 'change-needed',
    error: new SmartlicError({
      code: 'MODE_CHANGE_NEEDED',
      message: `${cluster.name} reports license mode ${productMode}, the virtual account is ${vaMode}; HCS-LE licenses are separate types, so the product's mode must change, and no interface changes it`,
      action,
      details: { productMode, vaMode, publisher: host },
    }),
  };
}

function hostOf(address: string): string {
  try {
    return /^https?:\/\//i.test(address) ? new URL(address).hostname : address;
  } catch {
    return address;
  }
}
