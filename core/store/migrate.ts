import { Migrator } from 'kysely';
import type { Kysely, MigrationProvider } from 'kysely';
import { SmartlicError } from '../errors.ts';
import { MIGRATIONS } from './migrations/index.ts';
import type { Database } from './schema.ts';

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};

function migrator(db: Kysely<Database>): Migrator {
  // Migration numbers are handed out to parallel branches, so a database may already carry a
  // later number (0005) when an earlier one (0003) arrives: apply it then, do not refuse.
  return new Migrator({ db, provider, allowUnorderedMigrations: true });
}

/** Runs every pending migration; returns the names that ran (empty when up to date). */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new SmartlicError({
      code: 'DB',
      message: `database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : 'unknown error'}`,
      action: 'restore the last backup or report the error; the database was left as it was before',
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations not yet applied (for a readiness check before opening the app). */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
