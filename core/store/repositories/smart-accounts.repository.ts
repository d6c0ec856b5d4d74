import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import { redactOptional } from '../../redact.ts';
import type { SecretBox } from '../crypto.ts';
import type {
  AccountSource,
  Database,
  SmartAccountRow,
  SmartAccountType,
  TransportMode,
} from '../schema.ts';
import { perDialect, textParam } from '../dialect.ts';
import { date, dateOrNull, defined, iso } from './mapping.ts';

/** A provisioned Smart Account (or satellite local account). Secrets appear only as flags. */
export interface SmartAccount {
  id: number;
  domain: string;
  name: string;
  type: SmartAccountType;
  status: string;
  source: AccountSource;
  transportMode: TransportMode;
  proxyHost: string | null;
  proxyPort: number | null;
  proxyUsername: string | null;
  hasProxyPassword: boolean;
  satelliteHost: string | null;
  satellitePort: number | null;
  satelliteTokenUrl: string | null;
  satelliteRegistrationUrl: string | null;
  localAccountName: string | null;
  clientId: string | null;
  hasClientSecret: boolean;
  lastSyncAt: Date | null;
  lastSyncStatus: string | null;
  lastSyncError: string | null;
  /** OAuth token URL of this account; null = config `cssm.tokenUrl` (cloud). */
  tokenUrl: string | null;
  /** API root of this account; null = config `cssm.apiBase` (cloud). */
  apiBase: string | null;
  /** Device-list API root of a cloud account; null = config `cssm.devicesApiBase`. */
  devicesApiBase: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Fields to create or update. On update, `undefined` keeps the stored value and `null` clears
 * it. `clientSecret` and `proxyPassword` are plaintext here and encrypted before storage.
 */
export interface SmartAccountInput {
  domain: string;
  name?: string;
  type?: SmartAccountType;
  status?: string;
  source?: AccountSource;
  transportMode?: TransportMode;
  proxyHost?: string | null;
  proxyPort?: number | null;
  proxyUsername?: string | null;
  proxyPassword?: string | null;
  satelliteHost?: string | null;
  satellitePort?: number | null;
  satelliteTokenUrl?: string | null;
  satelliteRegistrationUrl?: string | null;
  localAccountName?: string | null;
  clientId?: string | null;
  clientSecret?: string | null;
  tokenUrl?: string | null;
  apiBase?: string | null;
  devicesApiBase?: string | null;
}

export interface SmartAccountCredentials {
  clientId: string | null;
  clientSecret: string | null;
  proxyUsername: string | null;
  proxyPassword: string | null;
}

export interface SyncStatusUpdate {
  at: Date;
  /** e.g. `Success`, `Failed` (free text: the sync service decides the vocabulary). */
  status: string;
  /** Operator-facing error line; null on success. */
  error?: string | null;
  /**
   * The caller wrote, in the same transaction, data an account's pages or read models show
   * (CSSM data, a cluster's status or usage): the account's `data_version` moves. It also
   * moves when the recorded status or error differs from the stored one; a sync that changed
   * nothing and ended as the last one did leaves it alone (issue 23).
   */
  dataChanged?: boolean;
}

export function toSmartAccount(r: SmartAccountRow): SmartAccount {
  return {
    id: r.id,
    domain: r.domain,
    name: r.name,
    type: r.type,
    status: r.status,
    source: r.source,
    transportMode: r.transport_mode,
    proxyHost: r.proxy_host,
    proxyPort: r.proxy_port,
    proxyUsername: r.proxy_username,
    hasProxyPassword: r.proxy_password_enc !== null,
    satelliteHost: r.satellite_host,
    satellitePort: r.satellite_port,
    satelliteTokenUrl: r.satellite_token_url,
    satelliteRegistrationUrl: r.satellite_registration_url,
    localAccountName: r.local_account_name,
    clientId: r.client_id,
    hasClientSecret: r.client_secret_enc !== null,
    lastSyncAt: dateOrNull(r.last_sync_at),
    lastSyncStatus: r.last_sync_status,
    lastSyncError: r.last_sync_error,
    tokenUrl: r.token_url,
    apiBase: r.api_base,
    devicesApiBase: r.devices_api_base,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

export class SmartAccountsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  private enc(v: string | null | undefined): string | null | undefined {
    return v === undefined || v === null ? v : this.secrets.encrypt(v);
  }

  /** Inserts a new account, or updates the one with the same domain; returns it. */
  async upsert(input: SmartAccountInput): Promise<SmartAccount> {
    const now = iso(this.clock.now());
    const changes = defined({
      name: input.name,
      type: input.type,
      status: input.status,
      source: input.source,
      transport_mode: input.transportMode,
      proxy_host: input.proxyHost,
      proxy_port: input.proxyPort,
      proxy_username: input.proxyUsername,
      proxy_password_enc: this.enc(input.proxyPassword),
      satellite_host: input.satelliteHost,
      satellite_port: input.satellitePort,
      satellite_token_url: input.satelliteTokenUrl,
      satellite_registration_url: input.satelliteRegistrationUrl,
      local_account_name: input.localAccountName,
      client_id: input.clientId,
      client_secret_enc: this.enc(input.clientSecret),
      token_url: input.tokenUrl,
      api_base: input.apiBase,
      devices_api_base: input.devicesApiBase,
    });
    const row = await this.db
      .insertInto('smart_accounts')
      .values({
        domain: input.domain,
        name: input.name ?? input.domain,
        type: input.type ?? 'CUSTOMER',
        status: input.status ?? 'Active',
        source: input.source ?? 'cssm',
        transport_mode: input.transportMode ?? 'Direct',
        ...changes,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('domain').doUpdateSet({ ...changes, updated_at: now }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSmartAccount(row);
  }

  /** Alias of `upsert` for readability where an account is provisioned for the first time. */
  create(input: SmartAccountInput): Promise<SmartAccount> {
    return this.upsert(input);
  }

  async getById(id: number): Promise<SmartAccount | undefined> {
    const row = await this.db
      .selectFrom('smart_accounts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toSmartAccount(row);
  }

  async getByDomain(domain: string): Promise<SmartAccount | undefined> {
    const row = await this.db
      .selectFrom('smart_accounts')
      .selectAll()
      .where('domain', '=', domain)
      .executeTakeFirst();
    return row && toSmartAccount(row);
  }

  async list(filter: { source?: AccountSource } = {}): Promise<SmartAccount[]> {
    let q = this.db.selectFrom('smart_accounts').selectAll().orderBy('domain');
    if (filter.source !== undefined) q = q.where('source', '=', filter.source);
    return (await q.execute()).map(toSmartAccount);
  }

  async updateSyncStatus(id: number, s: SyncStatusUpdate): Promise<void> {
    const error = redactOptional(s.error ?? null);
    // Null-safe "differs" on both engines.
    const differs = perDialect(this.db, {
      sqlite: sql<boolean>`(last_sync_status is not ${s.status} or last_sync_error is not ${error})`,
      postgres: sql<boolean>`(last_sync_status is distinct from ${textParam(this.db, s.status)}
        or last_sync_error is distinct from ${textParam(this.db, error)})`,
    });
    await this.db
      .updateTable('smart_accounts')
      .set({
        last_sync_at: iso(s.at),
        last_sync_status: s.status,
        last_sync_error: error,
        updated_at: iso(this.clock.now()),
        // A sync calls this inside its write transaction: the version moves with the data it
        // wrote, or with a result that reads differently (the site then re-reads this account's
        // pages, reports.dataVersions). The last sync's time alone moves nothing: the pages
        // that show it read it whole each build. SET's right-hand side sees the old row.
        data_version: s.dataChanged
          ? sql<number>`data_version + 1`
          : sql<number>`data_version + (case when ${differs} then 1 else 0 end)`,
      })
      .where('id', '=', id)
      .execute();
  }

  /** The sync service's incremental state (JSON text, no secrets); undefined when none. */
  async getSyncState(id: number): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('smart_accounts')
      .select('sync_state')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.sync_state ?? undefined;
  }

  async setSyncState(id: number, state: string | null): Promise<void> {
    await this.db
      .updateTable('smart_accounts')
      .set({ sync_state: state })
      .where('id', '=', id)
      .execute();
  }

  /** Decrypts the stored secrets. Callers must not log or show the result. */
  async getCredentials(id: number): Promise<SmartAccountCredentials | undefined> {
    const row = await this.db
      .selectFrom('smart_accounts')
      .select(['client_id', 'client_secret_enc', 'proxy_username', 'proxy_password_enc'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      clientId: row.client_id,
      clientSecret:
        row.client_secret_enc === null ? null : this.secrets.decrypt(row.client_secret_enc),
      proxyUsername: row.proxy_username,
      proxyPassword:
        row.proxy_password_enc === null ? null : this.secrets.decrypt(row.proxy_password_enc),
    };
  }

  /** Deletes the account and, by cascade, its VAs and everything under them. */
  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('smart_accounts').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}
