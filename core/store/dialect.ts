/**
 * What differs between the two stores, said once. SQLite (better-sqlite3) is the embedded
 * default; PostgreSQL (the `pg` driver) is what several instances share. Everything above the
 * store writes one query; where the SQL text cannot be the same, the few fragments below give
 * each database its own words, chosen from the kysely instance the query runs on.
 *
 * The differences handled here and nowhere else:
 * - column types: SQLite's `integer` is 64-bit, so on PostgreSQL it is `bigint`, and an
 *   `autoIncrement` primary key is `bigserial` (migrations stay as written: the compiler below
 *   rewrites the column definitions, so the SQLite schema they produce does not change);
 * - values: PostgreSQL's bigint / numeric come back as strings from `pg`, booleans as
 *   true/false; here they come back as numbers and 0/1, as SQLite gives them (schema.ts'
 *   SqlBool);
 * - `BEGIN IMMEDIATE`: SQLite takes the write lock when a transaction begins, so transactions
 *   run one at a time; on PostgreSQL each transaction takes one transaction-scoped advisory
 *   lock as it begins, which keeps that guarantee (a sync's transaction and a chat write never
 *   interleave) whatever the pool size;
 * - JSON: `json_each` / `json_array` / `->>` versus `json_array_elements` /
 *   `json_build_array` / casts;
 * - `a IS NOT b` (null-safe) versus `IS DISTINCT FROM`, `unixepoch()` versus `extract(epoch)`;
 * - text order: PostgreSQL databases for smartlic use the "C" collation (docs/storage.md), so
 *   `order by name` is the same byte order as SQLite's BINARY.
 */
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresDialect,
  PostgresDriver,
  PostgresQueryCompiler,
  RawNode,
  sql,
  type ColumnDefinitionNode,
  type DatabaseConnection,
  type Driver,
  type Expression,
  type PostgresDialectConfig,
  type QueryCompiler,
  type RawBuilder,
  type TransactionSettings,
} from 'kysely';
import pg from 'pg';

export type DialectName = 'sqlite' | 'postgres';

/** Which database a kysely instance (or transaction) runs on. */
export function dialectOf(db: AnyDb): DialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** Any kysely instance or transaction, whatever its table types. */
export interface AnyDb {
  getExecutor(): { readonly adapter: unknown };
}

/** The lock every PostgreSQL transaction takes first (the `BEGIN IMMEDIATE` of SQLite). */
export const PG_WRITE_LOCK = 0x736d6c63; // "smlc"

/**
 * `migrations as written` → PostgreSQL types: `integer` is SQLite's 64-bit integer, and an
 * autoIncrement integer primary key is a bigserial.
 */
class SmartlicPostgresCompiler extends PostgresQueryCompiler {
  protected override visitColumnDefinition(node: ColumnDefinitionNode): void {
    const type = node.dataType as { kind?: string; dataType?: string };
    const integer = type.kind === 'DataTypeNode' && type.dataType === 'integer';
    if (integer) {
      super.visitColumnDefinition({
        ...node,
        autoIncrement: false,
        dataType: RawNode.createWithSql(node.autoIncrement === true ? 'bigserial' : 'bigint'),
      });
      return;
    }
    super.visitColumnDefinition(node);
  }
}

class SmartlicPostgresDriver extends PostgresDriver {
  override async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    await super.beginTransaction(connection, settings);
    await connection.executeQuery(
      CompiledQuery.raw(`select pg_advisory_xact_lock(${PG_WRITE_LOCK})`),
    );
  }
}

class SmartlicPostgresDialect extends PostgresDialect {
  constructor(private readonly cfg: PostgresDialectConfig) {
    super(cfg);
  }

  override createDriver(): Driver {
    return new SmartlicPostgresDriver(this.cfg);
  }

  override createQueryCompiler(): QueryCompiler {
    return new SmartlicPostgresCompiler();
  }
}

/** kysely's PostgresDialect with smartlic's types and transactions (see above). */
export function createPostgresDialect(cfg: PostgresDialectConfig): PostgresDialect {
  return new SmartlicPostgresDialect(cfg);
}

