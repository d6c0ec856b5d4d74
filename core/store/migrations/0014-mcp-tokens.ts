/**
 * 0014-mcp-tokens: the MCP face's bearer tokens and the approvals of its writes (issue 26).
 *
 * - `mcp_tokens`: one row per named token. Only the SHA-256 of the secret is kept (the secret
 *   is shown once, at create); a revoked token keeps its row so the audit's actor still names
 *   something, and its name cannot be reused by accident.
 * - `mcp_approvals`: a person's yes (terminal, Slack, Webex, or the client's own elicitation
 *   dialog) to one confirmation ticket an MCP client was given. The ticket itself stays in
 *   `confirmation_tickets` (0012) and is redeemed there, once; this row only says a person,
 *   not the model, said yes.
 *
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import type { Kysely, Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mcp_tokens')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_by', 'text')
    .addColumn('last_used_at', 'text')
    .execute();

  await db.schema
    .createTable('mcp_approvals')
    .addColumn('ticket_id', 'text', (c) => c.primaryKey())
    .addColumn('approved_by', 'text', (c) => c.notNull())
    .addColumn('approved_at', 'text', (c) => c.notNull())
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('mcp_approvals').execute();
  await db.schema.dropTable('mcp_tokens').execute();
}

export const migration0014McpTokens: Migration = { up, down };
