import { Migrator } from 'kysely';
import type { Kysely, MigrationProvider } from 'kysely';
import { systemClock, type Clock } from '../clock.ts';
import { SmartlicError } from '../errors.ts';
import { SMARTLIC_VERSION } from '../version.ts';
import { MIGRATIONS } from './migrations/index.ts';
import type { Database } from './schema.ts';

export interface MigrateOptions {
  /**
   * Only these migrations (a logical backup's schema, built before its rows go in and the
   * later migrations run over them: logical-backup.ts). Recorded in the version ledger by the
   * caller, which knows which smartlic applied them.
   */
  only?: readonly string[];
  /** `db` is one connection inside a transaction the caller opened: the migrator opens none. */
  inOpenTransaction?: boolean;
}

function providerFor(only: readonly string[] | undefined): MigrationProvider {
  const chosen =
    only === undefined
      ? { ...MIGRATIONS }
      : Object.fromEntries(Object.entries(MIGRATIONS).filter(([name]) => only.includes(name)));
  return { getMigrations: () => Promise.resolve(chosen) };
}

/**
 * Which smartlic version applied each migration, beside kysely's own `kysely_migration`. It is
 * bookkeeping like kysely's table, not part of the schema, so it is created here (if missing)
 * rather than by a numbered migration: an older smartlic that meets a newer database reads it
 * to say which version the database needs.
 */
export const MIGRATION_VERSIONS_TABLE = 'smartlic_migration_versions';
const VERSIONS_TABLE = MIGRATION_VERSIONS_TABLE;

function migrator(db: Kysely<Database>, opts: MigrateOptions = {}): Migrator {
  // Migration numbers are handed out to parallel branches, so a database may already carry a
  // later number (0005) when an earlier one (0003) arrives: apply it then, do not refuse.
  return new Migrator({
    db,
    provider: providerFor(opts.only),
    allowUnorderedMigrations: true,
    disableTransactions: opts.inOpenTransaction === true,
  });
}

type Untyped = Kysely<Record<string, Record<string, unknown>>>;

async function tableNames(db: Kysely<Database>): Promise<Set<string>> {
  return new Set(
    (await db.introspection.getTables({ withInternalKyselyTables: true })).map((t) => t.name),
  );
}

/**
 * Refuses (DB_NEWER) a database a newer smartlic has migrated: it carries migrations this build
 * does not know. Migrating it, or reading it as if it had this build's schema, could lose what
 * the newer version stored, and restoring an older backup would throw that away too.
 */
async function refuseNewer(db: Kysely<Database>): Promise<void> {
  const tables = await tableNames(db);
  if (!tables.has('kysely_migration')) return;
  const u = db as unknown as Untyped;
  const applied = (await u.selectFrom('kysely_migration').select('name').execute()).map((r) =>
    String(r.name),
  );
  const unknown = applied.filter((n) => !(n in MIGRATIONS)).sort();
  if (unknown.length === 0) return;
  let by: string[] = [];
  if (tables.has(VERSIONS_TABLE)) {
    const rows = await u
      .selectFrom(VERSIONS_TABLE)
      .select(['name', 'smartlic_version'])
      .where('name', 'in', unknown)
      .execute();
    by = [...new Set(rows.map((r) => String(r.smartlic_version)))].sort(compareVersions);
  }
  const needs = by.at(-1);
  const known = Object.keys(MIGRATIONS).sort().at(-1) ?? 'none';
  throw new SmartlicError({
    code: 'DB_NEWER',
    message: `the database was upgraded by a newer smartlic${needs ? ` (${by.join(', ')})` : ''}: it has migration(s) ${unknown.join(', ')} that this smartlic ${SMARTLIC_VERSION} does not know (its latest is ${known}); this build is older than the database`,
    action: `run smartlic ${needs ? `${needs} or later` : 'at the version that last opened this database, or later'} on it (upgrade this installation). Do not restore an older backup: that would throw away what the newer version stored`,
    details: { unknownMigrations: unknown, ...(needs ? { needsVersion: needs } : {}) },
  });
}

/** Semver-ish order ("0.10.0" after "0.9.1"); non-numeric parts compare as text. */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isInteger(nx) && Number.isInteger(ny) ? nx - ny : x.localeCompare(y);
    if (c !== 0) return c;
  }
  return 0;
}

async function ensureVersionsTable(db: Kysely<Database>): Promise<void> {
  await db.schema
    .createTable(VERSIONS_TABLE)
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('smartlic_version', 'text', (c) => c.notNull())
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .execute();
}

/** One row of the version ledger: which smartlic applied a migration, and when. */
export interface MigrationVersion {
  name: string;
  smartlicVersion: string;
  appliedAt: string;
}

/** The version ledger as it stands (empty when no migration has recorded one yet). */
export async function migrationVersions(db: Kysely<Database>): Promise<MigrationVersion[]> {
  if (!(await tableNames(db)).has(VERSIONS_TABLE)) return [];
  const rows = await (db as unknown as Untyped)
    .selectFrom(VERSIONS_TABLE)
    .select(['name', 'smartlic_version', 'applied_at'])
    .orderBy('name')
    .execute();
  return rows.map((r) => ({
    name: String(r.name),
    smartlicVersion: String(r.smartlic_version),
    appliedAt: String(r.applied_at),
  }));
}

/** Writes ledger rows (a restored backup's); a name already there keeps its row. */
export async function recordMigrationVersions(
  db: Kysely<Database>,
  rows: readonly MigrationVersion[],
): Promise<void> {
  if (rows.length === 0) return;
  await ensureVersionsTable(db);
  await (db as unknown as Untyped)
    .insertInto(VERSIONS_TABLE)
    .values(
      rows.map((r) => ({
        name: r.name,
        smartlic_version: r.smartlicVersion,
        applied_at: r.appliedAt,
      })),
    )
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

async function recordVersions(db: Kysely<Database>, names: string[], clock: Clock): Promise<void> {
  // Nothing ran: no statement at all, so opening an up-to-date database writes nothing.
  if (names.length === 0) return;
  const at = clock.now().toISOString();
  await recordMigrationVersions(
    db,
    names.map((name) => ({ name, smartlicVersion: SMARTLIC_VERSION, appliedAt: at })),
  );
}

/** Runs every pending migration; returns the names that ran (empty when up to date). */
export async function migrateToLatest(
  db: Kysely<Database>,
  clock: Clock = systemClock,
  opts: MigrateOptions = {},
): Promise<string[]> {
  await refuseNewer(db);
  const { error, results } = await migrator(db, opts).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    // A full disk (or another storage error) is already told in the operator's terms.
    if (error instanceof SmartlicError) throw error;
    throw new SmartlicError({
      code: 'DB',
      message: `database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : 'unknown error'}`,
      action: 'restore the last backup or report the error; the database was left as it was before',
      cause: error,
    });
  }
  const ran = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (opts.only === undefined) await recordVersions(db, ran, clock);
  return ran;
}

/** Names of migrations not yet applied (for a readiness check before opening the app). */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  await refuseNewer(db);
  const all = await migrator(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
