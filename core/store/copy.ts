/**
 * Moving a SQLite database to PostgreSQL: every row of every table, ids kept, ciphertext
 * copied as it is (the same key opens it), counts verified per table.
 */
import { sql, type Kysely } from 'kysely';
import type BetterSqlite3 from 'better-sqlite3';
import { SmartlicError } from '../errors.ts';
import { migrateToLatest, pendingMigrations } from './migrate.ts';
import { sqliteTables } from './logical-backup.ts';
import type { Database } from './schema.ts';

export interface CopyResult {
  /** Rows per table, equal on both sides (checked). */
  tables: { table: string; rows: number }[];
}

type Untyped = Kysely<Record<string, Record<string, unknown>>>;

async function count(db: Kysely<Database>, table: string): Promise<number> {
  const r = await (db as unknown as Untyped)
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Copies the migrated SQLite database `from` into the PostgreSQL database `to` (migrated here
 * first). Refuses (DB_NOT_EMPTY) a target that holds rows unless `replace`, which empties it
 * first. All rows go in one transaction: a failure leaves the target as it was.
 */
export async function copySqliteToPostgres(
  from: { db: Kysely<Database>; sqlite: BetterSqlite3.Database; path: string },
  to: { db: Kysely<Database>; path: string },
  opts: { replace?: boolean } = {},
): Promise<CopyResult> {
  const pending = await pendingMigrations(from.db);
  if (pending.length > 0) {
    throw new SmartlicError({
      code: 'DB',
      message: `the SQLite database ${from.path} is not migrated (${pending.join(', ')} pending)`,
      action:
        'run `smartlic db migrate` on it with this smartlic first (SMARTLIC_DB, without SMARTLIC_DATABASE_URL)',
    });
  }
  await migrateToLatest(to.db);
  const tables = sqliteTables(from.sqlite);
  const held: string[] = [];
  for (const t of tables) {
    const n = await count(to.db, t);
    if (n > 0) held.push(`${t} (${n})`);
  }
  if (held.length > 0 && opts.replace !== true) {
    throw new SmartlicError({
      code: 'DB_NOT_EMPTY',
      message: `the PostgreSQL database ${to.path} already holds data: ${held.slice(0, 5).join(', ')}${held.length > 5 ? ', …' : ''}; nothing was copied`,
      action:
        'copy into an empty database, or pass --replace to empty this one first (what it holds is lost)',
    });
  }
  await to.db.transaction().execute(async (trx) => {
    if (held.length > 0) {
      await sql`truncate ${sql.join(tables.map((t) => sql.table(t)))} restart identity cascade`.execute(
        trx,
      );
    }
    const u = trx as unknown as Untyped;
    for (const t of tables) {
      const columns = (
        from.sqlite.prepare('select name from pragma_table_info(?)').all(t) as { name: string }[]
      ).map((r) => r.name);
      // PostgreSQL takes at most 65 535 parameters per statement.
      const batch = Math.max(1, Math.floor(30_000 / columns.length));
      const rows: Record<string, unknown>[] = [];
      const flush = async () => {
        if (rows.length === 0) return;
        await u.insertInto(t).values(rows.splice(0)).execute();
      };
      for (const row of from.sqlite
        .prepare(`select * from "${t}" order by rowid`)
        .iterate() as IterableIterator<Record<string, unknown>>) {
        rows.push(row);
        if (rows.length >= batch) await flush();
      }
      await flush();
      if (columns.includes('id')) {
        // Rows came with their ids: the sequence continues after the largest (a text id,
        // confirmation_tickets', has none).
        const { rows: seq } = await sql<{
          s: string | null;
        }>`select pg_get_serial_sequence(${t}, 'id') as s`.execute(trx);
        if (seq[0]?.s) {
          await sql`select setval(${seq[0].s}, coalesce((select max(id) from ${sql.table(t)}), 0) + 1, false)`.execute(
            trx,
          );
        }
      }
    }
  });
  const out: CopyResult = { tables: [] };
  const wrong: string[] = [];
  for (const t of tables) {
    const a = (from.sqlite.prepare(`select count(*) as n from "${t}"`).get() as { n: number }).n;
    const b = await count(to.db, t);
    if (a !== b) wrong.push(`${t}: ${a} in SQLite, ${b} in PostgreSQL`);
    out.tables.push({ table: t, rows: b });
  }
  if (wrong.length > 0) {
    throw new SmartlicError({
      code: 'DB',
      message: `the copy to ${to.path} does not match: ${wrong.join('; ')}`,
      action: 'run the copy again with --replace; report it if it persists',
    });
  }
  return out;
}
