import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { ChatRole, Database, McpTokensTable } from '../schema.ts';
import { date, dateOrNull, iso } from './mapping.ts';

export interface McpToken {
  name: string;
  role: ChatRole;
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | null;
  revokedBy: string | null;
  lastUsedAt: Date | null;
}

export interface McpApproval {
  ticketId: string;
  approvedBy: string;
  approvedAt: Date;
}

function toToken(r: Selectable<McpTokensTable>): McpToken {
  return {
    name: r.name,
    role: r.role,
    createdAt: date(r.created_at),
    createdBy: r.created_by,
    revokedAt: dateOrNull(r.revoked_at),
    revokedBy: r.revoked_by,
    lastUsedAt: dateOrNull(r.last_used_at),
  };
}

/** MCP bearer tokens and approvals (migration 0014); the rules are core/services/mcp-tokens.service.ts. */
export class McpTokensRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(t: { name: string; role: ChatRole; secretHash: string; createdBy: string }) {
    await this.db
      .insertInto('mcp_tokens')
      .values({
        name: t.name,
        role: t.role,
        secret_hash: t.secretHash,
        created_at: iso(this.clock.now()),
        created_by: t.createdBy,
        revoked_at: null,
        revoked_by: null,
        last_used_at: null,
      })
      .execute();
  }

  async get(name: string): Promise<McpToken | undefined> {
    const r = await this.db
      .selectFrom('mcp_tokens')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return r ? toToken(r) : undefined;
  }

  /** The token whose secret hashes to `hash`, revoked or not (the caller decides). */
  async byHash(hash: string): Promise<McpToken | undefined> {
    const r = await this.db
      .selectFrom('mcp_tokens')
      .selectAll()
      .where('secret_hash', '=', hash)
      .executeTakeFirst();
    return r ? toToken(r) : undefined;
  }

  async list(): Promise<McpToken[]> {
    const rows = await this.db.selectFrom('mcp_tokens').selectAll().orderBy('name').execute();
    return rows.map(toToken);
  }

  /** True when the token existed and was not revoked yet. */
  async revoke(name: string, by: string): Promise<boolean> {
    const r = await this.db
      .updateTable('mcp_tokens')
      .set({ revoked_at: iso(this.clock.now()), revoked_by: by })
      .where('name', '=', name)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async touch(name: string): Promise<void> {
    await this.db
      .updateTable('mcp_tokens')
      .set({ last_used_at: iso(this.clock.now()) })
      .where('name', '=', name)
      .execute();
  }

  /** Records a person's yes to a ticket; false when one was recorded already. */
  async approve(ticketId: string, by: string): Promise<boolean> {
    const r = await this.db
      .insertInto('mcp_approvals')
      .values({ ticket_id: ticketId, approved_by: by, approved_at: iso(this.clock.now()) })
      .onConflict((oc) => oc.column('ticket_id').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async approval(ticketId: string): Promise<McpApproval | undefined> {
    const r = await this.db
      .selectFrom('mcp_approvals')
      .selectAll()
      .where('ticket_id', '=', ticketId)
      .executeTakeFirst();
    return r
      ? { ticketId: r.ticket_id, approvedBy: r.approved_by, approvedAt: date(r.approved_at) }
      : undefined;
  }
}
