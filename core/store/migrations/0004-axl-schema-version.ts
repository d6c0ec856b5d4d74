/**
 * 0004-axl-schema-version: `clusters.axl_schema_version`, the AXL schema smartlic speaks to a
 * Unified CM cluster when the operator overrides the rule "the newest schema the cluster's
 * release serves" (core/uc/axl-schema.ts). NULL means: follow the cluster's version.
 *
 * A migration NEVER changes once it has shipped; everything it needs lives in this file.
 */
import type { Kysely, Migration } from 'kysely';

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clusters').addColumn('axl_schema_version', 'text').execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clusters').dropColumn('axl_schema_version').execute();
}

export const migration0004AxlSchemaVersion: Migration = { up, down };
