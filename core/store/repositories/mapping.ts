/** Row ↔ domain conversions shared by the repositories (see schema.ts for the conventions). */
import type { Kysely, Transaction } from 'kysely';
import type { Database, SqlBool } from '../schema.ts';

export function iso(d: Date): string {
  return d.toISOString();
}

export function isoOrNull(d: Date | null | undefined): string | null {
  return d === null || d === undefined ? null : d.toISOString();
}

export function date(s: string): Date {
  return new Date(s);
}

export function dateOrNull(s: string | null): Date | null {
  return s === null ? null : new Date(s);
}

export function bool(n: SqlBool): boolean {
  return n !== 0;
}

export function sqlBool(b: boolean | undefined): SqlBool {
  return b === true ? 1 : 0;
}

export function jsonOrNull(v: unknown): string | null {
  return v === undefined || v === null ? null : JSON.stringify(v);
}

export function parseJson(s: string | null): unknown {
  if (s === null) return null;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

export function parseJsonObject(s: string | null): Record<string, unknown> {
  const v = parseJson(s);
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {};
}

/**
 * Runs `fn` atomically: inside the caller's transaction when `db` already is one, otherwise in
 * a new one. Lets a repository method be all-or-nothing on its own and still join a larger
 * transaction (kysely has no nested transactions).
 */
export async function atomically<T>(
  db: Kysely<Database>,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return fn(db);
  return inTransaction(db, fn);
}

/**
 * `db.transaction().execute(fn)`, except that the error `fn` threw is the one rethrown even
 * when the rollback after it fails too: kysely throws the rollback's error ("cannot rollback -
 * no transaction is active" after a full disk), which says nothing of what went wrong.
 */
export async function inTransaction<T>(
  db: Kysely<Database>,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  let first: { error: unknown } | undefined;
  try {
    return await db.transaction().execute(async (trx: Transaction<Database>) => {
      try {
        return await fn(trx);
      } catch (e) {
        first = { error: e };
        throw e;
      }
    });
  } catch (e) {
    if (first && e !== first.error) throw first.error;
    throw e;
  }
}

/** Keeps only the keys whose value is not `undefined` (partial updates: undefined = keep). */
export function defined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
