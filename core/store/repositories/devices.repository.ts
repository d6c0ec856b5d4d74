import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { Database, DevicesTable } from '../schema.ts';
import { atomically, date, dateOrNull, iso, isoOrNull } from './mapping.ts';

/** A product instance registered in a VA (DOMAIN §1, §2 list devices). */
export interface DeviceInput {
  instanceName: string;
  productTag?: string | null;
  udiPid: string;
  udiSerial: string;
  registrationStatus?: string | null;
  authorizationStatus?: string | null;
  lastContactAt?: Date | null;
}

export interface Device {
  id: number;
  virtualAccountId: number;
  instanceName: string;
  productTag: string | null;
  udiPid: string;
  udiSerial: string;
  registrationStatus: string | null;
  authorizationStatus: string | null;
  lastContactAt: Date | null;
  updatedAt: Date;
}

function toDevice(r: Selectable<DevicesTable>): Device {
  return {
    id: r.id,
    virtualAccountId: r.virtual_account_id,
    instanceName: r.instance_name,
    productTag: r.product_tag,
    udiPid: r.udi_pid,
    udiSerial: r.udi_serial,
    registrationStatus: r.registration_status,
    authorizationStatus: r.authorization_status,
    lastContactAt: dateOrNull(r.last_contact_at),
    updatedAt: date(r.updated_at),
  };
}

export class DevicesRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  private row(virtualAccountId: number, d: DeviceInput, now: string) {
    return {
      virtual_account_id: virtualAccountId,
      instance_name: d.instanceName,
      product_tag: d.productTag ?? null,
      udi_pid: d.udiPid,
      udi_serial: d.udiSerial,
      registration_status: d.registrationStatus ?? null,
      authorization_status: d.authorizationStatus ?? null,
      last_contact_at: isoOrNull(d.lastContactAt),
      updated_at: now,
    };
  }

  /** Inserts or updates by (VA, UDI PID, serial). */
  async upsert(virtualAccountId: number, d: DeviceInput): Promise<Device> {
    const values = this.row(virtualAccountId, d, iso(this.clock.now()));
    const { virtual_account_id: _va, udi_pid: _pid, udi_serial: _sn, ...changes } = values;
    const row = await this.db
      .insertInto('devices')
      .values(values)
      .onConflict((oc) =>
        oc.columns(['virtual_account_id', 'udi_pid', 'udi_serial']).doUpdateSet(changes),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toDevice(row);
  }

  /** Replaces the VA's device list with what CSSM reported, all or nothing. */
  async replaceForVirtualAccount(
    virtualAccountId: number,
    devices: readonly DeviceInput[],
  ): Promise<void> {
    const now = iso(this.clock.now());
    await atomically(this.db, async (trx) => {
      await trx.deleteFrom('devices').where('virtual_account_id', '=', virtualAccountId).execute();
      if (devices.length === 0) return;
      await trx
        .insertInto('devices')
        .values(devices.map((d) => this.row(virtualAccountId, d, now)))
        .execute();
    });
  }

  async listByVirtualAccount(virtualAccountId: number): Promise<Device[]> {
    const rows = await this.db
      .selectFrom('devices')
      .selectAll()
      .where('virtual_account_id', '=', virtualAccountId)
      .orderBy('instance_name')
      .orderBy('id')
      .execute();
    return rows.map(toDevice);
  }

  async findBySerial(udiSerial: string): Promise<Device[]> {
    const rows = await this.db
      .selectFrom('devices')
      .selectAll()
      .where('udi_serial', '=', udiSerial)
      .execute();
    return rows.map(toDevice);
  }

  /** By VA name: `pid|serial` of each device stored for the account's (not removed) VAs. */
  async keysBySmartAccount(smartAccountId: number): Promise<Map<string, Set<string>>> {
    const rows = await this.db
      .selectFrom('devices')
      .innerJoin('virtual_accounts', 'virtual_accounts.id', 'devices.virtual_account_id')
      .select(['virtual_accounts.name as va', 'devices.udi_pid as pid', 'devices.udi_serial as sn'])
      .where('virtual_accounts.smart_account_id', '=', smartAccountId)
      .where('virtual_accounts.removed_at', 'is', null)
      .execute();
    const out = new Map<string, Set<string>>();
    for (const r of rows) {
      (out.get(r.va) ?? out.set(r.va, new Set()).get(r.va)!).add(`${r.pid}|${r.sn}`);
    }
    return out;
  }
}