// pg type OIDs whose text form is turned into what SQLite would have returned.
const INT8 = 20;
const NUMERIC = 1700;
const BOOL = 16;

/**
 * `pg`'s `types` option: bigint and numeric as numbers, booleans as 0/1, everything else as
 * `pg` parses it (float8 as a number, text as text). Per pool, not pg's global registry.
 */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (format !== 'binary') {
      if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
      if (oid === BOOL) return (v: string) => (v === 't' ? 1 : 0);
    }
    return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  },
};

// ---------------------------------------------------------------- SQL fragments

/** A JSON array of the given expressions, as text (SQLite `json_array`). */
export function jsonArray(db: AnyDb, parts: readonly Expression<unknown>[]): RawBuilder<string> {
  return dialectOf(db) === 'postgres'
    ? sql<string>`json_build_array(${sql.join(parts)})::text`
    : sql<string>`json_array(${sql.join(parts)})`;
}

/**
 * The rows of a JSON array of arrays given as text, as a from-item named `alias` with
 * `key` (its position, for `order by`) and `value` (the inner array). Read its fields with
 * `jsonInt` / `jsonText`.
 */
export function jsonRows(db: AnyDb, json: string, alias: string): RawBuilder<unknown> {
  return dialectOf(db) === 'postgres'
    ? sql`json_array_elements(${json}::json) with ordinality as ${sql.raw(alias)}(value, key)`
    : sql`json_each(${json}) ${sql.raw(alias)}`;
}

/** Field `i` of a `jsonRows` value as an integer. */
export function jsonInt(db: AnyDb, value: string, i: number): RawBuilder<number> {
  return dialectOf(db) === 'postgres'
    ? sql<number>`(${sql.raw(value)} ->> ${sql.lit(i)})::bigint`
    : sql<number>`${sql.raw(value)} ->> ${sql.lit(i)}`;
}

/** Field `i` of a `jsonRows` value as text. */
export function jsonText(db: AnyDb, value: string, i: number): RawBuilder<string> {
  return sql<string>`${sql.raw(value)} ->> ${sql.lit(i)}`;
}

/** `(select …)` of the integers in a JSON array given as text, for `x in <this>`. */
export function jsonIntList(db: AnyDb, json: string): RawBuilder<number> {
  return dialectOf(db) === 'postgres'
    ? sql<number>`(select (value #>> '{}')::bigint from json_array_elements(${json}::json))`
    : sql<number>`(select value from json_each(${json}))`;
}

/** Null-safe "differs": SQLite `a IS NOT b`, PostgreSQL `a IS DISTINCT FROM b`. */
export function differs(db: AnyDb, a: string, b: string): RawBuilder<number> {
  return dialectOf(db) === 'postgres'
    ? sql<number>`${sql.raw(a)} IS DISTINCT FROM ${sql.raw(b)}`
    : sql<number>`${sql.raw(a)} IS NOT ${sql.raw(b)}`;
}

/** Milliseconds since the epoch of an ISO-8601 text column (sub-second kept). */
export function epochMs(db: AnyDb, column: string): RawBuilder<number> {
  return dialectOf(db) === 'postgres'
    ? sql<number>`round(extract(epoch from ${sql.raw(column)}::timestamptz) * 1000)::float8`
    : sql<number>`round(unixepoch(${sql.raw(column)}, 'subsec') * 1000)`;
}

/** A text parameter that may be null, typed so PostgreSQL can tell (`? is null` checks). */
export function textParam(db: AnyDb, v: string | null): RawBuilder<string | null> {
  return dialectOf(db) === 'postgres' ? sql<string | null>`${v}::text` : sql<string | null>`${v}`;
}

/** Case-insensitive LIKE for ASCII, as SQLite's LIKE is. */
export function likeOperator(db: AnyDb): 'like' | 'ilike' {
  return dialectOf(db) === 'postgres' ? 'ilike' : 'like';
}

/** One SQL text per database, where a statement cannot be written once (see callers). */
export function perDialect<T>(db: AnyDb, choices: { sqlite: T; postgres: T }): T {
  return choices[dialectOf(db)];
}
