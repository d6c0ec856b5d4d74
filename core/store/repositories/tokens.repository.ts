import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import { maskToken } from '../../domain/token-mask.ts';
import { hashSecret } from '../crypto.ts';
import type { SecretBox } from '../crypto.ts';
import type { Database, RegistrationTokensTable, TokenStatus } from '../schema.ts';
import { bool, date, dateOrNull, iso, isoOrNull, sqlBool } from './mapping.ts';

/** A registration token's metadata; the token itself only through `reveal`/`findValid`. */
export interface RegistrationToken {
  id: number;
  virtualAccountId: number;
  tokenHash: string;
  description: string | null;
  expiresAt: Date | null;
  exportControlled: boolean;
  createdBy: string | null;
  status: TokenStatus;
  createdAt: Date;
  revokedAt: Date | null;
  /** As shown (`abcd…wxyz`); null only for tokens stored before 0003 and not shown since. */
  masked: string | null;
  /** Since when CSSM no longer lists the token (null: listed, or not read yet). */
  goneSince: Date | null;
}

export interface TokenInput {
  virtualAccountId: number;
  /** Plaintext token; stored encrypted plus its sha256. */
  token: string;
  description?: string | null;
  expiresAt?: Date | null;
  exportControlled?: boolean;
  createdBy?: string | null;
  status?: TokenStatus;
  createdAt?: Date;
}

function toToken(r: Selectable<RegistrationTokensTable>): RegistrationToken {
  return {
    id: r.id,
    virtualAccountId: r.virtual_account_id,
    tokenHash: r.token_hash,
    description: r.description,
    expiresAt: dateOrNull(r.expires_at),
    exportControlled: bool(r.export_controlled),
    createdBy: r.created_by,
    status: r.status,
    createdAt: date(r.created_at),
    revokedAt: dateOrNull(r.revoked_at),
    masked: r.masked,
    goneSince: dateOrNull(r.gone_since),
  };
}

