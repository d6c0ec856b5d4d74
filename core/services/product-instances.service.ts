/**
 * Removing a registered product instance from CSSM (DOMAIN §2 `devices/remove`), the case Cisco
 * documents for an RMA or a decommissioned cluster — not only as part of a CER deregistration.
 * The instance is found among the devices the last sync stored for the VA (by instance name
 * or UDI serial number), so an unknown name is refused before anything is sent; after the
 * removal CSSM's own list is read again to prove it is gone.
 */
import { SmartlicError } from '../errors.ts';
import type { Device, Job, Repositories, SmartAccount, VirtualAccount } from '../store/index.ts';
import type { JobRunner } from './jobs.service.ts';
import { toSmartlicError } from '../errors.ts';
import type { SyncOutcome, SyncService } from './sync.service.ts';
import type { CssmClientFor } from './tokens.service.ts';
import { resolveVa, vaLabel } from './virtual-accounts.service.ts';

export interface ProductInstanceRemoval {
  job: Job;
  va: string;
  instanceName: string;
  udiPid: string;
  udiSerial: string;
  /** The re-read of the account after the removal (clusters, devices, usage, alerts). */
  resync: Pick<SyncOutcome, 'status' | 'error'>;
}

export interface ProductInstancesServiceDeps {
  repos: Repositories;
  jobs: JobRunner;
  cssmFor: CssmClientFor;
  sync: Pick<SyncService, 'syncAccount'>;
}

export class ProductInstancesService {
  constructor(private readonly deps: ProductInstancesServiceDeps) {}

  /** The stored product instance `instance` (name or serial number) of the VA; sends nothing. */
  async find(input: {
    domain: string;
    va: string;
    instance: string;
  }): Promise<{ account: SmartAccount; va: VirtualAccount; device: Device }> {
    const { account, va } = await resolveVa(this.deps.repos, input.domain, input.va);
    const key = input.instance.trim().toLowerCase();
    const devices = await this.deps.repos.devices.listByVirtualAccount(va.id);
    const hits = devices.filter(
      (d) => d.instanceName.toLowerCase() === key || d.udiSerial.toLowerCase() === key,
    );
    if (hits.length === 0) {
      throw new SmartlicError({
        code: 'NOT_FOUND',
        message: `no product instance "${input.instance}" is registered in ${vaLabel(account, va)} (as of the last sync)`,
        action: `sync ${account.domain}, then name the instance by its name or UDI serial number as \`va ${vaLabel(account, va)}\` or CSSM lists it`,
      });
    }
    if (hits.length > 1) {
      throw new SmartlicError({
        code: 'INPUT',
        message: `${hits.length} product instances in ${vaLabel(account, va)} are named "${input.instance}" (serial numbers ${hits.map((h) => h.udiSerial).join(', ')})`,
        action: 'name the one to remove by its UDI serial number',
      });
    }
    return { account, va, device: hits[0]! };
  }

  /** Removes the instance in CSSM as one job ("Remove Product Instance"). */
  async remove(input: {
    domain: string;
    va: string;
    instance: string;
    requestedBy: string;
  }): Promise<ProductInstanceRemoval> {
    const { account, va, device } = await this.find(input);
    const label = vaLabel(account, va);
    const { job, result } = await this.deps.jobs.run(
      {
        jobType: 'Remove Product Instance',
        entityType: 'Virtual Account',
        entityName: label,
        description: `Remove product instance ${device.instanceName} (${device.udiPid}, SN ${device.udiSerial}) from ${label}`,
        requestedBy: input.requestedBy,
        account: { id: account.id, domain: account.domain },
      },
      async () => {
        const cssm = await this.deps.cssmFor(account);
        await cssm.client.removeDevices(cssm.accountKey, va.name, [
          {
            udiPid: device.udiPid,
            udiSerialNumber: device.udiSerial,
            ...(device.productTag ? { productTagName: device.productTag } : {}),
          },
        ]);
        const still = (await cssm.client.listDevices(cssm.accountKey, { va: va.name })).filter(
          (d) => d.udiSerialNumber.toLowerCase() === device.udiSerial.toLowerCase(),
        );
        if (still.length > 0) {
          throw new SmartlicError({
            code: 'CAA1082',
            message: `CSSM still lists ${device.instanceName} in ${label} after removing it`,
            action: 'remove the product instance in the CSSM portal, then sync',
          });
        }
        // What smartlic stored follows CSSM now rather than at the next sync.
        const rest = (await this.deps.repos.devices.listByVirtualAccount(va.id)).filter(
          (d) => d.id !== device.id,
        );
        await this.deps.repos.devices.replaceForVirtualAccount(va.id, rest);
        // The clusters, usage and alerts the instance stood for follow at once.
        try {
          const o = await this.deps.sync.syncAccount(account.domain, {
            requestedBy: input.requestedBy,
            full: true,
          });
          return { status: o.status, ...(o.error ? { error: o.error } : {}) };
        } catch (e) {
          const err = toSmartlicError(e);
          return { status: 'Failed' as const, error: { code: err.code, message: err.message } };
        }
      },
      (r) =>
        `${device.instanceName} (SN ${device.udiSerial}) removed from ${label}; the product finds itself unregistered at its next contact with CSSM.` +
        (r.status === 'Completed' ? '' : ` The re-read of ${account.domain} failed: sync it.`),
    );
    return {
      job,
      va: label,
      instanceName: device.instanceName,
      udiPid: device.udiPid,
      udiSerial: device.udiSerial,
      resync: result,
    };
  }
}
