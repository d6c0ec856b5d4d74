/**
 * 0011-account-devices-api: the device-list API base belongs to the account.
 *
 * CSSM cloud serves the device list under the newer "Software APIs" root (DOMAIN §2), not under
 * the account's API base. It used to come from config `cssm.devicesApiBase`, which `smartlic
 * start` re-pointed at the lab in its own memory only: every other process on a lab database
 * (a `sync` in another terminal, the chat) sent the lab's device-list call to Cisco. Now it is
 * stored with the account, beside `token_url` and `api_base` (0002).
 *
 * - `smart_accounts.devices_api_base`: root of the device-list API of a cloud account; NULL for
 *   a satellite (it serves devices under its own API root) and, on a database older than this,
 *   for an account on config's CSSM (then config `cssm.devicesApiBase` applies).
 *
 * Existing lab accounts are filled from what the lab knows: the embedded emulator serves the
 * account API at `<origin>/services/api/smart-accounts-and-licensing` and the device list at
 * `<origin>/v1/software/apis/`. A cloud account whose stored API base has that shape on a host
 * that is not Cisco's gets the matching device-list base; real accounts are left as they were.
 *
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import type { Kysely, Migration } from 'kysely';

const ACCOUNT_API_SUFFIX = '/services/api/smart-accounts-and-licensing';
const DEVICES_API_SUFFIX = '/v1/software/apis/';

interface Row {
  id: number;
  api_base: string | null;
}

/** The lab's device-list base for a lab API base; undefined when it is not the lab's shape. */
function labDevicesBase(apiBase: string): string | undefined {
  let u: URL;
  try {
    u = new URL(apiBase);
  } catch {
    return undefined;
  }
  const host = u.hostname.toLowerCase();
  if (host === 'cisco.com' || host.endsWith('.cisco.com')) return undefined;
  const path = u.pathname.replace(/\/+$/, '');
  if (!path.endsWith(ACCOUNT_API_SUFFIX)) return undefined;
  return `${u.origin}${path.slice(0, -ACCOUNT_API_SUFFIX.length)}${DEVICES_API_SUFFIX}`;
}

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('smart_accounts').addColumn('devices_api_base', 'text').execute();
  // Untyped here on purpose: a migration sees the schema of its own time, not schema.ts.
  const d = db as unknown as Kysely<{
    smart_accounts: Row & { source: string; devices_api_base: string | null };
  }>;
  const rows = await d
    .selectFrom('smart_accounts')
    .select(['id', 'api_base'])
    .where('source', '=', 'cssm')
    .where('api_base', 'is not', null)
    .execute();
  for (const r of rows) {
    const devices = labDevicesBase(r.api_base!);
    if (!devices) continue;
    await d
      .updateTable('smart_accounts')
      .set({ devices_api_base: devices })
      .where('id', '=', r.id)
      .execute();
  }
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('smart_accounts').dropColumn('devices_api_base').execute();
}

export const migration0011AccountDevicesApi: Migration = { up, down };
