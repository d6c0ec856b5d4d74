import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { BillingType, Database, LicenseDetailType } from '../schema.ts';
import { atomically, bool, dateOrNull, iso, isoOrNull, sqlBool } from './mapping.ts';

export interface LicenseDetail {
  licenseType: LicenseDetailType;
  quantity: number;
  startDate: Date | null;
  /** null for perpetual licenses. */
  endDate: Date | null;
  subscriptionId: string | null;
  status: string;
}

export interface LicenseInput {
  /** Catalog `LicenseTypeId` when known, else CSSM's license name (unique per VA). */
  licenseType: string;
  displayName: string;
  quantity: number;
  inUse: number;
  available: number;
  reserved?: number;
  pendingQuantity?: number;
  status: string;
  billingType: BillingType;
  isPortable?: boolean;
  details?: readonly LicenseDetail[];
}

export interface License extends Required<Omit<LicenseInput, 'details'>> {
  id: number;
  virtualAccountId: number;
  details: LicenseDetail[];
  updatedAt: Date;
}

export interface LicenseSubstitution {
  licenseName: string;
  substitutedLicense: string;
  quantity: number;
  substitutionType: string | null;
}

export class LicensesRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Replaces every license, detail and substitution of the VA with the given ones, all or
   * nothing (joins the caller's transaction if there is one).
   */
  async replaceForVirtualAccount(
    virtualAccountId: number,
    licenses: readonly LicenseInput[],
    substitutions: readonly LicenseSubstitution[] = [],
  ): Promise<void> {
    const now = iso(this.clock.now());
    await atomically(this.db, async (trx) => {
      await trx.deleteFrom('licenses').where('virtual_account_id', '=', virtualAccountId).execute();
      await trx
        .deleteFrom('license_substitutions')
        .where('virtual_account_id', '=', virtualAccountId)
        .execute();
      for (const l of licenses) {
        const { id } = await trx
          .insertInto('licenses')
          .values({
            virtual_account_id: virtualAccountId,
            license_type: l.licenseType,
            display_name: l.displayName,
            quantity: l.quantity,
            in_use: l.inUse,
            available: l.available,
            reserved: l.reserved ?? 0,
            pending_quantity: l.pendingQuantity ?? 0,
            status: l.status,
            billing_type: l.billingType,
            is_portable: sqlBool(l.isPortable),
            updated_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const details = l.details ?? [];
        if (details.length > 0) {
          await trx
            .insertInto('license_details')
            .values(
              details.map((dt) => ({
                license_id: id,
                license_type: dt.licenseType,
                quantity: dt.quantity,
                start_date: isoOrNull(dt.startDate),
                end_date: isoOrNull(dt.endDate),
                subscription_id: dt.subscriptionId,
                status: dt.status,
              })),
            )
            .execute();
        }
      }
      if (substitutions.length > 0) {
        await trx
          .insertInto('license_substitutions')
          .values(
            substitutions.map((s) => ({
              virtual_account_id: virtualAccountId,
              license_name: s.licenseName,
              substituted_license: s.substitutedLicense,
              quantity: s.quantity,
              substitution_type: s.substitutionType,
            })),
          )
          .execute();
      }
    });
  }

  async listByVirtualAccount(virtualAccountId: number): Promise<License[]> {
    const rows = await this.db
      .selectFrom('licenses')
      .selectAll()
      .where('virtual_account_id', '=', virtualAccountId)
      .orderBy('license_type')
      .execute();
    if (rows.length === 0) return [];
    const details = await this.db
      .selectFrom('license_details')
      .selectAll()
      .where(
        'license_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      virtualAccountId: r.virtual_account_id,
      licenseType: r.license_type,
      displayName: r.display_name,
      quantity: r.quantity,
      inUse: r.in_use,
      available: r.available,
      reserved: r.reserved,
      pendingQuantity: r.pending_quantity,
      status: r.status,
      billingType: r.billing_type,
      isPortable: bool(r.is_portable),
      updatedAt: new Date(r.updated_at),
      details: details
        .filter((dt) => dt.license_id === r.id)
        .map((dt) => ({
          licenseType: dt.license_type,
          quantity: dt.quantity,
          startDate: dateOrNull(dt.start_date),
          endDate: dateOrNull(dt.end_date),
          subscriptionId: dt.subscription_id,
          status: dt.status,
        })),
    }));
  }

  async listSubstitutions(virtualAccountId: number): Promise<LicenseSubstitution[]> {
    const rows = await this.db
      .selectFrom('license_substitutions')
      .selectAll()
      .where('virtual_account_id', '=', virtualAccountId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      licenseName: r.license_name,
      substitutedLicense: r.substituted_license,
      quantity: r.quantity,
      substitutionType: r.substitution_type,
    }));
  }

  /** By VA name: the license types stored for each listed (not removed) VA of the account. */
  async typesBySmartAccount(smartAccountId: number): Promise<Map<string, Set<string>>> {
    const rows = await this.db
      .selectFrom('licenses')
      .innerJoin('virtual_accounts', 'virtual_accounts.id', 'licenses.virtual_account_id')
      .select(['virtual_accounts.name as va', 'licenses.license_type as type'])
      .where('virtual_accounts.smart_account_id', '=', smartAccountId)
      .where('virtual_accounts.removed_at', 'is', null)
      .execute();
    const out = new Map<string, Set<string>>();
    for (const r of rows) (out.get(r.va) ?? out.set(r.va, new Set()).get(r.va)!).add(r.type);
    return out;
  }
}