export class TokensRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Stores a token encrypted. The same token seen again (same sha256) updates its metadata
   * instead of adding a row, so repeated syncs do not duplicate tokens.
   */
  async store(input: TokenInput): Promise<RegistrationToken> {
    const hash = hashSecret(input.token);
    const meta = {
      virtual_account_id: input.virtualAccountId,
      description: input.description ?? null,
      expires_at: isoOrNull(input.expiresAt),
      export_controlled: sqlBool(input.exportControlled),
      created_by: input.createdBy ?? null,
      status: input.status ?? 'Active',
      masked: maskToken(input.token),
      // Stored again because CSSM listed it (or it was just created): not gone.
      gone_since: null,
    };
    const row = await this.db
      .insertInto('registration_tokens')
      .values({
        ...meta,
        token_enc: this.secrets.encrypt(input.token),
        token_hash: hash,
        created_at: iso(input.createdAt ?? this.clock.now()),
      })
      .onConflict((oc) => oc.column('token_hash').doUpdateSet(meta))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toToken(row);
  }

  async list(
    filter: { virtualAccountId?: number; status?: TokenStatus } = {},
  ): Promise<RegistrationToken[]> {
    let q = this.db.selectFrom('registration_tokens').selectAll();
    if (filter.virtualAccountId !== undefined) {
      q = q.where('virtual_account_id', '=', filter.virtualAccountId);
    }
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    return (await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute()).map(toToken);
  }

  /** Every token of the VAs of one Smart Account (newest first). */
  async listBySmartAccount(smartAccountId: number): Promise<RegistrationToken[]> {
    const rows = await this.db
      .selectFrom('registration_tokens')
      .innerJoin(
        'virtual_accounts',
        'virtual_accounts.id',
        'registration_tokens.virtual_account_id',
      )
      .selectAll('registration_tokens')
      .where('virtual_accounts.smart_account_id', '=', smartAccountId)
      .orderBy('registration_tokens.created_at', 'desc')
      .orderBy('registration_tokens.id', 'desc')
      .execute();
    return rows.map(toToken);
  }

  /**
   * Active tokens in the VAs of one Smart Account. Run by every account's sync write, so it
   * must cost what the account holds: written as a join, SQLite walked the estate's every
   * Active token by `registration_tokens_status_expiry_idx` (migration 0017) and joined each
   * to its VA, so a full sync read accounts × tokens rows (issue 23). The VA list first, then
   * `registration_tokens_va_idx (virtual_account_id, status)` per VA.
   */
  async countActiveBySmartAccount(smartAccountId: number): Promise<number> {
    const r = await this.db
      .selectFrom('registration_tokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('virtual_account_id', 'in', (eb) =>
        eb
          .selectFrom('virtual_accounts')
          .select('virtual_accounts.id')
          .where('virtual_accounts.smart_account_id', '=', smartAccountId),
      )
      .where('status', '=', 'Active')
      .where('gone_since', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async findByValue(token: string): Promise<RegistrationToken | undefined> {
    const row = await this.db
      .selectFrom('registration_tokens')
      .selectAll()
      .where('token_hash', '=', hashSecret(token))
      .executeTakeFirst();
    return row && toToken(row);
  }

  /**
   * An active token of the VA still valid at `validAt` + `minRemainingMs` (the one that expires
   * last), with its decrypted value; undefined when there is none.
   */
  async findValid(
    virtualAccountId: number,
    opts: { exportControlled?: boolean; validAt?: Date; minRemainingMs?: number } = {},
  ): Promise<{ token: RegistrationToken; value: string } | undefined> {
    const at = new Date((opts.validAt ?? this.clock.now()).getTime() + (opts.minRemainingMs ?? 0));
    let q = this.db
      .selectFrom('registration_tokens')
      .selectAll()
      .where('virtual_account_id', '=', virtualAccountId)
      .where('status', '=', 'Active')
      .where('gone_since', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', iso(at))]));
    if (opts.exportControlled !== undefined) {
      q = q.where('export_controlled', '=', sqlBool(opts.exportControlled));
    }
    // NULL expiry (never expires) sorts first in DESC order only with an explicit rule.
    const row = await q
      .orderBy((eb) => eb.case().when('expires_at', 'is', null).then(0).else(1).end())
      .orderBy('expires_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (!row) return undefined;
    return { token: toToken(row), value: this.secrets.decrypt(row.token_enc) };
  }

  /** Decrypts one token. Callers must not log or show it in chat. */
  async reveal(id: number): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('registration_tokens')
      .select('token_enc')
      .where('id', '=', id)
      .executeTakeFirst();
    return row && this.secrets.decrypt(row.token_enc);
  }

  async markRevoked(id: number, at: Date = this.clock.now()): Promise<boolean> {
    const r = await this.db
      .updateTable('registration_tokens')
      .set({ status: 'Revoked', revoked_at: iso(at) })
      .where('id', '=', id)
      .where('status', '!=', 'Revoked')
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /**
   * Marks the VA's tokens whose hash is not in `listedHashes` (CSSM's list of the VA lacks
   * them) as gone since `now`, unless already marked. Returns how many were newly marked.
   */
  async markGone(
    virtualAccountId: number,
    listedHashes: readonly string[],
    now: Date,
  ): Promise<number> {
    let q = this.db
      .updateTable('registration_tokens')
      .set({ gone_since: iso(now) })
      .where('virtual_account_id', '=', virtualAccountId)
      .where('gone_since', 'is', null);
    if (listedHashes.length > 0) q = q.where('token_hash', 'not in', [...listedHashes]);
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  }

  /** Stores the masked form of a token stored before it was kept (0003). */
  async setMasked(id: number, masked: string): Promise<void> {
    await this.db.updateTable('registration_tokens').set({ masked }).where('id', '=', id).execute();
  }

  /** Marks active tokens past their expiry as Expired; returns how many. */
  async markExpired(now: Date = this.clock.now()): Promise<number> {
    const r = await this.db
      .updateTable('registration_tokens')
      .set({ status: 'Expired' })
      .where('status', '=', 'Active')
      .where('expires_at', 'is not', null)
      .where('expires_at', '<=', iso(now))
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}
