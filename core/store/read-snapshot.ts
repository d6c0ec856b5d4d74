/**
 * Several reads that see one state of the database: a read transaction. SQLite's deferred
 * BEGIN takes no lock until the first read and then keeps that snapshot (WAL), so writers in
 * other processes go on; PostgreSQL's REPEATABLE READ READ ONLY is the same promise. (The
 * store's write transactions begin IMMEDIATE, which a read-only connection cannot.)
 */
import { sql, type Kysely } from 'kysely';
import { perDialect } from './dialect.ts';
import type { Database } from './schema.ts';

export async function inReadSnapshot<T>(
  db: Kysely<Database>,
  fn: (snapshot: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    const begin = perDialect(db, {
      sqlite: 'begin',
      postgres: 'begin isolation level repeatable read read only',
    });
    await sql.raw(begin).execute(conn);
    try {
      return await fn(conn);
    } finally {
      // Nothing was written: a rollback and a commit end it alike.
      await sql.raw('rollback').execute(conn);
    }
  });
}
