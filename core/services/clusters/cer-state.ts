/**
 * An Emergency Responder's state, from CSSM's device list (DOMAIN §4): CER has no status
 * call, so smartlic reads the product instance CSSM lists for it — found by the UDI stored
 * from an earlier match, else by its instance name (the publisher's host name) — and maps
 * the instance's registration / authorization status and last contact onto the cluster.
 * An instance CSSM does not list is "Unregistered" as far as anyone can tell.
 */
import type { CssmDevice } from '../../cssm/cssm.dto.ts';
import type {
  Repositories,
  AuthorizationStatus,
  Cluster,
  ClusterNode,
  ClusterStatusPatch,
  Device,
  RegistrationStatus,
} from '../../store/index.ts';
import { publisherUrl } from '../clients.ts';

/** The fields of a product instance this mapping reads, from CSSM or from the store. */
export interface InstanceFacts {
  instanceName: string | null;
  productTag: string | null;
  udiPid: string;
  udiSerial: string;
  registrationStatus: string | null;
  authorizationStatus: string | null;
  lastContactAt: Date | null;
}

export function fromCssmDevice(d: CssmDevice): InstanceFacts {
  return {
    instanceName: d.instanceName ?? null,
    productTag: d.productTagName ?? null,
    udiPid: d.udiPid,
    udiSerial: d.udiSerialNumber,
    registrationStatus: d.registrationStatus ?? null,
    authorizationStatus: d.authorizationStatus ?? null,
    lastContactAt: d.lastContactDate,
  };
}

export function fromStoredDevice(d: Device): InstanceFacts {
  return {
    instanceName: d.instanceName,
    productTag: d.productTag,
    udiPid: d.udiPid,
    udiSerial: d.udiSerial,
    registrationStatus: d.registrationStatus,
    authorizationStatus: d.authorizationStatus,
    lastContactAt: d.lastContactAt,
  };
}

/** The name CSSM lists the cluster's product instance by: the publisher's host name. */
export function instanceNameOf(
  cluster: Pick<Cluster, 'publisherAddress'>,
  nodes: readonly ClusterNode[],
): string {
  const pub = nodes.find((n) => n.role === 'publisher');
  if (pub?.hostname) return pub.hostname;
  return new URL(publisherUrl(cluster.publisherAddress)).hostname;
}

/** `UDI: PID:…,SN:…`, the form CUCM prints and the cluster row keeps. */
export function udiText(pid: string, sn: string): string {
  return `UDI: PID:${pid},SN:${sn}`;
}

function storedUdi(raw: string | null): { pid: string; sn: string } | undefined {
  const m = raw ? /PID:([^,]+),SN:([^,\s]+)/i.exec(raw) : null;
  return m ? { pid: m[1]!.trim(), sn: m[2]!.trim() } : undefined;
}

/** The instance of this cluster among `devices`, by stored UDI first, then by name. */
export function findInstance(
  devices: readonly InstanceFacts[],
  cluster: Pick<Cluster, 'productUdi'>,
  instanceName: string,
): InstanceFacts | undefined {
  const udi = storedUdi(cluster.productUdi);
  if (udi) {
    const byUdi = devices.find(
      (d) => d.udiPid === udi.pid && d.udiSerial.toLowerCase() === udi.sn.toLowerCase(),
    );
    if (byUdi) return byUdi;
  }
  const name = instanceName.toLowerCase();
  return devices.find((d) => d.instanceName?.toLowerCase() === name);
}

const REG: readonly RegistrationStatus[] = ['Unregistered', 'Registered', 'Registration Expired'];
const AUTH: readonly AuthorizationStatus[] = [
  'No License in use',
  'Evaluation Mode',
  'Evaluation Expired',
  'Authorized',
  'Out of compliance',
  'Authorization Expired',
];

function oneOf<T extends string>(list: readonly T[], v: string | null): T | null {
  if (v === null) return null;
  const k = v.trim().toLowerCase();
  return list.find((x) => x.toLowerCase() === k) ?? null;
}

/** What CSSM's listing (or its silence) says, as the cluster's columns. */
export function cerStatusPatch(
  instance: InstanceFacts | undefined,
  prev: Pick<Cluster, 'outOfComplianceSince'>,
  now: Date,
): ClusterStatusPatch {
  if (!instance) {
    return { registrationStatus: 'Unregistered', authorizationStatus: null, lastStatusReadAt: now };
  }
  const auth = oneOf(AUTH, instance.authorizationStatus);
  return {
    // Listed means registered, unless CSSM says otherwise.
    registrationStatus: oneOf(REG, instance.registrationStatus) ?? 'Registered',
    authorizationStatus: auth,
    lastCommunicationAttempt: instance.lastContactAt,
    productUdi: udiText(instance.udiPid, instance.udiSerial),
    outOfComplianceSince: auth === 'Out of compliance' ? (prev.outOfComplianceSince ?? now) : null,
    lastStatusReadAt: now,
  };
}

/** The patches for an account's Emergency Responder clusters, from the stored device list. */
export async function cerStatusPatches(
  r: Repositories,
  clusters: readonly Cluster[],
  now: Date,
): Promise<{ id: number; patch: ClusterStatusPatch }[]> {
  const out: { id: number; patch: ClusterStatusPatch }[] = [];
  const byVa = new Map<number, InstanceFacts[]>();
  for (const c of clusters) {
    if (c.type !== 'CER' || c.virtualAccountId === null) continue;
    let devices = byVa.get(c.virtualAccountId);
    if (!devices) {
      devices = (await r.devices.listByVirtualAccount(c.virtualAccountId)).map(fromStoredDevice);
      byVa.set(c.virtualAccountId, devices);
    }
    const name = instanceNameOf(c, await r.clusters.listNodes(c.id));
    out.push({ id: c.id, patch: cerStatusPatch(findInstance(devices, c, name), c, now) });
  }
  return out;
}
