/**
 * Wide rows read in bulk, packed into one JSON array per row.
 *
 * better-sqlite3 builds each row object from C++ one property at a time, and past about 18
 * columns that costs far more than the query itself. The measurement that led here: reading
 * 10 055 clusters with 26 columns took 120–160 ms as row objects. The same rows as
 * `json_array(...)` text, parsed and copied into an object of fixed shape, took 55–65 ms.
 * The values are the same: SQLite's JSON keeps integers, reals, text and NULL. Blobs cannot
 * be packed, and no packed column holds one.
 *
 * Only whole-estate reads use this (alert evaluation, the Cluster Summary). A narrow or
 * single-row read gains nothing from it.
 */
import { sql, type Expression, type RawBuilder } from 'kysely';
import { jsonArray, type AnyDb } from './dialect.ts';

export interface PackedColumns<Row> {
  /** The select expression on `db`: `json_array(col1, col2, …)` as text, to be given an alias. */
  expr(db: AnyDb): RawBuilder<string>;
  /** One packed row back as a Row object (every property present, in the declared order). */
  unpack(text: string): Row;
}

/**
 * Packs the columns of `spec` (property name → column reference such as `clusters.id`, or
 * an expression). The Row type is the caller's promise of what those columns hold.
 */
export function packColumns<Row extends object>(spec: {
  readonly [K in keyof Row]: string | Expression<unknown>;
}): PackedColumns<Row> {
  const names = Object.keys(spec) as (keyof Row & string)[];
  const parts = names.map((n): Expression<unknown> => {
    const c: string | Expression<unknown> = spec[n as keyof Row];
    return typeof c === 'string' ? sql.ref(c) : c;
  });
  // Copying a template of the final shape and then assigning keeps every row on one hidden
  // class; adding 26 properties to `{}` one at a time is what makes the plain rows slow.
  const template = Object.fromEntries(names.map((n) => [n, null])) as Row;
  return {
    expr: (db) => jsonArray(db, parts),
    unpack(text: string): Row {
      const values = JSON.parse(text) as unknown[];
      const row = { ...template } as Record<string, unknown>;
      for (let i = 0; i < names.length; i++) row[names[i]!] = values[i];
      return row as Row;
    },
  };
}

/**
 * The spec for packing columns of one table under their own names:
 * `tableColumns('clusters', ['id', 'name'])` → `{ id: 'clusters.id', name: 'clusters.name' }`.
 */
export function tableColumns<const C extends string>(
  table: string,
  columns: readonly C[],
): Record<C, string> {
  return Object.fromEntries(columns.map((c) => [c, `${table}.${c}`])) as Record<C, string>;
}
